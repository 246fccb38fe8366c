import CPocketSphinx
import Foundation
import Platform

/// The recogniser's language model, adapted to the domain with nothing but the keyword
/// dictionary and general English: the `vocabularySize` most probable words of pocketsphinx's
/// general US English model (en-us.lm.bin) with the bigrams among them, plus every spoken
/// form of the keyword dictionary, boosted. Written as an ARPA text file.
///
/// Why not the general model itself: 130k words decode at about real time on one core; a few
/// thousand words decode far faster, and an ultrasound room's talk is mostly common words.
public enum DomainLanguageModel {
    public struct Settings: Sendable, Equatable, Codable {
        public var generalModel = "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"
        public var vocabularySize = 3_000
        /// log10 unigram probability of each keyword word (a common word is about -2.5).
        public var keywordLog10Probability = -2.3
        /// log10 probability of the next word of a multi-word form given the previous one.
        public var phraseLog10Probability = -0.3
        public init() {}
    }

    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { "language model: \(message)" }
    }

    /// Builds the model into `path` (atomically). `knows` tells which words the recogniser
    /// can pronounce; others are left out. Returns the keyword words left out.
    @discardableResult
    public static func build(keywords: KeywordDictionary, settings: Settings, path: String,
                             knows: (String) -> Bool) throws(Failure) -> [String] {
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

        // Unigrams by probability.
        let vocabulary = Int(ngram_model_get_counts(general)[0])
        var unigrams: [(word: String, id: Int32, log10p: Double)] = []
        unigrams.reserveCapacity(vocabulary)
        for id in 0..<Int32(vocabulary) {
            guard let text = ngram_word(general, id) else { continue }
            var used: Int32 = 0
            let score = ngram_ng_score(general, id, nil, 0, &used)
            unigrams.append((String(cString: text), id, logmath_log_to_log10(logMath, score)))
        }
        let sentenceMarks = ["<s>", "</s>"]
        let chosen = unigrams
            .filter { !sentenceMarks.contains($0.word) && $0.word.allSatisfy { $0.isLetter || $0 == "'" } && knows($0.word) }
            .sorted { ($0.log10p, $1.word) > ($1.log10p, $0.word) }
        var kept: [String: (id: Int32, log10p: Double)] = [:]
        for entry in chosen.prefix(settings.vocabularySize) { kept[entry.word] = (entry.id, entry.log10p) }
        for mark in sentenceMarks { if let entry = unigrams.first(where: { $0.word == mark }) { kept[mark] = (entry.id, entry.log10p) } }
        let idOf = Dictionary(unigrams.map { ($0.word, $0.id) }, uniquingKeysWith: { a, _ in a })

        // Keyword words: boosted unigrams (added when the general list lacks them).
        var missing: [String] = []
        var phrases: [[String]] = []
        var boosted: [String: Double] = [:]
        for form in keywords.allForms {
            let words = form.split(separator: " ").map(String.init)
            if words.contains(where: { !knows($0) }) { missing.append(form); continue }
            for word in words { boosted[word] = settings.keywordLog10Probability }
            if words.count > 1 { phrases.append(words) }
        }

        // Bigrams of the general model among the kept words; a history's backoff weight is
        // read off a pair the model scores by backing off (score = backoff + unigram).
        var lines1: [String: (Double, Double)] = [:]
        var bigrams: [String: Double] = [:]
        let keptWords = kept.keys.sorted()
        for first in keptWords {
            let history = kept[first]!
            var backoff = 0.0
            var backoffKnown = false
            if first != "</s>" {
                for second in keptWords where second != "<s>" {
                    let target = kept[second]!
                    var used: Int32 = 0
                    let score = logmath_log_to_log10(logMath, ngram_bg_score(general, target.id, history.id, &used))
                    if used == 2 {
                        bigrams["\(first) \(second)"] = score
                    } else if !backoffKnown {
                        backoff = score - target.log10p
                        backoffKnown = true
                    }
                }
            }
            lines1[first] = (first == "<s>" ? -99 : history.log10p, backoff)
        }
        for (word, probability) in boosted {
            let old = lines1[word]
            lines1[word] = (max(old?.0 ?? -99, probability), old?.1 ?? 0)
            _ = idOf
        }
        for words in phrases {
            for i in 1..<words.count {
                let key = "\(words[i - 1]) \(words[i])"
                bigrams[key] = max(bigrams[key] ?? -99, settings.phraseLog10Probability)
            }
        }

        var text = "\\data\\\nngram 1=\(lines1.count)\nngram 2=\(bigrams.count)\n\n\\1-grams:\n"
        for (word, value) in lines1.sorted(by: { $0.key < $1.key }) {
            text += "\(format(value.0)) \(word) \(format(value.1))\n"
        }
        text += "\n\\2-grams:\n"
        for (pair, value) in bigrams.sorted(by: { $0.key < $1.key }) { text += "\(format(value)) \(pair)\n" }
        text += "\n\\end\\\n"
        do { try FileIO.writeAtomically(path, Array(text.utf8)) } catch { throw Failure(message: "\(path): \(error)") }
        return missing
    }

    private static func format(_ value: Double) -> String { String(format: "%.4f", max(value, -99)) }
}
