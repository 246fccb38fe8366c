import Glibc
import MediaFormats
import Platform

/// Shared start of a replay, so video and audio replays stamp their data on one timeline.
public final class ReplayClock: @unchecked Sendable {
    /// Set at init and possibly once more by `restart` before any source is read.
    public private(set) var start: Int64
    /// Paced: data is released at its real time. Unpaced: as fast as the reader asks.
    public let paced: Bool

    public init(paced: Bool, start: Int64 = MonotonicClock.nanoseconds()) {
        self.paced = paced
        self.start = start
    }

    /// Media time 0 is now: call once set-up (model loading, a phantom's narration) is done and
    /// before the sources are read or their threads start, or a paced replay would begin by
    /// racing to catch up with the time spent getting ready.
    public func restart(at now: Int64 = MonotonicClock.nanoseconds()) { start = now }

    /// Monotonic ns of media time `seconds`.
    public func time(of seconds: Double) -> Int64 { start + Int64(seconds * 1e9) }

    /// Sleeps until media time `seconds` when paced; returns at once otherwise.
    public func wait(until seconds: Double) {
        guard paced else { return }
        wait(untilNanoseconds: time(of: seconds))
    }

    /// Sleeps until monotonic time `due` (ns).
    public func wait(untilNanoseconds due: Int64) {
        var request = timespec(tv_sec: Int(due / 1_000_000_000), tv_nsec: Int(due % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &request, nil) == EINTR {}
    }
}

/// A recorded session's video.avi as a `VideoSource`, at its real pace or as fast as asked.
/// Corrupt frames are skipped (and counted); the time base stays the file's. `next` keeps
/// to its timeout like a grabber does, so a run of corrupt frames is a stall (NO SIGNAL, a
/// prompt stop) rather than a call that blocks until the next good frame.
public final class ReplayVideoSource: VideoSource {
    public let reader: AVIReader
    public let clock: ReplayClock
    public let loop: Bool
    private var image: Image8
    private var frame = 0
    private var played = 0
    public private(set) var finished = false
    public private(set) var lostFrames = 0

    public init(path: String, clock: ReplayClock, loop: Bool = false) throws {
        reader = try AVIReader(path: path)
        // A file cut inside its first frame has nothing to replay: unreadable, not empty.
        guard reader.frameCount > 0 else { throw AVIError(path: path, problem: .noFrames) }
        self.clock = clock
        self.loop = loop
        image = Image8(width: reader.info.width, height: reader.info.height, channels: 1)
    }

    public var width: Int { reader.info.width }
    public var height: Int { reader.info.height }
    public var summary: String {
        "replay \(reader.path) \(width)x\(height) \(String(format: "%.2f", reader.info.frameRate.framesPerSecond)) fps"
            + (clock.paced ? "" : " (as fast as possible)")
    }

    public func next(into pixels: UnsafeMutablePointer<UInt8>, timeoutMilliseconds: Int32) throws -> FrameStamp? {
        let deadline = MonotonicClock.nanoseconds() + Int64(timeoutMilliseconds) * 1_000_000
        while true {
            if frame >= reader.frameCount {
                guard loop, reader.frameCount > 0 else { finished = true; return nil }
                frame = 0
            }
            let period = 1 / reader.info.frameRate.framesPerSecond
            let mediaTime = Double(played) * period
            if clock.paced && clock.time(of: mediaTime) > deadline {
                // Not due within the timeout (corrupt frames before it): wait out the
                // timeout only, as a grabber would, and report no frame.
                clock.wait(untilNanoseconds: deadline)
                return nil
            }
            clock.wait(until: mediaTime)
            let index = frame
            frame += 1
            played += 1
            do {
                try reader.decodeFrame(index, into: &image)
            } catch {
                if case .corruptFrame = error.problem {
                    lostFrames += 1
                    if MonotonicClock.nanoseconds() >= deadline { return nil }  // unpaced: a run of them
                    continue
                }
                throw error
            }
            image.pixels.withUnsafeBufferPointer { pixels.update(from: $0.baseAddress!, count: $0.count) }
            return FrameStamp(sequence: played - 1, captureTime: clock.time(of: mediaTime), arrivalTime: MonotonicClock.nanoseconds())
        }
    }
}
