/// Why a metric cannot be computed for the given maps or labels. The message names the
/// metric and what to fix; task harnesses count these per reason instead of averaging NaN.
public struct MetricError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: String, Sendable {
        case sizeMismatch = "size mismatch"
        case notFinite = "NaN or infinity"
        case negative = "negative value"
        case emptyGroundTruth = "empty ground truth"
        case noSamples = "no samples"
        case badLabel = "label out of range"
    }

    public let metric: String
    public let reason: Reason
    public let detail: String

    public init(_ metric: String, _ reason: Reason, _ detail: String) {
        self.metric = metric
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(metric): \(detail)" }
}

enum MapChecks {
    static func sameSize(_ metric: String, _ a: GridMap, _ b: GridMap) throws(MetricError) {
        guard a.width == b.width, a.height == b.height else {
            throw MetricError(metric, .sizeMismatch, "prediction is \(a.width)x\(a.height) but the ground truth is \(b.width)x\(b.height); resample one first")
        }
    }

    static func finite(_ metric: String, _ map: GridMap, _ role: String) throws(MetricError) {
        if let index = map.values.firstIndex(where: { !$0.isFinite }) {
            throw MetricError(metric, .notFinite, "\(role) has \(map.values[index]) at (\(index % map.width), \(index / map.width)); the model or the ground truth produced a non-finite value")
        }
    }

    static func nonNegative(_ metric: String, _ map: GridMap, _ role: String) throws(MetricError) {
        if let index = map.values.firstIndex(where: { $0 < 0 }) {
            throw MetricError(metric, .negative, "\(role) has \(map.values[index]) at (\(index % map.width), \(index / map.width)); \(metric) compares distributions, min-max normalise signed maps first")
        }
    }
}
