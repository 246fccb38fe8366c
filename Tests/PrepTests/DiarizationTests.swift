import Foundation
import MediaFormats
import Testing
@testable import Prep
@testable import PrepEvaluation

/// Diarization on generated voices with known turns: two source-filter "voices" (pulse train
/// through two formant resonators, syllable envelope at 4 Hz) that differ in pitch, formants
/// and level, taking turns with pauses.
struct DiarizationTests {
    struct Voice { var pitch: Double; var formants: (Double, Double); var gain: Double }

    static func speak(_ voice: Voice, seconds: Double, rate: Double, seed: UInt64) -> [Float] {
        let n = Int(seconds * rate)
        var out = [Float](repeating: 0, count: n)
        // Two-pole resonators (bandwidth 100 Hz).
        func coefficients(_ f: Double) -> (Double, Double) {
            let r = exp(-Double.pi * 100 / rate)
            return (2 * r * cos(2 * Double.pi * f / rate), -r * r)
        }
        let (a1, a2) = coefficients(voice.formants.0), (b1, b2) = coefficients(voice.formants.1)
        var y1 = 0.0, y2 = 0.0, z1 = 0.0, z2 = 0.0
        var phase = 0.0
        var state = seed
        for i in 0..<n {
            let t = Double(i) / rate
            // Pitch wanders ±5 % so frames are not identical.
            let f0 = voice.pitch * (1 + 0.05 * sin(2 * Double.pi * 0.7 * t))
            phase += f0 / rate
            var excitation = 0.0
            if phase >= 1 { phase -= 1; excitation = 1 }
            state = state &* 6364136223846793005 &+ 1442695040888963407
            excitation += 0.02 * (Double(state >> 11) / Double(1 << 53) - 0.5)
            let y = excitation + a1 * y1 + a2 * y2
            y2 = y1; y1 = y
            let z = y + b1 * z1 + b2 * z2
            z2 = z1; z1 = z
            let envelope = 0.55 + 0.45 * sin(2 * Double.pi * 4 * t)
            out[i] = Float(voice.gain * envelope * (0.6 * y + 0.4 * z) * 0.02)
        }
        return out
    }

    /// Turns (start, end, speaker) and the mixed recording at 48 kHz with a little hiss.
    static func conversation() -> (AudioClip, [DiarizationError.Turn]) {
        let rate = 48_000.0
        let a = Voice(pitch: 115, formants: (600, 1300), gain: 1)
        let b = Voice(pitch: 235, formants: (850, 2300), gain: 0.35)
        let script: [(Double, Double, String)] = [
            (0.5, 4.0, "A"), (4.6, 6.6, "B"), (7.3, 10.8, "A"), (11.5, 13.0, "B"), (13.7, 17.5, "A"),
            (18.2, 20.2, "B"), (21.0, 24.5, "A"),
        ]
        var samples = [Float](repeating: 0, count: Int(25 * rate))
        var state: UInt64 = 7
        for i in 0..<samples.count {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            samples[i] = Float(0.0005 * (Double(state >> 11) / Double(1 << 53) - 0.5))
        }
        for (number, (start, end, who)) in script.enumerated() {
            let voice = who == "A" ? a : b
            let speech = speak(voice, seconds: end - start, rate: rate, seed: UInt64(number + 1))
            let first = Int(start * rate)
            for (i, v) in speech.enumerated() { samples[first + i] += v }
        }
        return (AudioClip(sampleRate: 48_000, channels: 1, samples: samples), script.map { ($0.0, $0.1, $0.2) })
    }

    @Test func twoVoicesAreSeparatedAndTheMainOneIsKept() throws {
        let (clip, truth) = Self.conversation()
        let analysis = try AudioAnalysis.run(clip)
        let result = Diarizer().run(speech: analysis.speech, samples16k: analysis.samples16k)
        let hypothesis = result.segments.map { (start: $0.start, end: $0.end, speaker: $0.speaker ?? "?") }
        let der = DiarizationError.compute(reference: truth, hypothesis: hypothesis, duration: clip.duration)
        #expect(der.rate < 0.15, "DER \(der)")
        #expect(result.speakers.count >= 2)
        // The kept speaker (S0) is A, who talks most: nearly all kept time lies in A's turns.
        var inA = 0.0, kept = 0.0
        for segment in result.segments where segment.speaker == result.kept {
            kept += segment.duration
            for turn in truth where turn.speaker == "A" { inA += max(0, min(segment.end, turn.end) - max(segment.start, turn.start)) }
        }
        #expect(kept > 0 && inA / kept > 0.95, "A share of kept \(inA / kept)")
    }

    @Test func silenceGivesNoSpeakers() throws {
        let clip = AudioClip(sampleRate: 48_000, channels: 1, samples: [Float](repeating: 0, count: 48_000 * 3))
        let analysis = try AudioAnalysis.run(clip)
        let result = Diarizer().run(speech: analysis.speech, samples16k: analysis.samples16k)
        #expect(result.segments.isEmpty)
        #expect(result.kept == nil)
    }

    @Test func segmenterBridgesShortGapsDropsBlipsAndCutsLongRuns() {
        var flags = [Bool](repeating: false, count: 600)
        for i in 10..<100 { flags[i] = true }    // 0.1-1.0 s
        for i in 105..<150 { flags[i] = true }   // gap of 0.05 s: joined -> 0.1-1.5 s
        for i in 200..<210 { flags[i] = true }   // 0.1 s blip: dropped
        for i in 300..<600 { flags[i] = true }   // 3 s: cut into two 1.5 s pieces
        let segments = SpeechSegmenter().segments(flags)
        #expect(segments.count == 3)
        #expect(abs(segments[0].start - 0.1) < 1e-9 && abs(segments[0].end - 1.5) < 1e-9)
        #expect(abs(segments[1].start - 3.0) < 1e-9 && abs(segments[1].end - 4.5) < 1e-9)
        #expect(abs(segments[2].end - 6.0) < 1e-9)
    }

    @Test func clusteringFindsWellSeparatedGroups() {
        let points: [[Float]] = [[0, 0], [0.2, 0.1], [0.1, -0.1], [5, 5], [5.1, 4.9], [10, 0]]
        let labels = AgglomerativeClustering.cluster(points, threshold: 1)
        #expect(labels == [0, 0, 0, 1, 1, 2])
        #expect(Set(AgglomerativeClustering.cluster(points, threshold: 100)).count == 1)
    }
}
