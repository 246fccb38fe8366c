/// The localisation map (DESIGN.md §3): the similarity of the audio embedding a ∈ R^D with
/// each cell V[:, y, x] of the video map, as cosine similarity (a and each cell L2-normalised,
/// then the dot product), so the map's scale does not depend on the cell's feature norm.
/// The reference definition that tests and offline tools use; allocation-free.
public enum Localisation {
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
