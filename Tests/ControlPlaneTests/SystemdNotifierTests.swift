import Glibc
import Platform
import Testing
@testable import ControlPlane

@Suite struct SystemdNotifierTests {
    /// A datagram socket standing in for systemd's notify socket.
    final class FakeSystemd {
        let fd: Int32
        let address: String

        init(address: String) throws {
            self.address = address
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var (storage, length) = try SystemdNotifier.unixAddress(address)
            let bound = withUnsafePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
            }
            try #require(bound == 0, "bind \(address): errno \(errno)")
            var timeout = timeval(tv_sec: 2, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
        }

        deinit {
            close(fd)
            if !address.hasPrefix("@") { unlink(address) }
        }
    }

    @Test func sendsToFilesystemSocket() throws {
        let path = "/tmp/showtell-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        let systemd = try FakeSystemd(address: path)
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": path])
        try notifier.ready(status: "capturing\nat 30 fps")
        #expect(systemd.receive() == "READY=1\nSTATUS=capturing at 30 fps\n")
        try notifier.watchdog()
        #expect(systemd.receive() == "WATCHDOG=1\n")
        try notifier.status("degraded: no microphone")
        #expect(systemd.receive() == "STATUS=degraded: no microphone\n")
        try notifier.stopping()
        #expect(systemd.receive() == "STOPPING=1\n")
    }

    @Test func sendsToAbstractSocketWithoutTrailingNULs() throws {
        // If the length counted trailing NULs, the name would differ and sendto would fail
        // with ECONNREFUSED: delivery proves the length is exact.
        let name = "@showtell-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let systemd = try FakeSystemd(address: name)
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": name])
        try notifier.ready()
        #expect(systemd.receive() == "READY=1\n")
        let (_, length) = try SystemdNotifier.unixAddress(name)
        #expect(Int(length) == MemoryLayout<sa_family_t>.size + name.utf8.count)
    }

    @Test func withoutNotifySocketEverythingIsANoOp() throws {
        let notifier = try SystemdNotifier(environment: [:])
        #expect(notifier.socketAddress == nil)
        try notifier.ready()
        try notifier.watchdog()
        #expect(notifier.watchdogPingIntervalNanoseconds == nil)
    }

    @Test func missingListenerIsReportedNotIgnored() throws {
        let notifier = try SystemdNotifier(environment: ["NOTIFY_SOCKET": "/tmp/showtell-no-such-\(getpid()).sock"])
        let error = #expect(throws: SystemError.self) { try notifier.ready() }
        #expect(error?.operation == "sendto")
        #expect(error?.errno == ENOENT)
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsecForThisProcessOnly() throws {
        let mine = try SystemdNotifier(environment: ["WATCHDOG_USEC": "5000000", "WATCHDOG_PID": "\(getpid())"])
        #expect(mine.watchdogPingIntervalNanoseconds == 2_500_000_000)
        let unnamed = try SystemdNotifier(environment: ["WATCHDOG_USEC": "1000000"])
        #expect(unnamed.watchdogPingIntervalNanoseconds == 500_000_000)
        let other = try SystemdNotifier(environment: ["WATCHDOG_USEC": "5000000", "WATCHDOG_PID": "1"])
        #expect(other.watchdogPingIntervalNanoseconds == nil)
        let garbage = try SystemdNotifier(environment: ["WATCHDOG_USEC": "soon"])
        #expect(garbage.watchdogPingIntervalNanoseconds == nil)
    }

    @Test func tooLongPathIsRejected() {
        let path = "/tmp/" + String(repeating: "x", count: 200)
        let error = #expect(throws: SystemError.self) { try SystemdNotifier.unixAddress(path) }
        #expect(error?.errno == ENAMETOOLONG)
    }
}
