import Glibc

/// The audio branch as a listener: from the pooled audio features, which anatomy keyword
/// does this window's speech name? A linear head gives K + 1 logits (the dictionary's
/// canonical anatomies in sorted order, then "no keyword"); the target of a clip spreads
/// evenly over the anatomies its ASR words name (the prep's recognition of the room audio,
/// the same words the SIG keyword gate reads: no transcript or label), or sits on "no
/// keyword". Soft-target cross-entropy, mean over the batch:
///
///   L = -1/N Σ_n Σ_k q[n,k] log softmax(z[n])[k]
///
/// Why: the audio embedding of the shipped bundle does not tell held-out voices' keywords
/// apart (a linear probe 30 % vs 28 % always "spine"); this term makes the backbone's pooled
/// features carry the keyword, which the audio projection can then pass to the map.
public enum KeywordListeningLoss {
    /// Targets [N, K + 1] for clips naming `named[n]`, over `classes` (K sorted names).
    public static func targets(named: [Set<String>], classes: [String]) -> [Float] {
        let k = classes.count + 1
        var q = [Float](repeating: 0, count: named.count * k)
        for (n, names) in named.enumerated() {
            let hits = classes.indices.filter { names.contains(classes[$0]) }
            if hits.isEmpty {
                q[n * k + classes.count] = 1
            } else {
                for c in hits { q[n * k + c] = 1 / Float(hits.count) }
            }
        }
        return q
    }

    /// logits, targets: [N, K]. Returns L.
    public static func forward(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, batch n: Int, classes k: Int) -> Float {
        var total = 0.0
        for row in 0..<n {
            let z = logits + row * k, q = targets + row * k
            let logSum = logSumExp(z, count: k)
            for c in 0..<k where q[c] != 0 { total -= Double(q[c]) * (Double(z[c]) - logSum) }
        }
        return Float(total / Double(max(n, 1)))
    }

    /// logitsGrad [N, K] += lossGrad · (softmax(z) - q) / N (the targets of a row sum to 1).
    public static func backward(logitsGrad: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, targets: UnsafePointer<Float>,
                                batch n: Int, classes k: Int, lossGrad: Float = 1) {
        let scale = Double(lossGrad) / Double(max(n, 1))
        for row in 0..<n {
            let z = logits + row * k, q = targets + row * k, dz = logitsGrad + row * k
            let logSum = logSumExp(z, count: k)
            for c in 0..<k { dz[c] += Float(scale * (exp(Double(z[c]) - logSum) - Double(q[c]))) }
        }
    }

    private static func logSumExp(_ z: UnsafePointer<Float>, count k: Int) -> Double {
        var top = -Double.infinity
        for c in 0..<k { top = max(top, Double(z[c])) }
        var sum = 0.0
        for c in 0..<k { sum += exp(Double(z[c]) - top) }
        return top + log(sum)
    }
}
