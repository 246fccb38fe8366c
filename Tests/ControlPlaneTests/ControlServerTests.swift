import Glibc
import Platform
import Synchronization
import Testing
@testable import ControlPlane

@Suite struct ControlServerTests {
    /// Stands in for the appliance: records the commands it was asked to carry out.
    final class FakeAppliance: ControlHandler {
        let metrics = ApplianceMetrics(stageNames: ["capture", "infer"])
        let performed = Mutex<[ControlCommand]>([])

        func status() -> StatusReport {
            StatusReport(state: .degraded,
                         devices: [.init(role: "video", path: "/dev/video0", state: "ok"),
                                   .init(role: "audio", path: "hw:CARD=mic", state: "missing", detail: "unplugged")],
                         model: .init(bundle: "/var/lib/showtell/model", loaded: true, description: "edge (untrained)"),
                         metrics: metrics, warnings: ["no microphone: heatmap off"])
        }

        func metricsText() -> String { metrics.prometheusText() }

        func perform(_ command: ControlCommand) throws -> String {
            performed.withLock { $0.append(command) }
            switch command {
            case .recordStart(let path): return path ?? "/default.avi"
            case .reloadModel: throw ModelError()
            default: return "done"
            }
        }

        struct ModelError: Error, CustomStringConvertible {
            var description: String { "model bundle /x: manifest.json missing" }
        }
    }

    static func socketPath() -> String { "/tmp/showtell-control-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock" }

    @Test func answersEveryCommandWithOneJSONLine() throws {
        let appliance = FakeAppliance()
        appliance.metrics.framesIn.increment(by: 7)
        let path = Self.socketPath()
        let server = try ControlServer(path: path, handler: appliance)
        defer { server.stop() }

        let status = try ControlReply.decode(try ControlClient.request("status", socketPath: path))
        #expect(status.ok && status.command == "status")
        #expect(status.status?.state == .degraded)
        #expect(status.status?.counters.framesIn == 7)
        #expect(status.status?.devices.count == 2)
        #expect(status.status?.model.description == "edge (untrained)")
        #expect(status.status?.warnings == ["no microphone: heatmap off"])
        #expect(status.status?.latency.first?.name == "capture_to_display")

        let metrics = try ControlReply.decode(try ControlClient.request("metrics", socketPath: path))
        #expect(metrics.metrics?.contains("showtell_frames_in_total 7\n") == true)

        let record = try ControlReply.decode(try ControlClient.request("record start /tmp/my recording.avi", socketPath: path))
        #expect(record.ok && record.result == "/tmp/my recording.avi")
        #expect(try ControlReply.decode(try ControlClient.request("  record stop ", socketPath: path)).ok)
        #expect(try ControlReply.decode(try ControlClient.request("snapshot", socketPath: path)).result == "done")
        #expect(try ControlReply.decode(try ControlClient.request("snapshot /tmp/s.png", socketPath: path)).ok)

        let reload = try ControlReply.decode(try ControlClient.request("reload-model", socketPath: path))
        #expect(!reload.ok && reload.error == "model bundle /x: manifest.json missing")

        let unknown = try ControlReply.decode(try ControlClient.request("reboot", socketPath: path))
        #expect(!unknown.ok && unknown.error?.contains("unknown command \"reboot\"") == true)

        #expect(appliance.performed.withLock { $0 } == [
            .recordStart(path: "/tmp/my recording.avi"), .recordStop, .snapshot(path: nil), .snapshot(path: "/tmp/s.png"), .reloadModel,
        ])
    }

    @Test func severalCommandsOnOneConnection() throws {
        let path = Self.socketPath()
        let server = try ControlServer(path: path, handler: FakeAppliance())
        defer { server.stop() }
        let fd = try Self.connect(path)
        defer { close(fd) }
        let request = Array("status\r\nrecord stop\n".utf8)
        #expect(send(fd, request, request.count, 0) == request.count)
        let lines = Self.readLines(fd, count: 2)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { !$0.contains("\n") })
        #expect(try ControlReply.decode(lines[0]).command == "status")
        #expect(try ControlReply.decode(lines[1]).command == "record stop")
    }

    @Test func staleSocketIsReplacedButALiveOneIsNot() throws {
        let path = Self.socketPath()
        let first = try ControlServer(path: path, handler: FakeAppliance())
        let error = #expect(throws: SystemError.self) { try ControlServer(path: path, handler: FakeAppliance()) }
        #expect(error?.errno == EADDRINUSE)
        first.stop()
        #expect(!FileIO.exists(path))  // stop removes the socket file

        // A socket file left by a crash (bound, never accepting): the next server takes over.
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (address, length) = try SystemdNotifier.unixAddress(path)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(stale, $0, length) } }
        close(stale)
        #expect(FileIO.exists(path))
        let second = try ControlServer(path: path, handler: FakeAppliance())
        #expect(try ControlReply.decode(try ControlClient.request("status", socketPath: path)).ok)
        second.stop()
    }

    @Test func stopIsPromptWhileAClientIdles() throws {
        let path = Self.socketPath()
        let server = try ControlServer(path: path, handler: FakeAppliance(), idleTimeoutMilliseconds: 60_000)
        let fd = try Self.connect(path)
        defer { close(fd) }
        usleep(50_000)  // let the server accept and block reading from the idle client
        let start = MonotonicClock.nanoseconds()
        server.stop()
        #expect(MonotonicClock.nanoseconds() - start < 1_000_000_000)
    }

    @Test func commandParsing() {
        #expect(ControlCommand(line: "record start") == .recordStart(path: nil))
        #expect(ControlCommand(line: "record start  /a b.avi ") == .recordStart(path: "/a b.avi"))
        #expect(ControlCommand(line: "start-recording /r.avi") == .recordStart(path: "/r.avi"))
        #expect(ControlCommand(line: "stop-recording") == .recordStop)
        #expect(ControlCommand(line: "snapshot /tmp/x.jpg") == .snapshot(path: "/tmp/x.jpg"))
        #expect(ControlCommand(line: "snapshots") == nil)
        #expect(ControlCommand(line: "reload-model\r") == .reloadModel)
        #expect(ControlCommand(line: "record") == nil)
        #expect(ControlCommand(line: "") == nil)
    }

    static func connect(_ path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var (address, length) = try SystemdNotifier.unixAddress(path)
        let result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
        try #require(result == 0)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        return fd
    }

    static func readLines(_ fd: Int32, count: Int) -> [String] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.filter({ $0 == UInt8(ascii: "\n") }).count < count {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            bytes += chunk[..<n]
        }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
