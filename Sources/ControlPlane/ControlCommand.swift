/// A one-line request on the control socket.
public enum ControlCommand: Equatable, Sendable {
    case status
    case metrics
    /// Save the current composed screen as a JPEG.
    case snapshot
    /// Record the composed screen to an AVI; nil: the configured `display.record_path`.
    case recordStart(path: String?)
    case recordStop
    case reloadModel

    public static let usage = "status, metrics, snapshot, record start [PATH], record stop, reload-model"

    /// Parses `status`, `record start /path/x.avi`, ... (surrounding blanks ignored);
    /// nil when the line is no command.
    public init?(line: String) {
        let text = line.trimmingWhitespace()
        switch text {
        case "status": self = .status
        case "metrics": self = .metrics
        case "snapshot": self = .snapshot
        case "record start": self = .recordStart(path: nil)
        case "record stop": self = .recordStop
        case "reload-model": self = .reloadModel
        default:
            guard text.hasPrefix("record start ") else { return nil }
            let path = text.dropFirst("record start ".count).trimmingWhitespace()
            self = .recordStart(path: path.isEmpty ? nil : path)
        }
    }

    /// The command word(s), echoed in every reply.
    public var name: String {
        switch self {
        case .status: return "status"
        case .metrics: return "metrics"
        case .snapshot: return "snapshot"
        case .recordStart: return "record start"
        case .recordStop: return "record stop"
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
}
