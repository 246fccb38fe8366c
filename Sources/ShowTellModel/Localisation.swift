/// The localisation map (DESIGN.md §3): the similarity of the audio embedding a ∈ R^D with
/// each cell V[:, y, x] of the video map. A bundle's manifest says which one its weights were
/// trained for (`outputs.localisation`):
/// - `fusionDot`, trained bundles: the dot product <a, V[:, y, x]>. Training's spatial-aware
///   fusion scores each cell as b + Σ_d w_d a_d V_d[y, x] and pools those scores into the
///   correspondence logit; the trainer folds w into the audio projection, so this dot
///   product is exactly the per-cell logit the losses optimised (minus the constant b).
/// - `cosine`, untrained bundles made before training existed: a and each cell
///   L2-normalised, then the dot product.
/// The reference definitions that the appliance, tests and offline tools use; allocation-free.
public enum Localisation {
    public enum Kind: String, Codable, Sendable {
        case fusionDot = "dot product <a, V[:, y, x]> (the spatial fusion's per-cell logit, fusion weight folded into a)"
        case cosine = "cosine similarity of a with each cell V[:, y, x]"
    }

    /// audio: [D]; map: [D][cells]; out: [cells]. `out` may alias channel 0 of `map`: each
    /// cell is read in full before it is written.
    public static func map(_ kind: Kind, audio: UnsafePointer<Float>, map: UnsafePointer<Float>, dimension d: Int, cells: Int,
                           into out: UnsafeMutablePointer<Float>) {
        switch kind {
        case .cosine: cosineMap(audio: audio, map: map, dimension: d, cells: cells, into: out)
        case .fusionDot: dotMap(audio: audio, map: map, dimension: d, cells: cells, into: out)
        }
    }

    /// Kind named by a manifest's `outputs.localisation` (cosine when absent or unknown text).
    public static func kind(described text: String?) -> Kind { text.flatMap(Kind.init(rawValue:)) ?? .cosine }

    /// audio: [D]; map: [D][cells]; out: [cells] = <a, V[:, cell]>.
    public static func dotMap(audio: UnsafePointer<Float>, map: UnsafePointer<Float>, dimension d: Int, cells: Int,
                              into out: UnsafeMutablePointer<Float>) {
        for cell in 0..<cells {
            var dot: Float = 0
            for k in 0..<d { dot += audio[k] * map[k * cells + cell] }
            out[cell] = dot
        }
    }

    /// audio: [D]; map: [D][cells]; out: [cells] cosines in [-1, 1].
    public static func cosineMap(audio: UnsafePointer<Float>, map: UnsafePointer<Float>, dimension d: Int, cells: Int,
                                 into out: UnsafeMutablePointer<Float>) {
        var audioNorm: Float = 0
        for k in 0..<d { audioNorm += audio[k] * audio[k] }
        let inverseAudio = 1 / max(audioNorm.squareRoot(), 1e-12)
        for cell in 0..<cells {
            var dot: Float = 0, norm: Float = 0
            for k in 0..<d {
                let v = map[k * cells + cell]
                dot += audio[k] * v
                norm += v * v
            }
            out[cell] = dot * inverseAudio / max(norm.squareRoot(), 1e-12)
        }
    }
}
