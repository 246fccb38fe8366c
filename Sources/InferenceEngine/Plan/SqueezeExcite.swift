import Glibc

/// The SE gate of one image, shared by the float and int8 executors (it stays float):
/// gate = sigmoid(W2 relu(W1 pooled + b1) + b2). No allocation: hidden [R] and gate [C] are
/// the caller's buffers.
enum SqueezeExcite {
    static func gate(_ se: SEWeights, pooled: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>) {
        let c = se.channels, r = se.reduced
        se.fc1Weight.withUnsafeBufferPointer { w1 in
            for j in 0..<r {
                var total = se.fc1Bias[j]
                let row = w1.baseAddress! + j * c
                for i in 0..<c { total += row[i] * pooled[i] }
                hidden[j] = max(total, 0)
            }
        }
        se.fc2Weight.withUnsafeBufferPointer { w2 in
            for i in 0..<c {
                var total = se.fc2Bias[i]
                let row = w2.baseAddress! + i * r
                for j in 0..<r { total += row[j] * hidden[j] }
                gate[i] = 1 / (1 + expf(-total))
            }
        }
    }
}
