import Glibc
import Platform
import Testing
@testable import ControlPlane

@Suite struct MetricsTests {
    static let fixedProcess = ProcessStats(
        cpuSeconds: 12.5, residentBytes: 50_000_000, peakResidentBytes: 60_000_000,
        thermalZones: [.init(zone: "thermal_zone0", type: "x86_pkg \"temp\"\\", celsius: 47.5)]
    )

    /// Records on this thread, then makes the recorder hand over (collect, record, collect).
    static func handOver(_ metrics: ApplianceMetrics) {
        _ = metrics.latencySummaries()
        metrics.recordStage(0, nanoseconds: 0)  // performs the flip; lands in the next interval
        _ = metrics.latencySummaries()
    }

    @Test func expositionIsValidLineByLine() {
        let metrics = ApplianceMetrics(stageNames: ["capture", "infer", "compose"])
        metrics.loop.publish(LoopCounters(framesIn: 300, framesOut: 298, framesDropped: 2, audioWindows: 50, speechWindows: 20, audioXruns: 1),
                             speaking: true, noSignal: false, fps: 29.97, latencyMilliseconds: 21)
        metrics.displayFPS.set(29.97)
        for millisecond in 1...100 {
            metrics.recordStage(1, nanoseconds: Int64(millisecond) * 1_000_000)
            metrics.recordCaptureToDisplay(nanoseconds: Int64(millisecond) * 2_000_000)
        }
        Self.handOver(metrics)
        let text = metrics.prometheusText(process: Self.fixedProcess)

        var checker = ExpositionChecker()
        let problems = checker.check(text)
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))\n---\n\(text)")

        let samples = checker.samples
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(value("showtell_frames_in_total") == 300)
        #expect(value("showtell_frames_out_total") == 298)
        #expect(value("showtell_frames_dropped_total") == 2)
        #expect(value("showtell_frames_skipped_total") == 0)
        #expect(value("showtell_audio_xruns_total") == 1)
        #expect(value("showtell_speech_windows_total") == 20)
        #expect(value("showtell_no_signal") == 0)
        #expect(value("showtell_display_fps") == 29.97)
        #expect(checker.types["showtell_stage_latency_seconds"] == "summary")
        let p50 = value("showtell_stage_latency_seconds", ["stage": "infer", "quantile": "0.5"]) ?? 0
        #expect(abs(p50 - 0.050) < 0.0001)
        let p99 = value("showtell_stage_latency_seconds", ["stage": "infer", "quantile": "0.99"]) ?? 0
        #expect(abs(p99 - 0.099) < 0.0001)
        #expect(value("showtell_stage_latency_seconds", ["stage": "infer", "quantile": "1"]) == 0.1)
        #expect(value("showtell_stage_latency_seconds_count", ["stage": "infer"]) == 100)
        #expect(abs((value("showtell_stage_latency_seconds_sum", ["stage": "infer"]) ?? 0) - 5.05) < 1e-9)
        // A stage without samples still has its series, with NaN quantiles (the Prometheus convention).
        #expect(value("showtell_stage_latency_seconds", ["stage": "compose", "quantile": "0.5"])?.isNaN == true)
        #expect(value("showtell_capture_to_display_seconds", ["quantile": "1"]) == 0.2)
        #expect(value("showtell_process_cpu_seconds_total") == 12.5)
        #expect(value("showtell_process_resident_memory_bytes") == 50_000_000)
        #expect(value("showtell_temperature_celsius", ["zone": "thermal_zone0", "type": "x86_pkg \"temp\"\\"]) == 47.5)
    }

    @Test func checkerCatchesBrokenExpositions() {
        let broken = [
            "showtell_x_total 1\n",                                              // no TYPE
            "# TYPE a_total counter\na_total{l=\"x} 1\n",                        // unterminated label
            "# TYPE a counter\na 1\n",                                           // counter without _total
            "# TYPE a gauge\na 1 1700000000\n",                                  // timestamp
            "# TYPE s summary\ns 1\n",                                           // no quantile
            "# TYPE a gauge\na 1",                                               // no final newline
            "# TYPE a gauge\na one\n",                                           // not a number
            "# TYPE a gauge\n# TYPE b gauge\na 1\n",                             // sample outside its block
        ]
        for text in broken {
            var checker = ExpositionChecker()
            #expect(!checker.check(text).isEmpty, "accepted: \(text)")
        }
    }

    @Test func textfileIsWrittenAtomically() throws {
        let directory = "/tmp/showtell-metrics-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = Glibc.system("rm -rf '\(directory)'") }
        let metrics = ApplianceMetrics(stageNames: ["infer"])
        metrics.loop.publish(LoopCounters(framesIn: 1), speaking: false, noSignal: false, fps: 0, latencyMilliseconds: 0)
        let path = directory + "/metrics/showtell.prom"
        try FileIO.makeDirectories(directory + "/metrics")  // the daemon makes it at start, not the writer
        try metrics.writeTextfile(path, process: Self.fixedProcess)
        metrics.loop.publish(LoopCounters(framesIn: 2), speaking: false, noSignal: false, fps: 0, latencyMilliseconds: 0)
        try metrics.writeTextfile(path, process: Self.fixedProcess)  // replaces
        let written = String(decoding: try FileIO.readAll(path), as: UTF8.self)
        #expect(written == metrics.prometheusText(process: Self.fixedProcess))
        #expect(written.contains("showtell_frames_in_total 2\n"))
        #expect(try Self.listing(directory + "/metrics") == ["showtell.prom"])  // no temporary left behind
    }

    @Test func procReadingsOfThisProcess() {
        let stats = ProcessStats.read()
        #expect(stats.residentBytes > 1_000_000)
        #expect(stats.peakResidentBytes >= stats.residentBytes)
        #expect(stats.cpuSeconds > 0)
        // The command name may contain spaces and parentheses: fields count from the last ')'.
        let stat = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 1 0 5 1000 50"
        #expect(ProcessStats.cpuSeconds(stat: stat) == 400 / Double(sysconf(Int32(_SC_CLK_TCK))))
        #expect(ProcessStats.residentBytes(statm: "1000 200 50 1 0 100 0\n") == 200 * UInt64(sysconf(Int32(_SC_PAGESIZE))))
        #expect(ProcessStats.peakResidentBytes(status: "Name:\tx\nVmHWM:\t   2048 kB\nVmRSS:\t1 kB\n") == 2048 * 1024)
    }

    @Test func thermalZonesAreReadWhenPresent() throws {
        let root = "/tmp/showtell-thermal-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        defer { _ = Glibc.system("rm -rf '\(root)'") }
        try FileIO.makeDirectories(root + "/thermal_zone0")
        try FileIO.makeDirectories(root + "/cooling_device0")
        try FileIO.writeAtomically(root + "/thermal_zone0/temp", Array("51250\n".utf8))
        try FileIO.writeAtomically(root + "/thermal_zone0/type", Array("cpu-thermal\n".utf8))
        #expect(ProcessStats.thermalZones(root: root) == [.init(zone: "thermal_zone0", type: "cpu-thermal", celsius: 51.25)])
        #expect(ProcessStats.thermalZones(root: root + "/missing").isEmpty)
    }

    static func listing(_ directory: String) throws -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
