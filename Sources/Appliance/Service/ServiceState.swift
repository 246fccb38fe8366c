import ControlPlane
import Synchronization

/// What the control plane reports about the daemon apart from the loop's counters: phase,
/// devices, model, warnings. Written on the control and main threads (rarely), under a
/// lock; the real-time loop never touches it.
final class ServiceState: Sendable {
    struct Snapshot {
        var phase = StatusReport.State.starting
        var videoPath = "", videoState = "ok", videoDetail: String?
        var audioPath = "", audioState = "ok", audioDetail: String?
        var displayPath = "", displayDetail: String?
        var modelBundle = ""
        var modelDescription: String?
        var modelError: String?
        var recordingPath: String?
        var warnings: [String] = []
    }

    private let state = Mutex(Snapshot())

    func read() -> Snapshot { state.withLock { $0 } }

    func update(_ change: (inout Snapshot) -> Void) { state.withLock { change(&$0) } }

    /// The status JSON of the control socket, with live values from the loop.
    func report(telemetry: LoopTelemetry, metrics: ApplianceMetrics) -> StatusReport {
        let s = read()
        let noSignal = telemetry.noSignal.load(ordering: .relaxed)
        var warnings = s.warnings
        if noSignal { warnings.insert("NO SIGNAL: no video frames from \(s.videoPath)", at: 0) }
        if let error = s.modelError { warnings.insert("NO MODEL: \(error)", at: 0) }
        var phase = s.phase
        if phase == .running && (noSignal || s.modelError != nil || s.audioState != "ok") { phase = .degraded }
        let devices: [StatusReport.Device] = [
            .init(role: "video", path: s.videoPath, state: noSignal && s.videoState == "ok" ? "no signal" : s.videoState,
                  detail: s.videoDetail),
            .init(role: "audio", path: s.audioPath, state: s.audioState, detail: s.audioDetail),
            .init(role: "display", path: s.displayPath, state: "ok",
                  detail: [s.displayDetail, s.recordingPath.map { "recording to \($0)" }].compactMap { $0 }.joined(separator: "; ")),
        ]
        let model = StatusReport.Model(bundle: s.modelBundle, loaded: s.modelDescription != nil,
                                       description: s.modelDescription, error: s.modelError)
        return StatusReport(state: phase, devices: devices, model: model, metrics: metrics, warnings: warnings)
    }
}
