import Platform

/// The appliance's metrics. The hot path bumps the counters and records latencies (lock- and
/// allocation-free); the control plane renders them in the Prometheus text format, for the
/// control socket, a localhost scrape, or node_exporter's textfile collector.
public final class ApplianceMetrics: Sendable {
    public let framesIn = MetricCounter()
    public let framesOut = MetricCounter()
    /// Lost before the loop saw them: V4L2 sequence gaps, timestamp gaps inside a grabber.
    public let framesDropped = MetricCounter()
    /// Seen but not inferred on because the loop was behind (the newest frame wins).
    public let framesSkipped = MetricCounter()
    public let audioXruns = MetricCounter()
    /// Audio samples that arrived NaN, infinite or beyond full scale and were made safe.
    public let audioSanitised = MetricCounter()
    public let displayFPS = MetricGauge()
    /// 1 while a model runs, 0 while the appliance shows the live image without one.
    public let modelLoaded = MetricGauge()
    /// 1 while the screen says NO SIGNAL (no frames from the video source).
    public let noSignal = MetricGauge()
    /// Times the video source stalled, and attempts to reopen it.
    public let videoStalls = MetricCounter()
    public let videoReopens = MetricCounter()

    /// Stage names in recording order; `recordStage` takes an index into this list.
    public let stageNames: [String]
    private let latencies: LatencyRecorder

    public init(stageNames: [String]) {
        self.stageNames = stageNames
        latencies = LatencyRecorder(seriesNames: stageNames + ["capture_to_display"])
    }

    /// Records how long stage `stageNames[stage]` took. Real-time thread only.
    @inline(__always)
    public func recordStage(_ stage: Int, nanoseconds: Int64) {
        latencies.record(series: stage, nanoseconds: nanoseconds)
    }

    /// Records capture timestamp to display (page flip) time. Real-time thread only.
    @inline(__always)
    public func recordCaptureToDisplay(nanoseconds: Int64) {
        latencies.record(series: stageNames.count, nanoseconds: nanoseconds)
    }

    /// Latency totals since start (or since `discardWarmUp`); lags the loop by one call.
    public func latencySummaries() -> (stages: [LatencySummary], captureToDisplay: LatencySummary) {
        let all = latencies.collect()
        return (Array(all.dropLast()), all[all.count - 1])
    }

    /// Forgets latencies recorded so far (call once the loop is warm).
    public func discardWarmUp() { latencies.discardTotals() }

    /// Latency totals with nothing lagging, while the loop is not running concurrently
    /// (stepped on this thread, or stopped): benchmarks and tests.
    public func latencySummariesIdle() -> (stages: [LatencySummary], captureToDisplay: LatencySummary) {
        let all = latencies.collectIdle()
        return (Array(all.dropLast()), all[all.count - 1])
    }

    /// Forgets latencies so far, at once; same condition as `latencySummariesIdle`.
    public func resetLatenciesIdle() { latencies.resetIdle() }

    /// The Prometheus text exposition of everything, with process and thermal readings.
    public func prometheusText(process: ProcessStats = .read()) -> String {
        var out = PrometheusText()
        let counters: [(String, String, MetricCounter)] = [
            ("showtell_frames_in_total", "Video frames received from the source.", framesIn),
            ("showtell_frames_out_total", "Frames presented on the display sink.", framesOut),
            ("showtell_frames_dropped_total", "Frames lost before the loop (sequence or timestamp gaps).", framesDropped),
            ("showtell_frames_skipped_total", "Frames shown without inference because the loop was behind.", framesSkipped),
            ("showtell_audio_xruns_total", "ALSA capture overruns recovered.", audioXruns),
            ("showtell_audio_samples_sanitised_total", "Audio samples that were NaN, infinite or beyond full scale (silenced or clipped).", audioSanitised),
            ("showtell_video_stalls_total", "Times the video source stopped delivering (NO SIGNAL shown).", videoStalls),
            ("showtell_video_reopens_total", "Attempts to reopen a failed or absent video device.", videoReopens),
        ]
        for (name, help, counter) in counters {
            out.family(name, .counter, help: help)
            out.sample(name, counter.value)
        }
        out.family("showtell_display_fps", .gauge, help: "Frames presented per second, recent average.")
        out.sample("showtell_display_fps", displayFPS.value)
        for (name, help, gauge) in [("showtell_model_loaded", "1 while a localisation model runs, 0 without one (see the log).", modelLoaded),
                                    ("showtell_no_signal", "1 while the screen says NO SIGNAL.", noSignal)] where !gauge.value.isNaN {
            out.family(name, .gauge, help: help)
            out.sample(name, gauge.value)
        }

        let (stages, captureToDisplay) = latencySummaries()
        out.family("showtell_stage_latency_seconds", .summary, help: "Time spent in each real-time loop stage.")
        for stage in stages { out.summary("showtell_stage_latency_seconds", labels: [("stage", stage.name)], stage) }
        out.family("showtell_capture_to_display_seconds", .summary,
                   help: "From the capture timestamp of a frame to its presentation.")
        out.summary("showtell_capture_to_display_seconds", captureToDisplay)

        // Prefixed names: node_exporter exports its own process_* series, and the textfile
        // collector refuses a name it already has.
        out.family("showtell_process_cpu_seconds_total", .counter, help: "User and system CPU time of showtelld.")
        out.sample("showtell_process_cpu_seconds_total", process.cpuSeconds)
        out.family("showtell_process_resident_memory_bytes", .gauge, help: "Resident set size of showtelld.")
        out.sample("showtell_process_resident_memory_bytes", process.residentBytes)
        out.family("showtell_process_peak_resident_memory_bytes", .gauge, help: "Peak resident set size of showtelld.")
        out.sample("showtell_process_peak_resident_memory_bytes", process.peakResidentBytes)
        if !process.thermalZones.isEmpty {
            out.family("showtell_temperature_celsius", .gauge, help: "Board thermal zone temperature.")
            for zone in process.thermalZones {
                out.sample("showtell_temperature_celsius", labels: [("zone", zone.zone), ("type", zone.type)], zone.celsius)
            }
        }
        return out.text
    }

    /// Writes the exposition atomically (temporary file, fsync, rename) for node_exporter's
    /// textfile collector, which reads only `*.prom` files and so never sees the temporary.
    /// The folder must exist (the daemon makes it at start when it is in its state directory).
    public func writeTextfile(_ path: String, process: ProcessStats = .read()) throws(SystemError) {
        try FileIO.writeAtomically(path, Array(prometheusText(process: process).utf8))
    }
}
