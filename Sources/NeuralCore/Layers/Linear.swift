import COpenBLAS

/// Fully connected layer y = x W^T + b (PyTorch weight layout [out, in]).
public struct LinearGeometry: Sendable, Equatable {
    public var batch: Int
    public var inFeatures: Int
    public var outFeatures: Int
    public init(batch: Int, inFeatures: Int, outFeatures: Int) {
        self.batch = batch
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
    }
    public var weightCount: Int { inFeatures * outFeatures }
}

public enum Linear {
    /// output: [N, out]; input: [N, in]; weight: [out, in]; bias: [out] or nil
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, geometry g: LinearGeometry
    ) {
        cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(g.batch), Int32(g.outFeatures), Int32(g.inFeatures),
            1, input, Int32(g.inFeatures), weight, Int32(g.inFeatures), 0, output, Int32(g.outFeatures))
        if let bias {
            for n in 0..<g.batch {
                let y = output + n * g.outFeatures
                for o in 0..<g.outFeatures { y[o] += bias[o] }
            }
        }
    }

    /// Accumulates inputGrad [N, in] (if non-nil), weightGrad [out, in], biasGrad [out] (if non-nil).
    public static func backward(
        inputGrad: UnsafeMutablePointer<Float>?, weightGrad: UnsafeMutablePointer<Float>,
        biasGrad: UnsafeMutablePointer<Float>?, outputGrad: UnsafePointer<Float>,
        input: UnsafePointer<Float>, weight: UnsafePointer<Float>, geometry g: LinearGeometry
    ) {
        if let inputGrad {
            // inputGrad [N, in] += outputGrad [N, out] x weight [out, in]
            cblas_sgemm(
                CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(g.batch), Int32(g.inFeatures), Int32(g.outFeatures),
                1, outputGrad, Int32(g.outFeatures), weight, Int32(g.inFeatures), 1, inputGrad, Int32(g.inFeatures))
        }
        // weightGrad [out, in] += outputGrad^T [out, N] x input [N, in]
        cblas_sgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(g.outFeatures), Int32(g.inFeatures), Int32(g.batch),
            1, outputGrad, Int32(g.outFeatures), input, Int32(g.inFeatures), 1, weightGrad, Int32(g.inFeatures))
        if let biasGrad {
            for n in 0..<g.batch {
                let dy = outputGrad + n * g.outFeatures
                for o in 0..<g.outFeatures { biasGrad[o] += dy[o] }
            }
        }
    }

    public static func referenceForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, geometry g: LinearGeometry
    ) {
        for n in 0..<g.batch {
            for o in 0..<g.outFeatures {
                var total = Double(bias?[o] ?? 0)
                for i in 0..<g.inFeatures { total += Double(input[n * g.inFeatures + i]) * Double(weight[o * g.inFeatures + i]) }
                output[n * g.outFeatures + o] = Float(total)
            }
        }
    }
}
