import Glibc
import Synchronization
import Testing
@testable import ControlPlane

@Suite struct LoggerTests {
    @Test func oneLinePerEventWithJournaldPrefixAndFields() {
        let lines = Mutex<[String]>([])
        let logger = Logger(minimumPriority: .info) { line in lines.withLock { $0.append(line) } }
        logger.warning("camera_lost", ["device": "/dev/video0", "retry_in_ms": 500])
        logger.info("model_loaded", ["description": "edge (untrained)", "note": "a \"b\"\nc=d", "empty": ""])
        logger.debug("not shown")
        logger.error("multi\nline")
        #expect(lines.withLock { $0 } == [
            "<4>camera_lost device=/dev/video0 retry_in_ms=500\n",
            "<6>model_loaded description=\"edge (untrained)\" note=\"a \\\"b\\\"\\nc=d\" empty=\"\"\n",
            "<3>multi\\nline\n",
        ])
    }

    /// glibc's `__flbf` tells whether a stream is line-buffered.
    @Test func standardOutputBecomesLineBuffered() throws {
        Logger.makeStandardOutputLineBuffered()
        let stdoutAddress = try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "stdout"))
        let stream = stdoutAddress.load(as: UnsafeMutablePointer<FILE>?.self)
        typealias IsLineBuffered = @convention(c) (UnsafeMutablePointer<FILE>?) -> Int32
        let flbf = unsafeBitCast(try #require(dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__flbf")), to: IsLineBuffered.self)
        #expect(flbf(stream) != 0)
    }

    @Test func priorityNumbersAreSyslogs() {
        #expect(LogPriority.allCases.map(\.rawValue) == Array(0...7))
        #expect(LogPriority.emergency < LogPriority.debug)
    }
}
