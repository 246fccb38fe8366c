import Testing
import MediaFormats
@testable import PhantomScan

@Suite(.enabled(if: NarrationFixture.espeakAvailable, "espeak-ng (libespeak-ng1, espeak-ng-data) is not installed"))
struct NarrationDeterminismTests {
    @Test func theSameSeedGivesTheSameNarration() throws {
        let timeline = NarrationFixture.timeline(duration: 25)
        let generator = NarrationGenerator()
        let first = try generator.generate(timeline: timeline, seed: 11)
        let second = try generator.generate(timeline: timeline, seed: 11)
        #expect(first.audio == second.audio)
        #expect(first.words == second.words)
        #expect(first.speakers.map(\.voice) == second.speakers.map(\.voice))
        let other = try generator.generate(timeline: timeline, seed: 12)
        #expect(other.audio != first.audio)
    }

    @Test func aGeneratedMinuteIsWrittenAsAWAVAndReadBack() throws {
        let narration = try #require(NarrationFixture.oneMinute)
        let path = "/tmp/showtell-narration-\(getpid()).wav"
        try WAVFile.write(narration.clip, to: path)
        defer { unlink(path) }
        let (clip, _) = try WAVFile.read(path)
        #expect(clip.sampleRate == 48_000 && clip.channels == 1 && clip.frameCount == narration.audio.count)
    }

    @Test func oneMinuteOfNarrationSynthesisesWellUnderThirtySeconds() throws {
        let clock = ContinuousClock()
        let start = clock.now
        _ = try NarrationGenerator().generate(timeline: NarrationFixture.timeline(), seed: 99)
        let elapsed = clock.now - start
        print("narration: one minute of session in \(elapsed)")
        #expect(elapsed < .seconds(30))
    }
}

import Glibc
