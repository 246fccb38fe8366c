/// One word (or, in `Narration.phrases`, one phrase) of the narration, with exact times in
/// seconds from session start. The lead converts these to transcript cues.
public struct SpokenWord: Sendable, Equatable {
    public var start: Double
    public var end: Double
    /// `NarrationSpeaker` raw value: "sonographer", "parent" or "colleague".
    public var speaker: String
    public var text: String
    /// For phrases: the AnatomyName the sonographer is talking about on screen, if any (the
    /// ground truth for what the heatmap should show while this is said).
    public var anatomy: String?

    public init(start: Double, end: Double, speaker: String, text: String, anatomy: String? = nil) {
        self.start = start
        self.end = end
        self.speaker = speaker
        self.text = text
        self.anatomy = anatomy
    }
}
