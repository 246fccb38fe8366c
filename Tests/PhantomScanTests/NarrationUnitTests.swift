import Platform
import Testing
import MediaFormats
@testable import PhantomScan

/// Parts of the narration that do not need espeak-ng.
struct NarrationUnitTests {
    @Test func randomStreamIsStable() {
        // Fixed reference values: a change here changes every generated data set.
        var random = RandomSource(seed: 42, stream: 1)
        #expect((0..<3).map { _ in random.next() } == [13_696_896_915_399_030_466, 12_641_092_763_546_669_283, 14_580_102_322_132_234_639])
        var other = RandomSource(seed: 42, stream: 2)
        #expect(other.next() != 13_696_896_915_399_030_466)
        var unit = RandomSource(seed: 1, stream: 0)
        #expect((0..<1000).allSatisfy { _ in (0..<1).contains(unit.unit()) })
    }

    @Test func anatomyIsSpelledAsSpoken() {
        #expect(AnatomyWording.spoken("pulmonary_artery") == "pulmonary artery")
        #expect(AnatomyWording.spoken("ventricles_brain") == "ventricles")
        #expect(AnatomyWording.spoken("umbilical_vein") == "umbilical vein")
        #expect(AnatomyName.all.allSatisfy { !AnatomyWording.spoken($0).contains("_") })
    }

    @Test func wordsEspeakJoinedShareTheirTimeByLetters() {
        // Two bursts of sound, 0.1 s each, with silence around; espeak marked only "of".
        var samples = [Float](repeating: 0, count: 48_000)
        for i in 4_800..<9_600 { samples[i] = i % 2 == 0 ? 0.5 : -0.5 }
        for i in 24_000..<28_800 { samples[i] = i % 2 == 0 ? 0.5 : -0.5 }
        let words = WordAlignment.words(of: "side of the spine.", marks: [(0, 0), (5, 20_000)], samples: samples)
        #expect(words.map(\.text) == ["side", "of", "the", "spine"])
        #expect(words[0].start == 4_800 && words[0].end == 9_600)  // tightened to the sound
        #expect(words[1].start == 20_000 || words[1].start >= 24_000)
        #expect(words[1].end <= words[2].start && words[2].end <= words[3].start)
        #expect(words[3].end <= 48_000)
    }

    @Test func roomNoiseIsAtItsFloorAndDeterministic() {
        let timeline = NarrationFixture.timeline(duration: 10)
        var random = RandomSource(seed: 9, stream: 3)
        let noise = RoomNoise.render(count: 480_000, sampleRate: 48_000, timeline: timeline, floorDBFS: -45, sirensPerMinute: 0, &random)
        var again = RandomSource(seed: 9, stream: 3)
        #expect(noise == RoomNoise.render(count: 480_000, sampleRate: 48_000, timeline: timeline, floorDBFS: -45, sirensPerMinute: 0, &again))
        // Clicks and beeps add a little on top of the fan's floor.
        let level = NarrationFixture.decibels(NarrationFixture.meanSquare(noise, over: [0..<noise.count]))
        #expect((-45.5)...(-40) ~= level)
    }
}
