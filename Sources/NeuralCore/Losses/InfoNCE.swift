import COpenBLAS
import Glibc

/// Cross-modal InfoNCE over a batch: logits = a b^T / temperature, the positive of row i is
/// column i. One-way: mean CE over rows (a -> b). Symmetric: average of rows and columns
/// (CLIP). Inputs are usually L2-normalised first.
public struct InfoNCEGeometry: Sendable, Equatable {
    public var batch: Int
    public var dimension: Int
    public var temperature: Float
    public var symmetric: Bool

    public init(batch: Int, dimension: Int, temperature: Float = 0.07, symmetric: Bool = true) {
        self.batch = batch
        self.dimension = dimension
        self.temperature = temperature
        self.symmetric = symmetric
    }

    /// Scratch floats: logits then their gradient, [N, N] each.
    public var scratchCount: Int { 2 * batch * batch }
}

public enum InfoNCE {
    /// a, b: [N, D]; scratch: [scratchCount] (keeps the logits for backward). Returns the loss.
    public static func forward(
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, geometry g: InfoNCEGeometry
    ) -> Float {
        let n = g.batch
        let logits = scratch  // [N, N]
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(n), Int32(n), Int32(g.dimension),
            1 / g.temperature, a, Int32(g.dimension), b, Int32(g.dimension), 0, logits, Int32(n))
        var rows = 0.0, columns = 0.0
        for i in 0..<n {
            rows += logSumExp(logits + i * n, count: n, stride: 1) - Double(logits[i * n + i])
            if g.symmetric { columns += logSumExp(logits + i, count: n, stride: n) - Double(logits[i * n + i]) }
        }
        return Float(g.symmetric ? (rows + columns) / Double(2 * n) : rows / Double(n))
    }

    /// Accumulates aGrad, bGrad [N, D] (scaled by lossGrad); uses the logits left in scratch.
    public static func backward(
        aGrad: UnsafeMutablePointer<Float>, bGrad: UnsafeMutablePointer<Float>,
        a: UnsafePointer<Float>, b: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        geometry g: InfoNCEGeometry, lossGrad: Float = 1
    ) {
        let n = g.batch
        let logits = scratch, logitsGrad = scratch + n * n  // [N, N] each
        let weight = lossGrad / Float(n) / (g.symmetric ? 2 : 1)
        // Row direction: softmax over each row minus the identity.
        for i in 0..<n {
            let lse = Float(logSumExp(logits + i * n, count: n, stride: 1))
            for j in 0..<n { logitsGrad[i * n + j] = weight * (expf(logits[i * n + j] - lse) - (i == j ? 1 : 0)) }
        }
        if g.symmetric {
            for j in 0..<n {
                let lse = Float(logSumExp(logits + j, count: n, stride: n))
                for i in 0..<n { logitsGrad[i * n + j] += weight * (expf(logits[i * n + j] - lse) - (i == j ? 1 : 0)) }
            }
        }
        let scale = 1 / g.temperature
        // aGrad [N, D] += G [N, N] x b [N, D] / T;  bGrad [N, D] += G^T x a / T
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(g.dimension), Int32(n),
            scale, logitsGrad, Int32(n), b, Int32(g.dimension), 1, aGrad, Int32(g.dimension))
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(n), Int32(g.dimension), Int32(n),
            scale, logitsGrad, Int32(n), a, Int32(g.dimension), 1, bGrad, Int32(g.dimension))
    }

    static func logSumExp(_ x: UnsafePointer<Float>, count: Int, stride: Int) -> Double {
        var peak = -Float.infinity
        for i in 0..<count { peak = max(peak, x[i * stride]) }
        var total = 0.0
        for i in 0..<count { total += exp(Double(x[i * stride] - peak)) }
        return log(total) + Double(peak)
    }

    /// Double-precision reference of the loss.
    public static func referenceLoss(a: UnsafePointer<Float>, b: UnsafePointer<Float>, geometry g: InfoNCEGeometry) -> Double {
        let n = g.batch
        var logits = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0..<n {
                var dot = 0.0
                for d in 0..<g.dimension { dot += Double(a[i * g.dimension + d]) * Double(b[j * g.dimension + d]) }
                logits[i * n + j] = dot / Double(g.temperature)
            }
        }
        func lse(_ values: [Double]) -> Double {
            let peak = values.max()!
            return log(values.map { exp($0 - peak) }.reduce(0, +)) + peak
        }
        var rows = 0.0, columns = 0.0
        for i in 0..<n {
            rows += lse(Array(logits[(i * n)..<(i * n + n)])) - logits[i * n + i]
            columns += lse((0..<n).map { logits[$0 * n + i] }) - logits[i * n + i]
        }
        return g.symmetric ? (rows + columns) / Double(2 * n) : rows / Double(n)
    }
}
