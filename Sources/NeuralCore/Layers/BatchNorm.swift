/// Per-channel batch normalisation over an NCHW batch (statistics over N, H, W), with
/// PyTorch's conventions: biased variance to normalise, unbiased variance in the running
/// estimate, running = (1 - momentum) * running + momentum * batch.
public struct BatchNormGeometry: Sendable, Equatable {
    public var batch: Int
    public var channels: Int
    public var spatial: Int  // H * W
    public var epsilon: Float
    public var momentum: Float

    public init(batch: Int, channels: Int, spatial: Int, epsilon: Float = 1e-5, momentum: Float = 0.1) {
        self.batch = batch
        self.channels = channels
        self.spatial = spatial
        self.epsilon = epsilon
        self.momentum = momentum
    }

    public var count: Int { batch * channels * spatial }
}

public enum BatchNorm {
    /// Training mode. output, input: [N, C, HW]; gamma, beta, savedMean, savedInvStd,
    /// runningMean, runningVar: [C]. Output must not alias input (backward reads the input).
    /// `relu` fuses a following ReLU into the same pass (its backward needs only the output).
    public static func forwardTraining(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        savedMean: UnsafeMutablePointer<Float>, savedInvStd: UnsafeMutablePointer<Float>,
        runningMean: UnsafeMutablePointer<Float>, runningVar: UnsafeMutablePointer<Float>,
        geometry g: BatchNormGeometry, relu: Bool = false, threads: Int = 1
    ) {
        let perChannel = g.batch * g.spatial
        Parallel.forEach(g.channels, threads: threads) { c in
            // Two passes (mean, then centred squares): no cancellation when |mean| >> std.
            // Per-plane SIMD sums, combined in Double across the batch.
            var total = 0.0
            for n in 0..<g.batch { total += Double(VectorMath.sum(input + (n * g.channels + c) * g.spatial, g.spatial)) }
            let mean = total / Double(perChannel)
            var squares = 0.0
            for n in 0..<g.batch {
                squares += Double(VectorMath.sumSquaredDeviation(input + (n * g.channels + c) * g.spatial, g.spatial, center: Float(mean)))
            }
            let variance = squares / Double(perChannel)
            let invStd = Float(1 / (variance + Double(g.epsilon)).squareRoot())
            savedMean[c] = Float(mean)
            savedInvStd[c] = invStd
            let unbiased = perChannel > 1 ? squares / Double(perChannel - 1) : variance
            runningMean[c] = (1 - g.momentum) * runningMean[c] + g.momentum * Float(mean)
            runningVar[c] = (1 - g.momentum) * runningVar[c] + g.momentum * Float(unbiased)
            let scale = gamma[c] * invStd, shift = beta[c] - Float(mean) * scale
            applyAffine(output: output, input: input, channel: c, scale: scale, shift: shift, relu: relu, geometry: g)
        }
    }

    /// Inference mode: normalise with the running statistics (ReLU fused if asked). May run in place.
    public static func forwardInference(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        runningMean: UnsafePointer<Float>, runningVar: UnsafePointer<Float>,
        geometry g: BatchNormGeometry, relu: Bool = false, threads: Int = 1
    ) {
        Parallel.forEach(g.channels, threads: threads) { c in
            let scale = gamma[c] / (runningVar[c] + g.epsilon).squareRoot()
            let shift = beta[c] - runningMean[c] * scale
            applyAffine(output: output, input: input, channel: c, scale: scale, shift: shift, relu: relu, geometry: g)
        }
    }

    /// y = x * scale + shift over one channel of every image, optionally clamped at zero.
    @inline(__always)
    private static func applyAffine(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>, channel c: Int,
        scale: Float, shift: Float, relu: Bool, geometry g: BatchNormGeometry
    ) {
        for n in 0..<g.batch {
            let x = input + (n * g.channels + c) * g.spatial
            let y = output + (n * g.channels + c) * g.spatial
            if relu {
                for i in 0..<g.spatial { y[i] = max(x[i] * scale + shift, 0) }
            } else {
                for i in 0..<g.spatial { y[i] = x[i] * scale + shift }
            }
        }
    }

    /// Backward of the training-mode forward. Accumulates inputGrad [N, C, HW],
    /// gammaGrad [C], betaGrad [C]:
    /// dx = gamma * invStd / M * (M * dy - sum(dy) - xhat * sum(dy * xhat)).
    public static func backward(
        inputGrad: UnsafeMutablePointer<Float>, gammaGrad: UnsafeMutablePointer<Float>,
        betaGrad: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>,
        input: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        savedMean: UnsafePointer<Float>, savedInvStd: UnsafePointer<Float>,
        geometry g: BatchNormGeometry, threads: Int = 1
    ) {
        let perChannel = Float(g.batch * g.spatial)
        Parallel.forEach(g.channels, threads: threads) { c in
            let mean = savedMean[c], invStd = savedInvStd[c]
            // sum(dy * xhat) = invStd * (sum(dy * x) - mean * sum(dy))
            var sumGrad: Float = 0, sumGradX: Float = 0
            for n in 0..<g.batch {
                let x = input + (n * g.channels + c) * g.spatial
                let dy = outputGrad + (n * g.channels + c) * g.spatial
                sumGrad += VectorMath.sum(dy, g.spatial)
                sumGradX += VectorMath.dot(dy, x, g.spatial)
            }
            let sumGradXhat = invStd * (sumGradX - mean * sumGrad)
            betaGrad[c] += sumGrad
            gammaGrad[c] += sumGradXhat
            let scale = gamma[c] * invStd / perChannel
            let meanGrad = sumGrad / perChannel, meanGradXhat = sumGradXhat / perChannel
            for n in 0..<g.batch {
                let x = input + (n * g.channels + c) * g.spatial
                let dy = outputGrad + (n * g.channels + c) * g.spatial
                let dx = inputGrad + (n * g.channels + c) * g.spatial
                // dx = a * dy + b * x + c, with the per-channel constants folded.
                let a = scale * perChannel, b = -a * invStd * meanGradXhat
                let c0 = -a * meanGrad - b * mean
                for i in 0..<g.spatial { dx[i] += a * dy[i] + b * x[i] + c0 }
            }
        }
    }

    /// Straightforward reference of the training forward (two passes, Double throughout).
    public static func referenceForwardTraining(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, geometry g: BatchNormGeometry
    ) {
        for c in 0..<g.channels {
            var values = [Double]()
            for n in 0..<g.batch {
                for i in 0..<g.spatial { values.append(Double(input[(n * g.channels + c) * g.spatial + i])) }
            }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)
            for n in 0..<g.batch {
                for i in 0..<g.spatial {
                    let index = (n * g.channels + c) * g.spatial + i
                    let xhat = (Double(input[index]) - mean) / (variance + Double(g.epsilon)).squareRoot()
                    output[index] = Float(xhat * Double(gamma[c]) + Double(beta[c]))
                }
            }
        }
    }
}
