import Capture
import ControlPlane
import Foundation
import Testing
@testable import FieldDiagnostics
import TestSupport

/// The live microphone meter through the real ALSA capture path: alsa-lib's `file` plugin over
/// a `null` slave returns a known signal (DESIGN.md §2), and the meter must read its levels.
@Suite struct LevelMeterTests {
    func capture(_ samples: [Int16]) throws -> (ALSACapture, String) {
        let path = NSTemporaryDirectory() + "showtell-meter-\(UUID().uuidString).raw"
        try samples.withUnsafeBytes { Data($0) }.write(to: URL(fileURLWithPath: path))
        var settings = ALSACapture.Settings()
        settings.device = "replay"
        settings.configText = """
            pcm.nullsink { type null }
            pcm.replay { type file slave.pcm "nullsink" file "/dev/null" infile "\(path)" format "raw" }
            """
        return (try ALSACapture(settings: settings), path)
    }

    @Test func readsNoiseFloorToneAndClipping() throws {
        var generator = SystemRandomNumberGenerator()
        // 1 s of uniform noise of amplitude 32 (RMS 32/√3), 1 s of a 440 Hz sine at 0.1 of full
        // scale, 0.5 s of a full-scale square wave.
        var samples = (0..<48_000).map { _ in Int16.random(in: -32...32, using: &generator) }
        samples += (0..<48_000).map { Int16((0.1 * 32_767 * sin(2 * Double.pi * 440 * Double($0) / 48_000)).rounded()) }
        samples += (0..<24_000).map { ($0 / 50) % 2 == 0 ? Int16.min : Int16.max }
        let (alsa, path) = try capture(samples)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let meter = try LevelMeter(rate: alsa.rate, refreshSeconds: 0.1)
        var readings: [LevelMeter.Reading] = []
        var buffer = [Int16](repeating: 0, count: alsa.periodFrames)
        var total = 0
        while total < samples.count {
            let n = try buffer.withUnsafeMutableBufferPointer { try alsa.read(into: $0.baseAddress!, frames: alsa.periodFrames).0 }
            readings += buffer[0..<n].withUnsafeBufferPointer { meter.push($0) }
            total += n
        }
        #expect(readings.count == 25)
        // Noise: RMS 32/√3/32768 -> -65.0 dBFS, +3 dB for the sine reference.
        let noise = readings[2]
        #expect(abs(noise.rmsDBFS - (20 * log10(32 / 3.0.squareRoot() / 32_768) + 3.01)) < 0.5)
        #expect(noise.clipped == 0 && !noise.speech)
        let tone = readings[15]
        #expect(abs(tone.peakDBFS - -20) < 0.05)
        #expect(abs(tone.rmsDBFS - -20) < 0.05)
        #expect(abs(tone.noiseFloorDBFS - noise.rmsDBFS) < 0.5)  // the floor remembers the quiet second
        #expect(abs(tone.marginDB - (tone.rmsDBFS - tone.noiseFloorDBFS)) < 1e-9 && tone.marginDB > 40)
        let square = readings[24]
        #expect(square.clipped == 4_800 && square.peakDBFS == 0)
        #expect(square.clippedTotal == 24_000)
        #expect(LevelMeter.meterLine(square).contains("CLIP 4800"))
        #expect(!LevelMeter.meterLine(noise).contains("CLIP"))
    }
}

@Suite struct HostCheckTests {
    @Test func cpuFeaturesFromCpuinfo() {
        let x86 = CPUFeatures(cpuinfo: "processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\nmodel name\t: Test CPU\nflags\t\t: fpu sse2 avx avx2 fma\n")
        #expect(x86.logicalCPUs == 2 && x86.model == "Test CPU" && x86.relevant == ["avx", "avx2", "fma"])
        let arm = CPUFeatures(cpuinfo: "processor\t: 0\nFeatures\t: fp asimd asimddp i8mm\n")
        #expect(!arm.isX86 && arm.relevant == ["asimd", "asimddp", "i8mm"])
        #expect(HostChecks.cpu(cpuinfo: "processor : 0\nflags : sse2 sse4_2\n").status == .warn)  // no AVX2
    }

    @Test func sgemmMatchesTheNaiveReference() {
        let check = KernelChecks.sgemmSelfCheck()
        #expect(check.status == .pass, "\(check.line)")
    }

    @Test func int8KernelsOfThisCPUMatchTheReference() {
        let check = KernelChecks.int8Kernels()
        #expect(check.status == .pass, "\(check.line)")
        #expect(check.detail.contains("bit-exact"))
    }

    /// The shipped int8 bundle is checked on the int8 engine, as the box runs it (a real boot
    /// found selftest failing it with the float loader); a golden value edited in its
    /// manifest fails model-golden.
    @Test func int8BundleIsVerifiedOnTheInt8Engine() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../models/edge-full-int8").standardized.path
        let checks = ApplianceChecks.model(bundle: shipped)
        #expect(checks.map(\.name) == ["model", "model-golden"])
        #expect(checks.allSatisfy { $0.status == .pass }, "\(checks.map(\.line))")
        #expect(checks[0].detail.contains("int8"))

        let copy = NSTemporaryDirectory() + "showtell-int8-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: shipped, toPath: copy)
        let manifest = copy + "/manifest.json"
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: manifest))) as! [String: Any]
        var golden = json["golden"] as! [String: Any]
        golden["audio_norm"] = (golden["audio_norm"] as! Double) * 1.5
        json["golden"] = golden
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: manifest))
        let edited = ApplianceChecks.model(bundle: copy)
        #expect(edited.first { $0.name == "model-golden" }?.status == .fail, "\(edited.map(\.line))")
    }

    @Test func diskChecksTheNearestExistingParent() {
        let check = HostChecks.disk(path: NSTemporaryDirectory() + "no/such/folder")
        #expect(check.detail.contains("does not exist yet"))
        #expect(check.status != .fail || check.remedy != nil)
    }

    @Test func reportIsTheWorstStatus() {
        let report = CheckReport(version: "t", checks: [Check("a", .pass, "x"), Check("b", .warn, "y", remedy: "look"), Check("c", .fail, "z", remedy: "fix")])
        #expect(report.status == .fail && !report.success)
        #expect(report.text.contains("FAIL  c") && report.text.contains("-> fix") && report.text.contains("1 PASS, 1 WARN, 1 FAIL"))
        #expect(CheckReport(version: "t", checks: [Check("a", .pass, "x", remedy: "unused")]).checks[0].remedy == nil)
    }

    @Test func configAndDevicesFromAFileSayWhatIsWrong() throws {
        let path = NSTemporaryDirectory() + "showtell-selftest-\(UUID().uuidString).toml"
        try "[video]\nsource = \"v4l2:/dev/no-such-grabber\"\n[audio]\nsource = \"none\"\n[display]\noutput = \"null\"\n[model]\nbundle = \"/no/such/bundle\"\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var options = SelfTest.Options()
        options.configPath = path
        let report = SelfTest.run(options, version: "t")
        let byName = Dictionary(uniqueKeysWithValues: report.checks.map { ($0.name, $0) })
        #expect(byName["config"]?.status == .pass)
        #expect(byName["grabber"]?.status == .fail && byName["grabber"]?.detail.contains("/dev/no-such-grabber") == true)
        #expect(byName["microphone"]?.status == .warn && byName["screen"]?.status == .warn)
        #expect(byName["model"]?.status == .fail && byName["model"]?.detail.contains("/no/such/bundle") == true)
        #expect(!report.success)
        try "[video]\nsorce = 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let bad = ApplianceChecks.configuration(path: path).0
        #expect(bad.status == .fail && bad.detail.contains("sorce"))
    }
}

@Suite struct SupportBundleTests {
    @Test func bundleHoldsTheDiagnosticsAndNoRecordingsUnlessAsked() throws {
        let scratch = ScratchFolder("showtell-bundle")
        let directory = scratch.path
        try FileManager.default.createDirectory(atPath: directory + "/recordings", withIntermediateDirectories: true)
        let config = directory + "/showtell.toml"
        try "[display]\nrecord_path = \"\(directory)/recordings/screen.avi\"\n[control]\nmetrics_textfile = \"\(directory)/m.prom\"\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        try "showtell_frames_in_total 5\n".write(toFile: directory + "/m.prom", atomically: true, encoding: .utf8)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory + "/recordings/screen.avi"))
        try Data([0x89, 0x50]).write(to: URL(fileURLWithPath: directory + "/recordings/snapshot-1.png"))
        let parts = SupportBundle.Parts(version: "t", devicesJSON: "{}", selftestJSON: "{\"checks\":[]}", selftestText: "PASS", status: .failure(.init(description: "not running")))
        func listing(_ options: SupportBundle.Options) throws -> [String] {
            _ = try SupportBundle.write(options, parts: parts)
            return SupportBundle.run("/bin/tar", ["-tzf", options.output]).output.split(separator: "\n").map { String($0.split(separator: "/", maxSplits: 1).last ?? "") }
        }
        var options = SupportBundle.Options(output: directory + "/b.tar.gz")
        options.configPath = config
        let plain = try listing(options)
        for file in ["versions.txt", "config/showtell.toml", "devices.json", "selftest.json", "selftest.txt", "journal.txt", "metrics/showtell.prom", "snapshot/snapshot-1.png", "INDEX.txt"] {
            #expect(plain.contains(file), "\(file) missing from \(plain)")
        }
        #expect(!plain.contains { $0.hasSuffix(".avi") })
        #expect(!FileManager.default.fileExists(atPath: options.output + ".partial"))
        options.includeRecordings = true
        options.includeSnapshot = false
        let full = try listing(options)
        #expect(full.contains("recordings/screen.avi") && !full.contains("snapshot/snapshot-1.png"))
        #expect(throws: SupportBundle.Failure.self) { try SupportBundle.write(.init(output: directory + "/no/such/b.tar.gz"), parts: parts) }
    }
}
