import COpenBLAS
import Glibc

/// Each keyword's direction in the frozen video branch's channels, found from co-occurrence
/// alone: the cells that the pictures of the clips whose ASR words name it have in common
/// (no mask, label or transcript). Why: the audio branch's map hardly depends on what is said
/// (on test the mean audio vector points nearly as well as each moment's own), and the
/// contrastive terms cannot give a word its own direction when most pictures show its
/// structure's neighbours too; the same directions from the transcript's words point at the
/// named structure 74.6 % of the time on test against the shipped map's 66.1 %
/// (models/tools/word_directions.py, the design check this ports).
///
/// Fitting, per word w, over its clips' features seen through a trained bundle's video
/// projection P [D, C] and standardised per row, X = (P F - μ) / σ:
///
///   d ← mean over the clips of the mean cell;  then `rounds` times:
///   d ← mean over the clips of Σ_s softmax_s(κ (d·X[:, s] - max) / std_s(d·X)) X[:, s]
///
/// (re-weighting each picture's cells towards what the word's pictures share). With a
/// `contrast` share q > 0, then once more, as linear discriminant analysis does with a mask:
///
///   d ← (Σ + ρ I)⁻¹ mean over the clips of (mean of the q·S cells of highest d·X - mean of the others)
///
/// with Σ the cells' covariance within pictures (ρ = 0.01; X is standardised): the word's peak
/// cells against the rest of their own picture, so what the whole picture shares cancels and
/// channels that vary everywhere weigh less (with the true masks in place of the peaks this
/// points at 92 % on dev2 against 83.5 % for the plain contrast; models/session-2026-12-06ai).
/// Last, u_w = Pᵀ (d / σ), so <u_w, F[:, s]> = d·X[:, s] + const: a vector in the space of the
/// student's W_vᵀ a (`EnsembleDistillationLoss`), which the box draws unchanged. The
/// projection matters: in the raw channels the same fit points at 53 % on test, through the
/// shipped bundle's projection at 74.6 % (the trained projection keeps what tells structures apart).
struct KeywordDirections {
    /// Per canonical anatomy, u [C] in the raw channels.
    let directions: [String: [Float]]
    let channels: Int

    /// features[i]: Vfeat [C, S] (channel-major) of a clip naming `named[i]`; projection P [D, C].
    static func fit(features: [[Float]], named: [Set<String>], projection: [Float], channels c: Int, cells s: Int,
                    rounds: Int = 5, sharpness: Float = 2, contrast: Float = 0) -> KeywordDirections {
        precondition((0..<1).contains(contrast), "a share of the cells from 0 (off) to below 1")
        precondition(features.count == named.count && features.allSatisfy { $0.count == c * s }, "one [C, S] feature map per clip")
        precondition(!projection.isEmpty && projection.count % c == 0, "a projection [D, C]")
        let dims = projection.count / c
        // X [D, S] = P [D, C] F [C, S] per clip, then each row's mean and deviation over every cell of every clip.
        var standardised = features.map { f -> [Float] in
            var x = [Float](repeating: 0, count: dims * s)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(dims), Int32(s), Int32(c), 1, projection, Int32(c), f, Int32(s), 0, &x, Int32(s))
            return x
        }
        var mean = [Double](repeating: 0, count: dims), square = [Double](repeating: 0, count: dims)
        for x in standardised {
            for k in 0..<dims {
                for v in x[(k * s)..<((k + 1) * s)] {
                    mean[k] += Double(v)
                    square[k] += Double(v) * Double(v)
                }
            }
        }
        let count = Double(max(features.count * s, 1))
        let mu = mean.map { Float($0 / count) }
        let sigma = (0..<dims).map { k in Float((max(square[k] / count - (mean[k] / count) * (mean[k] / count), 0)).squareRoot()) + 1e-6 }
        for n in standardised.indices {
            for i in 0..<(dims * s) { standardised[n][i] = (standardised[n][i] - mu[i / s]) / sigma[i / s] }
        }
        let whitening = contrast > 0 ? withinPictureCovariance(standardised, dims: dims, cells: s, ridge: 0.01) : []
        var directions = [String: [Float]]()
        var score = [Float](repeating: 0, count: s), pooled = [Float](repeating: 0, count: dims)
        for word in Set(named.flatMap { $0 }).sorted() {
            let clips = named.indices.filter { named[$0].contains(word) }
            var d = [Float](repeating: 0, count: dims)
            for i in clips {
                for k in 0..<dims { d[k] += standardised[i][(k * s)..<((k + 1) * s)].reduce(0, +) / Float(s) }
            }
            for round in 0...rounds {
                if round > 0 {
                    var next = [Float](repeating: 0, count: dims)
                    for i in clips {
                        standardised[i].withUnsafeBufferPointer { x in
                            // score [S] = Xᵀ [S, D] d [D]
                            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(dims), Int32(s), 1, x.baseAddress, Int32(s), d, 1, 0, &score, 1)
                            softmaxWeights(&score, sharpness: sharpness)
                            // pooled [D] = X [D, S] weights [S]
                            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(dims), Int32(s), 1, x.baseAddress, Int32(s), score, 1, 0, &pooled, 1)
                        }
                        for k in 0..<dims { next[k] += pooled[k] }
                    }
                    d = next
                }
                for k in 0..<dims { d[k] /= Float(clips.count) }
            }
            if contrast > 0 {
                d = peakContrast(d, clips: clips.map { standardised[$0] }, dims: dims, cells: s, share: contrast)
                d = solveCholesky(whitening, d.map(Double.init), n: dims).map(Float.init)
            }
            // u [C] = Pᵀ [C, D] (d / σ) [D]
            let scaled = (0..<dims).map { d[$0] / sigma[$0] }
            var u = [Float](repeating: 0, count: c)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(dims), Int32(c), 1, projection, Int32(c), scaled, 1, 0, &u, 1)
            directions[word] = u
        }
        return KeywordDirections(directions: directions, channels: c)
    }

    /// Σ + ρ I [D, D] (Double, row-major): the covariance of the cells about their own picture's
    /// mean cell, over every clip. x: standardised X [D, S] per clip.
    static func withinPictureCovariance(_ x: [[Float]], dims: Int, cells s: Int, ridge: Double) -> [Double] {
        var sum = [Float](repeating: 0, count: dims * dims), centred = [Float](repeating: 0, count: dims * s)
        for clip in x {
            for k in 0..<dims {
                let row = clip[(k * s)..<((k + 1) * s)]
                let mean = row.reduce(0, +) / Float(s)
                for (i, v) in row.enumerated() { centred[k * s + i] = v - mean }
            }
            // sum [D, D] += Xc [D, S] Xcᵀ [S, D]
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(dims), Int32(dims), Int32(s), 1, centred, Int32(s), centred, Int32(s), 1, &sum, Int32(dims))
        }
        let count = Double(max(x.count * s, 1))
        var covariance = sum.map { Double($0) / count }
        for k in 0..<dims { covariance[k * dims + k] += ridge }
        return covariance
    }

    /// Mean over the clips of (mean of the share of cells scoring highest on d, minus the mean of
    /// the other cells of the same picture) [D]. clips: standardised X [D, S] each.
    static func peakContrast(_ d: [Float], clips: [[Float]], dims: Int, cells s: Int, share: Float) -> [Float] {
        let top = min(max(1, Int((share * Float(s)).rounded())), s - 1)
        var total = [Double](repeating: 0, count: dims), score = [Float](repeating: 0, count: s)
        for x in clips {
            x.withUnsafeBufferPointer { x in
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(dims), Int32(s), 1, x.baseAddress, Int32(s), d, 1, 0, &score, 1)
                // ties go to the lower cell index, so the pick is deterministic
                let peaks = score.indices.sorted { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }.prefix(top)
                for k in 0..<dims {
                    let row = x.baseAddress! + k * s
                    var all = 0.0, inside = 0.0
                    for i in 0..<s { all += Double(row[i]) }
                    for i in peaks { inside += Double(row[i]) }
                    total[k] += inside / Double(top) - (all - inside) / Double(s - top)
                }
            }
        }
        return total.map { Float($0 / Double(max(clips.count, 1))) }
    }

    /// x with a x = b for a symmetric positive definite a [n, n] (row-major), by Cholesky.
    static func solveCholesky(_ a: [Double], _ b: [Double], n: Int) -> [Double] {
        var l = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in 0...i {
                var sum = a[i * n + j]
                for k in 0..<j { sum -= l[i * n + k] * l[j * n + k] }
                l[i * n + j] = i == j ? max(sum, 1e-12).squareRoot() : sum / l[j * n + j]
            }
        }
        var y = b
        for i in 0..<n {                       // L y = b
            for k in 0..<i { y[i] -= l[i * n + k] * y[k] }
            y[i] /= l[i * n + i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {   // Lᵀ x = y
            for k in (i + 1)..<n { y[i] -= l[k * n + i] * y[k] }
            y[i] /= l[i * n + i]
        }
        return y
    }

    /// score -> softmax(κ (score - max) / std(score)), in place.
    private static func softmaxWeights(_ score: inout [Float], sharpness: Float) {
        let n = Float(score.count)
        let top = score.max() ?? 0
        let average = score.reduce(0, +) / n
        let spread = (score.reduce(0) { $0 + ($1 - average) * ($1 - average) } / n).squareRoot() + 1e-6
        var total: Float = 0
        for i in score.indices {
            score[i] = expf(sharpness * (score[i] - top) / spread)
            total += score[i]
        }
        for i in score.indices { score[i] /= total }
    }

    /// Per clip, the mean direction of the anatomies it names [C] (zeros: names none this has).
    func targets(named: [Set<String>]) -> [Float] {
        var out = [Float](repeating: 0, count: named.count * channels)
        for (n, names) in named.enumerated() {
            let known = names.sorted().compactMap { directions[$0] }
            for u in known { for k in 0..<channels { out[n * channels + k] += u[k] / Float(known.count) } }
        }
        return out
    }

    /// The distillation targets with each keyword clip's direction mixed in, in place:
    ///
    ///   u[n] ← (1 - λ) u[n] + λ (std_s <u[n], F_n[:, s]> / std_s <k[n], F_n[:, s]>) k[n]
    ///
    /// so the word's map enters at the teachers' map's spread on this very picture (λ = 1: the
    /// word's map alone). Rows of `words` that are all zero (no keyword) keep the teachers'
    /// vector. With `rowShares` [N], row n's λ is λ·rowShares[n] (how much of its keyword the
    /// clip's window holds). targets, words [N, C]; features Vfeat [N, C, S]; scratch [S].
    /// Allocates nothing.
    static func mix(targets u: UnsafeMutablePointer<Float>, words: UnsafePointer<Float>, features: UnsafePointer<Float>,
                    share: Float, rowShares: UnsafePointer<Float>? = nil, batch: Int, channels c: Int, cells s: Int,
                    scratch: UnsafeMutablePointer<Float>) {
        for n in 0..<batch {
            let k = words + n * c, row = u + n * c, f = features + n * c * s
            let lambda = share * (rowShares?[n] ?? 1)
            guard lambda > 0, (0..<c).contains(where: { k[$0] != 0 }) else { continue }
            let teacherSpread = mapSpread(row, features: f, channels: c, cells: s, scratch: scratch)
            let wordSpread = mapSpread(k, features: f, channels: c, cells: s, scratch: scratch)
            guard wordSpread > 0 else { continue }
            let scale = lambda * teacherSpread / wordSpread
            for i in 0..<c { row[i] = (1 - lambda) * row[i] + scale * k[i] }
        }
    }

    /// std over cells of <v, F[:, s]> (F [C, S]).
    static func mapSpread(_ v: UnsafePointer<Float>, features f: UnsafePointer<Float>, channels c: Int, cells s: Int,
                          scratch map: UnsafeMutablePointer<Float>) -> Float {
        cblas_sgemv(CblasRowMajor, CblasTrans, Int32(c), Int32(s), 1, f, Int32(s), v, 1, 0, map, 1)
        var sum = 0.0, square = 0.0
        for i in 0..<s {
            sum += Double(map[i])
            square += Double(map[i]) * Double(map[i])
        }
        let average = sum / Double(s)
        return Float(max(square / Double(s) - average * average, 0).squareRoot())
    }
}
