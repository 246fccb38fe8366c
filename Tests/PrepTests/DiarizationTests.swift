import Foundation
@testable import PhantomScan
import MediaFormats
import Testing
@testable import Prep
@testable import PrepEvaluation

/// Diarization on generated cases with known turns (two espeak-ng voices), and its parts.
struct DiarizationTests {
    /// Two espeak-ng voices (different accent, variant, pitch and level) taking turns.
    static func espeakConversation() throws -> (AudioClip, [DiarizationError.Turn]) {
        let a = NarrationVoice(name: "en+m3", rate: 150, pitch: 40, pitchRange: 50)
        let b = NarrationVoice(name: "en-us+f2", rate: 170, pitch: 70, pitchRange: 60)
        let lines: [(String, Bool)] = [
            ("so this is the spine and it looks good", true), ("is everything all right", false),
            ("yes we are just measuring the head now", true), ("how big is it", false),
            ("the femur looks normal and here is the heart", true), ("that is amazing", false),
            ("looking at the kidneys either side of the spine", true),
        ]
        let rate = 48_000.0
        var pieces: [([Float], Bool)] = []
        for (text, first) in lines {
            let utterance = try EspeakSynthesizer.shared.synthesize(text, voice: first ? a : b)
            pieces.append((utterance.samples.map { $0 * (first ? 0.8 : 0.3) }, first))
        }
        var samples = [Float](repeating: 0, count: Int(0.5 * rate))
        var turns: [DiarizationError.Turn] = []
        for (piece, first) in pieces {
            let start = Double(samples.count) / rate
            samples += piece
            turns.append((start, Double(samples.count) / rate, first ? "A" : "B"))
            samples += [Float](repeating: 0, count: Int(0.6 * rate))
        }
        var state: UInt64 = 5
        for i in samples.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            samples[i] += Float(0.001 * (Double(state >> 11) / Double(1 << 53) - 0.5))
        }
        return (AudioClip(sampleRate: 48_000, channels: 1, samples: samples), turns)
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/libespeak-ng.so.1"), "libespeak-ng1 is not installed"))
    func twoVoicesAreSeparatedAndTheMainOneIsKept() throws {
        let (clip, truth) = try Self.espeakConversation()
        let analysis = try AudioAnalysis.run(clip)
        let result = Diarizer().run(speech: analysis.speech, samples16k: analysis.samples16k)
        let hypothesis = result.segments.map { (start: $0.start, end: $0.end, speaker: $0.speaker ?? "?") }
        let der = DiarizationError.compute(reference: truth, hypothesis: hypothesis, duration: clip.duration)
        #expect(der.rate < 0.15, "DER \(der)")
        #expect(result.speakers.count >= 2)
        // The kept speaker (S0) is A, who talks most: of the speech inside the kept segments
        // (the report's "sonographer share"), at least 95 % is A's.
        var inA = 0.0, kept = 0.0
        for segment in result.segments where segment.speaker == result.kept {
            for turn in truth {
                let overlap = max(0, min(segment.end, turn.end) - max(segment.start, turn.start))
                kept += overlap
                if turn.speaker == "A" { inA += overlap }
            }
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
