import Prep

/// Anatomy-keyword precision and recall: a spoken keyword (the dictionary matched on the
/// sonographer's true words) is found when a detection (the dictionary matched on the
/// recognised words) names the same anatomy and starts within `tolerance` seconds of the
/// spoken keyword ([start - tolerance, end + tolerance]). One-to-one, in time order.
public struct KeywordScore: Sendable, Equatable, Codable {
    public var spoken: Int = 0
    public var detected: Int = 0
    public var found: Int = 0
    public var recall: Double { spoken > 0 ? Double(found) / Double(spoken) : 0 }
    public var precision: Double { detected > 0 ? Double(found) / Double(detected) : 0 }

    public struct Event: Sendable, Equatable {
        public var anatomy: String
        public var start: Double
        public var end: Double
        public init(anatomy: String, start: Double, end: Double) {
            self.anatomy = anatomy
            self.start = start
            self.end = end
        }
    }

    public static func add(_ a: KeywordScore, _ b: KeywordScore) -> KeywordScore {
        KeywordScore(spoken: a.spoken + b.spoken, detected: a.detected + b.detected, found: a.found + b.found)
    }

    /// Keyword events of a word sequence.
    public static func events(_ words: [(text: String, start: Double, end: Double)], matcher: KeywordMatcher) -> [Event] {
        matcher.matches(words.map(\.text)).map {
            Event(anatomy: $0.anatomy, start: words[$0.range.lowerBound].start, end: words[$0.range.upperBound - 1].end)
        }
    }

    /// Overall and per-anatomy scores.
    public static func score(spoken: [Event], detected: [Event], tolerance: Double = 0.5) -> (total: KeywordScore, perAnatomy: [String: KeywordScore]) {
        var used = [Bool](repeating: false, count: detected.count)
        var perAnatomy: [String: KeywordScore] = [:]
        var total = KeywordScore(spoken: spoken.count, detected: detected.count, found: 0)
        for event in spoken { perAnatomy[event.anatomy, default: KeywordScore()].spoken += 1 }
        for event in detected { perAnatomy[event.anatomy, default: KeywordScore()].detected += 1 }
        for event in spoken {
            var best = -1
            var bestDistance = Double.infinity
            for (j, candidate) in detected.enumerated() where !used[j] && candidate.anatomy == event.anatomy {
                let distance = candidate.start < event.start ? event.start - candidate.start : max(0, candidate.start - event.end)
                if distance <= tolerance && distance < bestDistance { best = j; bestDistance = distance }
            }
            if best >= 0 {
                used[best] = true
                total.found += 1
                perAnatomy[event.anatomy]!.found += 1
            }
        }
        return (total, perAnatomy)
    }
}
