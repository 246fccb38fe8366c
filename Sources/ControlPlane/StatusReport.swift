import FoundationEssentials

/// What `showtell status` and the control socket's `status` command show: one JSON object
/// (snake_case keys) with the state, devices, model, frame rate, latency, loss counters and
/// warnings.
public struct StatusReport: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// Devices or model still coming up (before READY=1).
        case starting
        /// Everything works.
        case running
        /// Running without something (no camera, no microphone, no model): see warnings.
        case degraded
        case stopping
    }

    public struct Device: Codable, Sendable, Equatable {
        /// `video`, `audio` or `display`.
        public var role: String
        public var path: String
        /// `ok`, `missing`, `reopening`, `error`.
        public var state: String
        public var detail: String?

        public init(role: String, path: String, state: String, detail: String? = nil) {
            self.role = role
            self.path = path
            self.state = state
            self.detail = detail
        }
    }

    public struct Model: Codable, Sendable, Equatable {
        public var bundle: String
        public var loaded: Bool
        /// e.g. `edge (untrained)`, shown on screen too.
        public var description: String?
        public var error: String?

        public init(bundle: String, loaded: Bool, description: String? = nil, error: String? = nil) {
            self.bundle = bundle
            self.loaded = loaded
            self.description = description
            self.error = error
        }
    }

    public var state: State
    public var devices: [Device]
    public var model: Model
    public var fps: Double?
    /// Capture to display, then one entry per loop stage.
    public var latency: [LatencySummary]
    public var counters: LoopCounters
    public var warnings: [String]

    /// Fills frame rate, latency and counters from `metrics`.
    public init(state: State, devices: [Device], model: Model, metrics: ApplianceMetrics, warnings: [String]) {
        self.state = state
        self.devices = devices
        self.model = model
        let fps = metrics.displayFPS.value
        self.fps = fps.isNaN ? nil : fps
        let (stages, captureToDisplay) = metrics.latencySummaries()
        latency = [captureToDisplay] + stages
        counters = metrics.loop.counters
        self.warnings = warnings
    }

    /// One line of JSON, no trailing newline.
    public func jsonLine() throws -> String { try ControlJSON.encode(self) }

    public static func decode(_ json: String) throws -> StatusReport { try ControlJSON.decode(StatusReport.self, json) }
}

/// The JSON conventions of the control plane: snake_case keys, sorted, on one line.
enum ControlJSON {
    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ json: String) throws -> Value {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(type, from: Data(json.utf8))
    }
}
