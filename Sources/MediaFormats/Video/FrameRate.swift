/// A video frame rate as the rational AVI stores (dwRate / dwScale), so 30000/1001 stays exact.
public struct FrameRate: Sendable, Equatable, CustomStringConvertible {
    /// Frames per `scale` seconds (AVI dwRate).
    public let rate: Int
    /// AVI dwScale.
    public let scale: Int

    /// Rates outside this range are rejected: they are either a broken header or a unit mix-up.
    public static let plausibleRange: ClosedRange<Double> = 0.1...1000

    /// nil unless both terms are positive and the rate is in `plausibleRange`.
    public init?(rate: Int, scale: Int) {
        guard rate > 0, scale > 0, rate <= Int(UInt32.max), scale <= Int(UInt32.max) else { return nil }
        guard Self.plausibleRange.contains(Double(rate) / Double(scale)) else { return nil }
        self.rate = rate
        self.scale = scale
    }

    /// Whole frames per second, e.g. `FrameRate(30)`; traps on an implausible rate.
    public init(_ framesPerSecond: Int) {
        guard let exact = FrameRate(rate: framesPerSecond, scale: 1) else {
            preconditionFailure("frame rate \(framesPerSecond) outside \(Self.plausibleRange)")
        }
        self = exact
    }

    public var framesPerSecond: Double { Double(rate) / Double(scale) }

    /// Presentation time of a frame, computed from the rational so it does not drift.
    public func time(ofFrame frame: Int) -> Double { Double(frame) * Double(scale) / Double(rate) }

    /// AVI's avih dwMicroSecPerFrame (rounded).
    var microsecondsPerFrame: Int { Int((1_000_000 * Double(scale) / Double(rate)).rounded()) }

    public var description: String { scale == 1 ? "\(rate) fps" : "\(rate)/\(scale) fps" }
}
