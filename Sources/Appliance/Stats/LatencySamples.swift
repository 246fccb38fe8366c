/// Latency samples of one stage, kept in a preallocated ring (exact percentiles for the
/// benchmark; the daemon reports ControlPlane's HDR histograms); percentiles are computed by
/// the reader (control plane, benchmark), never on the hot path.
public final class LatencySamples: @unchecked Sendable {
    public let name: String
    private let capacity: Int
    private let samples: UnsafeMutablePointer<Float>  // seconds
    public private(set) var count = 0
    public private(set) var maximum: Float = 0

    public init(name: String, capacity: Int = 1 << 16) {
        self.name = name
        self.capacity = capacity
        samples = .allocate(capacity: capacity)
    }

    deinit { samples.deallocate() }

    @inline(__always)
    public func record(nanoseconds: Int64) {
        let seconds = Float(nanoseconds) * 1e-9
        samples[count % capacity] = seconds
        count += 1
        if seconds > maximum { maximum = seconds }
    }

    public func reset() { count = 0; maximum = 0 }

    /// Percentile (0...1) of the held samples, in seconds (nearest rank). Allocates: not for the hot path.
    public func percentile(_ p: Double) -> Float {
        let held = min(count, capacity)
        guard held > 0 else { return 0 }
        let sorted = UnsafeBufferPointer(start: samples, count: held).sorted()
        let rank = min(held - 1, max(0, Int((p * Double(held)).rounded(.up)) - 1))
        return sorted[rank]
    }
}
