import ControlPlane
import Platform

/// The low-rate side of the daemon, on the main thread every 100 ms: copies the loop's
/// counters into the metrics, pings the systemd watchdog while the loop iterates and the
/// display is presenting, logs state changes (NO SIGNAL, reopen, speech-less), and once a
/// second prints the `--stats` line; every 5 s the STATUS= line and the Prometheus textfile.
struct Housekeeping {
    let service: ApplianceService
    let state: ServiceState
    let telemetry: LoopTelemetry
    let metrics: ApplianceMetrics
    let mailbox: ScreenMailbox
    private var watchdog: WatchdogPinger?
    private var last = LoopCounters()
    private var lastSecond = MonotonicClock.nanoseconds()
    private var lastSecondCounters = LoopCounters()
    private var lastCPU = ProcessStats.read().cpuSeconds
    private var lastStatus: Int64 = 0
    private var noSignal = false
    private var warmUpDiscarded = false
    private let startedAt = MonotonicClock.nanoseconds()

    init(service: ApplianceService, state: ServiceState, telemetry: LoopTelemetry, metrics: ApplianceMetrics, mailbox: ScreenMailbox) {
        self.service = service
        self.state = state
        self.telemetry = telemetry
        self.metrics = metrics
        self.mailbox = mailbox
        lastSecondCounters = telemetry.counters
        watchdog = WatchdogPinger(notifier: service.notifier)
        if let watchdog {
            service.logger.info("watchdog", ["ping_interval_ms": watchdog.intervalNanoseconds / 1_000_000])
        }
    }

    mutating func tick(final: Bool = false) {
        let now = MonotonicClock.nanoseconds()
        let c = telemetry.counters
        updateGauges()

        // Watchdog: the loop must iterate and the screen must be presenting (frames, or
        // NO SIGNAL while the camera is away: that is the appliance working as designed).
        let progress = [UInt64(telemetry.iterations.load(ordering: .acquiring)), UInt64(mailbox.presents.load(ordering: .relaxed))]
        if !final, watchdog?.shouldPing(progress: progress, now: now) == true { try? service.notifier.watchdog() }

        // Events worth a log line.
        let signalLost = telemetry.noSignal.load(ordering: .relaxed)
        if signalLost != noSignal {
            noSignal = signalLost
            if signalLost {
                service.logger.warning("no_signal", ["video": state.read().videoPath, "stalls": c.videoStalls, "dropped": c.framesDropped])
            }
            else { service.logger.notice("signal_restored", ["reopens": c.videoReopens]) }
        }
        if c.videoReopens != last.videoReopens { service.logger.info("video_reopen_attempt", ["attempts": c.videoReopens]) }
        if c.audioXruns != last.audioXruns { service.logger.warning("audio_overrun", ["total": c.audioXruns]) }
        last = c

        if now - lastSecond >= 1_000_000_000 || final {
            let seconds = Double(now - lastSecond) / 1e9
            let process = ProcessStats.read()
            let fpsIn = Double(c.framesIn - lastSecondCounters.framesIn) / seconds
            let fpsOut = Double(c.framesOut - lastSecondCounters.framesOut) / seconds
            metrics.displayFPS.set(fpsOut)
            // Collect every second: the latency histograms hand over one interval per collect.
            let latency = metrics.latencySummaries().captureToDisplay
            if service.options.stats && !final {
                let cpu = 100 * (process.cpuSeconds - lastCPU) / seconds
                Console.error(statsLine(c, latency: latency, fpsIn: fpsIn, fpsOut: fpsOut, cpuPercent: cpu, rssBytes: process.residentBytes) + "\n")
            }
            // Latency totals without the first seconds (page-ins, caches, first allocation).
            if !warmUpDiscarded && now - startedAt > 2_000_000_000 { metrics.discardWarmUp(); warmUpDiscarded = true }
            lastCPU = process.cpuSeconds
            lastSecond = now
            lastSecondCounters = c
        }
        if now - lastStatus >= 5_000_000_000 || final {
            lastStatus = now
            if !final { try? service.notifier.status(statusLine()) }
            let textfile = service.config.control.metricsTextfile
            if !textfile.isEmpty {
                do { try metrics.writeTextfile(textfile) } catch {
                    service.logger.warning("metrics_textfile_failed", ["path": textfile, "error": error])
                }
            }
        }
    }

    private func updateGauges() {
        metrics.modelLoaded.set(state.read().modelDescription != nil ? 1 : 0)
    }

    /// `in 30.0 out 30.0 fps  drop 0 skip 0  lat p50 2.1 p99 4.0 ms  SPEECH  cpu 14.2%  rss 38.1 MB`
    func statsLine(_ c: LoopCounters, latency: LatencySummary, fpsIn: Double, fpsOut: Double, cpuPercent: Double, rssBytes: UInt64) -> String {
        let p50 = latency.p50Seconds.map { format1($0 * 1000) } ?? "-"
        let p99 = latency.p99Seconds.map { format1($0 * 1000) } ?? "-"
        let speech = telemetry.noSignal.load(ordering: .relaxed) ? "NO-SIGNAL"
            : (telemetry.speaking.load(ordering: .relaxed) ? "SPEECH" : "silence")
        return "in \(format1(fpsIn)) out \(format1(fpsOut)) fps  drop \(c.framesDropped) skip \(c.framesSkipped)"
            + "  lat p50 \(p50) p99 \(p99) ms  \(speech)  cpu \(format1(cpuPercent))%  rss \(format1(Double(rssBytes) / 1_048_576)) MB"
    }

    /// The one-line STATUS= summary, also sent with READY=1.
    func statusLine() -> String {
        let s = state.read()
        let c = telemetry.counters
        var parts: [String] = []
        if telemetry.noSignal.load(ordering: .relaxed) {
            parts.append("NO SIGNAL from \(s.videoPath)")
        } else {
            parts.append("\(format1(Double(telemetry.fps))) fps, latency \(format1(Double(telemetry.latencyMilliseconds))) ms")
        }
        parts.append("dropped \(c.framesDropped), skipped \(c.framesSkipped)")
        if s.audioState != "ok" { parts.append("NO MICROPHONE") }
        else { parts.append(telemetry.speaking.load(ordering: .relaxed) ? "speech" : "listening") }
        if let error = s.modelError { parts.append("NO MODEL: \(error)") }
        else if let model = s.modelDescription { parts.append("model \(model)") }
        if let recording = s.recordingPath { parts.append("recording \(recording)") }
        return parts.joined(separator: "; ")
    }
}
