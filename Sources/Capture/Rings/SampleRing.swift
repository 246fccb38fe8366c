import Synchronization

/// Lock-free single-producer/single-consumer ring of audio samples with the
/// CLOCK_MONOTONIC time of each sample derivable from the newest write.
///
/// The capture thread writes, the real-time loop reads; positions are absolute sample
/// counts (never wrap in practice: 2^63 samples), published with release/acquire, so the
/// reader always sees samples that are fully written. When the reader falls behind by more
/// than the capacity, the oldest samples are overwritten and `read` reports the loss.
///
/// The samples themselves are relaxed atomics (their bit patterns): a reader that is being
/// lapped copies slots the producer is overwriting, and discards the copy afterwards; with
/// plain loads and stores that overlap is a data race (undefined behaviour, reported by
/// ThreadSanitizer). Relaxed atomic loads and stores of 32 bits are plain moves on x86-64 and
/// arm64, so this costs nothing.
public final class SampleRing: @unchecked Sendable {
    public let capacity: Int
    private let storage: UnsafeMutablePointer<Atomic<UInt32>>
    private let written = Atomic<Int>(0)
    /// Monotonic ns of the sample at index `newestIndex`; the pair is published under a
    /// sequence lock (odd = being written) so a reader never pairs a time with the wrong index.
    private let newestTime = Atomic<Int64>(0)
    private let newestIndex = Atomic<Int>(-1)
    private let sequence = Atomic<Int>(0)
    public let sampleRate: Int

    public init(capacity: Int, sampleRate: Int) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.capacity = capacity
        self.sampleRate = sampleRate
        storage = .allocate(capacity: capacity)
        for i in 0..<capacity { (storage + i).initialize(to: Atomic(0)) }
    }

    deinit {
        storage.deinitialize(count: capacity)
        storage.deallocate()
    }

    /// Producer: appends samples; `firstSampleTime` is the monotonic ns of samples[0].
    public func write(_ samples: UnsafeBufferPointer<Float>, firstSampleTime: Int64) {
        let start = written.load(ordering: .relaxed)
        for i in 0..<samples.count { storage[(start + i) & (capacity - 1)].store(samples[i].bitPattern, ordering: .relaxed) }
        let lastTime = firstSampleTime + Int64(samples.count - 1) * 1_000_000_000 / Int64(sampleRate)
        written.store(start + samples.count, ordering: .releasing)
        sequence.add(1, ordering: .acquiringAndReleasing)
        newestTime.store(lastTime, ordering: .releasing)
        newestIndex.store(start + samples.count - 1, ordering: .releasing)
        sequence.add(1, ordering: .acquiringAndReleasing)
    }

    /// Total samples written so far.
    public var writeCount: Int { written.load(ordering: .acquiring) }

    /// Consumer: copies samples [start, start + count) if they are still held; returns false
    /// if some were overwritten or are not written yet.
    public func read(from start: Int, count: Int, into out: UnsafeMutablePointer<Float>) -> Bool {
        let end = written.load(ordering: .acquiring)
        guard start >= 0, start + count <= end, end - start <= capacity else { return false }
        for i in 0..<count { out[i] = Float(bitPattern: storage[(start + i) & (capacity - 1)].load(ordering: .relaxed)) }
        // The producer may have lapped us while copying: check again.
        return written.load(ordering: .acquiring) - start <= capacity
    }

    /// Monotonic ns of the newest sample and its index, for aligning video frames.
    public func newest() -> (index: Int, time: Int64) {
        while true {
            let before = sequence.load(ordering: .acquiring)
            if before & 1 != 0 { continue }
            let index = newestIndex.load(ordering: .acquiring)
            let time = newestTime.load(ordering: .acquiring)
            if sequence.load(ordering: .acquiring) == before { return (index, time) }
        }
    }
}
