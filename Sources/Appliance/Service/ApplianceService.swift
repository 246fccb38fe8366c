import Capture
import ControlPlane
import Display
import Glibc
import Platform
import ShowTellModel
import Synchronization

/// The appliance daemon: opens what the configuration names, runs the real-time loop on
/// its own thread, and keeps the control plane (systemd notify and watchdog, metrics,
/// status, control socket, logs) on the calling thread and the control thread, off the
/// hot path. `run()` returns the process exit status.
///
/// Threads: the caller (main: start-up, housekeeping every 100 ms, shutdown), the loop
/// (`showtell-loop`, SCHED_FIFO when configured), the audio capture thread the loop starts,
/// and the control socket's thread.
public final class ApplianceService {
    public let config: ApplianceConfig
    public let options: DaemonOptions
    let logger: Logger
    let notifier: SystemdNotifier
    let shutdown = ShutdownSignal.shared
    /// Monotonic ns when the process started, for the start-up time in the log.
    let startedAt: Int64

    /// Set by housekeeping (duration, signal) to end the loop; the loop also polls the
    /// shutdown signal directly.
    private let stopRequested = Atomic<Bool>(false)
    private let loopEnded = Atomic<Bool>(false)

    public init(config: ApplianceConfig, options: DaemonOptions, logger: Logger, notifier: SystemdNotifier,
                startedAt: Int64 = MonotonicClock.nanoseconds()) {
        self.config = config
        self.options = options
        self.logger = logger
        self.notifier = notifier
        self.startedAt = startedAt
    }

    /// Runs until SIGTERM/SIGINT, `--duration`, or the end of a replay (exit 0), or a fatal
    /// error (exit 1, logged and in STATUS=).
    public func run() -> Int32 {
        do {
            return try runChecked()
        } catch {
            logger.error("failed", ["error": error])
            try? notifier.status("failed: \(error)")
            return 1
        }
    }

    private func runChecked() throws -> Int32 {
        let state = ServiceState()
        if config.realtime.mlockall {
            let code = lockAllMemory()
            if code != 0 {
                logger.warning("mlockall_failed", ["error": SystemError("mlockall", errno: code),
                                                   "fix": "LimitMEMLOCK=infinity or CAP_IPC_LOCK"])
            }
        }

        // Devices: a missing camera or microphone degrades, a bad replay or display stops us.
        let endpoints = try ServiceEndpoints(config: config)
        let clock = ReplayClock(paced: config.video.replayPace == .realtime)
        var devices = try DeviceOpening.open(endpoints, config: config, clock: clock) { message in
            logger.warning("waiting_for_display", ["display": endpoints.display.description, "detail": message])
            try? notifier.status(message)
        }
        let recordingRate = DeviceOpening.recordingRate(devices.video, config: config)
        // Session recording taps the raw input (before any overlay); off until started.
        let sessions = SessionRecorder(config: config.recording, fps: recordingRate, audioRate: devices.audio?.sampleRate ?? config.audio.rate,
                                       maxWidth: max(devices.video.width, config.video.width, 1920),
                                       maxHeight: max(devices.video.height, config.video.height, 1080), logger: logger)
        defer { sessions.shutdown() }
        devices.video = SessionVideoTap(devices.video, recorder: sessions)
        if let reopen = devices.reopenVideo { devices.reopenVideo = { SessionVideoTap(try reopen(), recorder: sessions) } }
        devices.audio = devices.audio.map { SessionAudioTap($0, recorder: sessions) }
        for warning in devices.warnings { logger.warning("degraded", ["what": warning]) }
        logger.info("video", ["source": endpoints.video, "state": devices.videoState, "summary": devices.video.summary])
        logger.info("audio", ["source": endpoints.audio, "state": devices.audioState, "summary": devices.audio?.summary ?? "none"])
        logger.info("display", ["output": endpoints.display, "summary": devices.screen.summary])

        // Model: never fatal.
        var model: LocalisationModel?
        var modelError: ModelBundleError?
        var modelMissing: StaticString = "NO MODEL"
        do {
            model = try loadModel(config)
            if let model { logger.notice("model_loaded", ["bundle": config.model.bundle, "model": model.summary]) }
            else { logger.warning("no_model", ["fix": "set model.bundle to a bundle folder"]) }
        } catch {
            modelError = error
            modelMissing = error.statusReason
            logger.error("no_model", ["bundle": config.model.bundle, "kind": error.kind.rawValue, "problem": error.description,
                                      "fix": "install a bundle in \(config.model.bundle) (manifest.json + model.safetensors), then send reload-model on \(config.control.socket)"])
        }

        let metrics = ApplianceMetrics(stageNames: ApplianceLoop.stageNames)
        let screen = ServiceScreen(base: devices.screen)
        var settings = ApplianceLoop.Settings(config.loop)
        settings.audioFIFOPriority = Int32(config.realtime.fifoPriority)
        let loop = try ApplianceLoop(video: devices.video, reopenVideo: devices.reopenVideo, audio: devices.audio,
                                     audioThreaded: devices.audioThreaded, screen: screen, model: model,
                                     settings: settings, metrics: metrics)
        if model == nil { loop.installModel(nil, missing: modelMissing) }

        state.update { s in
            s.videoPath = endpoints.video.description
            s.videoState = devices.videoState
            s.videoDetail = devices.video.summary
            s.audioPath = endpoints.audio.description
            s.audioState = devices.audioState
            s.audioDetail = devices.audio?.summary
            s.displayPath = endpoints.display.description
            s.displayDetail = devices.screen.summary
            s.modelBundle = config.model.bundle
            s.modelDescription = model?.summary
            s.modelError = modelError?.description ?? (model == nil ? "no bundle configured (model.bundle)" : nil)
            s.warnings = devices.warnings
        }

        clock.restart()  // replays and phantoms start now, not when their files were opened
        let control = ServiceControl(config: config, state: state, telemetry: loop.telemetry, metrics: metrics, screen: screen,
                                     recordingRate: recordingRate, sessions: sessions, logger: logger)
        let server = startControlServer(control)
        let scrape = startMetricsServer(metrics)
        let textfile = config.control.metricsTextfile
        if !textfile.isEmpty {
            do { try OutputLocations(stateDirectory: config.control.stateDirectory).prepareParent(of: textfile) } catch {
                logger.warning("metrics_textfile_failed", ["path": textfile, "error": error])
            }
        }

        // The loop's thread. Between iterations it picks up a reloaded model (one atomic
        // load when there is none) and checks for stop.
        let loopFailure = Mutex<String?>(nil)
        var current: ModelDelivery?
        let loopThread = RealtimeThread(name: "showtell-loop") { [self] in
            do {
                try loop.run {
                    if let delivery = control.models.take() {
                        loop.installModel(delivery.model, missing: delivery.missing)
                        if let current { control.retiredModels.put(current) }
                        current = delivery
                    }
                    return stopRequested.load(ordering: .relaxed) || shutdown.isRequested
                }
            } catch {
                loopFailure.withLock { $0 = "\(error)" }
            }
            loopEnded.store(true, ordering: .releasing)
        }
        try loopThread.start(fifoPriority: Int32(config.realtime.fifoPriority))
        if config.realtime.fifoPriority > 0 && !loopThread.realtimeGranted {
            logger.warning("no_realtime_priority", ["asked": config.realtime.fifoPriority,
                                                     "fix": "CPUSchedulingPolicy=fifo / LimitRTPRIO= in the unit, or CAP_SYS_NICE"])
        }

        // READY=1 once the display shows something (first frame or NO SIGNAL), at most 2 s on.
        let readyDeadline = MonotonicClock.nanoseconds() + 2_000_000_000
        while screen.mailbox.presents.load(ordering: .relaxed) == 0 && !loopEnded.load(ordering: .acquiring)
                && !shutdown.isRequested && MonotonicClock.nanoseconds() < readyDeadline {
            usleep(2_000)
        }
        state.update { $0.phase = .running }
        let readyMilliseconds = Double(MonotonicClock.nanoseconds() - startedAt) / 1e6
        var housekeeping = Housekeeping(service: self, state: state, telemetry: loop.telemetry, metrics: metrics,
                                        mailbox: screen.mailbox)
        try? notifier.ready(status: housekeeping.statusLine())
        logger.notice("ready", ["startup_ms": String(format1(readyMilliseconds)), "video": endpoints.video,
                                "display": endpoints.display, "model": model?.summary ?? "none"])

        if config.recording.atStart {
            do { logger.notice("session_recording", ["path": try sessions.start(), "why": "recording.at_start"]) }
            catch { logger.warning("session_recording_refused", ["error": error]) }
        }

        // Housekeeping until asked to stop.
        // --duration counts from READY: set-up time (a phantom's narration) is not run time.
        let readyAt = MonotonicClock.nanoseconds()
        let deadline = options.durationSeconds.map { readyAt + Int64($0 * 1e9) }
        var reason = "signal"
        while true {
            _ = shutdown.wait(timeoutMilliseconds: 100)
            if let signal = shutdown.receivedSignal { reason = signal == SIGINT ? "SIGINT" : "SIGTERM"; break }
            if loopEnded.load(ordering: .acquiring) { reason = "loop ended"; break }
            if let deadline, MonotonicClock.nanoseconds() >= deadline { reason = "duration"; break }
            housekeeping.tick()
        }

        // Shutdown: stop the loop (it polls every ≤ 100 ms), then finish recordings.
        let stopBegan = MonotonicClock.nanoseconds()
        state.update { $0.phase = .stopping }
        try? notifier.stopping()
        stopRequested.store(true, ordering: .relaxed)
        control.stopping.store(true, ordering: .relaxed)
        loopThread.join()
        let failure = loopFailure.withLock { $0 }
        if reason == "loop ended" { reason = failure == nil ? (endpoints.isReplay ? "end of replay" : "source ended") : "loop failed" }
        logger.notice("stopping", ["reason": reason])
        server?.stop()
        scrape?.stop()
        if sessions.isRecording {
            do { logger.notice("session_recording_closed", ["result": try sessions.stop()]) }
            catch { logger.error("session_recording_close_failed", ["error": error]) }
        }
        if let recorder = screen.detachRecorder() ?? screen.mailbox.retiredRecorder.take() {
            do { try recorder.finish(); logger.notice("recording_finished", ["path": recorder.path, "frames": recorder.recorded]) }
            catch { logger.error("recording_finish_failed", ["path": recorder.path, "error": error]) }
        }
        if let recording = devices.screen as? RecordingScreen {
            do { try recording.finish(); logger.notice("recording_finished", ["path": recording.path, "frames": recording.recorded]) }
            catch { logger.error("recording_finish_failed", ["path": recording.path, "error": error]) }
        }
        housekeeping.tick(final: true)
        let c = loop.telemetry.counters
        logger.notice("stopped", ["shutdown_ms": format1(Double(MonotonicClock.nanoseconds() - stopBegan) / 1e6),
                                  "frames_in": c.framesIn, "frames_out": c.framesOut, "dropped": c.framesDropped,
                                  "skipped": c.framesSkipped, "stalls": c.videoStalls, "reopens": c.videoReopens])
        if let failure {
            logger.error("loop_failed", ["error": failure])
            try? notifier.status("failed: \(failure)")
            return 1
        }
        return 0
    }

    private func startControlServer(_ control: ServiceControl) -> ControlServer? {
        let path = config.control.socket
        guard !path.isEmpty, path != "none" else { return nil }
        do {
            try OutputLocations(stateDirectory: config.control.stateDirectory).prepareParent(of: path)
            let server = try ControlServer(path: path, handler: control, logger: logger)
            logger.info("control_socket", ["path": path])
            return server
        } catch {
            logger.warning("control_socket_failed", ["path": path, "error": error, "effect": "no showtell status"])
            return nil
        }
    }

    private func startMetricsServer(_ metrics: ApplianceMetrics) -> MetricsHTTPServer? {
        guard let port = config.control.metricsPort else { return nil }
        do {
            let server = try MetricsHTTPServer(port: port) { metrics.prometheusText() }
            logger.info("metrics_http", ["address": "127.0.0.1:\(server.port)"])
            return server
        } catch {
            logger.warning("metrics_http_failed", ["port": port, "error": error])
            return nil
        }
    }
}

/// One decimal, without Foundation.
func format1(_ value: Double) -> String {
    guard value.isFinite else { return "-" }
    let tenths = Int((abs(value) * 10).rounded())
    return (value < 0 ? "-" : "") + "\(tenths / 10).\(tenths % 10)"
}
