import ControlPlane
import Display
import Glibc
import MediaFormats
import Platform
import ShowTellModel
import Synchronization

/// A model (or its absence, with the status-bar reason) on its way to the loop, and back
/// to be freed off the loop's thread.
final class ModelDelivery {
    let model: LocalisationModel?
    let missing: StaticString
    init(model: LocalisationModel?, missing: StaticString) {
        self.model = model
        self.missing = missing
    }
}

/// The control socket's commands, carried out on the control thread. Acting commands reach
/// the loop through lock-free handoffs that it checks between frames, and this thread waits
/// (bounded) for the loop to pick them up, so a reply means it happened.
final class ServiceControl: ControlHandler, @unchecked Sendable {
    // @unchecked: the config is immutable; the rest is Sendable or used under `busy`.
    let config: ApplianceConfig
    let state: ServiceState
    let telemetry: LoopTelemetry
    let metrics: ApplianceMetrics
    let mailbox: ScreenMailbox
    let screenWidth: Int, screenHeight: Int
    let recordingRate: Int
    let sessions: SessionRecorder
    let base: Screen
    let models = Handoff<ModelDelivery>()
    let retiredModels = Handoff<ModelDelivery>()
    let logger: Logger
    /// One acting command at a time (the server serves one client at a time anyway).
    private let busy = Mutex<RecordingScreen?>(nil)
    /// Set at shutdown: the loop no longer answers, so waits end at once.
    let stopping = Atomic<Bool>(false)
    /// How long to wait for the loop to take a request (it checks every ≤ 100 ms).
    let handoffTimeoutNanoseconds: Int64 = 2_000_000_000

    init(config: ApplianceConfig, state: ServiceState, telemetry: LoopTelemetry, metrics: ApplianceMetrics,
         screen: ServiceScreen, recordingRate: Int, sessions: SessionRecorder, logger: Logger) {
        self.config = config
        self.state = state
        self.telemetry = telemetry
        self.metrics = metrics
        mailbox = screen.mailbox
        base = screen.base
        screenWidth = screen.width
        screenHeight = screen.height
        self.recordingRate = recordingRate
        self.sessions = sessions
        self.logger = logger
    }

    func status() -> StatusReport { state.report(telemetry: telemetry, metrics: metrics) }

    func metricsText() -> String { metrics.prometheusText() }

    func perform(_ command: ControlCommand) throws -> String {
        try busy.withLock { (recording: inout RecordingScreen?) throws -> String in
            switch command {
            case .snapshot(let path): return try snapshot(path: try path.map(outputs.confine) ?? defaultSnapshotPath())
            case .recordStart(let path):
                return try startRecording(path: try path.map(outputs.confine) ?? config.display.recordPath, current: &recording)
            case .recordStop: return try stopRecording(current: &recording)
            case .recordSessionStart: return try sessions.start()
            case .recordSessionStop: return try sessions.stop()
            case .reloadModel: return try reloadModel()
            case .status, .metrics: return ""
            }
        }
    }

    // MARK: Commands.

    private func snapshot(path: String) throws -> String {
        let request = SnapshotRequest(width: screenWidth, height: screenHeight)
        mailbox.snapshots.put(request)
        guard waitUntil({ request.done.load(ordering: .acquiring) }) else {
            _ = mailbox.snapshots.take()
            throw ServiceError("snapshot: no frame was presented within 2 s")
        }
        try outputs.prepareParent(of: path)
        try ImageFiles.write(request.image(), to: path)
        return path
    }

    private func startRecording(path: String, current: inout RecordingScreen?) throws -> String {
        if let current { throw ServiceError("already recording to \(current.path); send record stop first") }
        try outputs.prepareParent(of: path)
        let recorder = try RecordingScreen(path: path, width: screenWidth, height: screenHeight,
                                           framesPerSecond: recordingRate, showingOn: base)
        mailbox.recorderToStart.put(recorder)
        guard waitUntil({ mailbox.recorderToStart.isEmpty }) else {
            _ = mailbox.recorderToStart.take()
            try? recorder.finish()
            throw ServiceError("record start: the loop did not take the recorder within 2 s")
        }
        current = recorder
        state.update { $0.recordingPath = path }
        return path
    }

    private func stopRecording(current: inout RecordingScreen?) throws -> String {
        guard let recorder = current else { throw ServiceError("not recording") }
        mailbox.stopRecording.store(true, ordering: .releasing)
        guard waitUntil({ !mailbox.retiredRecorder.isEmpty }) else {
            throw ServiceError("record stop: the loop did not hand the recorder back within 2 s; it is finished at shutdown")
        }
        _ = mailbox.retiredRecorder.take()
        try recorder.finish()
        current = nil
        state.update { $0.recordingPath = nil }
        return "\(recorder.path): \(recorder.recorded) frames"
    }

    private func reloadModel() throws -> String {
        let delivery: ModelDelivery
        var description = ""
        do {
            guard let model = try loadModel(config) else {
                delivery = ModelDelivery(model: nil, missing: "NO MODEL")
                state.update { $0.modelDescription = nil; $0.modelError = "no bundle configured (model.bundle)" }
                models.put(delivery)
                return "no model configured"
            }
            delivery = ModelDelivery(model: model, missing: "")
            description = model.summary
        } catch {
            // Keep whatever runs now: a bad file on disk must not take a working model away.
            let running = state.read().modelDescription
            if running == nil {
                state.update { $0.modelError = error.description }
                models.put(ModelDelivery(model: nil, missing: error.statusReason))  // the bar says why
            }
            logger.error("model_reload_failed", ["error": error.description,
                                                 "keeping": running ?? "none"])
            throw error
        }
        models.put(delivery)
        guard waitUntil({ models.isEmpty }) else { throw ServiceError("reload-model: the loop did not take the model within 2 s") }
        _ = retiredModels.take()  // the previous model, freed here rather than on the loop
        state.update { $0.modelDescription = description; $0.modelError = nil }
        return description
    }

    // MARK: Helpers.

    private func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = MonotonicClock.nanoseconds() + handoffTimeoutNanoseconds
        while !condition() {
            if MonotonicClock.nanoseconds() > deadline || stopping.load(ordering: .relaxed) { return false }
            usleep(2_000)
        }
        return true
    }

    private func defaultSnapshotPath() -> String {
        let record = config.display.recordPath
        let directory = record.lastIndex(of: "/").map { String(record[..<$0]) } ?? "."
        return "\(directory)/snapshot-\(time(nil)).png"
    }

    private var outputs: OutputLocations { OutputLocations(stateDirectory: config.control.stateDirectory) }
}
