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
/// (re-weighting each picture's cells towards what the word's pictures share), and
/// u_w = Pᵀ (d / σ), so <u_w, F[:, s]> = d·X[:, s] + const: a vector in the space of the
/// student's W_vᵀ a (`EnsembleDistillationLoss`), which the box draws unchanged. The
/// projection matters: in the raw channels the same fit points at 53 % on test, through the
/// shipped bundle's projection at 74.6 % (the trained projection keeps what tells structures apart).
struct KeywordDirections {
    /// Per canonical anatomy, u [C] in the raw channels.
    let directions: [String: [Float]]
    let channels: Int

    /// features[i]: Vfeat [C, S] (channel-major) of a clip naming `named[i]`; projection P [D, C].
    static func fit(features: [[Float]], named: [Set<String>], projection: [Float], channels c: Int, cells s: Int,
                    rounds: Int = 5, sharpness: Float = 2) -> KeywordDirections {
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
            // u [C] = Pᵀ [C, D] (d / σ) [D]
            let scaled = (0..<dims).map { d[$0] / sigma[$0] }
            var u = [Float](repeating: 0, count: c)
            cblas_sgemv(CblasRowMajor, CblasTrans, Int32(dims), Int32(c), 1, projection, Int32(c), scaled, 1, 0, &u, 1)
            directions[word] = u
        }
        return KeywordDirections(directions: directions, channels: c)
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
