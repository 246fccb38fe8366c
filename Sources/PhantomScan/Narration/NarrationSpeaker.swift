/// Who talks in a phantom scan.
public enum NarrationSpeaker: String, CaseIterable, Sendable {
    /// Describes the screen and chats; the voice the appliance listens to.
    case sonographer
    /// The expectant parent: questions and reactions, further from the microphone.
    case parent
    /// A colleague passing by: unrelated talk.
    case colleague
}

/// How one speaker sounds: an espeak-ng voice (language with optional "+variant") and its
/// rate and pitch.
public struct NarrationVoice: Sendable, Equatable {
    public var name: String
    /// Words per minute.
    public var rate: Int
    /// Base pitch 0...100 (50 is espeak's normal).
    public var pitch: Int
    /// Intonation range 0...100 (0 is monotone).
    public var pitchRange: Int

    public init(name: String, rate: Int, pitch: Int, pitchRange: Int) {
        self.name = name
        self.rate = rate
        self.pitch = pitch
        self.pitchRange = pitchRange
    }
}
