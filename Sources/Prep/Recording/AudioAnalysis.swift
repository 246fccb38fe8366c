import AudioFrontEnd
import MediaFormats

/// The first pass over a recording's audio: the appliance's front-end (resample to 24 kHz,
/// denoise, VAD) for the speech decisions, and the raw mono signal at 16 kHz for speaker
/// features and the recogniser (pocketsphinx's acoustic model is trained at 16 kHz and does its
/// own noise normalisation; measured better than feeding it the suppressor's output).
public struct AudioAnalysis: Sendable {
    /// One decision per 10 ms frame (front-end frames: 240 samples at 24 kHz).
    public var speech: [Bool]
    /// Mono audio at 16 kHz.
    public var samples16k: [Float]
    public var duration: Double

    public static let frameSeconds = 0.01

    public static func run(_ clip: AudioClip, vad: VoiceActivityDetector.Settings = .init()) throws -> AudioAnalysis {
        let mono = clip.mixedToMono()
        var settings = SpeechFrontEnd.Settings()
        settings.vad = vad
        // The VAD reads frames before the denoiser; denoising is not needed for the decisions.
        settings.denoise = false
        let frontEnd = try SpeechFrontEnd(inputRate: clip.sampleRate, settings: settings)
        var speech: [Bool] = []
        speech.reserveCapacity(Int(clip.duration * 100) + 2)
        var done = 0
        let block = clip.sampleRate / 10
        mono.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + block)
                frontEnd.push(UnsafeBufferPointer(rebasing: all[start..<end]))
                let fresh = frontEnd.speechFlagsForNewFrames(since: done)
                speech += fresh
                done = frontEnd.framesDone
                start = end
            }
        }
        let samples16k = try Resampler.convert(mono, from: Double(clip.sampleRate), to: 16_000)
        return AudioAnalysis(speech: speech, samples16k: samples16k, duration: clip.duration)
    }
}
