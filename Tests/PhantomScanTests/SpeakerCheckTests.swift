import AudioFrontEnd
import MediaFormats
import Testing
@testable import PhantomScan

/// The appliance's speaker check (AudioFrontEnd's `speechToNoiseDB`): the sonographer sits at
/// the machine, the parent and a colleague further away, so the speech band of near speech
/// stands higher above the noise floor. Measured on phantom narrations against their ground
/// truth: which speaker dominates each 0.6 s window the appliance would analyse.
@Suite(.enabled(if: NarrationFixture.espeakAvailable, "espeak-ng is not installed"))
struct SpeakerCheckTests {
    struct Counts { var sonographer = 0, other = 0 }

    /// Per threshold: windows the gate passes, by dominant speaker; plus all sonographer windows.
    /// Per gate (each with its own running state), windows it admits by dominant speaker.
    static func measure(seeds: [UInt64], gates: [SonographerGate], mix base: NarrationMix) throws -> (passed: [Counts], sonographerWindows: Int) {
        var passed = [Counts](repeating: Counts(), count: gates.count)
        var sonographerWindows = 0
        for seed in seeds {
            var gates = gates
            var mix = base
            mix.keepStems = true
            let timeline = ScanScriptGenerator(seed: seed).timeline(duration: 90)
            let narration = try NarrationGenerator(mix: mix).generate(timeline: timeline, seed: seed)
            let rate = narration.sampleRate
            // Who talks when, per 10 ms at the input rate.
            let hop10 = rate / 100
            var owner = [Int8](repeating: -1, count: narration.audio.count / hop10 + 1)
            for (index, track) in narration.speakers.enumerated() {
                for range in track.activity { for f in (range.lowerBound / hop10)..<min(owner.count, range.upperBound / hop10) { owner[f] = Int8(index) } }
            }
            let frontEnd = try SpeechFrontEnd(inputRate: rate)
            let spectrogram = UnsafeMutablePointer<Float>.allocate(capacity: 256 * 256)
            defer { spectrogram.deallocate() }
            let chunk = rate / 10
            var position = 0
            while position + chunk <= narration.audio.count {
                narration.audio.withUnsafeBufferPointer { frontEnd.push(UnsafeBufferPointer(rebasing: $0[position..<(position + chunk)])) }
                position += chunk
                let end = frontEnd.samplesProduced - frontEnd.samplesProduced % frontEnd.settings.spectrogram.hop
                guard end >= frontEnd.settings.spectrogram.windowSamples,
                      let report = frontEnd.window(endingAt: end, into: spectrogram) else { continue }
                // Dominant speaker over the window's last 0.6 s of input.
                var frames = [Int](repeating: 0, count: narration.speakers.count)
                for f in max(0, position / hop10 - 60)..<(position / hop10) where owner[f] >= 0 { frames[Int(owner[f])] += 1 }
                let best = frames.indices.max { frames[$0] < frames[$1] }!
                let dominant: NarrationSpeaker? = frames[best] >= 18 ? narration.speakers[best].speaker : nil
                if dominant == .sonographer { sonographerWindows += 1 }
                for k in gates.indices where gates[k].admits(report, voice: report.speechFraction >= 0.3) {
                    guard let dominant else { continue }
                    if dominant == .sonographer { passed[k].sonographer += 1 } else { passed[k].other += 1 }
                }
            }
        }
        return (passed, sonographerWindows)
    }

    /// The appliance's default (loop.speaker_min_db = 12 dB) against the VAD
    /// alone, over four 90 s phantom scans. Measured: VAD alone 95.8 % of passed windows are
    /// the sonographer's (recall 96.4 %); with the check 98.6 % (recall 90.5 %), the others'
    /// windows cut from 46 to 14.
    @Test func nearSpeakerGateRaisesPrecisionForTheSonographer() throws {
        let thresholds: [Float] = [-100, 12]
        let gates = thresholds.map { SonographerGate(minimumAboveNoiseDB: $0, belowSonographerDB: 0) }
            + [SonographerGate(minimumAboveNoiseDB: 12, belowSonographerDB: 10)]
        let (passed, total) = try Self.measure(seeds: [3, 4, 5, 6], gates: gates, mix: NarrationMix())
        func precision(_ c: Counts) -> Double { Double(c.sonographer) / Double(max(1, c.sonographer + c.other)) }
        let vadOnly = passed[0], gated = passed[1], both = passed[2]
        print("speaker check: VAD only \(vadOnly), with 12 dB gate \(gated), with the sonographer check too \(both), sonographer windows \(total)")
        // The appliance's default (both checks) in the ordinary noisy room.
        #expect(both.other <= gated.other && Double(both.sonographer) / Double(max(1, total)) >= 0.85)
        #expect(precision(gated) >= 0.97)
        #expect(gated.other * 2 < vadOnly.other, "the gate should reject most of the other speakers' windows")
        #expect(Double(gated.sonographer) / Double(max(1, total)) >= 0.85, "the gate should keep most of the sonographer's windows")
    }

    /// The quiet room a new user tried: little fan noise, the parent and a colleague well
    /// above the noise floor but about 20 dB below the sonographer at the machine. The
    /// noise-floor check alone lets most of their windows drive the heatmap; with the
    /// sonographer check (loop.speaker_below_sonographer_db = 10) few get through, and the
    /// sonographer keeps most of hers.
    @Test func sonographerCheckRejectsQuietRoomBystanders() throws {
        var mix = NarrationMix()
        mix.noiseFloorDBFS = -62 ... -58
        mix.snrDB = [.sonographer: 34...38, .parent: 13...17, .colleague: 12...16]
        mix.presence = [.sonographer: 1, .parent: 1, .colleague: 1]
        let gates = [SonographerGate(minimumAboveNoiseDB: 12, belowSonographerDB: 0),
                     SonographerGate(minimumAboveNoiseDB: 12, belowSonographerDB: 10)]
        let (passed, total) = try Self.measure(seeds: [11, 12, 13], gates: gates, mix: mix)
        let noiseOnly = passed[0], withSonographer = passed[1]
        print("quiet room: noise-floor check \(noiseOnly), with sonographer check \(withSonographer), sonographer windows \(total)")
        #expect(noiseOnly.other >= 20, "the bystanders talk loud enough to pass the noise-floor check (\(noiseOnly.other) windows)")
        #expect(withSonographer.other * 5 <= noiseOnly.other, "the sonographer check should reject at least 80 % of the bystanders' windows")
        #expect(Double(withSonographer.sonographer) / Double(max(1, total)) >= 0.85, "the sonographer keeps most of her windows")
    }
}
