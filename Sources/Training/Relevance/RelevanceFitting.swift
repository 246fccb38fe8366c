import Glibc
import ShowTellModel

/// Fits a bundle's `RelevanceHead` ("is this speech about anatomy?") on a prepared dataset,
/// self-supervised: every clip's audio embedding (the trained audio branch, frozen) is the
/// input, and the target is whether the text branch's keyword gate (SIG at the keyword level)
/// opens for one of the clip's ASR words. No transcript or label is read.
///
/// Logistic regression on the standardised embedding (the mean and deviation are folded back
/// into the weights, so the head stays D + 2 numbers), full batch, Adam, L2 on the weights;
/// each class weighted by the inverse of its share, so the minority class (usually the keyword
/// clips) counts as much as the rest. The threshold is the one with the best F1 on the clips it
/// was fitted on, or (`Settings.keepRecall`) the highest that still accepts that share of the
/// keyword clips: a lenient gate that hides only the speech the head is surest is not about
/// anatomy. Why standardised: the embedding's components differ in scale by two orders,
/// and without it 400 Adam steps left the shipped bundle's head at AUC 0.60 against the
/// transcripts on test, against 0.70 for the same regression fitted to convergence.
public enum RelevanceFitting {
    public struct Result: Sendable {
        public var head: RelevanceHead
        public var clips: Int
        public var positives: Int
        /// On the fitting clips, at the chosen threshold.
        public var precision: Double
        public var recall: Double
        /// Of the head's score against the keyword gate on the fitting clips.
        public var auc: Double
        /// What the head was fitted on: the clips' audio embeddings [clips][dimension] and
        /// whether the keyword gate opened for each [clips] (for studying other heads offline).
        public var embeddings: [Float]
        public var targets: [Float]
    }

    public struct Settings: Sendable {
        public var steps = 1000
        public var learningRate: Float = 0.05
        public var l2: Float = 1e-4
        /// Choose the threshold that keeps this share of the keyword clips (0 < share < 1)
        /// instead of the best-F1 one; nil: best F1.
        public var keepRecall: Double?
        public init() {}
    }

    /// `embed`: standardised spectrogram [size][size] -> a [dimension].
    public static func fit(source: any ClipSource, keywords: KeywordDictionary, dimension: Int,
                           settings: Settings = Settings(), dataset: String,
                           embed: (UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void,
                           progress: (Int, Int) -> Void = { _, _ in }) throws -> Result {
        let n = source.clips.count
        let size = source.spectrogramSize
        var spectrogram = [Float](repeating: 0, count: size * size)
        var features = [Float](repeating: 0, count: n * dimension)
        var targets = [Float](repeating: 0, count: n)
        for (index, clip) in source.clips.enumerated() {
            targets[index] = keywords.match(clip.words).contains { $0 != nil } ? 1 : 0
            spectrogram.withUnsafeMutableBufferPointer { source.loadSpectrogram(clip: index, into: $0.baseAddress!) }
            spectrogram.withUnsafeBufferPointer { s in features.withUnsafeMutableBufferPointer { embed(s.baseAddress!, $0.baseAddress! + index * dimension) } }
            progress(index + 1, n)
        }
        let positives = Int(targets.reduce(0, +))
        guard positives > 0, positives < n else {
            throw TrainingError("relevance: \(positives) of \(n) clips have a keyword among their ASR words; fitting needs both kinds (prepare more recordings, or check the keyword dictionary)")
        }
        let (weights, bias) = logisticRegression(features: features, targets: targets, dimension: dimension, settings: settings)
        let head0 = RelevanceHead(weights: weights, bias: bias, threshold: 0.5, taughtBy: "")
        let scores = (0..<n).map { i in features.withUnsafeBufferPointer { head0.probability($0.baseAddress! + i * dimension) } }
        let chosen = settings.keepRecall.map { recallThreshold(scores: scores, targets: targets, keep: $0) } ?? bestThreshold(scores: scores, targets: targets)
        let auc = RelevanceHead.areaUnderCurve(positives: (0..<n).filter { targets[$0] > 0 }.map { Double(scores[$0]) },
                                               negatives: (0..<n).filter { targets[$0] == 0 }.map { Double(scores[$0]) }) ?? 0.5
        let head = RelevanceHead(
            weights: weights, bias: bias, threshold: chosen.threshold,
            taughtBy: "SIG keyword gate on the prep's ASR words (self-supervised); \(n) clips of \(dataset), \(positives) with a keyword; "
                + (settings.keepRecall.map { "threshold keeping \(percent($0)) % of the keyword clips; " } ?? "best-F1 threshold; ")
                + "fitting precision \(percent(chosen.precision)) %, recall \(percent(chosen.recall)) %, AUC \((auc * 1000).rounded() / 1000)")
        return Result(head: head, clips: n, positives: positives, precision: chosen.precision, recall: chosen.recall, auc: auc,
                      embeddings: features, targets: targets)
    }

    /// Class-balanced, L2-regularised logistic regression by full-batch Adam.
    /// features: [n][dimension], targets: [n] in {0, 1}.
    static func logisticRegression(features raw: [Float], targets: [Float], dimension: Int, settings: Settings) -> ([Float], Float) {
        let n = targets.count
        // Standardise each component over the clips; the weights found are mapped back below.
        var mean = [Double](repeating: 0, count: dimension), square = [Double](repeating: 0, count: dimension)
        for i in 0..<n {
            for k in 0..<dimension {
                let v = Double(raw[i * dimension + k])
                mean[k] += v
                square[k] += v * v
            }
        }
        let mu = mean.map { Float($0 / Double(n)) }
        let sigma = (0..<dimension).map { k in Float(max(square[k] / Double(n) - (mean[k] / Double(n)) * (mean[k] / Double(n)), 0).squareRoot()) + 1e-6 }
        var features = raw
        for i in 0..<n {
            for k in 0..<dimension { features[i * dimension + k] = (raw[i * dimension + k] - mu[k]) / sigma[k] }
        }
        let positives = targets.reduce(0, +)
        let positiveWeight = Float(n) / (2 * positives), negativeWeight = Float(n) / (2 * (Float(n) - positives))
        var w = [Float](repeating: 0, count: dimension), b: Float = 0
        var m = [Float](repeating: 0, count: dimension + 1), v = [Float](repeating: 0, count: dimension + 1)
        var gradient = [Float](repeating: 0, count: dimension + 1)
        let beta1: Float = 0.9, beta2: Float = 0.999
        for step in 1...max(settings.steps, 1) {
            for k in 0...dimension { gradient[k] = 0 }
            for i in 0..<n {
                var z = b
                for k in 0..<dimension { z += w[k] * features[i * dimension + k] }
                let p = 1 / (1 + expf(-max(min(z, 80), -80)))
                let weight = targets[i] > 0 ? positiveWeight : negativeWeight
                let g = weight * (p - targets[i]) / Float(n)
                for k in 0..<dimension { gradient[k] += g * features[i * dimension + k] }
                gradient[dimension] += g
            }
            for k in 0..<dimension { gradient[k] += settings.l2 * w[k] }
            let c1 = 1 - powf(beta1, Float(step)), c2 = 1 - powf(beta2, Float(step))
            for k in 0...dimension {
                m[k] = beta1 * m[k] + (1 - beta1) * gradient[k]
                v[k] = beta2 * v[k] + (1 - beta2) * gradient[k] * gradient[k]
                let update = settings.learningRate * (m[k] / c1) / ((v[k] / c2).squareRoot() + 1e-8)
                if k < dimension { w[k] -= update } else { b -= update }
            }
        }
        // w·(x - μ)/σ + b = (w/σ)·x + (b - Σ w μ/σ)
        let folded = (0..<dimension).map { w[$0] / sigma[$0] }
        return (folded, b - (0..<dimension).reduce(Float(0)) { $0 + folded[$1] * mu[$1] })
    }

    /// The threshold (one of the scores, or 0.5 if none does better) with the best F1.
    static func bestThreshold(scores: [Float], targets: [Float]) -> (threshold: Float, precision: Double, recall: Double) {
        let positives = targets.reduce(0, +)
        var best = (threshold: Float(0.5), precision: 0.0, recall: 0.0, f1: -1.0)
        for candidate in Set(scores).sorted() where candidate > 0 && candidate < 1 {
            var hits: Float = 0, flagged: Float = 0
            for (score, target) in zip(scores, targets) where score >= candidate {
                flagged += 1
                hits += target
            }
            let precision = flagged > 0 ? Double(hits) / Double(flagged) : 0, recall = Double(hits) / Double(positives)
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            if f1 > best.f1 { best = (candidate, precision, recall, f1) }
        }
        return (best.threshold, best.precision, best.recall)
    }

    /// The highest threshold (one of the scores) at which at least `keep` of the positives
    /// score at or above it, with the precision and recall there.
    static func recallThreshold(scores: [Float], targets: [Float], keep: Double) -> (threshold: Float, precision: Double, recall: Double) {
        let positives = zip(scores, targets).filter { $0.1 > 0 }.map(\.0).sorted(by: >)
        precondition(!positives.isEmpty && keep > 0 && keep < 1, "recallThreshold: needs positives and 0 < keep < 1")
        let threshold = positives[min(positives.count - 1, Int((keep * Double(positives.count)).rounded(.up)) - 1)]
        var hits = 0.0, flagged = 0.0
        for (score, target) in zip(scores, targets) where score >= threshold {
            flagged += 1
            hits += Double(target)
        }
        return (threshold, hits / flagged, hits / Double(positives.count))
    }

    private static func percent(_ x: Double) -> String { "\((x * 1000).rounded() / 10)" }
}
