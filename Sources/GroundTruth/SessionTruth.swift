import MediaFormats

/// A session's ground truth: what was said, by whom and when, and what each video frame
/// shows (plane, anatomy polygons, gaze). Only for measuring (prep reports, evaluation) and
/// the supervised upper-bound baseline; the self-supervised pipeline (module Prep) does not
/// depend on this module and cannot reach it.
public struct SessionTruth: Sendable {
    /// One spoken word of transcript.vtt.
    public struct Word: Sendable, Equatable {
        public var start: Double
        public var end: Double
        /// "sonographer", "parent", "colleague" (the transcript's voice spans), or "" if none.
        public var speaker: String
        public var text: String
    }

    public let directory: String
    public let fps: Double
    public let duration: Double
    public let words: [Word]
    /// One label per video frame, in order.
    public let frames: [FrameLabel]

    /// The speaker the appliance should listen to.
    public static let sonographer = "sonographer"

    /// Reads and cross-checks the session folder (all of session.json, transcript.vtt and
    /// labels.jsonl must be present).
    public static func read(directory: String) throws(SessionError) -> SessionTruth {
        let session = try SessionFolder(path: directory).open()
        guard let cues = session.transcript else {
            throw SessionError(path: session.folder.transcriptPath, problem: "this session has no transcript (session.json hasTranscript is false)")
        }
        guard let labels = session.labels else {
            throw SessionError(path: session.folder.labelsPath, problem: "this session has no labels (session.json hasLabels is false)")
        }
        var words: [Word] = []
        for cue in cues {
            // A cue may hold a phrase: spread its words evenly over the cue.
            let parts = cue.text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            guard !parts.isEmpty else { continue }
            let step = (cue.end - cue.start) / Double(parts.count)
            for (i, part) in parts.enumerated() {
                words.append(Word(start: cue.start + Double(i) * step, end: cue.start + Double(i + 1) * step,
                                  speaker: cue.speaker ?? "", text: String(part)))
            }
        }
        words.sort { $0.start < $1.start }
        return SessionTruth(directory: directory, fps: session.manifest.fps, duration: session.manifest.duration,
                            words: words, frames: labels)
    }

    /// Reference speaker turns: a speaker's consecutive words joined across pauses shorter
    /// than `join` seconds (words of one utterance; the generator keeps at least 0.25 s between
    /// different utterances).
    public func speakerTurns(join: Double = 0.3) -> [(start: Double, end: Double, speaker: String)] {
        var turns: [(start: Double, end: Double, speaker: String)] = []
        for word in words {
            if let last = turns.last, last.speaker == word.speaker, word.start - last.end < join {
                turns[turns.count - 1].end = max(last.end, word.end)
            } else {
                turns.append((word.start, word.end, word.speaker))
            }
        }
        return turns
    }

    /// The label of the frame shown at `time` seconds.
    public func frame(at time: Double) -> FrameLabel? {
        guard !frames.isEmpty else { return nil }
        return frames[min(max(Int((time * fps).rounded(.down)), 0), frames.count - 1)]
    }
}
