import MediaFormats

/// A generated narration track and its ground truth.
public struct Narration: Sendable {
    public var sampleRate: Int
    /// The microphone signal: speech of every speaker over room noise, mono, peak below 1.
    public var audio: [Float]
    /// Every spoken word, ordered by start.
    public var words: [SpokenWord]
    /// Every utterance as one entry (text is the whole phrase), ordered by start.
    public var phrases: [SpokenWord]
    /// One entry per speaker of the scan (absent speakers have no activity).
    public var speakers: [SpeakerTrack]
    /// The room noise as mixed; empty unless `NarrationMix.keepStems`.
    public var noise: [Float]

    /// Fraction of samples in which anyone speaks.
    public var speechFraction: Double {
        guard !audio.isEmpty else { return 0 }
        let ranges = speakers.flatMap(\.activity).sorted { $0.lowerBound < $1.lowerBound }
        var covered = 0
        var reach = 0
        for range in ranges {
            let from = max(range.lowerBound, reach)
            if range.upperBound > from { covered += range.upperBound - from }
            reach = max(reach, range.upperBound)
        }
        return Double(covered) / Double(audio.count)
    }

    public var clip: AudioClip { AudioClip(sampleRate: sampleRate, channels: 1, samples: audio) }
}

/// One speaker of a scan: who, with which voice, at which SNR, and when.
public struct SpeakerTrack: Sendable {
    public var speaker: NarrationSpeaker
    public var voice: NarrationVoice
    /// The speech-to-noise ratio drawn for this scan (see `NarrationMix.snrDB`).
    public var snrDB: Double
    /// Sample ranges in which this speaker talks (first to last word of each utterance).
    public var activity: [Range<Int>]
    /// The speaker's clean speech as mixed; empty unless `NarrationMix.keepStems`.
    public var clean: [Float]
}
