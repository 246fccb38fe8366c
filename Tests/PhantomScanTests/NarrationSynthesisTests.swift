import Testing
@testable import PhantomScan

@Suite(.enabled(if: NarrationFixture.espeakAvailable, "espeak-ng (libespeak-ng1, espeak-ng-data) is not installed"))
struct NarrationSynthesisTests {
    let voice = NarrationVoice(name: "en-us+f3", rate: 170, pitch: 55, pitchRange: 50)

    @Test func anUtteranceDoesNotDependOnWhatWasSaidBefore() throws {
        let first = try EspeakSynthesizer.shared.synthesize("there's the heart.", voice: voice)
        _ = try EspeakSynthesizer.shared.synthesize("you're doing great.", voice: NarrationVoice(name: "en+m3", rate: 150, pitch: 40, pitchRange: 60))
        let again = try EspeakSynthesizer.shared.synthesize("there's the heart.", voice: voice)
        #expect(first.samples == again.samples)
        #expect(first.words == again.words)
    }

    @Test func wordsAreTheTextsWordsInOrderInsideTheAudio() throws {
        let utterance = try EspeakSynthesizer.shared.synthesize("that's the stomach bubble, lovely.", voice: voice)
        #expect(utterance.words.map(\.text) == ["that's", "the", "stomach", "bubble", "lovely"])
        var previousEnd = 0
        for word in utterance.words {
            #expect(word.start >= previousEnd && word.start < word.end && word.end <= utterance.samples.count)
            previousEnd = word.end
        }
        // Output is at 48 kHz: a five-word phrase lasts one to three seconds.
        #expect((1.0...3.0).contains(utterance.duration))
    }

    @Test func rateAndVoiceChangeTheSound() throws {
        let slow = try EspeakSynthesizer.shared.synthesize("both kidneys look normal.", voice: NarrationVoice(name: "en", rate: 120, pitch: 50, pitchRange: 50))
        let fast = try EspeakSynthesizer.shared.synthesize("both kidneys look normal.", voice: NarrationVoice(name: "en", rate: 240, pitch: 50, pitchRange: 50))
        #expect(Double(fast.samples.count) < 0.75 * Double(slow.samples.count))
        let other = try EspeakSynthesizer.shared.synthesize("both kidneys look normal.", voice: NarrationVoice(name: "en-us+m3", rate: 120, pitch: 50, pitchRange: 50))
        #expect(other.samples != slow.samples)
    }

    @Test func anUnknownVoiceIsAClearError() {
        #expect(throws: NarrationError.self) {
            _ = try EspeakSynthesizer.shared.synthesize("hello.", voice: NarrationVoice(name: "xx-nonexistent", rate: 170, pitch: 50, pitchRange: 50))
        }
    }
}
