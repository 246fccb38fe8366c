import Synchronization

/// A monotonically increasing count, bumped from any thread with one relaxed atomic add:
/// safe on the hot path (no lock, no allocation).
public final class MetricCounter: Sendable {
    private let storage = Atomic<UInt64>(0)

    public init() {}

    @inline(__always)
    public func increment(by amount: UInt64 = 1) {
        storage.wrappingAdd(amount, ordering: .relaxed)
    }

    public var value: UInt64 { storage.load(ordering: .relaxed) }
}

/// A value that goes up and down (FPS, queue depth), stored as the bits of a Double.
public final class MetricGauge: Sendable {
    private let storage = Atomic<UInt64>(Double.nan.bitPattern)

    public init() {}

    @inline(__always)
    public func set(_ value: Double) {
        storage.store(value.bitPattern, ordering: .relaxed)
    }

    /// NaN until first set.
    public var value: Double { Double(bitPattern: storage.load(ordering: .relaxed)) }
}
