import Glibc

/// Squeeze-and-excitation (Hu et al.): y = x * sigmoid(W2 relu(W1 gap(x) + b1) + b2),
/// one gate per (image, channel).
public struct SqueezeExcitationGeometry: Sendable, Equatable {
    public var batch: Int
    public var channels: Int
    public var reduced: Int  // hidden width, channels / reduction
    public var spatial: Int  // H * W

    public init(batch: Int, channels: Int, reduced: Int, spatial: Int) {
        self.batch = batch
        self.channels = channels
        self.reduced = reduced
        self.spatial = spatial
    }

    public var count: Int { batch * channels * spatial }
    /// Parameters: fc1 weight [R, C], fc1 bias [R], fc2 weight [C, R], fc2 bias [C].
    public var parameterCount: Int { 2 * channels * reduced + reduced + channels }
    /// Saved activations + backward scratch: pooled, gate, gateGrad, pooledGrad [N, C];
    /// hidden, hiddenGrad [N, R].
    public var savedCount: Int { 4 * batch * channels + 2 * batch * reduced }
    var fc1: LinearGeometry { LinearGeometry(batch: batch, inFeatures: channels, outFeatures: reduced) }
    var fc2: LinearGeometry { LinearGeometry(batch: batch, inFeatures: reduced, outFeatures: channels) }
}

public enum SqueezeExcitation {
    /// Pointers into one parameter block laid out as in `parameterCount`.
    struct Parameters {
        let fc1Weight, fc1Bias, fc2Weight, fc2Bias: UnsafeMutablePointer<Float>
        init(_ base: UnsafeMutablePointer<Float>, _ g: SqueezeExcitationGeometry) {
            fc1Weight = base
            fc1Bias = base + g.channels * g.reduced
            fc2Weight = fc1Bias + g.reduced
            fc2Bias = fc2Weight + g.channels * g.reduced
        }
    }

    struct Saved {
        let pooled, gate, gateGrad, pooledGrad, hidden, hiddenGrad: UnsafeMutablePointer<Float>
        init(_ base: UnsafeMutablePointer<Float>, _ g: SqueezeExcitationGeometry) {
            let nc = g.batch * g.channels
            pooled = base
            gate = base + nc
            gateGrad = base + 2 * nc
            pooledGrad = base + 3 * nc
            hidden = base + 4 * nc
            hiddenGrad = hidden + g.batch * g.reduced
        }
    }

    /// output, input: [N, C, HW]; parameters: [parameterCount]; saved: [savedCount].
    public static func forward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        parameters: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>,
        geometry g: SqueezeExcitationGeometry, threads: Int = 1
    ) {
        let p = Parameters(parameters, g), s = Saved(saved, g)
        GlobalAvgPool.forward(output: s.pooled, input: input, planes: g.batch * g.channels, spatial: g.spatial)
        Linear.forward(output: s.hidden, input: s.pooled, weight: p.fc1Weight, bias: p.fc1Bias, geometry: g.fc1)
        ReLU.forward(output: s.hidden, input: s.hidden, count: g.batch * g.reduced)
        Linear.forward(output: s.gate, input: s.hidden, weight: p.fc2Weight, bias: p.fc2Bias, geometry: g.fc2)
        for i in 0..<g.batch * g.channels { s.gate[i] = sigmoid(s.gate[i]) }
        Parallel.forEach(g.batch * g.channels, threads: threads) { plane in
            let x = input + plane * g.spatial, y = output + plane * g.spatial
            let gate = s.gate[plane]
            for i in 0..<g.spatial { y[i] = x[i] * gate }
        }
    }

    /// Accumulates inputGrad [N, C, HW] and parameterGrads [parameterCount].
    public static func backward(
        inputGrad: UnsafeMutablePointer<Float>, parameterGrads: UnsafeMutablePointer<Float>,
        outputGrad: UnsafePointer<Float>, input: UnsafePointer<Float>,
        parameters: UnsafeMutablePointer<Float>, saved: UnsafeMutablePointer<Float>,
        geometry g: SqueezeExcitationGeometry, threads: Int = 1
    ) {
        let p = Parameters(parameters, g), dp = Parameters(parameterGrads, g), s = Saved(saved, g)
        let nc = g.batch * g.channels
        // Direct path dx += dy * gate; gate path d(gate) = sum_hw dy * x, through the sigmoid.
        Parallel.forEach(nc, threads: threads) { plane in
            let x = input + plane * g.spatial, dy = outputGrad + plane * g.spatial, dx = inputGrad + plane * g.spatial
            let gate = s.gate[plane]
            for i in 0..<g.spatial { dx[i] += dy[i] * gate }
            let gateGrad = VectorMath.dot(dy, x, g.spatial)
            s.gateGrad[plane] = gateGrad * gate * (1 - gate)
        }
        s.hiddenGrad.update(repeating: 0, count: g.batch * g.reduced)
        Linear.backward(
            inputGrad: s.hiddenGrad, weightGrad: dp.fc2Weight, biasGrad: dp.fc2Bias, outputGrad: s.gateGrad,
            input: s.hidden, weight: p.fc2Weight, geometry: g.fc2)
        ReLU.backward(inputGrad: s.hiddenGrad, outputGrad: s.hiddenGrad, output: s.hidden, count: g.batch * g.reduced, accumulate: false)
        s.pooledGrad.update(repeating: 0, count: nc)
        Linear.backward(
            inputGrad: s.pooledGrad, weightGrad: dp.fc1Weight, biasGrad: dp.fc1Bias, outputGrad: s.hiddenGrad,
            input: s.pooled, weight: p.fc1Weight, geometry: g.fc1)
        GlobalAvgPool.backward(inputGrad: inputGrad, outputGrad: s.pooledGrad, planes: nc, spatial: g.spatial)
    }

    /// Scalar reference of the forward pass.
    public static func referenceForward(
        output: UnsafeMutablePointer<Float>, input: UnsafePointer<Float>,
        parameters: UnsafeMutablePointer<Float>, geometry g: SqueezeExcitationGeometry
    ) {
        let p = Parameters(parameters, g)
        for n in 0..<g.batch {
            var pooled = [Double](repeating: 0, count: g.channels)
            for c in 0..<g.channels {
                pooled[c] = sumDouble(input + (n * g.channels + c) * g.spatial, g.spatial) / Double(g.spatial)
            }
            var hidden = [Double](repeating: 0, count: g.reduced)
            for r in 0..<g.reduced {
                var total = Double(p.fc1Bias[r])
                for c in 0..<g.channels { total += Double(p.fc1Weight[r * g.channels + c]) * pooled[c] }
                hidden[r] = max(total, 0)
            }
            for c in 0..<g.channels {
                var total = Double(p.fc2Bias[c])
                for r in 0..<g.reduced { total += Double(p.fc2Weight[c * g.reduced + r]) * hidden[r] }
                let gate = 1 / (1 + exp(-total))
                for i in 0..<g.spatial {
                    let index = (n * g.channels + c) * g.spatial + i
                    output[index] = Float(Double(input[index]) * gate)
                }
            }
        }
    }
}
