/// A stretch of time attributed to one speaker (or, before clustering, to nobody yet).
public struct SpeakerSegment: Sendable, Equatable, Codable {
    public var start: Double
    public var end: Double
    /// "S0" is the speaker with the most speech (the sonographer); nil before clustering.
    public var speaker: String?

    public init(start: Double, end: Double, speaker: String? = nil) {
        self.start = start
        self.end = end
        self.speaker = speaker
    }

    public var duration: Double { end - start }
}

/// Speech segments from per-10 ms VAD decisions: runs of speech frames, gaps shorter than
/// `bridge` closed, runs shorter than `minimum` dropped, and runs longer than `maximumPiece`
/// cut into equal pieces (so a speaker change the VAD bridged falls near a piece boundary, and
/// every piece is long enough for a stable embedding).
public struct SpeechSegmenter: Sendable, Equatable, Codable {
    public var bridge = 0.1
    public var minimum = 0.25
    public var maximumPiece = 1.5
    public init() {}

    public func segments(_ speech: [Bool], frameSeconds: Double = 0.01) -> [SpeakerSegment] {
        var runs: [(Int, Int)] = []
        var i = 0
        while i < speech.count {
            guard speech[i] else { i += 1; continue }
            var j = i
            while j < speech.count, speech[j] { j += 1 }
            if let last = runs.last, Double(i - last.1) * frameSeconds < bridge {
                runs[runs.count - 1].1 = j
            } else {
                runs.append((i, j))
            }
            i = j
        }
        var result: [SpeakerSegment] = []
        for (a, b) in runs {
            let start = Double(a) * frameSeconds, end = Double(b) * frameSeconds
            guard end - start >= minimum else { continue }
            let pieces = max(1, Int(((end - start) / maximumPiece).rounded(.up)))
            let length = (end - start) / Double(pieces)
            for p in 0..<pieces {
                result.append(SpeakerSegment(start: start + Double(p) * length, end: p == pieces - 1 ? end : start + Double(p + 1) * length))
            }
        }
        return result
    }
}
