import Glibc
import Platform

/// `GET /metrics` on 127.0.0.1:`control.metrics_port`, for a Prometheus (or agent) on the same
/// box. Minimal HTTP/1.1: one request per connection, then close. Loopback only: the
/// appliance never listens on the network. (The shipped unit has PrivateNetwork=yes, so a
/// scrape there uses the textfile instead.)
public final class MetricsHTTPServer: Sendable {
    /// The port actually bound (useful when asked for port 0).
    public let port: Int
    private let listener: ListeningThread

    public init(port: Int, render: @escaping @Sendable () -> String) throws(SystemError) {
        let subject = "127.0.0.1:\(port)"
        let fd = try syscall("socket", subject: subject) {
            socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian  // 127.0.0.1
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        do {
            var reuse: Int32 = 1  // a restart must not wait out TIME_WAIT
            _ = try syscall("setsockopt", subject: subject) {
                setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &reuse, socklen_t(MemoryLayout<Int32>.size))
            }
            _ = try withUnsafeMutablePointer(to: &address) { pointer throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic throws(SystemError) in
                    _ = try syscall("bind", subject: subject) { bind(fd, generic, length) }
                    return try syscall("getsockname", subject: subject) { getsockname(fd, generic, &length) }
                }
            }
            _ = try syscall("listen", subject: subject) { listen(fd, 8) }
        } catch {
            close(fd)
            throw error
        }
        self.port = Int(UInt16(bigEndian: address.sin_port))
        listener = try ListeningThread(name: "metrics-http", listenFD: fd) { client in
            Self.answer(client, render: render)
        }
    }

    public func stop() { listener.stop() }

    deinit { stop() }

    static let maximumRequestBytes = 8192

    private static func answer(_ client: ListeningThread.Client, render: () -> String) {
        var request: [UInt8] = []
        let endOfHead: [UInt8] = Array("\r\n\r\n".utf8)
        while !request.containsSequence(endOfHead) {
            guard request.count < maximumRequestBytes,
                  client.waitReadable(timeoutMilliseconds: 2000) == true,
                  let bytes = client.receive() else { return }
            request += bytes
        }
        let requestLine = String(decoding: request.prefix(while: { $0 != UInt8(ascii: "\r") }), as: UTF8.self)
        let parts = requestLine.split(separator: " ")
        let response: (status: String, type: String, body: String)
        if parts.count != 3 || !parts[2].hasPrefix("HTTP/1.") {
            response = ("400 Bad Request", "text/plain", "bad request\n")
        } else if parts[0] != "GET" && parts[0] != "HEAD" {
            response = ("405 Method Not Allowed", "text/plain", "only GET\n")
        } else if parts[1] != "/metrics" {
            response = ("404 Not Found", "text/plain", "metrics are at /metrics\n")
        } else {
            response = ("200 OK", "text/plain; version=0.0.4; charset=utf-8", render())
        }
        let body = Array(response.body.utf8)
        var head = "HTTP/1.1 \(response.status)\r\nContent-Type: \(response.type)\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        _ = client.send(Array(head.utf8) + (parts.first == "HEAD" ? [] : body))
    }
}

extension Array where Element == UInt8 {
    fileprivate func containsSequence(_ marker: [UInt8]) -> Bool {
        guard count >= marker.count else { return false }
        for start in 0...(count - marker.count) where self[start..<(start + marker.count)].elementsEqual(marker) {
            return true
        }
        return false
    }
}
