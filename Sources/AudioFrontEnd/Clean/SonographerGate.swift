/// Whose speech drives the heatmap: the sonographer's, at the machine. Two checks on each
/// 0.6 s window the voice detector calls speech:
/// - near: its speech band stands `minimumAboveNoiseDB` above the tracked noise floor (a
///   voice across a noisy room does not);
/// - the sonographer's level: it is at most `belowSonographerDB` quieter than the
///   sonographer's running speech level. In a quiet room a parent or colleague two metres
///   away passes the first check easily, but speaks 15-25 dB below the person at the
///   machine. The running level rises quickly with louder speech and sinks slowly (a time
///   constant of about 200 speech windows, 20 s of talk), so the sonographer, who talks
///   most and nearest, sets it and a minute of another voice does not take it over.
/// A value type with no buffers: the loop calls it every audio hop without allocating.
public struct SonographerGate: Sendable, Equatable {
    public var minimumAboveNoiseDB: Float
    /// 0 turns the second check off.
    public var belowSonographerDB: Float
    public var rise: Float = 0.3
    public var fall: Float = 0.005
    /// The sonographer's running speech level (dB, the front-end's scale); nil before any speech.
    public private(set) var sonographerLevelDB: Float?

    public init(minimumAboveNoiseDB: Float, belowSonographerDB: Float) {
        self.minimumAboveNoiseDB = minimumAboveNoiseDB
        self.belowSonographerDB = belowSonographerDB
    }

    /// `voice`: the window is speech (its speech fraction passed the loop's threshold).
    public mutating func admits(_ report: SpeechFrontEnd.WindowReport, voice: Bool) -> Bool {
        guard voice else { return false }
        let level = report.noiseFloorDB + report.speechToNoiseDB
        if let tracked = sonographerLevelDB {
            sonographerLevelDB = tracked + (level > tracked ? rise : fall) * (level - tracked)
        } else {
            sonographerLevelDB = level
        }
        guard report.speechToNoiseDB >= minimumAboveNoiseDB else { return false }
        guard belowSonographerDB > 0, let tracked = sonographerLevelDB else { return true }
        return level >= tracked - belowSonographerDB
    }
}
