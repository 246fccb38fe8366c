import Glibc

/// Mean softmax cross-entropy over a batch of logits with integer class labels.
public enum SoftmaxCrossEntropy {
    /// logits: [N, K]; labels: [N] in 0..<K; probabilities: [N, K] saved for backward.
    /// Returns the mean loss.
    public static func forward(
        logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, probabilities: UnsafeMutablePointer<Float>,
        batch: Int, classes: Int
    ) -> Float {
        var total = 0.0
        for n in 0..<batch {
            let z = logits + n * classes, p = probabilities + n * classes
            var peak = -Float.infinity
            for k in 0..<classes { peak = max(peak, z[k]) }
            var sum: Float = 0
            for k in 0..<classes {
                p[k] = expf(z[k] - peak)
                sum += p[k]
            }
            for k in 0..<classes { p[k] /= sum }
            let label = Int(labels[n])
            precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
            total += Double(logf(sum) + peak - z[label])
        }
        return Float(total / Double(batch))
    }

    /// logitsGrad [N, K] += lossGrad * (p - onehot) / N
    public static func backward(
        logitsGrad: UnsafeMutablePointer<Float>, probabilities: UnsafePointer<Float>, labels: UnsafePointer<Int32>,
        batch: Int, classes: Int, lossGrad: Float = 1
    ) {
        let scale = lossGrad / Float(batch)
        for n in 0..<batch {
            let p = probabilities + n * classes, dz = logitsGrad + n * classes
            for k in 0..<classes { dz[k] += scale * p[k] }
            dz[Int(labels[n])] -= scale
        }
    }

    /// Double-precision reference of the mean loss.
    public static func referenceLoss(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, batch: Int, classes: Int) -> Double {
        var total = 0.0
        for n in 0..<batch {
            let row = (0..<classes).map { Double(logits[n * classes + $0]) }
            let peak = row.max()!
            let logSum = log(row.map { exp($0 - peak) }.reduce(0, +)) + peak
            total += logSum - row[Int(labels[n])]
        }
        return total / Double(batch)
    }
}
