import CPocketSphinx
import Glibc
import Platform

/// One keyword-spotting detection: a spoken form of the keyword dictionary heard at a time.
public struct KeywordHit: Sendable, Equatable, Codable {
    /// The spoken form ("four chamber"), lower case, without pronunciation markers.
    public var phrase: String
    public var start: Double
    public var end: Double
    /// pocketsphinx's detection score (keyphrase path against its phone loop, log domain)
    /// divided by the hit's frames: comparable across phrases of different length.
    public var scorePerFrame: Double
    /// Phones of the keyphrase pronunciation that was heard (sets the threshold).
    public var phones: Int
    /// 0...1, 0.5 at the threshold (a logistic of the margin; set by `select`). Not a
    /// posterior: keyword spotting has no lattice.
    public var confidence: Double

    public init(phrase: String, start: Double, end: Double, scorePerFrame: Double, phones: Int, confidence: Double = 0) {
        self.phrase = phrase
        self.start = start
        self.end = end
        self.scorePerFrame = scorePerFrame
        self.phones = phones
        self.confidence = confidence
    }
}

/// The second recognition pass: pocketsphinx's keyword-spotting search (`-kws`) over the
/// kept speaker's utterances, listening only for the spoken forms of the keyword dictionary
/// (every pronunciation of every form, British ones included, as separate keyphrases).
///
/// Why: the language-model pass hears espeak-ng voices badly and so rarely puts a keyword
/// into its one best path; keyword spotting scores each keyphrase against a free phone loop
/// at every frame, so a keyword the LM pass misses can still be found. The decoder runs with
/// a permissive threshold (every candidate out), and the hits are filtered here: the best per
/// overlapping group (any phrase) wins, and it is kept when its per-frame score reaches the
/// threshold for its length (short keyphrases are the most often falsely triggered). The
/// thresholds were tuned on the training set only (README: prep).
public final class KeywordSpotter {
    public struct Settings: Sendable, Equatable, Codable {
        /// Run the pass at all.
        public var enabled = true
        /// Phone-loop probability (pocketsphinx default 1e-1): lower lets more keyphrase
        /// paths compete; measured better on train (recall before filtering 87 % vs 75 %).
        public var phoneLoopProbability = "1e-5"
        /// The decoder's own threshold, kept permissive: filtering happens on the scores.
        public var decoderThreshold = "1e-30"
        /// Minimum per-frame score by keyphrase length: up to `shortPhones` phones, up to
        /// `mediumPhones`, longer. Units: pocketsphinx log score per 10 ms frame.
        public var shortPhones = 4
        public var mediumPhones = 7
        public var thresholds = [-30.0, -25.0, -20.0]
        /// Margin (score units per frame) that moves a hit's confidence from 0.5 to 0.73.
        public var confidenceScale = 5.0
        public init() {}

        public func threshold(phones: Int) -> Double {
            phones <= shortPhones ? thresholds[0] : phones <= mediumPhones ? thresholds[1] : thresholds[2]
        }
    }

    public typealias Failure = SpeechRecognizer.Failure

    public let settings: Settings
    private let decoder: PocketSphinxDecoder
    /// Keyphrase as the decoder knows it ("heart(2)") -> (spoken form, phones).
    private let keyphrases: [String: (phrase: String, phones: Int)]

    /// The keyphrase list for `keywords`: each form once per combination of its words'
    /// pronunciations ("heart(2)" is the dictionary's second pronunciation of "heart").
    /// Forms with a word the pronouncing dictionary lacks are left out.
    public static func keyphrases(_ keywords: KeywordDictionary, pronouncing: PronouncingDictionary) -> [(keyphrase: String, phrase: String, phones: Int)] {
        var result: [(String, String, Int)] = []
        for form in keywords.allForms {
            let words = form.split(separator: " ").map(String.init)
            let alternatives = words.map { pronouncing.pronunciations($0) }
            guard alternatives.allSatisfy({ !$0.isEmpty }) else { continue }
            var combos: [(names: [String], phones: Int)] = [([], 0)]
            for (word, list) in zip(words, alternatives) {
                combos = combos.flatMap { combo in
                    list.enumerated().map { i, phones in
                        (combo.names + [i == 0 ? word : "\(word)(\(i + 1))"], combo.phones + phones.split(separator: " ").count)
                    }
                }
            }
            for combo in combos { result.append((combo.names.joined(separator: " "), form, combo.phones)) }
        }
        return result
    }

    /// - Parameters:
    ///   - pronunciations: a pocketsphinx dictionary holding every keyword word with its
    ///     alternates (the domain dictionary `DomainLanguageModel` writes does).
    ///   - keyphraseFile: where to write the keyphrase list the decoder reads.
    public init(keywords: KeywordDictionary, pronouncing: PronouncingDictionary, pronunciations: String, keyphraseFile: String,
                acousticModel: String = SpeechRecognizer.Settings().acousticModel, settings: Settings = Settings()) throws(Failure) {
        self.settings = settings
        let list = Self.keyphrases(keywords, pronouncing: pronouncing)
        guard !list.isEmpty else { throw Failure(message: "no keyword of the dictionary can be pronounced: nothing to spot") }
        keyphrases = Dictionary(list.map { ($0.keyphrase, ($0.phrase, $0.phones)) }, uniquingKeysWith: { a, _ in a })
        let text = list.map { "\($0.keyphrase) /\(settings.decoderThreshold)/\n" }.joined()
        do { try FileIO.writeAtomically(keyphraseFile, Array(text.utf8)) } catch { throw Failure(message: "\(keyphraseFile): \(error)") }
        decoder = try PocketSphinxDecoder(
            options: ["-hmm", acousticModel, "-dict", pronunciations, "-kws", keyphraseFile, "-kws_plp", settings.phoneLoopProbability],
            files: PocketSphinxDecoder.acousticModelFiles(acousticModel) + [("pronouncing dictionary", pronunciations)],
            purpose: "keyword spotting")
    }

    /// Every detection the decoder reports in one utterance (16 kHz), unfiltered; times offset
    /// by `startTime` seconds.
    public func candidates(_ samples: UnsafeBufferPointer<Int16>, startTime: Double) throws(Failure) -> [KeywordHit] {
        try decoder.decodeUtterance(samples, purpose: "keyword spotting")
        var hits: [KeywordHit] = []
        var segment = ps_seg_iter(decoder.pointer)
        while let current = segment {
            defer { segment = ps_seg_next(current) }
            guard let raw = ps_seg_word(current) else { continue }
            let name = String(cString: raw).split(separator: " ").joined(separator: " ")
            guard let known = keyphrases[name] else { continue }
            var startFrame: Int32 = 0, endFrame: Int32 = 0
            ps_seg_frames(current, &startFrame, &endFrame)
            var acoustic: Int32 = 0, language: Int32 = 0, backoff: Int32 = 0
            let score = ps_seg_prob(current, &acoustic, &language, &backoff)
            let frames = max(1, Int(endFrame - startFrame + 1))
            hits.append(KeywordHit(phrase: known.phrase, start: startTime + Double(startFrame) / 100,
                                   end: startTime + Double(endFrame + 1) / 100,
                                   scorePerFrame: Double(score) / Double(frames), phones: known.phones))
        }
        return hits
    }

    /// The hits kept: `select(candidates)` applied to this utterance's candidates.
    public func spot(_ samples: UnsafeBufferPointer<Int16>, startTime: Double) throws(Failure) -> [KeywordHit] {
        select(try candidates(samples, startTime: startTime))
    }

    /// Filters candidates: among hits overlapping in time (whatever their phrase) the best
    /// per-frame score wins; a winner is kept when it reaches its length's threshold. In time order.
    public func select(_ candidates: [KeywordHit]) -> [KeywordHit] {
        Self.select(candidates, settings: settings)
    }

    public static func select(_ candidates: [KeywordHit], settings: Settings) -> [KeywordHit] {
        var winners: [KeywordHit] = []
        for hit in candidates.sorted(by: { ($0.scorePerFrame, $1.start) > ($1.scorePerFrame, $0.start) })
        where !winners.contains(where: { $0.start < hit.end && hit.start < $0.end }) {
            winners.append(hit)
        }
        return winners.compactMap { hit in
            let margin = hit.scorePerFrame - settings.threshold(phones: hit.phones)
            guard margin >= 0 else { return nil }
            var kept = hit
            kept.confidence = 1 / (1 + exp(-margin / settings.confidenceScale))
            return kept
        }.sorted { $0.start < $1.start }
    }
}
