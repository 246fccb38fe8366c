/// A one-line request on the control socket.
public enum ControlCommand: Equatable, Sendable {
    case status
    case metrics
    /// Save the next composed screen as PNG or JPEG (by extension); nil: a default path.
    case snapshot(path: String?)
    /// Record the composed screen to an AVI; nil: the configured `display.record_path`.
    case recordStart(path: String?)
    case recordStop
    /// Record the raw input (grabber frames + microphone) as a session folder for training.
    case recordSessionStart
    case recordSessionStop
    case reloadModel

    public static let usage = "status, metrics, snapshot [PATH], record start [PATH] (or start-recording), record stop (or stop-recording), record-session start, record-session stop, reload-model"

    /// Parses `status`, `record start /path/x.avi`, ... (surrounding blanks ignored);
    /// nil when the line is no command. `start-recording`/`stop-recording` are aliases.
    public init?(line: String) {
        let text = line.trimmingWhitespace()
        switch text {
        case "status": self = .status
        case "metrics": self = .metrics
        case "record stop", "stop-recording": self = .recordStop
        case "reload-model": self = .reloadModel
        case "record-session start": self = .recordSessionStart
        case "record-session stop": self = .recordSessionStop
        default:
            if let path = Self.argument(of: text, after: ["record start", "start-recording"]) {
                self = .recordStart(path: path.isEmpty ? nil : path)
            } else if let path = Self.argument(of: text, after: ["snapshot"]) {
                self = .snapshot(path: path.isEmpty ? nil : path)
            } else {
                return nil
            }
        }
    }

    /// The (possibly empty) rest of `text` after one of `words` and a blank; nil when
    /// `text` starts with none of them.
    private static func argument(of text: String, after words: [String]) -> String? {
        for word in words {
            if text == word { return "" }
            if text.hasPrefix(word + " ") || text.hasPrefix(word + "\t") {
                return text.dropFirst(word.count).trimmingWhitespace()
            }
        }
        return nil
    }

    /// The command word(s), echoed in every reply.
    public var name: String {
        switch self {
        case .status: return "status"
        case .metrics: return "metrics"
        case .snapshot: return "snapshot"
        case .recordStart: return "record start"
        case .recordStop: return "record stop"
        case .recordSessionStart: return "record-session start"
        case .recordSessionStop: return "record-session stop"
        case .reloadModel: return "reload-model"
        }
    }
}

/// What the appliance provides to the control socket. Called on the control thread, never
/// the real-time loop: an implementation hands acting commands to the loop its own way.
public protocol ControlHandler: Sendable {
    func status() -> StatusReport
    func metricsText() -> String
    /// Carries out `snapshot`, `record start`, `record stop` or `reload-model`; returns a
    /// short result (the file written, the model loaded) or throws an error that says what
    /// failed.
    func perform(_ command: ControlCommand) throws -> String
}

/// The one JSON line answering a command: `{"command":"...","ok":true,...}`.
public struct ControlReply: Codable, Equatable, Sendable {
    public var command: String?
    public var ok: Bool
    public var error: String?
    public var result: String?
    public var status: StatusReport?
    public var metrics: String?

    init(command: String? = nil, ok: Bool, error: String? = nil, result: String? = nil,
         status: StatusReport? = nil, metrics: String? = nil) {
        (self.command, self.ok, self.error, self.result, self.status, self.metrics) = (command, ok, error, result, status, metrics)
    }

    /// Reads a reply line from `ControlClient.request`.
    public static func decode(_ line: String) throws -> ControlReply { try ControlJSON.decode(ControlReply.self, line) }

    /// The reply as the one JSON line the server sends.
    public func jsonLine() throws -> String { try ControlJSON.encode(self) }
}
