import COpenBLAS
import Glibc
import NeuralCore

/// Dense contrastive loss of the `video-cells` variant (after DenseCL, Wang et al. 2021, and
/// VADeR, Pinheiro et al. 2020): each anchor cell of one view of a frame must pick out the
/// cell of the other view that shows the same place (`FrameView.correspondences`) among every
/// cell of the batch, both views and its own picture included, itself excluded:
///
///   L = mean_k -log( exp(z_a·z_p / τ) / Σ_{j ≠ a} exp(z_a·z_j / τ) ),  a = anchors[k], p = positives[k]
///
/// over L2-normalised cell embeddings z [R, D]. The other cells of the anchor's own picture
/// are negatives: that is what makes the heart's cells unlike the spine's of the same frame.
public enum CellCorrespondenceLoss {
    /// Scratch the loss needs for K anchors over R rows of dimension D.
    public static func scratchCount(anchors k: Int, rows r: Int, dimension d: Int) -> Int { 2 * k * r + 2 * k * d }

    /// Returns L. `scratch` (`scratchCount`) keeps what `backward` needs; call it before
    /// anything else writes there.
    public static func forward(embeddings z: UnsafePointer<Float>, rows r: Int, dimension d: Int, anchors: [Int32], positives: [Int32],
                               temperature: Float, scratch: UnsafeMutablePointer<Float>) -> Float {
        let k = anchors.count
        precondition(positives.count == k, "one positive per anchor")
        guard k > 0 else { return 0 }
        let logits = scratch, probabilities = scratch + k * r, queries = scratch + 2 * k * r
        for (i, a) in anchors.enumerated() { (queries + i * d).update(from: z + Int(a) * d, count: d) }
        // logits [K, R] = Q [K, D] x Z^T [D, R] / τ
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(k), Int32(r), Int32(d), 1 / temperature,
                    queries, Int32(d), z, Int32(d), 0, logits, Int32(r))
        for (i, a) in anchors.enumerated() { logits[i * r + Int(a)] = -1e30 }  // not its own negative
        return positives.withUnsafeBufferPointer { labels in
            SoftmaxCrossEntropy.forward(logits: logits, labels: labels.baseAddress!, probabilities: probabilities, batch: k, classes: r)
        }
    }

    /// zGrad [R, D] += lossGrad · dL/dz, from the scratch of the last `forward`.
    public static func backward(embeddingsGrad dz: UnsafeMutablePointer<Float>, embeddings z: UnsafePointer<Float>, rows r: Int, dimension d: Int,
                                anchors: [Int32], positives: [Int32], temperature: Float, lossGrad: Float, scratch: UnsafeMutablePointer<Float>) {
        let k = anchors.count
        guard k > 0 else { return }
        let logitsGrad = scratch, probabilities = scratch + k * r, queries = scratch + 2 * k * r, queriesGrad = queries + k * d
        logitsGrad.update(repeating: 0, count: k * r)
        positives.withUnsafeBufferPointer { labels in
            SoftmaxCrossEntropy.backward(logitsGrad: logitsGrad, probabilities: probabilities, labels: labels.baseAddress!, batch: k, classes: r, lossGrad: lossGrad)
        }
        // dZ [R, D] += dlogits^T [R, K] x Q [K, D] / τ;  dQ [K, D] = dlogits [K, R] x Z [R, D] / τ
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(r), Int32(d), Int32(k), 1 / temperature,
                    logitsGrad, Int32(r), queries, Int32(d), 1, dz, Int32(d))
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(k), Int32(d), Int32(r), 1 / temperature,
                    logitsGrad, Int32(r), z, Int32(d), 0, queriesGrad, Int32(d))
        for (i, a) in anchors.enumerated() {
            let row = dz + Int(a) * d, g = queriesGrad + i * d
            for j in 0..<d { row[j] += g[j] }
        }
    }

    /// Double-precision reference of L (tests).
    public static func referenceLoss(embeddings z: UnsafePointer<Float>, rows r: Int, dimension d: Int, anchors: [Int32], positives: [Int32], temperature: Float) -> Double {
        guard !anchors.isEmpty else { return 0 }
        var total = 0.0
        for (a, p) in zip(anchors, positives) {
            let scores = (0..<r).map { j -> Double in
                var dot = 0.0
                for e in 0..<d { dot += Double(z[Int(a) * d + e]) * Double(z[j * d + e]) }
                return dot / Double(temperature)
            }
            let others = (0..<r).filter { $0 != Int(a) }.map { scores[$0] }
            let peak = others.max()!
            total += log(others.map { exp($0 - peak) }.reduce(0, +)) + peak - scores[Int(p)]
        }
        return total / Double(anchors.count)
    }
}
