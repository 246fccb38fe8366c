import AudioFrontEnd
import Foundation
import Testing
@testable import PhantomScan
@testable import Prep
import TestSupport

/// The keyword-spotting pass: the keyphrase list from the dictionary, the filtering of the
/// decoder's candidates, the merge into the LM pass's words (known answers), and pocketsphinx's
/// -kws search on a short espeak-ng utterance.
struct KeywordSpottingTests {
    static let keywords = try! KeywordDictionary.parse("""
        [anatomy]
        heart = ["heart", "four chamber"]
        kidneys = ["kidneys"]
        cerebellum = ["cerebellum"]
        lips = ["lip"]
        """)

    /// A small pronouncing dictionary in pocketsphinx's format (alternates as word(2)).
    static func pronouncing(in directory: String) throws -> (PronouncingDictionary, String) {
        let path = directory + "/kws.dict"
        try """
            heart HH AA R T
            heart(2) HH AA T
            four F AO R
            four(2) F AO
            chamber CH EY M B ER
            kidneys K IH D N IY Z
            lip L IH P
            the DH AH

            """.write(toFile: path, atomically: true, encoding: .utf8)
        return (try PronouncingDictionary(path: path, extra: [:]), path)
    }

    @Test func keyphrasesEnumeratePronunciationsAndSkipUnpronounceableForms() throws {
        let scratch = ScratchFolder("showtell-kws")
        let directory = scratch.path
        let (pronouncing, _) = try Self.pronouncing(in: directory)
        let list = KeywordSpotter.keyphrases(Self.keywords, pronouncing: pronouncing)
        let names = list.map(\.keyphrase)
        // "four chamber": 2 x 1 pronunciations; "cerebellum" has none here and is left out.
        #expect(names == ["heart", "heart(2)", "four chamber", "four(2) chamber", "kidneys", "lip"])
        #expect(list.map(\.phrase) == ["heart", "heart", "four chamber", "four chamber", "kidneys", "lip"])
        #expect(list.map(\.phones) == [4, 3, 8, 7, 6, 3])
    }

    @Test func selectKeepsTheBestOfOverlappingHitsAboveItsLengthThreshold() {
        var settings = KeywordSpotter.Settings()
        settings.thresholds = [-30, -25, -20]
        let hits = [
            KeywordHit(phrase: "lip", start: 1.0, end: 1.3, scorePerFrame: -28, phones: 3),        // short, above -30
            KeywordHit(phrase: "heart", start: 1.1, end: 1.4, scorePerFrame: -29, phones: 4),      // overlaps a better one
            KeywordHit(phrase: "kidneys", start: 3.0, end: 3.5, scorePerFrame: -26, phones: 6),    // medium, below -25
            KeywordHit(phrase: "four chamber", start: 5.0, end: 5.8, scorePerFrame: -19, phones: 8),  // long, above -20
            KeywordHit(phrase: "heart", start: 0.2, end: 0.5, scorePerFrame: -30, phones: 4),      // exactly at threshold
        ]
        let kept = KeywordSpotter.select(hits, settings: settings)
        #expect(kept.map(\.phrase) == ["heart", "lip", "four chamber"])
        #expect(kept.map(\.start) == [0.2, 1.0, 5.0])
        #expect(abs(kept[0].confidence - 0.5) < 1e-12)
        #expect(kept[1].confidence > 0.5 && kept[1].confidence < 1)
        #expect(KeywordSpotter.select([], settings: settings).isEmpty)
    }

    @Test func mergeReplacesCoveredWordsUnlessTheLMPassHasTheKeyword() {
        let matcher = KeywordMatcher(Self.keywords)
        func word(_ text: String, _ start: Double, _ end: Double) -> RecognizedWord {
            RecognizedWord(word: text, start: start, end: end, confidence: 0.9)
        }
        let words = [word("the", 0.0, 0.2), word("thought", 0.2, 0.6), word("is", 0.6, 0.8), word("kidneys", 2.0, 2.5), word("of", 2.5, 2.6)]
        let hits = [
            KeywordHit(phrase: "four chamber", start: 0.15, end: 0.75, scorePerFrame: -10, phones: 8, confidence: 0.8),
            KeywordHit(phrase: "kidneys", start: 2.1, end: 2.45, scorePerFrame: -10, phones: 6, confidence: 0.8),  // LM has it
        ]
        let merged = KeywordMerge.merge(words: words, hits: hits, matcher: matcher)
        // "thought" (middle 0.4) and "is" (middle 0.7) are covered; "the" (middle 0.1) is not.
        #expect(merged.map(\.word) == ["the", "four", "chamber", "kidneys", "of"])
        #expect(abs(merged[1].start - 0.15) < 1e-9 && abs(merged[1].end - 0.45) < 1e-9 && abs(merged[2].end - 0.75) < 1e-9)
        #expect(merged[1].confidence == 0.8 && merged[3].confidence == 0.9)
        #expect(matcher.matches(merged.map(\.word)).map(\.anatomy) == ["heart", "kidneys"])
        #expect(KeywordMerge.merge(words: [], hits: [], matcher: matcher).isEmpty)
        #expect(KeywordMerge.merge(words: [], hits: [hits[1]], matcher: matcher).map(\.word) == ["kidneys"])
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: SpeechRecognizer.Settings().acousticModel + "/mdef"),
                   "pocketsphinx-en-us is not installed (./build.sh deps)"))
    func spotsAKeywordOfAnEspeakUtteranceWhereItWasSaid() throws {
        let scratch = ScratchFolder("showtell-kws")
        let directory = scratch.path
        let (pronouncing, dictionaryPath) = try Self.pronouncing(in: directory)
        let spotter = try KeywordSpotter(keywords: Self.keywords, pronouncing: pronouncing, pronunciations: dictionaryPath,
                                         keyphraseFile: directory + "/keyphrases.txt")
        let written = try String(contentsOfFile: directory + "/keyphrases.txt", encoding: .utf8)
        #expect(written.contains("heart(2) /1e-30/\n") && written.contains("four chamber /1e-30/\n"))

        let utterance = try EspeakSynthesizer.shared.synthesize("both kidneys look normal", voice: NarrationVoice(name: "en-us+m1", rate: 140, pitch: 45, pitchRange: 50))
        let rate = Double(EspeakSynthesizer.outputRate)
        let kidneys = try #require(utterance.words.first { $0.text.lowercased().hasPrefix("kidneys") })
        let quiet = [Float](repeating: 0.0005, count: Int(rate / 2))
        let pcm = try Resampler.convert(quiet + utterance.samples + quiet, from: rate, to: 16_000).map { Int16(max(-32768, min(32767, $0 * 32768))) }
        let offset = 10.0
        let candidates = try pcm.withUnsafeBufferPointer { try spotter.candidates($0, startTime: offset) }
        let duration = Double(pcm.count) / 16_000
        #expect(!candidates.isEmpty)
        #expect(candidates.allSatisfy { $0.start >= offset && $0.end <= offset + duration + 0.05 && $0.start < $0.end })
        // Where "kidneys" was said (plus the half second of lead-in), the decoder proposes it.
        let said = (offset + 0.5 + Double(kidneys.start) / rate, offset + 0.5 + Double(kidneys.end) / rate)
        #expect(candidates.contains { $0.phrase == "kidneys" && $0.start < said.1 && $0.end > said.0 }, "\(candidates.filter { $0.phrase == "kidneys" }), said \(said)")
        // Near silence: nothing survives the thresholds.
        let silence = [Int16](repeating: 0, count: 16_000)
        #expect(try silence.withUnsafeBufferPointer { try spotter.spot($0, startTime: 0) }.isEmpty)
    }
}
