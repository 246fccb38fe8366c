/// What a generated narration should sound like. Per scan the generator draws each value
/// from its range, so a data set covers the ranges.
public struct NarrationMix: Sendable, Equatable {
    /// Fraction of the session in which someone speaks (a real scan is mostly quiet).
    public var speechFraction: ClosedRange<Double> = 0.2...0.4
    /// Speech-to-noise ratio per speaker in dB: speech power over the speaker's active
    /// samples against the room noise's power over the whole session.
    public var snrDB: [NarrationSpeaker: ClosedRange<Double>] = [
        .sonographer: 8...25, .parent: 0...15, .colleague: -3...10,
    ]
    /// Chance that a speaker takes part in a scan at all.
    public var presence: [NarrationSpeaker: Double] = [.sonographer: 1, .parent: 0.85, .colleague: 0.5]
    /// RMS of the stationary room noise (fan and hum) in dB full scale.
    public var noiseFloorDBFS: ClosedRange<Double> = -50 ... -38
    /// Seconds from a plane being held to the sonographer's first word about it.
    public var sonographerLag: ClosedRange<Double> = 0.5...2.0
    /// Distant sirens, on average per minute.
    public var sirensPerMinute: Double = 0.1
    /// Keep each speaker's clean track and the noise track in the result (for measurements;
    /// costs four session-length buffers).
    public var keepStems: Bool = false
    /// Small talk may repeat within a scan. Without it the phrase banks run out near 40 % speech,
    /// so a busy room (load tests of the appliance) needs it; off by default so datasets made
    /// before it existed stay byte-identical.
    public var repeatsChatter: Bool = false
    /// Which espeak-ng accents and variants the speakers are drawn from.
    public var voices: VoicePool = .all

    public init() {}
}
