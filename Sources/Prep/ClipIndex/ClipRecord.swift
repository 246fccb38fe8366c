/// One line of clips.jsonl: a training clip (the paper's 0.6 s of the sonographer's speech
/// with two video frames).
public struct ClipRecord: Sendable, Equatable, Codable {
    public struct Word: Sendable, Equatable, Codable {
        public var word: String
        public var start: Double
        public var end: Double
        public var confidence: Double
        /// Canonical anatomy when the word is (part of) a keyword of the dictionary.
        public var anatomy: String?
    }

    public var session: String
    /// Row of this clip in the session's tensors.
    public var index: Int
    /// Centre time, seconds.
    public var t: Double
    /// The two video frames (at t + frame offsets).
    public var frames: [Int]
    /// Audio window [start, end] seconds.
    public var audio: [Double]
    public var speaker: String
    /// Share of the window's 10 ms frames the VAD called speech.
    public var vad: Double
    /// Recognised words overlapping the window.
    public var words: [Word]
}

/// One recognised word of the kept speaker, with its keyword match.
public typealias TaggedWord = ClipRecord.Word
