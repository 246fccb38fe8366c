import Testing
@testable import PhantomScan

@Suite(.enabled(if: NarrationFixture.espeakAvailable, "espeak-ng (libespeak-ng1, espeak-ng-data) is not installed"))
struct NarrationTimingTests {
    @Test func wordsAreOrderedInsideTheAudioAndNobodyTalksOverAnybody() throws {
        let narration = try #require(NarrationFixture.oneMinute)
        let duration = Double(narration.audio.count) / Double(narration.sampleRate)
        #expect(narration.audio.count == 60 * 48_000)
        #expect(!narration.words.isEmpty)
        var previous: SpokenWord?
        for word in narration.words {
            #expect(word.start >= 0 && word.start < word.end && word.end <= duration)
            if let previous { #expect(previous.end <= word.start, "\(previous.text) overlaps \(word.text)") }
            previous = word
        }
        // Phrases hold exactly their words.
        for phrase in narration.phrases {
            let inside = narration.words.filter { $0.start >= phrase.start && $0.end <= phrase.end }
            #expect(inside.allSatisfy { $0.speaker == phrase.speaker })
            #expect(inside.map { NarrationFixture.normalised($0.text) }.joined(separator: " ")
                    == phrase.text.split(separator: " ").map { NarrationFixture.normalised(String($0)) }.joined(separator: " "))
        }
    }

    @Test func everyWordsAudioHasEnergy() throws {
        let narration = try #require(NarrationFixture.oneMinute)
        let rate = Double(narration.sampleRate)
        for track in narration.speakers where !track.activity.isEmpty {
            let speechPower = NarrationFixture.meanSquare(track.clean, over: track.activity)
            for word in narration.words where word.speaker == track.speaker.rawValue {
                let range = Int(word.start * rate)..<Int(word.end * rate)
                let power = NarrationFixture.meanSquare(track.clean, over: [range])
                // Within 20 dB of the speaker's level: no word sits on silence.
                #expect(NarrationFixture.decibels(power / speechPower) > -20, "'\(word.text)' at \(word.start) s")
            }
        }
        // In the mix, the sonographer's words stand out of the noise.
        let sonographer = narration.words.filter { $0.speaker == "sonographer" }
            .map { Int($0.start * rate)..<Int($0.end * rate) }
        let wordPower = NarrationFixture.meanSquare(narration.audio, over: sonographer)
        #expect(wordPower > 2 * NarrationFixture.meanSquare(narration.noise, over: [0..<narration.noise.count]))
    }

    @Test func theSonographerNamesEachHeldPlanesAnatomyAfterANaturalLag() throws {
        let narration = try #require(NarrationFixture.oneMinute)
        let lag = NarrationFixture.measuredMix.sonographerLag
        let timeline = NarrationFixture.timeline()
        for visit in timeline.visits where !visit.anatomy.isEmpty {
            let spoken = Set(visit.anatomy.flatMap { AnatomyWording.spoken($0).split(separator: " ").map(String.init) })
            let remark = narration.phrases.first { phrase in
                phrase.speaker == "sonographer"
                    && phrase.start >= visit.holdStart + lag.lowerBound - 1e-3
                    && phrase.start <= visit.holdStart + lag.upperBound + 1e-3
                    && phrase.text.split(separator: " ").contains { spoken.contains(NarrationFixture.normalised(String($0))) }
            }
            #expect(remark != nil, "no remark on \(visit.plane) held at \(visit.holdStart) s")
        }
    }

    /// With the visuals engineer's scan plans and default settings.
    @Test(arguments: [UInt64(5), 31])
    func aPlannedScanIsNarratedWithinTheDefaults(seed: UInt64) throws {
        let timeline = ScanScriptGenerator(seed: seed).timeline(duration: 120)
        let mix = NarrationMix()
        let narration = try NarrationGenerator(mix: mix).generate(timeline: timeline, seed: seed)
        #expect(mix.speechFraction.contains(narration.speechFraction), "speech fraction \(narration.speechFraction)")
        for visit in timeline.visits where !visit.anatomy.isEmpty {
            let spoken = Set(visit.anatomy.flatMap { AnatomyWording.spoken($0).split(separator: " ").map(String.init) })
            let named = narration.phrases.contains { phrase in
                phrase.speaker == "sonographer"
                    && (visit.holdStart + mix.sonographerLag.lowerBound - 1e-3...visit.holdStart + mix.sonographerLag.upperBound + 1e-3).contains(phrase.start)
                    && phrase.text.split(separator: " ").contains { spoken.contains(NarrationFixture.normalised(String($0))) }
            }
            #expect(named, "no remark on \(visit.plane) held at \(visit.holdStart) s")
        }
    }
}

import MediaFormats
