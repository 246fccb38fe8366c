import Glibc
import NeuralCore

/// Which words open the selective information gate (the paper's Figure 2e).
public enum GateLevel: String, Sendable, CaseIterable {
    /// No SIG: every real word counts with weight 1 (padding excluded), the V-T baseline.
    case none
    /// e-I: `<unk>` and padding are masked out; the learned gate weighs the rest.
    case outliers
    /// e-II: only words of the keyword dictionary can open the gate.
    case keywords
}

/// Shapes of the text branch: N clips of L word slots, word vectors of E, hidden H, joint D,
/// SIG hidden G.
public struct TextGeometry: Sendable, Equatable {
    public var batch: Int
    public var words: Int
    public var wordDimension: Int
    public var hidden: Int
    public var dimension: Int
    public var gateHidden: Int

    public init(batch: Int, words: Int, wordDimension: Int, hidden: Int, dimension: Int, gateHidden: Int) {
        self.batch = batch
        self.words = words
        self.wordDimension = wordDimension
        self.hidden = hidden
        self.dimension = dimension
        self.gateHidden = gateHidden
    }

    var rows: Int { batch * words }
    /// Scratch floats: u1 [NL,H], u [NL,D], z [NL,G], g [NL], du1 [NL,H], du [NL,D], dz [NL,G].
    public var scratchCount: Int { rows * (2 * hidden + 2 * dimension + 2 * gateHidden + 1) }
}

/// The text branch (training only): word vectors e -> FC(E->H) -> ReLU -> FC(H->D) = u per
/// word; SIG: 1×1 convolution over the word sequence (a per-word E->G linear) -> ReLU ->
/// FC(G->1) -> sigmoid = g per word; gate = g · mask (mask from `GateLevel`; level none uses
/// gate = mask). t_n = Σ_l gate_nl u_nl / max(1, Σ_l mask_nl): a masked, gated mean.
///
/// Parameters (one flat block, PyTorch layouts): fc1.weight [H,E], fc1.bias [H], fc2.weight
/// [D,H], fc2.bias [D], sig.conv.weight [G,E], sig.conv.bias [G], sig.fc.weight [G], sig.fc.bias [1].
public enum TextEncoder {
    public static func parameterShapes(_ g: TextGeometry) -> [(String, [Int])] {
        [("text.fc1.weight", [g.hidden, g.wordDimension]), ("text.fc1.bias", [g.hidden]),
         ("text.fc2.weight", [g.dimension, g.hidden]), ("text.fc2.bias", [g.dimension]),
         ("text.sig.conv.weight", [g.gateHidden, g.wordDimension]), ("text.sig.conv.bias", [g.gateHidden]),
         ("text.sig.fc.weight", [g.gateHidden]), ("text.sig.fc.bias", [1])]
    }

    struct Offsets {
        let fc1w, fc1b, fc2w, fc2b, convw, convb, fcw, fcb: Int
        init(_ g: TextGeometry) {
            fc1w = 0
            fc1b = fc1w + g.hidden * g.wordDimension
            fc2w = fc1b + g.hidden
            fc2b = fc2w + g.dimension * g.hidden
            convw = fc2b + g.dimension
            convb = convw + g.gateHidden * g.wordDimension
            fcw = convb + g.gateHidden
            fcb = fcw + g.gateHidden
        }
    }

    /// Floats of the parameter block.
    public static func parameterCount(_ g: TextGeometry) -> Int { Offsets(g).fcb + 1 }

    /// output t: [N, D]; embeddings e: [N, L, E]; mask: [N, L] (1 = may open the gate);
    /// gated: false for level none (gate = mask). `gates` [N, L] receives gate values.
    public static func forward(
        output: UnsafeMutablePointer<Float>, gates: UnsafeMutablePointer<Float>,
        embeddings: UnsafePointer<Float>, mask: UnsafePointer<Float>, gated: Bool,
        parameters p: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, geometry g: TextGeometry
    ) {
        let o = Offsets(g), rows = g.rows
        let u1 = scratch, u = u1 + rows * g.hidden, z = u + rows * g.dimension, gate = z + rows * g.gateHidden
        Linear.forward(output: u1, input: embeddings, weight: p + o.fc1w, bias: p + o.fc1b,
                       geometry: LinearGeometry(batch: rows, inFeatures: g.wordDimension, outFeatures: g.hidden))
        for i in 0..<(rows * g.hidden) { u1[i] = max(u1[i], 0) }
        Linear.forward(output: u, input: u1, weight: p + o.fc2w, bias: p + o.fc2b,
                       geometry: LinearGeometry(batch: rows, inFeatures: g.hidden, outFeatures: g.dimension))
        Linear.forward(output: z, input: embeddings, weight: p + o.convw, bias: p + o.convb,
                       geometry: LinearGeometry(batch: rows, inFeatures: g.wordDimension, outFeatures: g.gateHidden))
        for r in 0..<rows {
            var logit = p[o.fcb]
            for k in 0..<g.gateHidden {
                z[r * g.gateHidden + k] = max(z[r * g.gateHidden + k], 0)
                logit += p[o.fcw + k] * z[r * g.gateHidden + k]
            }
            gate[r] = gated ? gateSigmoid(logit) : 1
            gates[r] = gate[r] * mask[r]
        }
        for n in 0..<g.batch {
            let t = output + n * g.dimension
            t.update(repeating: 0, count: g.dimension)
            let scale = 1 / max(1, (0..<g.words).reduce(Float(0)) { $0 + mask[n * g.words + $1] })
            for l in 0..<g.words {
                let weight = gates[n * g.words + l] * scale
                if weight == 0 { continue }
                let row = u + (n * g.words + l) * g.dimension
                for d in 0..<g.dimension { t[d] += weight * row[d] }
            }
        }
    }

    /// Accumulates parameter gradients from outputGrad dt [N, D] (word vectors are fixed).
    public static func backward(
        parameterGrads dp: UnsafeMutablePointer<Float>, outputGrad: UnsafePointer<Float>,
        embeddings: UnsafePointer<Float>, mask: UnsafePointer<Float>, gated: Bool,
        parameters p: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, geometry g: TextGeometry
    ) {
        let o = Offsets(g), rows = g.rows
        let u1 = scratch, u = u1 + rows * g.hidden, z = u + rows * g.dimension, gate = z + rows * g.gateHidden
        let du1 = gate + rows, du = du1 + rows * g.hidden, dz = du + rows * g.dimension
        du1.update(repeating: 0, count: rows * g.hidden)
        dz.update(repeating: 0, count: rows * g.gateHidden)
        for n in 0..<g.batch {
            let dt = outputGrad + n * g.dimension
            let scale = 1 / max(1, (0..<g.words).reduce(Float(0)) { $0 + mask[n * g.words + $1] })
            for l in 0..<g.words {
                let r = n * g.words + l
                let row = u + r * g.dimension, drow = du + r * g.dimension
                let weight = gate[r] * mask[r] * scale
                var dgate: Float = 0
                for d in 0..<g.dimension {
                    drow[d] = weight * dt[d]
                    dgate += dt[d] * row[d]
                }
                guard gated, mask[r] != 0 else { continue }
                // gate = sigmoid(logit): d logit = dgate * mask * scale * g (1 - g)
                let dlogit = dgate * mask[r] * scale * gate[r] * (1 - gate[r])
                dp[o.fcb] += dlogit
                for k in 0..<g.gateHidden {
                    let zk = z[r * g.gateHidden + k]
                    dp[o.fcw + k] += dlogit * zk
                    if zk > 0 { dz[r * g.gateHidden + k] = dlogit * p[o.fcw + k] }
                }
            }
        }
        Linear.backward(inputGrad: du1, weightGrad: dp + o.fc2w, biasGrad: dp + o.fc2b, outputGrad: du, input: u1,
                        weight: p + o.fc2w, geometry: LinearGeometry(batch: rows, inFeatures: g.hidden, outFeatures: g.dimension))
        for i in 0..<(rows * g.hidden) where u1[i] <= 0 { du1[i] = 0 }
        Linear.backward(inputGrad: nil, weightGrad: dp + o.fc1w, biasGrad: dp + o.fc1b, outputGrad: du1, input: embeddings,
                        weight: p + o.fc1w, geometry: LinearGeometry(batch: rows, inFeatures: g.wordDimension, outFeatures: g.hidden))
        if gated {
            Linear.backward(inputGrad: nil, weightGrad: dp + o.convw, biasGrad: dp + o.convb, outputGrad: dz, input: embeddings,
                            weight: p + o.convw, geometry: LinearGeometry(batch: rows, inFeatures: g.wordDimension, outFeatures: g.gateHidden))
        }
    }

    /// Plain-loop reference of `forward` in Double (tests).
    public static func reference(embeddings: [Float], mask: [Float], gated: Bool, parameters p: [Float], geometry g: TextGeometry) -> [Double] {
        let o = Offsets(g)
        var t = [Double](repeating: 0, count: g.batch * g.dimension)
        for n in 0..<g.batch {
            let count = max(1, (0..<g.words).reduce(0.0) { $0 + Double(mask[n * g.words + $1]) })
            for l in 0..<g.words {
                let r = n * g.words + l
                let e = { (i: Int) in Double(embeddings[r * g.wordDimension + i]) }
                var u1 = [Double](repeating: 0, count: g.hidden)
                for h in 0..<g.hidden {
                    var s = Double(p[o.fc1b + h])
                    for i in 0..<g.wordDimension { s += Double(p[o.fc1w + h * g.wordDimension + i]) * e(i) }
                    u1[h] = max(s, 0)
                }
                var logit = Double(p[o.fcb])
                for k in 0..<g.gateHidden {
                    var s = Double(p[o.convb + k])
                    for i in 0..<g.wordDimension { s += Double(p[o.convw + k * g.wordDimension + i]) * e(i) }
                    logit += Double(p[o.fcw + k]) * max(s, 0)
                }
                let gate = (gated ? 1 / (1 + exp(-logit)) : 1) * Double(mask[r])
                for d in 0..<g.dimension {
                    var s = Double(p[o.fc2b + d])
                    for h in 0..<g.hidden { s += Double(p[o.fc2w + d * g.hidden + h]) * u1[h] }
                    t[n * g.dimension + d] += gate * s / count
                }
            }
        }
        return t
    }

    @inline(__always) static func gateSigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + expf(-x)) : expf(x) / (1 + expf(x))
    }
}
