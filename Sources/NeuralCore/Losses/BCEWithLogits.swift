import Glibc

/// Mean binary cross-entropy on logits, in the overflow-free form
/// max(x, 0) - x t + log(1 + exp(-|x|)).
public enum BCEWithLogits {
    /// logits, targets: [count] (targets in [0, 1]). Returns the mean loss.
    public static func forward(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int) -> Float {
        var total = 0.0
        for i in 0..<count {
            let x = logits[i]
            total += Double(max(x, 0) - x * targets[i] + log1pf(expf(-abs(x))))
        }
        return Float(total / Double(count))
    }

    /// logitsGrad [count] += lossGrad * (sigmoid(x) - t) / count
    public static func backward(
        logitsGrad: UnsafeMutablePointer<Float>, logits: UnsafePointer<Float>, targets: UnsafePointer<Float>,
        count: Int, lossGrad: Float = 1
    ) {
        let scale = lossGrad / Float(count)
        for i in 0..<count { logitsGrad[i] += scale * (sigmoid(logits[i]) - targets[i]) }
    }

    /// Textbook form -[t log s + (1 - t) log(1 - s)] in Double.
    public static func referenceLoss(logits: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int) -> Double {
        var total = 0.0
        for i in 0..<count {
            let s = 1 / (1 + exp(-Double(logits[i]))), t = Double(targets[i])
            total -= t * log(s) + (1 - t) * log(1 - s)
        }
        return total / Double(count)
    }
}
