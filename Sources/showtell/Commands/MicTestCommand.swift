import ArgumentParser
import AudioFrontEnd
import Capture
import Foundation

/// Field-engineer check of the microphone: capture for a while through ALSA and report the
/// negotiated parameters, level, clipping, speech activity and overruns.
struct MicTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mic-test",
        abstract: "Capture from an ALSA PCM and report level, clipping, speech activity and overruns."
    )

    @Option(help: "ALSA PCM name, e.g. hw:CARD=showtellmic or default.")
    var device = "default"

    @Option(help: "Seconds to capture.")
    var seconds = 3.0

    @Option(help: "Sample rate to request.")
    var rate = 48_000

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        var settings = ALSACapture.Settings()
        settings.device = device
        settings.rate = rate
        let capture = try ALSACapture(settings: settings)
        let frontEnd = try SpeechFrontEnd(inputRate: capture.rate)
        // Capture first, analyse after: the read loop does nothing else, so an overrun here
        // is the device's or the system's, not this tool's.
        let wanted = Int(seconds * Double(capture.rate))
        var recorded = [Int16](repeating: 0, count: wanted + capture.periodFrames)
        var total = 0
        while total < wanted {
            let (n, _) = try recorded.withUnsafeMutableBufferPointer {
                try capture.read(into: $0.baseAddress! + total, frames: capture.periodFrames)
            }
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
