/// Maps a word sequence to anatomy names with the keyword dictionary: at each position the
/// longest spoken form that matches wins ("four chamber" before "four"); matched words are
/// consumed. Words are compared after `KeywordDictionary.normalise`.
public struct KeywordMatcher: Sendable {
    public struct Match: Sendable, Equatable {
        /// Index of the first and one past the last matched word.
        public var range: Range<Int>
        public var anatomy: String
    }

    private let forms: [[String]: String]
    private let longest: Int

    public init(_ dictionary: KeywordDictionary) {
        var forms: [[String]: String] = [:]
        for entry in dictionary.anatomy {
            for form in entry.forms { forms[form.split(separator: " ").map(String.init)] = entry.name }
        }
        self.forms = forms
        longest = forms.keys.map(\.count).max() ?? 0
    }

    public func matches(_ words: [String]) -> [Match] {
        let normalised = words.map { KeywordDictionary.normalise($0) }
        var result: [Match] = []
        var i = 0
        while i < normalised.count {
            var found: Match?
            var length = min(longest, normalised.count - i)
            while length > 0, found == nil {
                let candidate = Array(normalised[i..<(i + length)])
                // A normalised word may itself hold spaces ("x-ray"): compare word by word.
                let key = candidate.flatMap { $0.split(separator: " ").map(String.init) }
                if let name = forms[key] { found = Match(range: i..<(i + length), anatomy: name) }
                length -= 1
            }
            if let found {
                result.append(found)
                i = found.range.upperBound
            } else {
                i += 1
            }
        }
        return result
    }
}
