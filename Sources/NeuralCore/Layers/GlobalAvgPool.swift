/// Mean over each channel's spatial plane: [N, C, H, W] -> [N, C].
public enum GlobalAvgPool {
    /// output: [planes] (planes = N*C); input: [planes, spatial]
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, planes: Int, spatial: Int) {
        let scale = 1 / Float(spatial)
        for p in 0..<planes { output[p] = VectorMath.sum(input + p * spatial, spatial) * scale }
    }

    /// inputGrad [planes, spatial] += outputGrad[plane] / spatial
    public static func backward(inputGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>, planes: Int, spatial: Int) {
        let scale = 1 / Float(spatial)
        for p in 0..<planes {
            let dx = inputGrad + p * spatial
            let share = outputGrad[p] * scale
            for i in 0..<spatial { dx[i] += share }
        }
    }

    public static func referenceForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, planes: Int, spatial: Int) {
        for p in 0..<planes { output[p] = Float(sumDouble(input + p * spatial, spatial) / Double(spatial)) }
    }
}
