import Testing
@testable import PhantomScan

@Suite(.enabled(if: NarrationFixture.espeakAvailable, "espeak-ng (libespeak-ng1, espeak-ng-data) is not installed"))
struct NarrationLevelTests {
    @Test func eachSpeakersSNRIsTheDrawnOneAndInTheConfiguredRange() throws {
        let narration = try #require(NarrationFixture.oneMinute)
        let noisePower = NarrationFixture.meanSquare(narration.noise, over: [0..<narration.noise.count])
        var measured = 0
        for track in narration.speakers where !track.activity.isEmpty {
            let snr = NarrationFixture.decibels(NarrationFixture.meanSquare(track.clean, over: track.activity) / noisePower)
            #expect(abs(snr - track.snrDB) <= 1.5, "\(track.speaker): measured \(snr) dB, drawn \(track.snrDB) dB")
            #expect(NarrationFixture.measuredMix.snrDB[track.speaker]!.contains(track.snrDB))
            measured += 1
        }
        #expect(measured >= 2, "the parent or colleague should talk in a minute with everyone present")
    }

    @Test func theMixIsTheSumOfItsStemsAndDoesNotClip() throws {
        let narration = try #require(NarrationFixture.oneMinute)
        var worst: Float = 0
        for i in stride(from: 0, to: narration.audio.count, by: 7) {
            let sum = narration.noise[i] + narration.speakers.reduce(Float(0)) { $0 + $1.clean[i] }
            worst = max(worst, abs(sum - narration.audio[i]))
        }
        #expect(worst < 1e-5)
        #expect(narration.audio.allSatisfy { abs($0) < 0.9 })
    }

    @Test(arguments: [UInt64(1), 77, 4242])
    func speechFractionIsInTheConfiguredRangeAndSilenceDominates(seed: UInt64) throws {
        var mix = NarrationMix()
        mix.speechFraction = 0.2...0.35
        let narration = try NarrationGenerator(mix: mix).generate(timeline: NarrationFixture.timeline(), seed: seed)
        #expect(mix.speechFraction.contains(narration.speechFraction), "speech fraction \(narration.speechFraction)")
        // Only noise most of the time, measured on the audio: 100 ms windows near the floor.
        let window = narration.sampleRate / 10
        let floor = narration.audio.count / window
        var quiet = 0
        let levels = (0..<floor).map { NarrationFixture.meanSquare(narration.audio, over: [($0 * window)..<(($0 + 1) * window)]) }
        let median = levels.sorted()[levels.count / 2]
        for level in levels where level < 4 * median { quiet += 1 }
        #expect(Double(quiet) / Double(levels.count) > 0.5)
    }

    /// A busy room (the appliance's load test): above the phrase banks' reach only repeated
    /// small talk gets there, and nobody talks over anybody.
    @Test func aBusyRoomReachesItsSpeechFractionByRepeatingSmallTalk() throws {
        var mix = NarrationMix()
        mix.speechFraction = 0.6...0.7
        mix.repeatsChatter = true
        let narration = try NarrationGenerator(mix: mix).generate(timeline: NarrationFixture.timeline(duration: 120), seed: 5)
        #expect(mix.speechFraction.contains(narration.speechFraction), "speech fraction \(narration.speechFraction)")
        let words = narration.words.sorted { $0.start < $1.start }
        for (a, b) in zip(words, words.dropFirst()) where a.speaker != b.speaker {
            #expect(a.end <= b.start, "\(a.speaker) and \(b.speaker) overlap at \(b.start) s")
        }
    }

    @Test func otherSpeakersCanBeLeftOut() throws {
        var mix = NarrationMix()
        mix.presence = [.sonographer: 1, .parent: 0, .colleague: 0]
        let narration = try NarrationGenerator(mix: mix).generate(timeline: NarrationFixture.timeline(duration: 30), seed: 3)
        #expect(narration.words.allSatisfy { $0.speaker == "sonographer" })
        #expect(narration.noise.isEmpty && narration.speakers.allSatisfy { $0.clean.isEmpty })
    }
}
