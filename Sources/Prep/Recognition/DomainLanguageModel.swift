import CPocketSphinx
import Foundation
import Platform

/// The recogniser's language model, adapted to the domain with nothing but the keyword
/// dictionary and general English: the `vocabularySize` most probable words of pocketsphinx's
/// general US English model (en-us.lm.bin) with the bigrams among them (probabilities and
/// backoff weights read from that model), plus every spoken form of the keyword dictionary,
/// boosted (each keyword word gets at least `keywordLog10Probability`; the words of a
/// multi-word form follow each other with `phraseLog10Probability`). Written as an ARPA text
/// file, with a pronouncing dictionary of exactly its words.
///
/// Why not the general model itself: 130k words decode at about real time on one core; a few
/// thousand words decode far faster, and an ultrasound room's talk is mostly common words.
public enum DomainLanguageModel {
    public struct Settings: Sendable, Equatable, Codable {
        public var generalModel = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
        public var vocabularySize = 3_000
        public var keywordLog10Probability = -2.0
        public var phraseLog10Probability = -0.3
        public init() {}
    }

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "language model: \(message)" }
    }

    /// Builds the model into `path` and its dictionary into `dictionaryPath` (atomically).
    /// Returns the keyword forms left out because a word has no pronunciation.
    @discardableResult
    public static func build(keywords: KeywordDictionary, settings: Settings, path: String, dictionaryPath: String,
                             pronouncing: PronouncingDictionary) throws(Failure) -> [String] {
        guard access(settings.generalModel, R_OK) == 0 else {
            throw Failure(message: "\(settings.generalModel) is not readable (install pocketsphinx-en-us: ./build.sh deps)")
        }
        err_set_logfp(nil)
        guard let logMath = logmath_init(1.0001, 0, 0) else { throw Failure(message: "logmath_init failed") }
        guard let general = ngram_model_read(nil, settings.generalModel, NGRAM_AUTO, logMath) else {
            logmath_free(logMath)
            throw Failure(message: "cannot read \(settings.generalModel)")
        }
        defer { ngram_model_free(general) }
        func log10(_ score: Int32) -> Double { logmath_log_to_log10(logMath, score) }

        // General words by unigram probability.
        let count = Int(ngram_model_get_counts(general)[0])
        var unigrams: [(word: String, id: Int32, log10p: Double)] = []
        unigrams.reserveCapacity(count)
        for id in 0..<Int32(count) {
            guard let text = ngram_word(general, id) else { continue }
            var used: Int32 = 0
            unigrams.append((String(cString: text), id, log10(ngram_ng_score(general, id, nil, 0, &used))))
        }
        let generalID = Dictionary(unigrams.map { ($0.word, $0.id) }, uniquingKeysWith: { a, _ in a })
        let marks = ["<s>", "</s>"]
        var vocabulary = unigrams
            .filter { !marks.contains($0.word) && $0.word.allSatisfy { $0.isLetter || $0 == "'" } && pronouncing.knows($0.word) }
            .sorted { ($0.log10p, $1.word) > ($1.log10p, $0.word) }
            .prefix(settings.vocabularySize).map(\.word)

        // Keyword words join the vocabulary.
        var missing: [String] = []
        var phrases: [[String]] = []
        var boosted = Set<String>()
        for form in keywords.allForms {
            let words = form.split(separator: " ").map(String.init)
            if words.contains(where: { !pronouncing.knows($0) }) { missing.append(form); continue }
            boosted.formUnion(words)
            if words.count > 1 { phrases.append(words) }
        }
        for word in boosted.sorted() where !vocabulary.contains(word) { vocabulary.append(word) }
        vocabulary = marks + vocabulary.sorted()
        let index = Dictionary(uniqueKeysWithValues: vocabulary.enumerated().map { ($1, $0) })

        // Unigrams, backoff weights and bigrams of the general model among these words. A
        // history's backoff weight is read off a pair the model scores by backing off
        // (score = backoff + unigram). Keywords the general model lacks back off with 0.
        let n = vocabulary.count
        var probability = [Double](repeating: -99, count: n)
        var backoff = [Double](repeating: 0, count: n)
        var bigrams: [(Int, Int, Double)] = []
        let ids = vocabulary.map { generalID[$0] }
        for (i, id) in ids.enumerated() {
            guard let id else { continue }
            var used: Int32 = 0
            probability[i] = vocabulary[i] == "<s>" ? -99 : log10(ngram_ng_score(general, id, nil, 0, &used))
        }
        // Hot loop (n² lookups): stay in the model's integer log domain; convert only what is kept.
        let present = ids.enumerated().compactMap { i, id in id.map { (i, $0) } }.filter { $0.0 != 0 }
        for (h, history) in present where vocabulary[h] != "</s>" {
            var backoffKnown = false
            for (w, word) in present {
                var used: Int32 = 0
                let score = ngram_bg_score(general, word, history, &used)
                if used == 2 {
                    bigrams.append((h, w, log10(score)))
                } else if !backoffKnown {
                    backoff[h] = log10(score) - probability[w]
                    backoffKnown = true
                }
            }
        }
        if let start = ids[0] {  // <s> as history
            var backoffKnown = false
            for (w, word) in present {
                var used: Int32 = 0
                let score = ngram_bg_score(general, word, start, &used)
                if used == 2 { bigrams.append((0, w, log10(score))) } else if !backoffKnown { backoff[0] = log10(score) - probability[w]; backoffKnown = true }
            }
        }
        for word in boosted { probability[index[word]!] = max(probability[index[word]!], settings.keywordLog10Probability) }
        var phraseBigrams: [Int: [Int: Double]] = [:]
        for words in phrases {
            for i in 1..<words.count { phraseBigrams[index[words[i - 1]]!, default: [:]][index[words[i]]!] = settings.phraseLog10Probability }
        }
        bigrams = bigrams.map { h, w, p in
            if let boost = phraseBigrams[h]?[w] { phraseBigrams[h]![w] = nil; return (h, w, max(p, boost)) }
            return (h, w, p)
        }
        for (h, row) in phraseBigrams { for (w, p) in row { bigrams.append((h, w, p)) } }
        bigrams.sort { ($0.0, $0.1) < ($1.0, $1.1) }

        var text = [UInt8]()
        text.reserveCapacity(24 * (n + bigrams.count))
        func append(_ string: String) { text.append(contentsOf: string.utf8) }
        let names = vocabulary.map { Array($0.utf8) }
        append("\\data\\\nngram 1=\(n)\nngram 2=\(bigrams.count)\n\n\\1-grams:\n")
        for i in 0..<n {
            appendFixed(probability[i], to: &text); text.append(0x20)
            text += names[i]; text.append(0x20)
            appendFixed(backoff[i], to: &text); text.append(0x0A)
        }
        append("\n\\2-grams:\n")
        for (h, w, p) in bigrams {
            appendFixed(p, to: &text); text.append(0x20)
            text += names[h]; text.append(0x20); text += names[w]; text.append(0x0A)
        }
        append("\n\\end\\\n")
        do {
            try FileIO.writeAtomically(path, text)
            try FileIO.writeAtomically(dictionaryPath, Array(pronouncing.lines(for: Array(vocabulary.dropFirst(2))).utf8))
        } catch {
            throw Failure(message: "\(path): \(error)")
        }
        return missing
    }

    /// Appends `value` (clamped to -99) with 4 decimals, as "%.4f" would, without Foundation's formatter (700k calls).
    static func appendFixed(_ value: Double, to text: inout [UInt8]) {
        var scaled = Int((max(value, -99) * 10_000).rounded())
        if scaled < 0 { text.append(UInt8(ascii: "-")); scaled = -scaled }
        text.append(contentsOf: String(scaled / 10_000).utf8)
        text.append(UInt8(ascii: "."))
        let fraction = scaled % 10_000
        for divisor in [1000, 100, 10, 1] { text.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10)) }
    }
}
