import Glibc

/// Level and clipping of the raw microphone signal over a span of frames.
public struct LevelStatistics: Sendable, Equatable {
    /// RMS level in dBFS, AES17 convention (a full-scale sine reads 0 dBFS).
    public var rmsDBFS: Float
    /// Peak level in dBFS.
    public var peakDBFS: Float
    /// Fraction of samples at or beyond ±0.999 full scale (clipping).
    public var clippedFraction: Float

    public init(rmsDBFS: Float, peakDBFS: Float, clippedFraction: Float) {
        self.rmsDBFS = rmsDBFS
        self.peakDBFS = peakDBFS
        self.clippedFraction = clippedFraction
    }

    static func dB(_ x: Float) -> Float { 20 * log10f(max(x, 1e-7)) }
}

/// Running accumulator for one 10 ms frame of raw input.
struct LevelAccumulator {
    var sumSquares: Double = 0
    var peak: Float = 0
    var clipped = 0
    var count = 0

    mutating func add(_ x: Float) {
        sumSquares += Double(x * x)
        let a = abs(x)
        if a > peak { peak = a }
        if a >= 0.999 { clipped += 1 }
        count += 1
    }
}
