import Capture
import MediaFormats
import Platform

/// A phantom scan rendered live as a `VideoSource` (`phantom:SEED` in the config): the same
/// script, renderer and seed as `showtell synth`, paced at 30 fps on a `ReplayClock`, so the
/// appliance can run without a grabber or a recording. Rendering builds the frame's ground
/// truth too, which allocates: use a replay for the allocation benchmark.
public final class PhantomVideoSource: VideoSource {
    public let seed: UInt64
    public let clock: ReplayClock
    public let loop: Bool
    private var renderer: BModeRenderer
    private var image: Image8
    private var frame = 0
    private var played = 0
    public private(set) var finished = false
    public let lostFrames = 0

    /// `minutes`: length of the scan script (it loops when `loop`).
    public init(seed: UInt64, minutes: Double = PhantomSession.defaultMinutes, clock: ReplayClock, loop: Bool = true) {
        self.seed = seed
        self.clock = clock
        self.loop = loop
        renderer = BModeRenderer(timeline: PhantomSession.timeline(seed: seed, minutes: minutes), seed: seed)
        image = renderer.makeImage()
    }

    public var width: Int { image.width }
    public var height: Int { image.height }
    public var summary: String { "phantom scan seed \(seed) \(width)x\(height) 30 fps" + (clock.paced ? "" : " (as fast as possible)") }

    public func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        if frame >= renderer.frameCount {
            guard loop, renderer.frameCount > 0 else { finished = true; return nil }
            frame = 0
        }
        let mediaTime = Double(played) / BModeRenderer.framesPerSecond
        clock.wait(until: mediaTime)
        _ = renderer.render(frame: frame, into: &image)
        frame += 1
        played += 1
        image.pixels.withUnsafeBufferPointer { pixels.update(from: $0.baseAddress!, count: $0.count) }
        return FrameStamp(sequence: played - 1, captureTime: clock.time(of: mediaTime), arrivalTime: MonotonicClock.nanoseconds())
    }
}

/// The phantom's narration as an `AudioSource`, synthesised once at start (espeak-ng must be
/// installed: the generator needs it, the appliance proper does not).
public enum PhantomSession {
    /// Length of the live phantom's script before it loops (its narration is made at start).
    public static let defaultMinutes = 3.0

    static func timeline(seed: UInt64, minutes: Double) -> ScanTimeline {
        ScanScriptGenerator(seed: seed).timeline(duration: max(1, minutes * 60))
    }

    public static func narrationSource(seed: UInt64, minutes: Double = defaultMinutes, clock: ReplayClock,
                                       loop: Bool = true) throws -> ReplayAudioSource {
        guard NarrationGenerator.isAvailable else {
            throw NarrationError(message: "phantom audio needs espeak-ng (apt install espeak-ng); "
                                 + "use audio replay:SESSION_DIR or alsa:PCM instead")
        }
        let narration = try NarrationGenerator().generate(timeline: timeline(seed: seed, minutes: minutes), seed: seed)
        return ReplayAudioSource(samples: narration.audio, sampleRate: narration.sampleRate,
                                 summary: "phantom narration seed \(seed) \(narration.sampleRate) Hz", clock: clock, loop: loop)
    }
}
