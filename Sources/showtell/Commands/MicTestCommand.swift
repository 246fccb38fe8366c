import ArgumentParser
import AudioFrontEnd
import Capture
import ControlPlane
import FieldDiagnostics
import Foundation
import Platform

/// Field-engineer check of the microphone: capture for a while through ALSA and report the
/// negotiated parameters, level, clipping, speech activity and overruns; with `--live`, a
/// level meter refreshed several times a second for placing the microphone.
struct MicTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mic-test",
        abstract: "Capture from an ALSA PCM and report level, clipping, speech activity and overruns (--live: a level meter).",
        discussion: """
            --live shows, every --refresh seconds: peak and RMS level (dBFS; a full-scale sine reads 0), the noise floor \
            (the quietest interval of the last 5 s), SPEECH when the appliance's voice detector hears speech, CLIP when \
            samples reach full scale. Aim for speech 20-30 dB above the floor, peaks below -6 dBFS and no CLIP. \
            With --json each refresh is one JSON line. Ctrl-C (or --seconds) ends it with a summary.

            """ + FieldExit.table
    )

    @Option(help: "ALSA PCM name, e.g. hw:CARD=showtellmic or default.")
    var device = "default"

    @Option(help: "Seconds to capture (--live: until Ctrl-C unless given).")
    var seconds: Double?

    @Option(help: "Sample rate to request.")
    var rate = 48_000

    @Option(help: "ALSA buffer length in 10 ms periods (the appliance's audio.periods; a larger buffer tells whether overruns are scheduling delays).")
    var periods = 4

    @Flag(help: "A live level meter in the terminal.")
    var live = false

    @Option(help: "--live: seconds between meter updates.")
    var refresh = 0.1

    @Flag(help: "Print JSON instead of a table (--live: one line per update, then a summary line).")
    var json = false

    func validate() throws {
        if let seconds, seconds <= 0 { throw ValidationError("--seconds must be positive") }
        guard (2...64).contains(periods) else { throw ValidationError("--periods must be between 2 and 64") }
        guard refresh >= 0.02 && refresh <= 5 else { throw ValidationError("--refresh must be between 0.02 and 5 seconds") }
    }

    func run() throws {
        try reportingFailures(json: json) {
            var settings = ALSACapture.Settings()
            settings.device = device
            settings.rate = rate
            settings.periods = periods
            let capture: ALSACapture
            do { capture = try ALSACapture(settings: settings) } catch {
                let cards = DeviceDiscovery.soundCaptures().map(\.pcm)
                throw FieldFailure(exit: .deviceUnavailable, message: "cannot open the microphone: \(error). "
                    + (cards.isEmpty ? "This machine has no sound capture device: plug in the USB microphone and check arecord -l / dmesg."
                                     : "Capture PCMs on this machine: \(cards.joined(separator: ", ")); pass one with --device."))
            }
            if live { try runLive(capture) } else { try runOnce(capture) }
        }
    }

    private func read(_ capture: ALSACapture, into buffer: inout [Int16]) throws -> Int {
        do {
            return try buffer.withUnsafeMutableBufferPointer { try capture.read(into: $0.baseAddress!, frames: capture.periodFrames).0 }
        } catch {
            throw FieldFailure(exit: .deviceUnavailable, message: "reading \(device) failed: \(error); was the microphone unplugged? (arecord -l)")
        }
    }

    private func runLive(_ capture: ALSACapture) throws {
        let meter = try LevelMeter(rate: capture.rate, refreshSeconds: refresh)
        try? ShutdownSignal.shared.install(signals: [SIGINT, SIGTERM])
        let terminal = isatty(1) == 1 && !json
        var buffer = [Int16](repeating: 0, count: capture.periodFrames)
        let wanted = seconds.map { Int($0 * Double(capture.rate)) }
        var total = 0, readings = 0, speechReadings = 0, clipped = 0
        var peak = LevelMeter.silenceDBFS, floor = 0.0
        if !json {
            print("mic-test --live on \(device): \(capture.rate) Hz, period \(capture.periodFrames) frames; Ctrl-C ends")
            print("bar: -60 .. 0 dBFS, █ RMS, | peak, F noise floor")
        }
        while !ShutdownSignal.shared.isRequested, wanted.map({ total < $0 }) ?? true {
            let n = try read(capture, into: &buffer)
            total += n
            for r in buffer[0..<n].withUnsafeBufferPointer({ meter.push($0) }) {
                readings += 1
                if r.speech { speechReadings += 1 }
                clipped = r.clippedTotal
                peak = max(peak, r.peakDBFS)
                floor = r.noiseFloorDBFS
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    encoder.keyEncodingStrategy = .convertToSnakeCase
                    print(String(decoding: try encoder.encode(r), as: UTF8.self))
                } else if terminal {
                    Console.out("\r\u{1B}[2K" + LevelMeter.meterLine(r))
                } else {
                    print(LevelMeter.meterLine(r))
                }
            }
        }
        if terminal { Console.out("\n") }
        let summary: [String: Any] = [
            "summary": true, "device": device, "rate": capture.rate, "seconds": Double(total) / Double(capture.rate),
            "updates": readings, "max_peak_dbfs": peak, "noise_floor_dbfs": floor,
            "speech_percent": readings == 0 ? 0 : 100 * Double(speechReadings) / Double(readings),
            "clipped_samples": clipped, "overruns": capture.counters.overruns,
        ]
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print(String(format: "summary: %.1f s, max peak %.1f dBFS, noise floor %.1f dBFS, speech in %.0f %% of updates, %d clipped samples, %d overruns",
                         Double(total) / Double(capture.rate), peak, floor,
                         readings == 0 ? 0 : 100 * Double(speechReadings) / Double(readings), clipped, capture.counters.overruns))
        }
    }

    private func runOnce(_ capture: ALSACapture) throws {
        let frontEnd = try SpeechFrontEnd(inputRate: capture.rate)
        // Capture first, analyse after: the read loop does nothing else, so an overrun here
        // is the device's or the system's, not this tool's.
        let wanted = Int((seconds ?? 3) * Double(capture.rate))
        var recorded = [Int16](repeating: 0, count: wanted + capture.periodFrames)
        var buffer = [Int16](repeating: 0, count: capture.periodFrames)
        var total = 0
        while total < wanted {
            let n = try read(capture, into: &buffer)
            recorded.replaceSubrange(total..<total + n, with: buffer[0..<n])
            total += n
        }
        let samples = recorded[0..<total].map { Float($0) / 32_768 }
        var sumSquares = 0.0, peak: Float = 0, clipped = 0
        for x in samples {
            sumSquares += Double(x * x)
            peak = max(peak, abs(x))
            if abs(x) >= 0.999 { clipped += 1 }
        }
        var speechFrames = 0, frames = 0
        for start in stride(from: 0, to: samples.count, by: 4_800) {
            let before = frontEnd.framesDone
            samples[start..<min(start + 4_800, samples.count)].withUnsafeBufferPointer { frontEnd.push($0) }
            let flags = frontEnd.speechFlagsForNewFrames(since: before)
            speechFrames += flags.filter { $0 }.count
            frames += flags.count
        }
        func dB(_ x: Double) -> String { String(format: "%.1f", 20 * log10(max(x, 1e-7))) }
        let rms = (sumSquares / Double(max(total, 1))).squareRoot()
        let result: [(String, String)] = [
            ("device", device), ("rate", "\(capture.rate)"), ("period", "\(capture.periodFrames)"),
            ("buffer", "\(capture.bufferFrames)"), ("seconds", String(format: "%.2f", Double(total) / Double(capture.rate))),
            ("rms_dbfs", dB(rms * 2.0.squareRoot())), ("peak_dbfs", dB(Double(peak))),
            ("clipped_percent", String(format: "%.3f", 100 * Double(clipped) / Double(max(total, 1)))),
            ("speech_percent", String(format: "%.1f", 100 * Double(speechFrames) / Double(max(frames, 1)))),
            ("overruns", "\(capture.counters.overruns)"), ("suspends", "\(capture.counters.suspends)"),
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: Dictionary(uniqueKeysWithValues: result), options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            for (key, value) in result { print(key.padding(toLength: 16, withPad: " ", startingAt: 0) + value) }
        }
    }
}
