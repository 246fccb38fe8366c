import Foundation
import MediaFormats
import Testing
@testable import AudioFrontEnd

/// Speech from espeak-ng (an apt package the test command installs), so the VAD and the
/// denoiser are measured on real synthetic speech with known clean ground truth.
enum SpeechFixture {
    static let espeak = ["/usr/bin/espeak-ng", "/usr/local/bin/espeak-ng"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool { espeak != nil }

    static func speak(_ text: String, voice: String = "en") throws -> [Float] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("showtell-speech-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: espeak!)
        process.arguments = ["-v", voice, "-s", "150", "-w", path, text]
        try process.run()
        process.waitUntilExit()
        let (clip, _) = try WAVFile.read(path)
        return try Resampler.convert(clip.mixedToMono(), from: Double(clip.sampleRate), to: 24_000)
    }

    /// Phrases separated by known silences; returns the clean signal at 24 kHz.
    static func narration() throws -> [Float] {
        let phrases = ["here is the heart, four chamber view", "and both kidneys look fine",
                       "the spine looks good", "measuring the femur now"]
        var signal = [Float](repeating: 0, count: 24_000)  // 1 s lead-in: the noise is learnt here
        for (i, phrase) in phrases.enumerated() {
            signal += try speak(phrase, voice: i % 2 == 0 ? "en" : "en-us")
            signal += [Float](repeating: 0, count: 24_000 + 6_000 * i)
        }
        return signal
    }

    /// Hum (100 Hz and harmonics) plus white noise from a fixed LCG, scaled to `snrDB`
    /// against the speech's active RMS.
    static func noise(count: Int, matching speech: [Float], snrDB: Double) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        var raw = [Float](repeating: 0, count: count)
        for i in 0..<count {
            var gaussian = 0.0
            for _ in 0..<4 {  // Irwin-Hall approximation is plenty for noise
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                gaussian += Double(state >> 11) / Double(1 << 53) - 0.5
            }
            let t = Double(i) / 24_000
            raw[i] = Float(gaussian + 0.6 * sin(2 * .pi * 100 * t) + 0.3 * sin(2 * .pi * 200 * t + 1))
        }
        let active = speech.filter { abs($0) > 1e-3 }
        let speechPower = active.reduce(0.0) { $0 + Double($1 * $1) } / Double(max(active.count, 1))
        let noisePower = raw.reduce(0.0) { $0 + Double($1 * $1) } / Double(count)
        let scale = Float((speechPower / noisePower / pow(10, snrDB / 10)).squareRoot())
        return raw.map { $0 * scale }
    }

    /// Ground truth per 10 ms frame: clean speech within 40 dB of its loudest frame, with gaps
    /// shorter than 250 ms inside a phrase filled (pauses between words are still speech).
    static func truth(_ clean: [Float], frame: Int = 240) -> [Bool] {
        let frames = clean.count / frame
        let energies = (0..<frames).map { f in clean[(f * frame)..<((f + 1) * frame)].reduce(0.0) { $0 + Double($1 * $1) } }
        let loudest = energies.max() ?? 1
        var speech = energies.map { $0 > loudest * 1e-4 }
        var lastSpeech = -1000
        for f in 0..<frames where speech[f] {
            if f - lastSpeech > 1 && f - lastSpeech <= 25 { for g in (lastSpeech + 1)..<f { speech[g] = true } }
            lastSpeech = f
        }
        return speech
    }
}

@Suite(.enabled(if: SpeechFixture.available, "espeak-ng is not installed (apt-get install espeak-ng)"))
struct CleaningTests {
    /// Runs the front-end over the whole signal and collects per-frame decisions and output.
    func run(_ input: [Float]) throws -> (flags: [Bool], cleaned: [Float]) {
        let frontEnd = try SpeechFrontEnd(inputRate: 24_000)
        var flags: [Bool] = []
        var cleaned: [Float] = []
        var window = [Float](repeating: 0, count: 14_400)
        let block = 2_400  // 100 ms hops, as the appliance does
        var start = 0
        while start + block <= input.count {
            let before = frontEnd.framesDone
            input[start..<(start + block)].withUnsafeBufferPointer { frontEnd.push($0) }
            flags += frontEnd.speechFlagsForNewFrames(since: before)
            if frontEnd.windowReady {
                _ = window.withUnsafeMutableBufferPointer { frontEnd.copyLatestCleaned(into: $0.baseAddress!) }
                cleaned += window[(14_400 - block)...]
            } else {
                cleaned += [Float](repeating: 0, count: block)
            }
            start += block
        }
        return (flags, cleaned)
    }

    @Test func vadFindsTheSpeechSegments() throws {
        let clean = try SpeechFixture.narration()
        let noisy = zip(clean, SpeechFixture.noise(count: clean.count, matching: clean, snrDB: 10)).map(+)
        let truth = SpeechFixture.truth(clean)
        let (flags, _) = try run(noisy)
        let n = min(flags.count, truth.count)
        let correct = (0..<n).filter { flags[$0] == truth[$0] }.count
        let accuracy = Double(correct) / Double(n)
        let speechFrames = (0..<n).filter { truth[$0] }
        let recall = Double(speechFrames.filter { flags[$0] }.count) / Double(speechFrames.count)
        print("VAD at 10 dB SNR: frame accuracy \(String(format: "%.3f", accuracy)), speech recall \(String(format: "%.3f", recall)) over \(n) frames")
        #expect(accuracy > 0.9)
        #expect(recall > 0.9)
    }

    @Test func denoisingImprovesSNR() throws {
        let clean = try SpeechFixture.narration()
        let noise = SpeechFixture.noise(count: clean.count, matching: clean, snrDB: 5)
        let noisy = zip(clean, noise).map(+)
        let (_, cleaned) = try run(noisy)
        // Segment SNR: power in speech frames over power in noise-only frames, before and after.
        let truth = SpeechFixture.truth(clean)
        func segmentSNR(_ x: [Float]) -> Double {
            var speech = 0.0, quiet = 0.0, speechCount = 0, quietCount = 0
            for f in 150..<min(truth.count, x.count / 240) {  // skip the 1.5 s the estimator learns in
                let energy = x[(f * 240)..<((f + 1) * 240)].reduce(0.0) { $0 + Double($1 * $1) }
                if truth[f] { speech += energy; speechCount += 1 } else { quiet += energy; quietCount += 1 }
            }
            return 10 * log10((speech / Double(speechCount)) / (quiet / Double(quietCount)))
        }
        let before = segmentSNR(noisy), after = segmentSNR(cleaned)
        print("denoise at 5 dB input SNR: segment SNR \(String(format: "%.1f", before)) dB -> \(String(format: "%.1f", after)) dB (+\(String(format: "%.1f", after - before)) dB)")
        #expect(after - before > 10)
    }
}
