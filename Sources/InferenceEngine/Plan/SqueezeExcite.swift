import COpenBLAS
import Glibc

/// The SE gate of one image, shared by the float and int8 executors (it stays float):
/// gate = sigmoid(W2 relu(W1 pooled + b1) + b2). No allocation: hidden [R] and gate [C] are
/// the caller's buffers. The two layers are sgemv: as scalar loops (one dependent add per
/// multiply) they took 0.6 ms of each 2048-channel block of the paper network.
enum SqueezeExcite {
    static func gate(_ se: SEWeights, pooled: UnsafePointer<Float>, hidden: UnsafeMutablePointer<Float>, gate: UnsafeMutablePointer<Float>) {
        let c = se.channels, r = se.reduced
        hidden.update(from: se.fc1Bias, count: r)
        se.fc1Weight.withUnsafeBufferPointer {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(r), Int32(c), 1, $0.baseAddress!, Int32(c), pooled, 1, 1, hidden, 1)
        }
        for j in 0..<r { hidden[j] = max(hidden[j], 0) }
        gate.update(from: se.fc2Bias, count: c)
        se.fc2Weight.withUnsafeBufferPointer {
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(c), Int32(r), 1, $0.baseAddress!, Int32(r), hidden, 1, 1, gate, 1)
        }
        for i in 0..<c { gate[i] = 1 / (1 + expf(-gate[i])) }
    }
}
