/// The map of several trained runs taught to one audio branch. With the video backbone frozen
/// and shared (`--init-video`, `--video-lr-scale 0`), a run's map over any frame is
/// <a, W_v F + b_v> = <W_vᵀ a, F> + const: the audio vector seen in the backbone's channel space,
/// u = W_vᵀ a ∈ R^C, decides where the map peaks. The runs' summed map is therefore the map of
/// the mean of their u's (ensembles of two or three seeds point better than each alone:
/// models/README.md, twenty-third session), and a student whose own
///
///   s[n] = W_vᵀ (w ⊙ a[n])   (w: the spatial fusion weights the trainer folds into a)
///
/// matches that mean draws the ensemble's map with one audio branch. The loss, relative like
/// the audio-to-text term (0 when s = u, 1 when s = 0):
///
///   L = Σ_n ||s[n] - u[n]||² / Σ_n ||u[n]||²
///
/// The targets u come from the teachers' audio branches on the same spectrograms (no
/// transcript or label: the teachers were trained self-supervised).
public enum EnsembleDistillationLoss {
    public struct Geometry: Sendable {
        public var batch: Int
        /// D: rows of W_v, length of a and w.
        public var dimension: Int
        /// C: the backbone's channels, columns of W_v, length of s and u.
        public var channels: Int
        public init(batch: Int, dimension: Int, channels: Int) {
            self.batch = batch
            self.dimension = dimension
            self.channels = channels
        }
    }

    /// student [N, C] = W_vᵀ (w ⊙ a): a [N, D], videoProjection W_v [D, C], fusion w [D].
    public static func studentVectors(_ student: UnsafeMutablePointer<Float>, audio a: UnsafePointer<Float>,
                                      videoProjection wv: UnsafePointer<Float>, fusion w: UnsafePointer<Float>, geometry g: Geometry) {
        for n in 0..<g.batch {
            let s = student + n * g.channels
            s.update(repeating: 0, count: g.channels)
            for k in 0..<g.dimension {
                let scaled = w[k] * a[n * g.dimension + k]
                if scaled == 0 { continue }
                let row = wv + k * g.channels
                for c in 0..<g.channels { s[c] += scaled * row[c] }
            }
        }
    }

    /// student, targets: [N, C]. Returns L.
    public static func forward(student s: UnsafePointer<Float>, targets u: UnsafePointer<Float>, geometry g: Geometry) -> Float {
        var distance = 0.0, norm = 0.0
        for i in 0..<(g.batch * g.channels) {
            let e = Double(s[i] - u[i])
            distance += e * e
            norm += Double(u[i]) * Double(u[i])
        }
        return Float(distance / max(norm, 1e-12))
    }

    /// Adds lossGrad · dL into the gradients of a [N, D], W_v [D, C] and w [D]; `scratch` holds C floats.
    public static func backward(audioGrad da: UnsafeMutablePointer<Float>, videoProjectionGrad dwv: UnsafeMutablePointer<Float>,
                                fusionGrad dw: UnsafeMutablePointer<Float>, student s: UnsafePointer<Float>, targets u: UnsafePointer<Float>,
                                audio a: UnsafePointer<Float>, videoProjection wv: UnsafePointer<Float>, fusion w: UnsafePointer<Float>,
                                scratch gs: UnsafeMutablePointer<Float>, geometry g: Geometry, lossGrad: Float = 1) {
        var norm = 0.0
        for i in 0..<(g.batch * g.channels) { norm += Double(u[i]) * Double(u[i]) }
        let scale = Float(2 * Double(lossGrad) / max(norm, 1e-12))
        for n in 0..<g.batch {
            // gs = dL/ds[n]
            for c in 0..<g.channels { gs[c] = scale * (s[n * g.channels + c] - u[n * g.channels + c]) }
            for k in 0..<g.dimension {
                let row = wv + k * g.channels
                var projected: Float = 0  // (W_v gs)[k]
                for c in 0..<g.channels { projected += row[c] * gs[c] }
                let ak = a[n * g.dimension + k]
                da[n * g.dimension + k] += w[k] * projected
                dw[k] += ak * projected
                let scaled = w[k] * ak
                let gradRow = dwv + k * g.channels
                for c in 0..<g.channels { gradRow[c] += scaled * gs[c] }
            }
        }
    }
}
