import Histogram
import Synchronization

/// p50/p99/max of one latency series, as the control plane reports it.
public struct LatencySummary: Sendable, Codable, Equatable {
    public let name: String
    public let count: UInt64
    public let sumSeconds: Double
    /// nil while nothing was recorded.
    public let p50Seconds: Double?
    public let p99Seconds: Double?
    public let maxSeconds: Double?
}

/// HDR latency histograms written by ONE real-time thread without locks or allocation, and
/// read by the control plane.
///
/// Why double-buffering and not a seqlock: a seqlock reader must copy the histogram while
/// the writer may be changing it. The HDR histogram is a value type over a copy-on-write
/// array, so a Swift copy only shares the buffer (the writer's next record would then
/// allocate a new one, on the hot path) and a byte copy of a buffer being written is a data
/// race. With two buffers per series nothing is ever shared while written: the recorder
/// writes the active set; the collector asks for a flip, the recorder performs it at its
/// next `record` (one atomic load per record when nothing is asked), and from then on the
/// retired set belongs to the collector alone, which merges it into cumulative totals and
/// zeroes it before it can ask again. A flip is requested at the end of one `collect` and
/// drained at the start of the next, so the totals lag the recorder by one collection
/// interval; a recorder that stopped recording keeps its last interval until it resumes.
///
/// Handshake (per recorder, all series together):
///   collector: zero retired set ... `flipRequested = true` (release)
///   recorder:  sees true (acquire) -> `activeSet ^= 1` -> `flipRequested = false` (release)
///   collector: sees false (acquire) -> retired set is `activeSet ^ 1`, exclusively its own.
public final class LatencyRecorder: @unchecked Sendable {
    // @unchecked: `slots` is shared memory whose ownership the handshake above transfers;
    // everything else is an atomic or inside a Mutex.
    public let seriesNames: [String]
    private let slots: UnsafeMutablePointer<Slot>  // [set 0: series..., set 1: series...]
    private let activeSet = Atomic<Int>(0)          // written only by the recorder
    private let flipRequested = Atomic<Bool>(false)
    private let collector: Mutex<CollectorState>

    /// Values are nanoseconds, kept to 3 significant digits from 1 µs to `highestNanoseconds`
    /// (larger values count as the highest).
    public init(seriesNames: [String], highestNanoseconds: UInt64 = 10_000_000_000) {
        precondition(!seriesNames.isEmpty, "LatencyRecorder needs at least one series")
        self.seriesNames = seriesNames
        slots = .allocate(capacity: 2 * seriesNames.count)
        // Each slot gets its own counts array: a shared one would be copied on first write.
        for index in 0..<(2 * seriesNames.count) {
            (slots + index).initialize(to: Slot(highestNanoseconds: highestNanoseconds))
        }
        collector = Mutex(CollectorState(
            totals: seriesNames.map { _ in Slot(highestNanoseconds: highestNanoseconds) },
            flipPending: false
        ))
    }

    deinit {
        slots.deinitialize(count: 2 * seriesNames.count)
        slots.deallocate()
    }

    /// Records one latency. Real-time thread only (a single writer), lock- and allocation-free.
    @inline(__always)
    public func record(series: Int, nanoseconds: Int64) {
        var set = activeSet.load(ordering: .relaxed)
        if flipRequested.load(ordering: .acquiring) {
            set ^= 1
            activeSet.store(set, ordering: .relaxed)
            flipRequested.store(false, ordering: .releasing)
        }
        slots[set * seriesNames.count + series].record(nanoseconds)
    }

    /// Merges what the recorder handed over into the totals and asks for the next flip;
    /// returns the totals since start (or since `discardTotals`). Control plane only.
    public func collect() -> [LatencySummary] {
        collector.withLock { state in
            drainIfHandedOver(&state)
            if !state.flipPending {
                state.flipPending = true
                flipRequested.store(true, ordering: .releasing)
            }
            return zip(seriesNames, state.totals).map { name, slot in slot.summary(name: name) }
        }
    }

    /// Forgets the totals so far (warm-up is not reported). Values the recorder has not
    /// handed over yet (at most one collection interval) still arrive later.
    public func discardTotals() {
        collector.withLock { state in
            drainIfHandedOver(&state)
            for index in state.totals.indices { state.totals[index].reset() }
        }
    }

    /// Everything recorded, with nothing lagging: both sets are merged into the totals. Only
    /// while no `record` can run at the same time (the recorder's thread is the caller's, as
    /// in a benchmark stepping the loop, or it has stopped).
    public func collectIdle() -> [LatencySummary] {
        collector.withLock { state in
            mergeBothSets(&state)
            return zip(seriesNames, state.totals).map { name, slot in slot.summary(name: name) }
        }
    }

    /// Forgets everything recorded so far, at once; same condition as `collectIdle`.
    public func resetIdle() {
        collector.withLock { state in
            mergeBothSets(&state)
            for index in state.totals.indices { state.totals[index].reset() }
        }
    }

    private func mergeBothSets(_ state: inout CollectorState) {
        for set in 0..<2 {
            for series in seriesNames.indices {
                let slot = slots + (set * seriesNames.count + series)
                state.totals[series].add(slot.pointee)
                slot.pointee.reset()
            }
        }
        flipRequested.store(false, ordering: .releasing)
        state.flipPending = false
    }

    private func drainIfHandedOver(_ state: inout CollectorState) {
        guard state.flipPending, !flipRequested.load(ordering: .acquiring) else { return }
        let retired = activeSet.load(ordering: .relaxed) ^ 1
        for series in seriesNames.indices {
            let slot = slots + (retired * seriesNames.count + series)
            state.totals[series].add(slot.pointee)
            slot.pointee.reset()
        }
        state.flipPending = false
    }

    struct CollectorState: ~Copyable {
        var totals: [Slot]
        var flipPending: Bool
    }

    struct Slot {
        var histogram: Histogram<UInt32>
        var sumNanoseconds: UInt64 = 0
        let highestNanoseconds: UInt64

        init(highestNanoseconds: UInt64) {
            histogram = Histogram(lowestDiscernibleValue: 1000, highestTrackableValue: highestNanoseconds,
                                  numberOfSignificantValueDigits: .three)
            self.highestNanoseconds = highestNanoseconds
        }

        @inline(__always)
        mutating func record(_ nanoseconds: Int64) {
            let value = Swift.min(UInt64(Swift.max(nanoseconds, 0)), highestNanoseconds)
            histogram.record(value)
            sumNanoseconds &+= value
        }

        mutating func add(_ other: Slot) {
            histogram.add(other.histogram)
            sumNanoseconds &+= other.sumNanoseconds
        }

        mutating func reset() {
            histogram.reset()
            sumNanoseconds = 0
        }

        func summary(name: String) -> LatencySummary {
            let empty = histogram.totalCount == 0
            func seconds(_ nanoseconds: UInt64) -> Double? { empty ? nil : Double(nanoseconds) / 1e9 }
            return LatencySummary(
                name: name,
                count: histogram.totalCount,
                sumSeconds: Double(sumNanoseconds) / 1e9,
                p50Seconds: seconds(histogram.valueAtPercentile(50)),
                p99Seconds: seconds(histogram.valueAtPercentile(99)),
                maxSeconds: seconds(histogram.maxRecorded)
            )
        }
    }
}
