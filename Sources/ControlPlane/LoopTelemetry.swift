import Synchronization

/// The real-time loop's counters: one set, one name each. The loop keeps a private copy and
/// publishes it into `ApplianceMetrics.loop` every iteration; status, metrics, logs and
/// tests all read that publication.
public struct LoopCounters: Codable, Sendable, Equatable {
    public var framesIn = 0
    public var framesOut = 0
    /// Frames the source lost (driver sequence gaps, corrupt frames).
    public var framesDropped = 0
    /// Frames whose video branch was skipped to keep up (the previous map was reused).
    public var framesSkipped = 0
    public var audioWindows = 0
    public var speechWindows = 0
    /// Speech windows the model's relevance head called about anatomy (all speech windows
    /// for a bundle without the head): the ones that drive the heatmap.
    public var anatomyWindows = 0
    public var audioXruns = 0
    /// Audio samples that arrived NaN, infinite or beyond full scale (`SampleSanitiser`).
    public var audioSanitised = 0
    /// Samples of silence put where the microphone lost audio (overruns), keeping sample
    /// positions in step with time.
    public var audioFilled = 0
    /// Samples no window needed, passed over while the loop ran behind (frames more than a
    /// window apart): the loop's audio work stays bounded by a window per frame.
    public var audioSkipped = 0
    public var videoStalls = 0
    public var videoReopens = 0

    public init(framesIn: Int = 0, framesOut: Int = 0, framesDropped: Int = 0, framesSkipped: Int = 0, audioWindows: Int = 0,
                speechWindows: Int = 0, anatomyWindows: Int = 0, audioXruns: Int = 0, audioSanitised: Int = 0, audioFilled: Int = 0, audioSkipped: Int = 0, videoStalls: Int = 0, videoReopens: Int = 0) {
        self.framesIn = framesIn
        self.framesOut = framesOut
        self.framesDropped = framesDropped
        self.framesSkipped = framesSkipped
        self.audioWindows = audioWindows
        self.speechWindows = speechWindows
        self.anatomyWindows = anatomyWindows
        self.audioXruns = audioXruns
        self.audioSanitised = audioSanitised
        self.audioFilled = audioFilled
        self.audioSkipped = audioSkipped
        self.videoStalls = videoStalls
        self.videoReopens = videoReopens
    }
}

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
    public let anatomyWindows = Atomic<Int>(0)
    public let audioXruns = Atomic<Int>(0)
    public let audioSanitised = Atomic<Int>(0)
    public let audioFilled = Atomic<Int>(0)
    public let audioSkipped = Atomic<Int>(0)
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
    public var counters: LoopCounters {
        var c = LoopCounters()
        c.framesIn = framesIn.load(ordering: .relaxed)
        c.framesOut = framesOut.load(ordering: .relaxed)
        c.framesDropped = framesDropped.load(ordering: .relaxed)
        c.framesSkipped = framesSkipped.load(ordering: .relaxed)
        c.audioWindows = audioWindows.load(ordering: .relaxed)
        c.speechWindows = speechWindows.load(ordering: .relaxed)
        c.anatomyWindows = anatomyWindows.load(ordering: .relaxed)
        c.audioXruns = audioXruns.load(ordering: .relaxed)
        c.audioSanitised = audioSanitised.load(ordering: .relaxed)
        c.audioFilled = audioFilled.load(ordering: .relaxed)
        c.audioSkipped = audioSkipped.load(ordering: .relaxed)
        c.videoStalls = videoStalls.load(ordering: .relaxed)
        c.videoReopens = videoReopens.load(ordering: .relaxed)
        return c
    }

    /// Loop thread only (one writer).
    @inline(__always)
    public func publish(_ c: LoopCounters, speaking: Bool, noSignal: Bool, fps: Float, latencyMilliseconds: Float) {
        framesIn.store(c.framesIn, ordering: .relaxed)
        framesOut.store(c.framesOut, ordering: .relaxed)
        framesDropped.store(c.framesDropped, ordering: .relaxed)
        framesSkipped.store(c.framesSkipped, ordering: .relaxed)
        audioWindows.store(c.audioWindows, ordering: .relaxed)
        speechWindows.store(c.speechWindows, ordering: .relaxed)
        anatomyWindows.store(c.anatomyWindows, ordering: .relaxed)
        audioXruns.store(c.audioXruns, ordering: .relaxed)
        audioSanitised.store(c.audioSanitised, ordering: .relaxed)
        audioFilled.store(c.audioFilled, ordering: .relaxed)
        audioSkipped.store(c.audioSkipped, ordering: .relaxed)
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
