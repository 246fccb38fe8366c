import Glibc
import Platform
import Testing
@testable import ControlPlane

@Suite struct MetricsHTTPServerTests {
    @Test func servesTheExpositionOnLoopback() throws {
        let metrics = ApplianceMetrics(stageNames: ["infer"])
        metrics.loop.publish(LoopCounters(framesOut: 3), speaking: false, noSignal: false, fps: 0, latencyMilliseconds: 0)
        let server = try MetricsHTTPServer(port: 0) { metrics.prometheusText() }
        defer { server.stop() }
        #expect(server.port > 0)

        let ok = try Self.get("/metrics", port: server.port)
        #expect(ok.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(ok.contains("Content-Type: text/plain; version=0.0.4"))
        let body = String(ok[ok.range(of: "\r\n\r\n")!.upperBound...])
        var checker = ExpositionChecker()
        #expect(checker.check(body).isEmpty)
        #expect(body.contains("showtell_frames_out_total 3\n"))
        let contentLength = ok.split(separator: "\r\n").first { $0.hasPrefix("Content-Length: ") }
        #expect(contentLength == "Content-Length: \(body.utf8.count)")

        #expect(try Self.get("/", port: server.port).hasPrefix("HTTP/1.1 404"))
        #expect(try Self.request("POST /metrics HTTP/1.1\r\n\r\n", port: server.port).hasPrefix("HTTP/1.1 405"))
    }

    static func get(_ path: String, port: Int) throws -> String {
        try request("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n", port: port)
    }

    static func request(_ text: String, port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(text.utf8)
        #expect(send(fd, bytes, bytes.count, 0) == bytes.count)
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {  // the server closes after one response
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            reply += chunk[..<n]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
