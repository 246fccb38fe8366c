/// Piecewise-constant schedule: base * factor^(epoch / interval). Paper default: 1e-3, x0.1
/// every 20 epochs.
public struct StepLearningRate: Sendable, Equatable {
    public var base: Float
    public var factor: Float
    public var interval: Int

    public init(base: Float = 1e-3, factor: Float = 0.1, interval: Int = 20) {
        precondition(interval > 0, "schedule interval must be positive")
        self.base = base
        self.factor = factor
        self.interval = interval
    }

    /// Rate for a zero-based epoch.
    public func rate(epoch: Int) -> Float {
        var rate = base
        for _ in 0..<(max(epoch, 0) / interval) { rate *= factor }
        return rate
    }
}
