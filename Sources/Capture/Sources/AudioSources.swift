import MediaFormats
import Platform

/// A microphone through ALSA as an `AudioSource` (S16_LE converted to float, mono mix).
public final class ALSAAudioSource: AudioSource {
    public let capture: ALSACapture
    private let pcm: UnsafeMutablePointer<Int16>
    private let pcmCapacity: Int

    public init(settings: ALSACapture.Settings) throws {
        capture = try ALSACapture(settings: settings)
        pcmCapacity = capture.periodFrames * settings.channels
        pcm = .allocate(capacity: pcmCapacity)
    }

    deinit { pcm.deallocate() }

    public var sampleRate: Int { capture.rate }
    public var summary: String { "ALSA \(capture.settings.device) \(capture.rate) Hz, period \(capture.periodFrames)" }
    public var lostPeriods: Int { capture.counters.overruns + capture.counters.suspends }
    public let finished = false

    public func read(into samples: UnsafeMutablePointer<Float>, capacity: Int) throws -> (count: Int, firstSampleTime: Int64) {
        let channels = capture.settings.channels
        let frames = min(capture.periodFrames, capacity)
        let (count, time) = try capture.read(into: pcm, frames: frames)
        let scale = 1 / (32_768 * Float(channels))
        for i in 0..<count {
            var sum: Float = 0
            for c in 0..<channels { sum += Float(pcm[i * channels + c]) }
            samples[i] = sum * scale
        }
        return (count, time)
    }
}

/// A recorded session's audio.wav as an `AudioSource`, released in 10 ms periods at its
/// real pace (or as fast as asked) on the replay clock shared with the video.
public final class ReplayAudioSource: AudioSource {
    public let sampleRate: Int
    public let summary: String
    public let lostPeriods = 0
    public private(set) var sanitisedSamples = 0
    private let samples: [Float]
    private let clock: ReplayClock
    private let loop: Bool
    private var position = 0
    private var played = 0
    public private(set) var finished = false

    public init(path: String, clock: ReplayClock, loop: Bool = false) throws {
        let (clip, report) = try WAVFile.read(path, recoverTruncated: true)
        samples = clip.mixedToMono()
        sampleRate = clip.sampleRate
        self.clock = clock
        self.loop = loop
        sanitisedSamples = report.sanitisedSamples
        summary = "replay \(path) \(clip.sampleRate) Hz" + (report.missingBytes > 0 ? " (truncated: \(report.missingBytes) bytes missing)" : "")
            + (report.sanitisedSamples > 0 ? " (\(report.sanitisedSamples) NaN, infinite or over-full-scale samples silenced or clipped)" : "")
    }

    /// Samples already in memory (e.g. a phantom narration), released at their real pace.
    public init(samples: [Float], sampleRate: Int, summary: String, clock: ReplayClock, loop: Bool = false) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.summary = summary
        self.clock = clock
        self.loop = loop
    }

    public func read(into out: UnsafeMutablePointer<Float>, capacity: Int) throws -> (count: Int, firstSampleTime: Int64) {
        if position >= samples.count {
            guard loop, !samples.isEmpty else { finished = true; return (0, clock.time(of: Double(played) / Double(sampleRate))) }
            position = 0
        }
        let count = min(capacity, sampleRate / 100, samples.count - position)
        let start = Double(played) / Double(sampleRate)
        clock.wait(until: Double(played + count) / Double(sampleRate))  // released when fully "recorded"
        samples.withUnsafeBufferPointer { out.update(from: $0.baseAddress! + position, count: count) }
        position += count
        played += count
        return (count, clock.time(of: start))
    }
}
