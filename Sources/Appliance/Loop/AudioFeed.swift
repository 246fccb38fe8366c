import Capture
import MediaFormats
import Platform
import Synchronization

/// Moves audio from a source into the sample ring: on its own capture thread for live and
/// paced sources, or pulled by the loop for a replay running as fast as possible (then the
/// loop asks for audio up to each frame's time, so the two stay aligned).
final class AudioFeed: @unchecked Sendable {
    let source: AudioSource
    let ring: SampleRing
    let threaded: Bool
    private let scratch: UnsafeMutablePointer<Float>
    private let silence: UnsafeMutablePointer<Float>
    private let scratchCapacity = 4_800
    /// When the next sample is due (monotonic ns), 0 before the first read.
    private var nextSampleTime: Int64 = 0
    /// Gaps shorter than this are timestamp jitter, not lost audio.
    static let gapToleranceNanoseconds: Int64 = 4_000_000
    /// Samples of silence written in place of audio the source lost (written by the reading
    /// thread, read by the loop).
    let filledSamples = Atomic<Int>(0)
    private var thread: RealtimeThread?
    private let running = Atomic<Bool>(false)
    private(set) var failure: String?
    /// Samples the source delivered as NaN, ±Inf or beyond full scale, made safe here before
    /// anything else sees them (written by the reading thread, read by the loop).
    let sanitisedSamples: Atomic<Int>

    init(source: AudioSource, threaded: Bool, ringSeconds: Int = 8) {
        self.source = source
        self.threaded = threaded
        sanitisedSamples = Atomic(source.sanitisedSamples)
        var capacity = 1
        while capacity < source.sampleRate * ringSeconds { capacity <<= 1 }
        ring = SampleRing(capacity: capacity, sampleRate: source.sampleRate)
        scratch = .allocate(capacity: scratchCapacity)
        silence = .allocate(capacity: scratchCapacity)
        silence.initialize(repeating: 0, count: scratchCapacity)
    }

    deinit {
        scratch.deallocate()
        silence.deallocate()
    }

    func start(fifoPriority: Int32) throws {
        guard threaded else { return }
        running.store(true, ordering: .releasing)
        let thread = RealtimeThread(name: "showtell-audio") { [self] in
            while running.load(ordering: .acquiring) && !source.finished {
                if !readOnce() { break }
            }
        }
        self.thread = thread
        try thread.start(fifoPriority: fifoPriority)
    }

    func stop() {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }

    /// Unthreaded: reads until the ring holds audio up to `time` (monotonic ns).
    func pull(until time: Int64) {
        guard !threaded else { return }
        while !source.finished {
            let newest = ring.newest()
            if newest.index >= 0 && newest.time >= time { return }
            if !readOnce() { return }
        }
    }

    /// Audio the source lost (an overrun: the device's buffer filled while this thread was not
    /// scheduled) becomes silence in the ring, so sample positions stay in step with time: the
    /// loop finds a frame's audio window by counting samples back from the newest, and without
    /// the fill every window before the gap would be taken too early by the gap's length.
    private func fillGap(before first: Int64) {
        guard nextSampleTime > 0, first - nextSampleTime > Self.gapToleranceNanoseconds else { return }
        var missing = min(Int((first - nextSampleTime) * Int64(ring.sampleRate) / 1_000_000_000), ring.capacity / 2)
        filledSamples.wrappingAdd(missing, ordering: .relaxed)
        var time = nextSampleTime
        while missing > 0 {
            let n = min(missing, scratchCapacity)
            ring.write(UnsafeBufferPointer(start: silence, count: n), firstSampleTime: time)
            time += Int64(n) * 1_000_000_000 / Int64(ring.sampleRate)
            missing -= n
        }
    }

    private func readOnce() -> Bool {
        do {
            let (count, first) = try source.read(into: scratch, capacity: scratchCapacity)
            let changed = SampleSanitiser.sanitise(scratch, count: count)
            if changed > 0 { sanitisedSamples.wrappingAdd(changed, ordering: .relaxed) }
            if count > 0 {
                fillGap(before: first)
                ring.write(UnsafeBufferPointer(start: scratch, count: count), firstSampleTime: first)
                nextSampleTime = first + Int64(count) * 1_000_000_000 / Int64(ring.sampleRate)
            }
            return true
        } catch {
            failure = "\(error)"
            return false
        }
    }
}

