import Synchronization

/// What the real-time loop publishes for other threads (housekeeping, control socket,
/// watchdog): its counters and a few live values, each in its own atomic. The loop stores
/// them once per iteration with relaxed stores (no lock, no allocation); readers load them
/// whenever they like. Fields are independent: a reader may see `framesOut` from one
/// iteration and `framesIn` from the next, which is fine for counters that only grow.
public final class LoopTelemetry: Sendable {
    /// Loop iterations, including ones that only waited for a frame: the heartbeat.
    public let iterations = Atomic<Int>(0)
    public let framesIn = Atomic<Int>(0)
    public let framesOut = Atomic<Int>(0)
    public let framesDropped = Atomic<Int>(0)
    public let framesSkipped = Atomic<Int>(0)
    public let audioWindows = Atomic<Int>(0)
    public let speechWindows = Atomic<Int>(0)
    public let audioXruns = Atomic<Int>(0)
    public let audioSanitised = Atomic<Int>(0)
    public let videoStalls = Atomic<Int>(0)
    public let videoReopens = Atomic<Int>(0)
    /// True while the newest audio window was speech.
    public let speaking = Atomic<Bool>(false)
    /// True while the screen says NO SIGNAL (no frame for `stallMilliseconds`).
    public let noSignal = Atomic<Bool>(false)
    /// Recent frame rate and capture-to-display latency (ms) as on the status bar, as bits
    /// of a Float.
    private let fpsBits = Atomic<UInt32>(0)
    private let latencyBits = Atomic<UInt32>(0)

    public init() {}

    public var fps: Float { Float(bitPattern: fpsBits.load(ordering: .relaxed)) }
    public var latencyMilliseconds: Float { Float(bitPattern: latencyBits.load(ordering: .relaxed)) }

    /// A consistent-enough copy of the counters for reports (each field read once).
    public var counters: ApplianceLoop.Counters {
        var c = ApplianceLoop.Counters()
        c.framesIn = framesIn.load(ordering: .relaxed)
        c.framesOut = framesOut.load(ordering: .relaxed)
        c.framesDropped = framesDropped.load(ordering: .relaxed)
        c.framesSkipped = framesSkipped.load(ordering: .relaxed)
        c.audioWindows = audioWindows.load(ordering: .relaxed)
        c.speechWindows = speechWindows.load(ordering: .relaxed)
        c.audioXruns = audioXruns.load(ordering: .relaxed)
        c.audioSanitised = audioSanitised.load(ordering: .relaxed)
        c.videoStalls = videoStalls.load(ordering: .relaxed)
        c.videoReopens = videoReopens.load(ordering: .relaxed)
        return c
    }

    /// Loop thread only.
    @inline(__always)
    func publish(_ c: ApplianceLoop.Counters, speaking: Bool, noSignal: Bool, fps: Float, latencyMilliseconds: Float) {
        framesIn.store(c.framesIn, ordering: .relaxed)
        framesOut.store(c.framesOut, ordering: .relaxed)
        framesDropped.store(c.framesDropped, ordering: .relaxed)
        framesSkipped.store(c.framesSkipped, ordering: .relaxed)
        audioWindows.store(c.audioWindows, ordering: .relaxed)
        speechWindows.store(c.speechWindows, ordering: .relaxed)
        audioXruns.store(c.audioXruns, ordering: .relaxed)
        audioSanitised.store(c.audioSanitised, ordering: .relaxed)
        videoStalls.store(c.videoStalls, ordering: .relaxed)
        videoReopens.store(c.videoReopens, ordering: .relaxed)
        self.speaking.store(speaking, ordering: .relaxed)
        self.noSignal.store(noSignal, ordering: .relaxed)
        fpsBits.store(fps.bitPattern, ordering: .relaxed)
        latencyBits.store(latencyMilliseconds.bitPattern, ordering: .relaxed)
        // Last, with release: a reader that sees the new heartbeat sees the values above.
        iterations.wrappingAdd(1, ordering: .releasing)
    }
}
