/// Merges the keyword-spotting pass into the language-model pass's words: a spotted keyword
/// replaces the words it covers (those whose middle lies inside the hit), with the hit's
/// timing (split evenly over a phrase's words) and confidence. A hit is dropped when the LM
/// pass already has a keyword of the same anatomy within `nearSeconds` of it: that word's
/// own timing and posterior are kept.
public enum KeywordMerge {
    public static let nearSeconds = 0.3

    public static func merge(words: [RecognizedWord], hits: [KeywordHit], matcher: KeywordMatcher) -> [RecognizedWord] {
        var result = words
        for hit in hits {
            let phraseWords = hit.phrase.split(separator: " ").map(String.init)
            guard let anatomy = matcher.matches(phraseWords).first?.anatomy else { continue }
            let known = matcher.matches(result.map(\.word)).contains { match in
                match.anatomy == anatomy && result[match.range.lowerBound].start < hit.end + nearSeconds
                    && result[match.range.upperBound - 1].end > hit.start - nearSeconds
            }
            if known { continue }
            result.removeAll { word in
                let middle = (word.start + word.end) / 2
                return middle >= hit.start && middle <= hit.end
            }
            let step = (hit.end - hit.start) / Double(phraseWords.count)
            let inserted = phraseWords.enumerated().map { i, word in
                RecognizedWord(word: word, start: hit.start + Double(i) * step, end: hit.start + Double(i + 1) * step, confidence: hit.confidence)
            }
            let at = result.firstIndex { $0.start > hit.start } ?? result.count
            result.insert(contentsOf: inserted, at: at)
        }
        return result
    }
}
