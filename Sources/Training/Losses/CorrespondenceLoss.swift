import Glibc

/// L_base, the paper's eq. (1): binary cross-entropy of "do this video and this audio (or
/// text) correspond". Over a batch's pair logits [N, N] (row = video i, column = query j):
/// every aligned pair (i, i) is a positive (c = 1); `negatives[i]` names one column j whose
/// clip is a valid negative for i (another scan, or the same scan shifted by at least the
/// policy's minimum), or -1 for none. The loss is the mean over the 2N (or fewer) terms:
///
///   L = -1/P Σ_pairs c log σ(x) + (1 - c) log(1 - σ(x))
public enum CorrespondenceLoss {
    public static func forward(logits: UnsafePointer<Float>, negatives: [Int], batch n: Int) -> Float {
        var total = 0.0, count = 0
        for i in 0..<n {
            total += Double(softplus(-logits[i * n + i]))  // -log σ(x)
            count += 1
            if negatives[i] >= 0 {
                total += Double(softplus(logits[i * n + negatives[i]]))  // -log(1 - σ(x))
                count += 1
            }
        }
        return Float(total / Double(max(count, 1)))
    }

    /// logitsGrad [N, N] += lossGrad * (σ(x) - c) / P at the pairs used.
    public static func backward(logitsGrad: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, negatives: [Int],
                                batch n: Int, lossGrad: Float = 1) {
        let count = n + negatives.reduce(0) { $0 + ($1 >= 0 ? 1 : 0) }
        let scale = lossGrad / Float(max(count, 1))
        for i in 0..<n {
            logitsGrad[i * n + i] += scale * (sigmoid(logits[i * n + i]) - 1)
            if negatives[i] >= 0 { logitsGrad[i * n + negatives[i]] += scale * sigmoid(logits[i * n + negatives[i]]) }
        }
    }

    /// Textbook form in Double (tests).
    public static func reference(logits: [Float], negatives: [Int], batch n: Int) -> Double {
        var total = 0.0, count = 0
        for i in 0..<n {
            total -= log(1 / (1 + exp(-Double(logits[i * n + i]))))
            count += 1
            if negatives[i] >= 0 {
                total -= log(1 - 1 / (1 + exp(-Double(logits[i * n + negatives[i]]))))
                count += 1
            }
        }
        return total / Double(count)
    }

    @inline(__always) static func softplus(_ x: Float) -> Float { max(x, 0) + log1pf(expf(-abs(x))) }
    @inline(__always) static func sigmoid(_ x: Float) -> Float { x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x)) }
}
