/// Standard plane detection scores (Table 1): a confusion matrix and per-class precision,
/// recall and F1, macro-averaged as sklearn.metrics.precision_recall_fscore_support(
/// average="macro", zero_division=0) does. Checked against
/// `Tests/FixtureScripts/saliency_metrics_reference.py` (numpy).
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    public let classes: Int
    /// counts[truth * classes + predicted]
    public private(set) var counts: [Int]

    public init(classes: Int) {
        precondition(classes > 0, "no classes")
        self.classes = classes
        counts = [Int](repeating: 0, count: classes * classes)
    }

    public init(classes: Int, truth: [Int], predicted: [Int]) throws(MetricError) {
        self.init(classes: classes)
        guard truth.count == predicted.count else {
            throw MetricError("confusion matrix", .sizeMismatch, "\(truth.count) labels but \(predicted.count) predictions")
        }
        for (t, p) in zip(truth, predicted) { try add(truth: t, predicted: p) }
    }

    public mutating func add(truth: Int, predicted: Int) throws(MetricError) {
        guard (0..<classes).contains(truth), (0..<classes).contains(predicted) else {
            throw MetricError("confusion matrix", .badLabel, "label \(truth) or prediction \(predicted) outside 0..<\(classes)")
        }
        counts[truth * classes + predicted] += 1
    }

    public mutating func add(_ other: ConfusionMatrix) {
        precondition(other.classes == classes, "confusion matrices of different class counts")
        for i in 0..<counts.count { counts[i] += other.counts[i] }
    }

    public subscript(truth: Int, predicted: Int) -> Int { counts[truth * classes + predicted] }

    public var total: Int { counts.reduce(0, +) }
    public func support(_ k: Int) -> Int { (0..<classes).reduce(0) { $0 + self[k, $1] } }
    public func predictedCount(_ k: Int) -> Int { (0..<classes).reduce(0) { $0 + self[$1, k] } }

    /// Per class k: precision = TP / (TP + FP), recall = TP / (TP + FN),
    /// F1 = 2·P·R / (P + R); each 0 where its denominator is 0 (zero_division = 0).
    public struct ClassScore: Sendable, Equatable, Codable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
    }

    public func score(_ k: Int) -> ClassScore {
        let tp = Double(self[k, k])
        let predicted = Double(predictedCount(k)), actual = Double(support(k))
        let precision = predicted > 0 ? tp / predicted : 0
        let recall = actual > 0 ? tp / actual : 0
        let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
        return ClassScore(precision: precision, recall: recall, f1: f1, support: support(k))
    }

    /// Classes that occur in the truth or the predictions: sklearn's default label set
    /// (unique(y_true ∪ y_pred)), over which the macro averages run.
    public var presentClasses: [Int] { (0..<classes).filter { support($0) > 0 || predictedCount($0) > 0 } }

    public struct Macro: Sendable, Equatable, Codable {
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var accuracy: Double
    }

    /// Unweighted means of the per-class scores over `presentClasses` (F1 is the mean of
    /// per-class F1, not the F1 of the mean P and R), and accuracy = trace / total.
    public func macro() throws(MetricError) -> Macro {
        let present = presentClasses
        guard !present.isEmpty else { throw MetricError("macro F1", .noSamples, "the confusion matrix is empty") }
        let scores = present.map(score)
        let n = Double(present.count)
        let trace = (0..<classes).reduce(0) { $0 + self[$1, $1] }
        return Macro(precision: scores.reduce(0) { $0 + $1.precision } / n,
                     recall: scores.reduce(0) { $0 + $1.recall } / n,
                     f1: scores.reduce(0) { $0 + $1.f1 } / n,
                     accuracy: Double(trace) / Double(total))
    }
}
