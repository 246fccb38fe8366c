import Glibc

/// "Is this speech about anatomy?" (the paper's Figure 7b: the map means nothing when the
/// talk is not about anatomy). A logistic regression on the audio embedding,
/// p = σ(w·a + b), taught by the text branch's keyword gate: a window is a positive when
/// SIG at the keyword level opens for one of its ASR words, so no labels are read. The box
/// shows the heatmap only while p ≥ threshold. Small (D + 2 numbers), so it lives in the
/// manifest (`outputs.relevance`) and serves float and int8 bundles alike.
public struct RelevanceHead: Codable, Sendable, Equatable {
    /// [D]
    public var weights: [Float]
    public var bias: Float
    public var threshold: Float
    /// How it was fitted (teacher, dataset, clips, training precision and recall).
    public var taughtBy: String

    public init(weights: [Float], bias: Float, threshold: Float, taughtBy: String) {
        self.weights = weights
        self.bias = bias
        self.threshold = threshold
        self.taughtBy = taughtBy
    }

    enum CodingKeys: String, CodingKey {
        case weights, bias, threshold, taughtBy = "taught_by"
    }

    /// p ∈ (0, 1) for one audio embedding a [D]; allocates nothing.
    @inline(__always)
    public func probability(_ embedding: UnsafePointer<Float>) -> Float {
        var z = bias
        for i in 0..<weights.count { z += weights[i] * embedding[i] }
        return 1 / (1 + expf(-max(min(z, 80), -80)))
    }

    /// How well scores separate two kinds, threshold-free: the chance that a positive scores
    /// above a negative, ties counting half (the Mann-Whitney U over both sorted); 0.5 cannot
    /// tell them apart. nil when either kind is missing. Shared by the fit (against its
    /// teacher) and the evaluation (against the transcripts).
    public static func areaUnderCurve(positives: [Double], negatives: [Double]) -> Double? {
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        let positives = positives.sorted(), negatives = negatives.sorted()
        var below = 0, wins = 0.0
        for p in positives {
            while below < negatives.count, negatives[below] < p { below += 1 }
            var ties = below
            while ties < negatives.count, negatives[ties] == p { ties += 1 }
            wins += Double(below) + 0.5 * Double(ties - below)
        }
        return wins / Double(positives.count * negatives.count)
    }

    /// A reason the head cannot serve a bundle of dimension `dimension`, or nil.
    public func problem(dimension: Int) -> String? {
        guard weights.count == dimension else { return "outputs.relevance has \(weights.count) weights but the audio embedding has \(dimension) dimensions" }
        guard weights.allSatisfy(\.isFinite), bias.isFinite, threshold.isFinite else { return "outputs.relevance holds a NaN or infinity" }
        guard threshold > 0, threshold < 1 else { return "outputs.relevance threshold \(threshold) must lie strictly between 0 and 1" }
        return nil
    }
}
