import Synchronization

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
