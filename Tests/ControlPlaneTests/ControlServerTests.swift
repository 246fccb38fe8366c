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
        appliance.metrics.loop.publish(LoopCounters(framesIn: 7), speaking: false, noSignal: false, fps: 0, latencyMilliseconds: 0)
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

    /// One idle client used to delay `showtell status` by the idle timeout; a trickling one,
    /// or one that sends commands without reading the replies, held the socket as long as it
    /// liked. Served concurrently with deadlines, none of them delays the next client.
    @Test func idleTricklingAndNonReadingClientsDelayNobody() throws {
        let path = Self.socketPath()
        let server = try ControlServer(path: path, handler: FakeAppliance(), idleTimeoutMilliseconds: 60_000,
                                       lineTimeoutMilliseconds: 1000)
        defer { server.stop() }
        let idle = try Self.connect(path)
        defer { close(idle) }
        let trickler = try Self.connect(path)
        defer { close(trickler) }
        let flooder = try Self.connect(path)
        defer { close(flooder) }
        // The flooder writes status requests and never reads: the replies fill its buffer.
        var flags = fcntl(flooder, F_GETFL); flags |= O_NONBLOCK; _ = fcntl(flooder, F_SETFL, flags)
        let request = Array(String(repeating: "status\n", count: 200).utf8)
        for _ in 0..<50 { _ = send(flooder, request, request.count, Int32(MSG_NOSIGNAL)) }
        _ = send(trickler, "s", 1, Int32(MSG_NOSIGNAL))
        usleep(100_000)

        let start = MonotonicClock.seconds()
        let status = try ControlReply.decode(try ControlClient.request("status", socketPath: path, timeoutMilliseconds: 3000))
        let seconds = MonotonicClock.seconds() - start
        #expect(status.ok)
        #expect(seconds < 0.5, "status took \(seconds) s beside an idle, a trickling and a non-reading client")

        // The trickler misses its line deadline and is dropped: its next read sees the end.
        _ = send(trickler, "t", 1, Int32(MSG_NOSIGNAL))
        usleep(1_200_000)
        var byte: UInt8 = 0
        #expect(recv(trickler, &byte, 1, 0) == 0, "a line trickled over more than 1 s is cut off")
    }

    /// Twenty clients connect and say nothing: the backlog never fills (the accept thread
    /// drains it), clients beyond the limit get "busy" at once, and `status` gets an answer
    /// instead of blocking in connect().
    @Test func manyConnectionsGetBusyRepliesAndStatusNeverBlocks() throws {
        let path = Self.socketPath()
        let server = try ControlServer(path: path, handler: FakeAppliance(), idleTimeoutMilliseconds: 60_000, maximumClients: 4)
        defer { server.stop() }
        let crowd = try (0..<20).map { _ in try Self.connect(path) }
        defer { crowd.forEach { close($0) } }
        usleep(200_000)
        let start = MonotonicClock.seconds()
        let reply = try ControlReply.decode(try ControlClient.request("status", socketPath: path, timeoutMilliseconds: 2000))
        #expect(MonotonicClock.seconds() - start < 0.5)
        #expect(!reply.ok && reply.error?.contains("busy") == true, "\(reply)")
        let busy = Self.readLines(crowd[19], count: 1)
        #expect(busy.first?.contains("busy") == true)
        // The daemon may hang up before the client has written its command; the client
        // must still return the "busy" line rather than fail with EPIPE (seen in CI).
        for _ in 0..<200 {
            let again = try ControlReply.decode(try ControlClient.request("status", socketPath: path, timeoutMilliseconds: 2000))
            #expect(again.error?.contains("busy") == true, "\(again)")
        }
    }

    /// A listener that never accepts, its backlog full: a blocking connect() waits for ever;
    /// the client gives up at its timeout with ETIMEDOUT.
    @Test func clientConnectTimesOutWhenTheBacklogIsFull() throws {
        let path = Self.socketPath()
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener); unlink(path) }
        var (address, length) = try SystemdNotifier.unixAddress(path)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) } }
        #expect(listen(listener, 0) == 0)
        var queued: [Int32] = []
        defer { queued.forEach { close($0) } }
        while queued.count < 8 {  // fill the backlog with non-blocking connects
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            let result = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, length) } }
            if result != 0 { close(fd); break }
            queued.append(fd)
        }
        let start = MonotonicClock.seconds()
        let error = #expect(throws: SystemError.self) { try ControlClient.request("status", socketPath: path, timeoutMilliseconds: 300) }
        #expect(error?.errno == ETIMEDOUT, "\(String(describing: error))")
        #expect(MonotonicClock.seconds() - start < 1.0)
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
