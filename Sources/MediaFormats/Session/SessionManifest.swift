/// session.json: what a recorded or generated session folder contains, so readers can check
/// the media against it.
public struct SessionManifest: Codable, Sendable, Equatable {
    public static let currentFormatVersion = 1

    public var formatVersion: Int
    public var fps: Double
    public var frameWidth: Int
    public var frameHeight: Int
    public var frameCount: Int
    public var audioSampleRate: Int
    public var audioChannels: Int
    /// Seconds (video frames / fps).
    public var duration: Double
    /// What made the session, e.g. "showtell synth 0.1" or "showtelld recorder".
    public var generator: String
    /// The generator's seed, for reproducible phantoms; nil for real recordings.
    public var seed: UInt64?
    /// Whether transcript.vtt and labels.jsonl are part of the session (required if true).
    public var hasTranscript: Bool
    public var hasLabels: Bool

    public init(fps: Double, frameWidth: Int, frameHeight: Int, frameCount: Int, audioSampleRate: Int,
                audioChannels: Int = 1, generator: String, seed: UInt64? = nil, hasTranscript: Bool, hasLabels: Bool) {
        self.formatVersion = Self.currentFormatVersion
        self.fps = fps
        self.frameWidth = frameWidth
        self.frameHeight = frameHeight
        self.frameCount = frameCount
        self.audioSampleRate = audioSampleRate
        self.audioChannels = audioChannels
        self.duration = fps > 0 ? Double(frameCount) / fps : 0
        self.generator = generator
        self.seed = seed
        self.hasTranscript = hasTranscript
        self.hasLabels = hasLabels
    }
}
