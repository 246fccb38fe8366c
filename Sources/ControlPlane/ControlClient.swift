import Glibc
import Platform

/// The other end of the control socket, for `showtell status` and tests: sends one command
/// line and returns the one JSON line that answers it, within `timeoutMilliseconds` in all:
/// connect (a daemon whose backlog is full makes a blocking connect wait for ever), send
/// and receive each give up at the deadline with ETIMEDOUT.
public enum ControlClient {
    public static func request(_ command: String, socketPath: String,
                               timeoutMilliseconds: Int32 = 5000) throws(SystemError) -> String {
        var (address, length) = try SystemdNotifier.unixAddress(socketPath)
        let fd = try syscall("socket", subject: socketPath) {
            socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        defer { close(fd) }
        var timeout = timeval(tv_sec: Int(timeoutMilliseconds / 1000), tv_usec: Int(timeoutMilliseconds % 1000) * 1000)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = MonotonicClock.nanoseconds() + Int64(timeoutMilliseconds) * 1_000_000
        // Non-blocking connect: on a Unix socket it fails with EAGAIN while the listener's
        // backlog is full (rather than blocking); retry until the deadline.
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        while true {
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, length) }
            }
            if result == 0 { break }
            let error = errno
            guard error == EAGAIN || error == EINTR else { throw SystemError("connect", subject: socketPath, errno: error) }
            guard MonotonicClock.nanoseconds() < deadline else {
                throw SystemError("connect (the daemon's queue stayed full for \(timeoutMilliseconds) ms)", subject: socketPath, errno: ETIMEDOUT)
            }
            usleep(20_000)
        }
        _ = fcntl(fd, F_SETFL, flags)
        let bytes = Array((command + "\n").utf8)
        var sent = 0
        sending: while sent < bytes.count {
            do {
                sent += try syscall("send", subject: socketPath) {
                    bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
                }
            } catch where error.errno == EPIPE || error.errno == ECONNRESET {
                // A daemon with all its client slots taken answers "busy" and hangs up without
                // reading the command; that reply is already queued here, so go and read it.
                break sending
            }
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !reply.contains(UInt8(ascii: "\n")) {
            guard MonotonicClock.nanoseconds() < deadline else {
                throw SystemError("recv (no complete reply within \(timeoutMilliseconds) ms)", subject: socketPath, errno: ETIMEDOUT)
            }
            let count = try syscall("recv", subject: socketPath) {
                chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            }
            if count == 0 { break }
            reply += chunk[..<count]
        }
        guard let newline = reply.firstIndex(of: UInt8(ascii: "\n")) else {
            throw SystemError("recv (connection closed before a full reply)", subject: socketPath, errno: ECONNRESET)
        }
        return String(decoding: reply[..<newline], as: UTF8.self)
    }
}
