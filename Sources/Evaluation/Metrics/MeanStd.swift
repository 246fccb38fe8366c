import Foundation

/// mean ± std over folds or frames, as the paper's Table 1 reports. std is the POPULATION
/// standard deviation (divide by n, numpy's default np.std); n = 1 gives std 0.
public struct MeanStd: Sendable, Equatable, Codable {
    public var mean: Double
    public var std: Double
    public var count: Int

    public init(mean: Double, std: Double, count: Int) {
        self.mean = mean
        self.std = std
        self.count = count
    }

    public init(_ values: [Double]) throws(MetricError) {
        guard !values.isEmpty else { throw MetricError("mean ± std", .noSamples, "no values") }
        if let bad = values.first(where: { !$0.isFinite }) { throw MetricError("mean ± std", .notFinite, "value \(bad)") }
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        self.init(mean: mean, std: (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n).squareRoot(), count: values.count)
    }

    /// "76.8 ± 1.0" with `decimals` digits, values multiplied by `scale` (100 for percent).
    public func formatted(decimals: Int = 1, scale: Double = 1) -> String {
        String(format: "%.\(decimals)f ± %.\(decimals)f", mean * scale, std * scale)
    }
}
