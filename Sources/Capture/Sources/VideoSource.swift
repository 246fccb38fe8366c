/// When and which frame: the capture time is CLOCK_MONOTONIC ns, the clock the audio ring
/// uses, so a frame can be matched with its audio window.
public struct FrameStamp: Sendable, Equatable {
    /// Frame number from the source (gaps mean drops).
    public var sequence: Int
    /// Position on the shared timeline (monotonic ns), for matching with audio.
    public var captureTime: Int64
    /// When the frame entered the appliance (monotonic ns): the driver's capture timestamp
    /// for a grabber, the moment a replay released it. Capture-to-display latency counts
    /// from here.
    public var arrivalTime: Int64

    public init(sequence: Int, captureTime: Int64, arrivalTime: Int64? = nil) {
        self.sequence = sequence
        self.captureTime = captureTime
        self.arrivalTime = arrivalTime ?? captureTime
    }
}

/// A source of grayscale frames: a V4L2 grabber, a recorded session, a phantom.
/// `next` writes `width × height` pixels and allocates nothing in steady state.
public protocol VideoSource: AnyObject {
    var width: Int { get }
    var height: Int { get }
    var summary: String { get }
    /// Frames the source itself lost (driver sequence gaps, corrupt frames skipped).
    var lostFrames: Int { get }
    /// Waits up to `timeoutMilliseconds`; nil means no frame came (a stall, or the end of a
    /// replay: see `finished`).
    func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp?
    /// True when a finite source (a replay) has delivered its last frame.
    var finished: Bool { get }
    /// Lets go of the device before a reopen (a replugged device may not come back while an
    /// old handle is open); `next` fails afterwards. Sources without a device ignore it.
    func release()
}

extension VideoSource {
    public func release() {}
}

/// A source of mono audio samples at `sampleRate`.
public protocol AudioSource: AnyObject {
    var sampleRate: Int { get }
    var summary: String { get }
    /// Overruns and other losses so far.
    var lostPeriods: Int { get }
    /// Blocks for at most one period; returns samples read (0 at the end of a replay) and
    /// the CLOCK_MONOTONIC time of the first.
    func read(into samples: UnsafeMutablePointer<Float>, capacity: Int) throws -> (count: Int, firstSampleTime: Int64)
    var finished: Bool { get }
    /// Samples the source already made safe before `read` (a WAV file's NaN, ±Inf or
    /// beyond-full-scale values, cleaned when it was loaded); counted with the feed's own.
    var sanitisedSamples: Int { get }
}

extension AudioSource {
    public var sanitisedSamples: Int { 0 }
}
