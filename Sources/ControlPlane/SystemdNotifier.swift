import CSystemShims
import Glibc
import Platform

/// The sd_notify protocol, written by hand (no libsystemd): each message is one datagram of
/// `KEY=VALUE` lines sent to `$NOTIFY_SOCKET`, a filesystem path or, when it starts with
/// `@`, an abstract socket name. Without `$NOTIFY_SOCKET` (not started by systemd, or
/// `Type=simple`) every call is a silent no-op.
public final class SystemdNotifier: Sendable {
    /// Where messages go, as read from `$NOTIFY_SOCKET`; nil when notification is off.
    public let socketAddress: String?
    /// How often to send `WATCHDOG=1`: half of `$WATCHDOG_USEC`, as systemd recommends; nil
    /// when the watchdog is off or `$WATCHDOG_PID` names another process.
    public let watchdogPingIntervalNanoseconds: Int64?
    private let socketFD: Int32

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`
    /// (the process environment by default).
    public init(environment: [String: String] = SystemdNotifier.processEnvironment()) throws(SystemError) {
        let address = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        watchdogPingIntervalNanoseconds = Self.watchdogInterval(environment)
        socketAddress = address
        if address != nil {
            socketFD = try syscall("socket", subject: "NOTIFY_SOCKET") {
                socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            }
        } else {
            socketFD = -1
        }
    }

    deinit {
        if socketFD >= 0 { close(socketFD) }
    }

    /// `READY=1`: devices and model are up (systemd then considers the unit started).
    public func ready(status: String? = nil) throws(SystemError) {
        try send(["READY=1"] + (status.map { ["STATUS=" + Self.oneLine($0)] } ?? []))
    }

    /// `WATCHDOG=1`: send only while capture and display make progress.
    public func watchdog() throws(SystemError) { try send(["WATCHDOG=1"]) }

    /// `STATUS=...`: one-line summary shown by `systemctl status`.
    public func status(_ text: String) throws(SystemError) { try send(["STATUS=" + Self.oneLine(text)]) }

    /// `STOPPING=1`: clean shutdown has begun.
    public func stopping() throws(SystemError) { try send(["STOPPING=1"]) }

    /// Sends one datagram of `KEY=VALUE` lines.
    public func send(_ assignments: [String]) throws(SystemError) {
        guard let address = socketAddress else { return }
        let message = assignments.joined(separator: "\n") + "\n"
        var (socketAddress, length) = try Self.unixAddress(address)
        let sent = try withUnsafePointer(to: &socketAddress) { pointer throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic throws(SystemError) in
                try syscall("sendto", subject: address) {
                    var bytes = message
                    return bytes.withUTF8 { buffer in
                        sendto(socketFD, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), generic, length)
                    }
                }
            }
        }
        if sent != message.utf8.count {
            throw SystemError("sendto(short)", subject: address, errno: EMSGSIZE)
        }
    }

    /// A `sockaddr_un` for a path, or for an abstract name when `address` starts with `@`:
    /// then `sun_path[0]` is NUL and the length covers exactly the name, since trailing
    /// NULs would be part of an abstract name and miss the socket systemd listens on.
    static func unixAddress(_ address: String) throws(SystemError) -> (sockaddr_un, socklen_t) {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let abstract = address.hasPrefix("@")
        var pathBytes = Array(address.utf8)
        if abstract { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        // A path needs room for its terminating NUL; an abstract name does not have one.
        guard !pathBytes.isEmpty, pathBytes.count + (abstract ? 0 : 1) <= capacity else {
            throw SystemError("sockaddr_un", subject: address, errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &storage.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path)!
        let length = pathOffset + pathBytes.count + (abstract ? 0 : 1)
        return (storage, socklen_t(length))
    }

    static func watchdogInterval(_ environment: [String: String]) -> Int64? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else {
            return nil
        }
        if let pidText = environment["WATCHDOG_PID"] {
            guard let pid = Int32(pidText), pid == getpid() else { return nil }
        }
        return microseconds * 1000 / 2
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }

    /// The three variables systemd sets for the protocol, read from the process environment.
    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        for name in ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"] {
            if let value = getenv(name) { result[name] = String(cString: value) }
        }
        return result
    }
}
