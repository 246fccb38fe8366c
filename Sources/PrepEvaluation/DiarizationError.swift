/// Diarization error rate, the standard (NIST md-eval) definition on a 10 ms grid:
/// DER = (missed speech + false alarm + speaker confusion) / reference speech, with a collar
/// of `collar` seconds around every reference turn boundary left unscored, and hypothesis
/// speakers mapped one-to-one to reference speakers to maximise their overlap (exhaustive over
/// assignments; a phantom scan has at most a handful of speakers).
public struct DiarizationError: Sendable, Equatable, Codable {
    public var scoredSeconds: Double
    public var missed: Double
    public var falseAlarm: Double
    public var confusion: Double
    public var rate: Double { scoredSeconds > 0 ? (missed + falseAlarm + confusion) / scoredSeconds : 0 }

    public typealias Turn = (start: Double, end: Double, speaker: String)

    public static func compute(reference: [Turn], hypothesis: [Turn], duration: Double, collar: Double = 0.25) -> DiarizationError {
        let step = 0.01
        let n = Int((duration / step).rounded(.up))
        func grid(_ turns: [Turn], _ ids: inout [String]) -> [Int] {
            var g = [Int](repeating: -1, count: n)
            for turn in turns {
                var id = ids.firstIndex(of: turn.speaker) ?? -1
                if id < 0 { ids.append(turn.speaker); id = ids.count - 1 }
                let a = max(0, Int((turn.start / step).rounded())), b = min(n, Int((turn.end / step).rounded()))
                if a < b { for i in a..<b { g[i] = id } }
            }
            return g
        }
        var refIDs: [String] = [], hypIDs: [String] = []
        let ref = grid(reference, &refIDs), hyp = grid(hypothesis, &hypIDs)
        var scored = [Bool](repeating: true, count: n)
        let c = Int((collar / step).rounded())
        for turn in reference {
            for boundary in [turn.start, turn.end] {
                let centre = Int((boundary / step).rounded())
                for i in max(0, centre - c)..<min(n, centre + c) { scored[i] = false }
            }
        }
        // Overlap counts between hypothesis and reference speakers over scored frames.
        var overlap = [[Int]](repeating: [Int](repeating: 0, count: refIDs.count), count: hypIDs.count)
        var refFrames = 0, missed = 0, falseAlarm = 0, both = 0
        for i in 0..<n where scored[i] {
            if ref[i] >= 0 { refFrames += 1 }
            if ref[i] >= 0 && hyp[i] < 0 { missed += 1 }
            if ref[i] < 0 && hyp[i] >= 0 { falseAlarm += 1 }
            if ref[i] >= 0 && hyp[i] >= 0 { both += 1; overlap[hyp[i]][ref[i]] += 1 }
        }
        let matched = bestAssignment(overlap, refCount: refIDs.count)
        return DiarizationError(scoredSeconds: Double(refFrames) * step, missed: Double(missed) * step,
                                falseAlarm: Double(falseAlarm) * step, confusion: Double(both - matched) * step)
    }

    /// Largest total overlap of a one-to-one map from hypothesis to reference speakers.
    static func bestAssignment(_ overlap: [[Int]], refCount: Int) -> Int {
        var best = 0
        var used = [Bool](repeating: false, count: refCount)
        func search(_ h: Int, _ total: Int) {
            if h == overlap.count { best = max(best, total); return }
            search(h + 1, total)  // this hypothesis speaker maps to nobody
            for r in 0..<refCount where !used[r] {
                used[r] = true
                search(h + 1, total + overlap[h][r])
                used[r] = false
            }
        }
        if overlap.count <= 8 { search(0, 0) } else {
            // Greedy beyond 8 hypothesis speakers (exhaustive search would explode).
            var pairs: [(Int, Int, Int)] = []
            for h in 0..<overlap.count { for r in 0..<refCount { pairs.append((overlap[h][r], h, r)) } }
            var usedH = Set<Int>()
            for (value, h, r) in pairs.sorted(by: { $0.0 > $1.0 }) where !usedH.contains(h) && !used[r] {
                usedH.insert(h); used[r] = true; best += value
            }
        }
        return best
    }
}

/// Word error rate: (substitutions + deletions + insertions) / reference words, by
/// Levenshtein alignment of the two word sequences.
public struct WordErrorRate: Sendable, Equatable, Codable {
    public var referenceWords: Int
    public var substitutions: Int
    public var deletions: Int
    public var insertions: Int
    public var rate: Double { referenceWords > 0 ? Double(substitutions + deletions + insertions) / Double(referenceWords) : 0 }

    public static func compute(reference: [String], hypothesis: [String]) -> WordErrorRate {
        let n = reference.count, m = hypothesis.count
        // cost, substitutions, deletions, insertions per cell; two rows.
        var previous = (0...m).map { (cost: $0, s: 0, d: 0, i: $0) }
        for r in 1...max(n, 1) where n > 0 {
            var current = [(cost: r, s: 0, d: r, i: 0)]
            for h in 1...max(m, 1) where m > 0 {
                let same = reference[r - 1] == hypothesis[h - 1]
                let diagonal = previous[h - 1]
                var best = (cost: diagonal.cost + (same ? 0 : 1), s: diagonal.s + (same ? 0 : 1), d: diagonal.d, i: diagonal.i)
                let up = previous[h]
                if up.cost + 1 < best.cost { best = (up.cost + 1, up.s, up.d + 1, up.i) }
                let left = current[h - 1]
                if left.cost + 1 < best.cost { best = (left.cost + 1, left.s, left.d, left.i + 1) }
                current.append(best)
            }
            if m == 0 { current = [(cost: r, s: 0, d: r, i: 0)] }
            previous = current
        }
        let last = n == 0 ? (cost: m, s: 0, d: 0, i: m) : previous[m]
        return WordErrorRate(referenceWords: n, substitutions: last.s, deletions: last.d, insertions: last.i)
    }
}
