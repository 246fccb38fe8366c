/// Rectifier. Forward may run in place; backward needs only the output (y > 0 <=> x > 0).
public enum ReLU {
    /// output, input: [count]
    public static func forward(output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, count: Int, threads: Int = 1) {
        Parallel.forChunks(count, threads: threads) { range in
            for i in range { output[i] = max(input[i], 0) }
        }
    }

    /// inputGrad += outputGrad where output > 0. inputGrad may alias outputGrad
    /// (then the gradient is masked in place; pass `accumulate: false`).
    public static func backward(
        inputGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>,
        output: UnsafePointer<Float>, count: Int, accumulate: Bool = true, threads: Int = 1
    ) {
        Parallel.forChunks(count, threads: threads) { range in
            if accumulate {
                for i in range where output[i] > 0 { inputGrad[i] += outputGrad[i] }
            } else {
                for i in range { inputGrad[i] = output[i] > 0 ? outputGrad[i] : 0 }
            }
        }
    }

    public static func reference(_ x: Float) -> Float { x > 0 ? x : 0 }
}
