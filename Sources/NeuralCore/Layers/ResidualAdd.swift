/// y = a + b (the shortcut join of a residual block).
public enum ResidualAdd {
    /// output, a, b: [count]; output may alias a or b. `relu` fuses the block's final ReLU.
    public static func forward(
        output: UnsafeMutablePointer<Float>, a: UnsafePointer<Float>, b: UnsafePointer<Float>, count: Int,
        relu: Bool = false, threads: Int = 1
    ) {
        Parallel.forChunks(count, threads: threads) { range in
            if relu {
                for i in range { output[i] = max(a[i] + b[i], 0) }
            } else {
                for i in range { output[i] = a[i] + b[i] }
            }
        }
    }

    /// aGrad += outputGrad; bGrad += outputGrad.
    public static func backward(
        aGrad: UnsafeMutablePointer<Float>, bGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>, count: Int,
        threads: Int = 1
    ) {
        Parallel.forChunks(count, threads: threads) { range in
            for i in range {
                aGrad[i] += outputGrad[i]
                bGrad[i] += outputGrad[i]
            }
        }
    }

    public static func reference(_ a: Float, _ b: Float) -> Float { a + b }
}
