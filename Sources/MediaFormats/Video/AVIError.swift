/// Why an AVI file could not be written or read. `description` names the file and the problem.
public struct AVIError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Problem: Sendable, Equatable {
        case io(String)
        case notAVI(String)
        case truncatedHeader(String)
        case invalidHeader(String)
        case unsupportedCodec(String)
        /// The header's frame rate is zero, missing or implausible; no time base is guessed.
        case invalidFrameRate(String)
        case noFrames
        case frameOutOfRange(index: Int, count: Int)
        case corruptFrame(index: Int, reason: String)
        case invalidFrame(String)
        /// The next frame would take the file past `limit` bytes (AVI 1.0 without OpenDML).
        case fileSizeLimit(limit: Int)
        case alreadyFinished
    }

    public let path: String
    public let problem: Problem

    public init(path: String, problem: Problem) {
        self.path = path
        self.problem = problem
    }

    public var description: String {
        let what: String
        switch problem {
        case .io(let detail): what = detail
        case .notAVI(let detail): what = "not an AVI file: \(detail)"
        case .truncatedHeader(let detail): what = "truncated header: \(detail)"
        case .invalidHeader(let detail): what = "invalid header: \(detail)"
        case .unsupportedCodec(let detail): what = "unsupported video codec \(detail) (only MJPEG is read)"
        case .invalidFrameRate(let detail): what = "invalid frame rate: \(detail)"
        case .noFrames: what = "no video frames found"
        case .frameOutOfRange(let index, let count): what = "frame \(index) out of range (file has \(count) frames)"
        case .corruptFrame(let index, let reason): what = "frame \(index) is corrupt: \(reason)"
        case .invalidFrame(let detail): what = "invalid frame: \(detail)"
        case .fileSizeLimit(let limit):
            what = "recording reached the AVI 1.0 size limit of \(limit) bytes (no OpenDML); finish this file and start a new one"
        case .alreadyFinished: what = "writer already finished"
        }
        return "\(path): \(what)"
    }
}
