import Platform

/// The appliance's metrics. The hot path publishes its counters (`loop`) and records
/// latencies (lock- and allocation-free); the control plane renders them in the Prometheus
/// text format, for the control socket, a localhost scrape, or node_exporter's textfile
/// collector.
public final class ApplianceMetrics: Sendable {
    /// The loop's counters and live values: the one copy every reader uses.
    public let loop = LoopTelemetry()
    public let displayFPS = MetricGauge()
    /// 1 while a model runs, 0 while the appliance shows the live image without one.
    public let modelLoaded = MetricGauge()

    /// Prometheus name, help and field of each loop counter exported.
    static let counterFamilies: [(name: String, help: String, field: @Sendable (LoopCounters) -> Int)] = [
        ("showtell_frames_in_total", "Video frames received from the source.", { $0.framesIn }),
        ("showtell_frames_out_total", "Frames presented on the display sink.", { $0.framesOut }),
        ("showtell_frames_dropped_total", "Frames lost before the loop (sequence or timestamp gaps).", { $0.framesDropped }),
        ("showtell_frames_skipped_total", "Frames shown without inference because the loop was behind.", { $0.framesSkipped }),
        ("showtell_audio_windows_total", "0.6 s audio windows analysed.", { $0.audioWindows }),
        ("showtell_speech_windows_total", "Audio windows the voice detector called speech.", { $0.speechWindows }),
        ("showtell_anatomy_windows_total", "Speech windows the model judged to be about anatomy (they drive the heatmap).", { $0.anatomyWindows }),
        ("showtell_audio_xruns_total", "ALSA capture overruns recovered.", { $0.audioXruns }),
        ("showtell_audio_samples_sanitised_total", "Audio samples that were NaN, infinite or beyond full scale (silenced or clipped).", { $0.audioSanitised }),
        ("showtell_audio_samples_filled_total", "Samples of silence put where the microphone lost audio (overruns), so audio stays in step with video.", { $0.audioFilled }),
        ("showtell_audio_samples_skipped_total", "Samples no audio window needed, passed over while the loop ran behind (frames more than a window apart).", { $0.audioSkipped }),
        ("showtell_video_stalls_total", "Times the video source stopped delivering (NO SIGNAL shown).", { $0.videoStalls }),
        ("showtell_video_reopens_total", "Attempts to reopen a failed or absent video device.", { $0.videoReopens }),
    ]

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
        let counters = loop.counters
        for family in Self.counterFamilies {
            out.family(family.name, .counter, help: family.help)
            out.sample(family.name, UInt64(max(0, family.field(counters))))
        }
        out.family("showtell_display_fps", .gauge, help: "Frames presented per second, recent average.")
        out.sample("showtell_display_fps", displayFPS.value)
        if !modelLoaded.value.isNaN {
            out.family("showtell_model_loaded", .gauge, help: "1 while a localisation model runs, 0 without one (see the log).")
            out.sample("showtell_model_loaded", modelLoaded.value)
        }
        out.family("showtell_no_signal", .gauge, help: "1 while the screen says NO SIGNAL.")
        out.sample("showtell_no_signal", loop.noSignal.load(ordering: .relaxed) ? 1.0 : 0.0)

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
