import NeuralCore

/// Shapes of the concatenation fusion: N video maps [D, S] (globally pooled first), M
/// queries [D], hidden H.
public struct ConcatFusionGeometry: Sendable, Equatable {
    public var videos: Int
    public var queries: Int
    public var dimension: Int
    public var cells: Int
    public var hidden: Int

    public init(videos: Int, queries: Int, dimension: Int, cells: Int, hidden: Int) {
        self.videos = videos
        self.queries = queries
        self.dimension = dimension
        self.cells = cells
        self.hidden = hidden
    }

    /// Scratch: vbar [N,D], P [N,H], Q [M,H], h [N,M,H], dP [N,H], dQ [M,H], dvbar [N,D].
    public var scratchCount: Int {
        2 * videos * dimension + 2 * videos * hidden + 2 * queries * hidden + videos * queries * hidden
    }
}

/// Concatenation fusion (the paper's Figure 2d-I, the 1-D baselines): the video map is
/// globally average-pooled to v̄ [D], concatenated with the query q [D], then FC(2D->H) ->
/// ReLU -> FC(H->1):
///
///   h[i][j] = ReLU(W_v v̄_i + W_q q_j + b1),  logit[i][j] = w2 · h[i][j] + b2
///
/// (a FC over [v̄; q] is W_v v̄ + W_q q, so every pair costs only H adds). Parameters:
/// fc1.video.weight [H,D], fc1.query.weight [H,D], fc1.bias [H], fc2.weight [H], fc2.bias [1].
public enum ConcatFusion {
    public static func parameterShapes(prefix: String, _ g: ConcatFusionGeometry) -> [(String, [Int])] {
        [("\(prefix).fc1.video.weight", [g.hidden, g.dimension]), ("\(prefix).fc1.query.weight", [g.hidden, g.dimension]),
         ("\(prefix).fc1.bias", [g.hidden]), ("\(prefix).fc2.weight", [g.hidden]), ("\(prefix).fc2.bias", [1])]
    }

    public static func parameterCount(_ g: ConcatFusionGeometry) -> Int { 2 * g.hidden * g.dimension + 2 * g.hidden + 1 }

    /// logits [N, M]; video [N, D, S]; query [M, D]; parameters [parameterCount].
    public static func forward(
        logits: UnsafeMutablePointer<Float>, video: UnsafePointer<Float>, query: UnsafePointer<Float>,
        parameters p: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, geometry g: ConcatFusionGeometry
    ) {
        let (n, m, d, s, hd) = (g.videos, g.queries, g.dimension, g.cells, g.hidden)
        let wv = p, wq = p + hd * d, b1 = wq + hd * d, w2 = b1 + hd, b2 = w2 + hd
        let vbar = scratch, pv = vbar + n * d, qv = pv + n * hd, h = qv + m * hd
        for i in 0..<(n * d) {
            var total: Float = 0
            for c in 0..<s { total += video[i * s + c] }
            vbar[i] = total / Float(s)
        }
        Linear.forward(output: pv, input: vbar, weight: wv, bias: b1, geometry: LinearGeometry(batch: n, inFeatures: d, outFeatures: hd))
        Linear.forward(output: qv, input: query, weight: wq, bias: nil, geometry: LinearGeometry(batch: m, inFeatures: d, outFeatures: hd))
        for i in 0..<n {
            for j in 0..<m {
                let row = h + (i * m + j) * hd
                var logit = b2[0]
                for k in 0..<hd {
                    row[k] = max(pv[i * hd + k] + qv[j * hd + k], 0)
                    logit += w2[k] * row[k]
                }
                logits[i * m + j] = logit
            }
        }
    }

    public static func backward(
        videoGrad: UnsafeMutablePointer<Float>?, queryGrad: UnsafeMutablePointer<Float>?, parameterGrads dp: UnsafeMutablePointer<Float>,
        logitsGrad: UnsafePointer<Float>, video: UnsafePointer<Float>, query: UnsafePointer<Float>,
        parameters p: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, geometry g: ConcatFusionGeometry
    ) {
        let (n, m, d, s, hd) = (g.videos, g.queries, g.dimension, g.cells, g.hidden)
        let wv = p, wq = p + hd * d, w2 = wq + hd * d + hd
        let dwv = dp, dwq = dp + hd * d, db1 = dwq + hd * d, dw2 = db1 + hd, db2 = dw2 + hd
        let vbar = scratch, h = vbar + n * d + n * hd + m * hd
        let dpv = h + n * m * hd, dqv = dpv + n * hd, dvbar = dqv + m * hd
        dpv.update(repeating: 0, count: n * hd)
        dqv.update(repeating: 0, count: m * hd)
        for i in 0..<n {
            for j in 0..<m {
                let grad = logitsGrad[i * m + j]
                if grad == 0 { continue }
                let row = h + (i * m + j) * hd
                db2[0] += grad
                for k in 0..<hd where row[k] > 0 {
                    dw2[k] += grad * row[k]
                    let dh = grad * w2[k]
                    dpv[i * hd + k] += dh
                    dqv[j * hd + k] += dh
                }
            }
        }
        dvbar.update(repeating: 0, count: n * d)
        Linear.backward(inputGrad: dvbar, weightGrad: dwv, biasGrad: db1, outputGrad: dpv, input: vbar, weight: wv,
                        geometry: LinearGeometry(batch: n, inFeatures: d, outFeatures: hd))
        Linear.backward(inputGrad: queryGrad, weightGrad: dwq, biasGrad: nil, outputGrad: dqv, input: query, weight: wq,
                        geometry: LinearGeometry(batch: m, inFeatures: d, outFeatures: hd))
        if let videoGrad {
            for i in 0..<(n * d) {
                let grad = dvbar[i] / Float(s)
                for c in 0..<s { videoGrad[i * s + c] += grad }
            }
        }
    }

    /// The head applied to each cell V[:, s] of one video map with one query: out [S].
    public static func cellMap(video: UnsafePointer<Float>, query: UnsafePointer<Float>, parameters p: UnsafePointer<Float>,
                               dimension d: Int, cells s: Int, hidden hd: Int, into out: UnsafeMutablePointer<Float>) {
        let wv = p, wq = p + hd * d, b1 = wq + hd * d, w2 = b1 + hd, b2 = w2 + hd
        var qh = [Float](repeating: 0, count: hd)
        for k in 0..<hd {
            var total = b1[k]
            for e in 0..<d { total += wq[k * d + e] * query[e] }
            qh[k] = total
        }
        for c in 0..<s {
            var logit = b2[0]
            for k in 0..<hd {
                var total = qh[k]
                for e in 0..<d { total += wv[k * d + e] * video[e * s + c] }
                logit += w2[k] * max(total, 0)
            }
            out[c] = logit
        }
    }

    /// Double reference of the logits.
    public static func reference(video: [Float], query: [Float], parameters p: [Float], geometry g: ConcatFusionGeometry) -> [Double] {
        let (n, m, d, s, hd) = (g.videos, g.queries, g.dimension, g.cells, g.hidden)
        var logits = [Double](repeating: 0, count: n * m)
        for i in 0..<n {
            for j in 0..<m {
                var logit = Double(p[2 * hd * d + 2 * hd])
                for k in 0..<hd {
                    var total = Double(p[2 * hd * d + k])
                    for e in 0..<d {
                        let vbar = (0..<s).reduce(0.0) { $0 + Double(video[(i * d + e) * s + $1]) } / Double(s)
                        total += Double(p[k * d + e]) * vbar + Double(p[hd * d + k * d + e]) * Double(query[j * d + e])
                    }
                    logit += Double(p[2 * hd * d + hd + k]) * max(total, 0)
                }
                logits[i * m + j] = logit
            }
        }
        return logits
    }
}
