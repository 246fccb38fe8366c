import Capture
import MediaFormats
import PhantomScan
import Platform

/// A phantom scan rendered live as a `VideoSource` (`phantom:SEED` in the config), paced at
/// 30 fps on a `ReplayClock`, so the appliance can run without a grabber or a recording.
/// Rendering builds the frame's ground truth too, which allocates: use a replay for the
/// allocation benchmark.
final class PhantomVideoSource: VideoSource {
    let seed: UInt64
    let clock: ReplayClock
    let loop: Bool
    private var renderer: BModeRenderer
    private var image: Image8
    private var frame = 0
    private var played = 0
    private(set) var finished = false
    let lostFrames = 0

    /// `minutes`: length of the scan script (it loops when `loop`).
    init(seed: UInt64, minutes: Double = PhantomSession.defaultMinutes, clock: ReplayClock, loop: Bool = true) {
        self.seed = seed
        self.clock = clock
        self.loop = loop
        renderer = BModeRenderer(timeline: PhantomSession.timeline(seed: seed, minutes: minutes), seed: seed)
        image = renderer.makeImage()
    }

    var width: Int { image.width }
    var height: Int { image.height }
    var summary: String { "phantom scan seed \(seed) \(width)x\(height) 30 fps" + (clock.paced ? "" : " (as fast as possible)") }

    func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
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

/// The phantom's narration as an `AudioSource`, synthesised once at start.
enum PhantomNarrationSource {
    static func open(seed: UInt64, minutes: Double = PhantomSession.defaultMinutes, clock: ReplayClock,
                     loop: Bool = true) throws -> ReplayAudioSource {
        let narration = try PhantomSession.narration(seed: seed, minutes: minutes)
        return ReplayAudioSource(samples: narration.audio, sampleRate: narration.sampleRate,
                                 summary: "phantom narration seed \(seed) \(narration.sampleRate) Hz", clock: clock, loop: loop)
    }
}
