import CPocketSphinx
import Glibc

/// One recognised word with its time in the recording and the recogniser's confidence.
public struct RecognizedWord: Sendable, Equatable, Codable {
    /// Lower-case word, or `<unk>` (out of vocabulary or below the confidence threshold).
    public var word: String
    public var start: Double
    public var end: Double
    /// Posterior probability of the word given the utterance (0...1, from the lattice).
    public var confidence: Double

    public init(word: String, start: Double, end: Double, confidence: Double) {
        self.word = word
        self.start = start
        self.end = end
        self.confidence = confidence
    }

    public static let unknown = "<unk>"
}

/// pocketsphinx (CMU Sphinx, Debian 0.8+5prealpha) through its C API: US English acoustic
/// model, the CMU pronouncing dictionary, and the language model given (see
/// `DomainLanguageModel`). Decodes 16 kHz 16-bit mono utterances; word times come from the
/// segment frames (100 per second), confidences from the lattice posteriors (`-bestpath yes`).
public final class SpeechRecognizer {
    public struct Settings: Sendable, Equatable, Codable {
        public var acousticModel = "/usr/share/pocketsphinx/model/en-us/en-us"
        /// The CMU pronouncing dictionary; the recogniser loads only the words of its language
        /// model from it (`DomainLanguageModel` writes that smaller dictionary).
        public var pronunciations = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
        /// Beams trade accuracy for speed (pocketsphinx defaults: 1e-48, 1e-48, 7e-29).
        public var beam = "1e-40"
        public var wordBeam = "1e-30"
        public var phoneBeam = "1e-40"
        /// Most HMMs active per frame (pocketsphinx default: unlimited).
        public var maxActiveHMMs = 2000
        /// Language weight (pocketsphinx default 6.5 for the first pass).
        public var languageWeight = "6.5"
        /// Second, flat-lexicon pass (pocketsphinx default yes): slower, usually more accurate.
        public var flatPass = false
        /// Words with a lower posterior become `<unk>`.
        public var minimumConfidence = 0.2
        public init() {}
    }

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "speech recogniser: \(message)" }
    }

    public static let sampleRate = 16_000
    public let settings: Settings
    private let decoder: PocketSphinxDecoder
    private let logMath: OpaquePointer

    /// - Parameters:
    ///   - languageModel: an ARPA or binary n-gram file.
    ///   - pronunciations: the pronouncing dictionary (default: `settings.pronunciations`).
    public init(languageModel: String, pronunciations: String? = nil, settings: Settings = Settings()) throws(Failure) {
        self.settings = settings
        let dictionary = pronunciations ?? settings.pronunciations
        decoder = try PocketSphinxDecoder(
            options: ["-hmm", settings.acousticModel, "-dict", dictionary, "-lm", languageModel,
                      "-beam", settings.beam, "-wbeam", settings.wordBeam, "-pbeam", settings.phoneBeam,
                      "-maxhmmpf", String(settings.maxActiveHMMs), "-lw", settings.languageWeight,
                      "-bestpath", "yes", "-fwdflat", settings.flatPass ? "yes" : "no"],
            files: PocketSphinxDecoder.acousticModelFiles(settings.acousticModel)
                + [("pronouncing dictionary", dictionary), ("language model", languageModel)],
            purpose: "speech recognition")
        logMath = ps_get_logmath(decoder.pointer)
    }

    /// True if the pronouncing dictionary (or an added pronunciation) knows `word`.
    public func knows(_ word: String) -> Bool {
        guard let phones = ps_lookup_word(decoder.pointer, word) else { return false }
        free(phones)
        return true
    }

    /// Decodes one utterance (16 kHz samples); times are offset by `startTime` seconds.
    public func recognize(_ samples: UnsafeBufferPointer<Int16>, startTime: Double) throws(Failure) -> [RecognizedWord] {
        try decoder.decodeUtterance(samples, purpose: "speech recognition")
        var words: [RecognizedWord] = []
        var segment = ps_seg_iter(decoder.pointer)
        while let current = segment {
            defer { segment = ps_seg_next(current) }
            guard let raw = ps_seg_word(current) else { continue }
            var word = String(cString: raw)
            // Fillers (<s>, </s>, <sil>, [NOISE]...) are not words.
            if word.hasPrefix("<") || word.hasPrefix("[") || word.hasPrefix("++") { continue }
            if let paren = word.firstIndex(of: "(") { word = String(word[..<paren]) }  // alternate pronunciations
            var startFrame: Int32 = 0, endFrame: Int32 = 0
            ps_seg_frames(current, &startFrame, &endFrame)
            var acoustic: Int32 = 0, language: Int32 = 0, backoff: Int32 = 0
            let posterior = logmath_exp(logMath, ps_seg_prob(current, &acoustic, &language, &backoff))
            let confidence = min(max(posterior, 0), 1)
            words.append(RecognizedWord(
                word: confidence < settings.minimumConfidence ? RecognizedWord.unknown : word.lowercased(),
                start: startTime + Double(startFrame) / 100, end: startTime + Double(endFrame + 1) / 100,
                confidence: confidence))
        }
        return words
    }
}
