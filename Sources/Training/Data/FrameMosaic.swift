import Platform

/// Mosaic augmentation for localisation (after Hu et al. 2022, "Mix and Localize", and the
/// in-image negatives of Chen et al. 2021, "Localizing Visual Sounds the Hard Way"): a
/// training frame is replaced by a 2×2 mosaic of half-size frames, the clip's own in a random
/// quadrant and three frames of other recordings in the rest, while the audio and words stay
/// the clip's. Only the own quadrant can match the speech, so the correspondence must come
/// from the cells over it: the per-cell map is taught where the named content is, instead of
/// being free to peak on whatever cells (dark background, with receptive fields that see the
/// whole plane) happen to carry the plane's identity.
///
/// `fullScale`: the four frames keep their size and the training image is twice the frame's
/// side (2×2 frames, a 2× larger map): every structure looks in training as it does at test,
/// where a half-size mosaic teaches features of half-size anatomy that whole frames never
/// show. Every training frame is then a mosaic (one input size per batch); 4× the video work.
public struct FrameMosaic: Sendable, Equatable {
    /// Share of training clips shown as a mosaic (1 with `fullScale`).
    public var probability: Double
    public var fullScale: Bool

    public init(probability: Double, fullScale: Bool = false) {
        self.probability = fullScale ? 1 : probability
        self.fullScale = fullScale
    }

    /// Side of the training image for frames of side `frame`.
    public func imageSide(frame: Int) -> Int { fullScale ? 2 * frame : frame }

    /// Writes `tile` [side][side] into quadrant `quadrant` of `mosaic`: at half size into a
    /// [side][side] mosaic, or as it is into a [2·side][2·side] one (`fullScale`).
    func place(_ tile: UnsafePointer<Float>, quadrant: Int, side: Int, into mosaic: UnsafeMutablePointer<Float>) {
        guard fullScale else { return Self.place(tile, quadrant: quadrant, side: side, into: mosaic) }
        let y0 = (quadrant / 2) * side, x0 = (quadrant % 2) * side
        for y in 0..<side { (mosaic + (y0 + y) * 2 * side + x0).update(from: tile + y * side, count: side) }
    }

    /// Writes `tile` [side][side] downscaled 2× (2×2 means) into quadrant `quadrant` (0 top
    /// left, 1 top right, 2 bottom left, 3 bottom right) of `mosaic` [side][side]; side is even.
    static func place(_ tile: UnsafePointer<Float>, quadrant: Int, side: Int, into mosaic: UnsafeMutablePointer<Float>) {
        let half = side / 2, y0 = (quadrant / 2) * half, x0 = (quadrant % 2) * half
        for y in 0..<half {
            let a = tile + 2 * y * side, b = a + side, row = mosaic + (y0 + y) * side + x0
            for x in 0..<half { row[x] = (a[2 * x] + a[2 * x + 1] + b[2 * x] + b[2 * x + 1]) * 0.25 }
        }
    }
}
