import COpenBLAS
import Glibc

/// How the per-cell scores are pooled into one pair logit.
public enum CellPooling: String, Sendable, CaseIterable {
    /// Global average pooling, as the paper's text reads literally.
    case mean
    /// log of the mean of exp over cells: a smooth maximum (the paper's "attention-like
    /// aggregation"): its gradient is a softmax over cells, so the cells that match the query
    /// learn most. Reduces to `mean` for flat maps.
    case lse
    /// The best cell alone (multiple-instance learning's max): a pair matches when one
    /// place in the frame matches the query, and only that place learns.
    case max
}

/// Shapes of the spatial-aware fusion: N video maps of D channels and S cells, M queries.
public struct SpatialFusionGeometry: Sendable, Equatable {
    public var videos: Int
    public var queries: Int
    public var dimension: Int
    public var cells: Int
    public var pooling: CellPooling
    /// `lse` only: β in (1/β) log mean exp(β m). 1 is the plain smooth maximum; larger
    /// values move it towards `max` without changing the logits' scale, so a small structure
    /// can carry a pair's score as well as a large one (the skull's ring has many cells).
    public var sharpness: Float

    public init(videos: Int, queries: Int, dimension: Int, cells: Int, pooling: CellPooling, sharpness: Float = 1) {
        self.videos = videos
        self.queries = queries
        self.dimension = dimension
        self.cells = cells
        self.pooling = pooling
        self.sharpness = sharpness
    }

    /// Scratch: cell scores / their pooling weights [N, M, S], scaled queries [M, D] and their gradient [M, D].
    public var scratchCount: Int { videos * queries * cells + 2 * queries * dimension }
}

/// Spatial-aware fusion (the paper's Figure 2d-II): the query vector (audio a or text t)
/// times every cell of the video map V element-wise, a fully connected layer to one score per
/// cell, pooled over cells:
///
///   m[i][j][s] = b + Σ_d w_d · q[j][d] · V[i][d][s]        (per-cell logit)
///   logit[i][j] = pool_s m[i][j][s]                          (mean, LSE-mean of sharpness β, or max)
///
/// The FC is linear, so pooling before or after it gives the same mean: m is exactly the
/// cell's share of the pair's logit. That per-cell logit is the localisation map the box
/// draws (ShowTellModel folds w into the audio projection, so m - b = <a', V[:, s]>).
///
/// Parameters: weight w [D], bias b [1].
public enum SpatialFusion {
    /// logits: [N, M]; video: [N, D, S]; query: [M, D]; weight: [D]; bias: [1].
    public static func forward(
        logits: UnsafeMutablePointer<Float>, video: UnsafePointer<Float>, query: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>,
        geometry g: SpatialFusionGeometry
    ) {
        let n = g.videos, m = g.queries, d = g.dimension, s = g.cells
        let cells = scratch, scaled = scratch + n * m * s  // [N, M, S], [M, D]
        for j in 0..<m { for k in 0..<d { scaled[j * d + k] = query[j * d + k] * weight[k] } }
        for i in 0..<n {
            // cells_i [M, S] = scaled [M, D] x V_i [D, S]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(s), Int32(d), 1,
                        scaled, Int32(d), video + i * d * s, Int32(s), 0, cells + i * m * s, Int32(s))
        }
        for pair in 0..<(n * m) {
            let row = cells + pair * s
            for c in 0..<s { row[c] += bias[0] }
            switch g.pooling {
            case .mean:
                var total: Float = 0
                for c in 0..<s { total += row[c] }
                logits[pair] = total / Float(s)
                for c in 0..<s { row[c] = 1 / Float(s) }  // pooling weights for backward
            case .lse:
                var peak = -Float.infinity
                for c in 0..<s { peak = max(peak, row[c]) }
                var total: Float = 0
                for c in 0..<s { row[c] = expf(g.sharpness * (row[c] - peak)); total += row[c] }
                logits[pair] = peak + logf(total / Float(s)) / g.sharpness
                for c in 0..<s { row[c] /= total }  // softmax over cells of β m: the logit's gradient
            case .max:
                var best = 0
                for c in 1..<s where row[c] > row[best] { best = c }
                logits[pair] = row[best]
                for c in 0..<s { row[c] = c == best ? 1 : 0 }
            }
        }
    }

    /// Accumulates videoGrad [N, D, S], queryGrad [M, D], weightGrad [D], biasGrad [1] from
    /// logitsGrad [N, M] and, when given, a loss's gradient on the cell logits m, cellGrad
    /// [N, M, S] (`SeparationLoss`); reads the pooling weights left in scratch by `forward`
    /// and overwrites them.
    public static func backward(
        videoGrad: UnsafeMutablePointer<Float>?, queryGrad: UnsafeMutablePointer<Float>?,
        weightGrad: UnsafeMutablePointer<Float>, biasGrad: UnsafeMutablePointer<Float>,
        logitsGrad: UnsafePointer<Float>, cellGrad: UnsafePointer<Float>? = nil, video: UnsafePointer<Float>, query: UnsafePointer<Float>,
        weight: UnsafePointer<Float>, scratch: UnsafeMutablePointer<Float>, geometry g: SpatialFusionGeometry
    ) {
        let n = g.videos, m = g.queries, d = g.dimension, s = g.cells
        let cells = scratch, scaled = scratch + n * m * s, scaledGrad = scaled + m * d
        // d cells [i, j, s] = dlogit[i, j] * pooling weight; in place over the weights.
        for pair in 0..<(n * m) {
            let row = cells + pair * s, grad = logitsGrad[pair]
            biasGrad[0] += grad
            for c in 0..<s { row[c] *= grad }
            if let extra = cellGrad?.advanced(by: pair * s) {
                for c in 0..<s {
                    row[c] += extra[c]
                    biasGrad[0] += extra[c]
                }
            }
        }
        scaledGrad.update(repeating: 0, count: m * d)
        for i in 0..<n {
            if let videoGrad {
                // dV_i [D, S] += scaled^T [D, M] x dcells_i [M, S]
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(d), Int32(s), Int32(m), 1,
                            scaled, Int32(d), cells + i * m * s, Int32(s), 1, videoGrad + i * d * s, Int32(s))
            }
            // dscaled [M, D] += dcells_i [M, S] x V_i^T [S, D]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(d), Int32(s), 1,
                        cells + i * m * s, Int32(s), video + i * d * s, Int32(s), 1, scaledGrad, Int32(d))
        }
        for j in 0..<m {
            for k in 0..<d {
                let grad = scaledGrad[j * d + k]
                weightGrad[k] += grad * query[j * d + k]
                queryGrad?[j * d + k] += grad * weight[k]
            }
        }
    }

    /// The per-cell logit map of one video map [D, S] and one query [D]: out [S].
    public static func cellMap(video: UnsafePointer<Float>, query: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                               bias: Float, dimension d: Int, cells s: Int, into out: UnsafeMutablePointer<Float>) {
        for c in 0..<s { out[c] = bias }
        for k in 0..<d {
            let q = query[k] * weight[k], row = video + k * s
            for c in 0..<s { out[c] += q * row[c] }
        }
    }

    /// Plain-loop Double reference of the logits.
    public static func reference(video: [Float], query: [Float], weight: [Float], bias: Float, geometry g: SpatialFusionGeometry) -> [Double] {
        var logits = [Double](repeating: 0, count: g.videos * g.queries)
        for i in 0..<g.videos {
            for j in 0..<g.queries {
                var cells = [Double]()
                for c in 0..<g.cells {
                    var m = Double(bias)
                    for k in 0..<g.dimension {
                        m += Double(weight[k]) * Double(query[j * g.dimension + k]) * Double(video[(i * g.dimension + k) * g.cells + c])
                    }
                    cells.append(m)
                }
                switch g.pooling {
                case .mean: logits[i * g.queries + j] = cells.reduce(0, +) / Double(g.cells)
                case .lse:
                    let peak = cells.max()!
                    let beta = Double(g.sharpness)
                    logits[i * g.queries + j] = peak + log(cells.map { exp(beta * ($0 - peak)) }.reduce(0, +) / Double(g.cells)) / beta
                case .max: logits[i * g.queries + j] = cells.max()!
                }
            }
        }
        return logits
    }
}
