/// Row-wise L2 normalisation y = x / max(|x|, eps) (PyTorch F.normalize), used before
/// cosine-similarity losses.
public enum L2Normalize {
    /// output, input: [N, D]; norms: [N] saved for backward.
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, norms: UnsafeMutablePointer<Float>,
        rows: Int, dimension: Int, epsilon: Float = 1e-12
    ) {
        for n in 0..<rows {
            let x = input + n * dimension, y = output + n * dimension
            var squares = 0.0
            for d in 0..<dimension { squares += Double(x[d]) * Double(x[d]) }
            let norm = max(Float(squares.squareRoot()), epsilon)
            norms[n] = norm
            for d in 0..<dimension { y[d] = x[d] / norm }
        }
    }

    /// inputGrad [N, D] += (dy - y (y . dy)) / |x| (just dy / eps where the norm was clamped).
    public static func backward(
        inputGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>,
        output: UnsafePointer<Float>, norms: UnsafePointer<Float>, rows: Int, dimension: Int, epsilon: Float = 1e-12
    ) {
        for n in 0..<rows {
            let y = output + n * dimension, dy = outputGrad + n * dimension, dx = inputGrad + n * dimension
            let norm = norms[n]
            var projection: Float = 0
            if norm > epsilon { for d in 0..<dimension { projection += y[d] * dy[d] } }
            for d in 0..<dimension { dx[d] += (dy[d] - y[d] * projection) / norm }
        }
    }

    public static func referenceForward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, rows: Int, dimension: Int) {
        for n in 0..<rows {
            var squares = 0.0
            for d in 0..<dimension { squares += Double(input[n * dimension + d] * input[n * dimension + d]) }
            let norm = max(squares.squareRoot(), 1e-12)
            for d in 0..<dimension { output[n * dimension + d] = Float(Double(input[n * dimension + d]) / norm) }
        }
    }
}
