import Platform

/// One augmented view of a frame for `CellCorrespondenceLoss` (the `video-cells` variant): a
/// zoom about a moved centre (bilinear resampling), then a contrast change and speckle-like
/// noise. Because the geometry is known, every cell of one view can be traced to the cell of
/// another view of the same frame that shows the same place: that cell is its positive, and
/// every other cell of the batch, the rest of its own picture included, a negative. So the
/// video branch learns cell features that tell the structures of one picture apart, from the
/// frames alone (no words, no labels).
///
/// Geometry: view pixel (y, x) shows source pixel (cy + s·(y - h), cx + s·(x - h)), h = side/2;
/// s < 1 zooms in. Pixels outside the source are 0 (the standardised mean, as `FrameJitter`).
public struct FrameView: Sendable, Equatable {
    public var scale: Float
    public var centreY: Float
    public var centreX: Float
    public var gain: Float
    public var noise: Float

    public init(scale: Float = 1, centreY: Float, centreX: Float, gain: Float = 1, noise: Float = 0) {
        self.scale = scale
        self.centreY = centreY
        self.centreX = centreX
        self.gain = gain
        self.noise = noise
    }

    /// The whole frame as it is.
    public static func identity(side: Int) -> FrameView { FrameView(centreY: Float(side) / 2, centreX: Float(side) / 2) }

    /// A random view: scale in [0.75, 1.25], centre moved up to an eighth of the side, gain
    /// in [0.7, 1.3], noise std up to 0.2 (standardised units).
    public static func random(side: Int, random: inout RandomSource) -> FrameView {
        let h = Float(side) / 2, shift = Float(side) / 8
        return FrameView(scale: Float(random.uniform(0.75, 1.25)), centreY: h + Float(random.uniform(-1, 1)) * shift,
                         centreX: h + Float(random.uniform(-1, 1)) * shift, gain: Float(random.uniform(0.7, 1.3)),
                         noise: Float(random.uniform(0, 0.2)))
    }

    /// Source coordinates of view pixel (y, x) (pixel centres at integer + 0.5).
    func source(y: Float, x: Float, side: Int) -> (y: Float, x: Float) {
        let h = Float(side) / 2
        return (centreY + scale * (y - h), centreX + scale * (x - h))
    }

    /// View coordinates of source point (y, x).
    func view(y: Float, x: Float, side: Int) -> (y: Float, x: Float) {
        let h = Float(side) / 2
        return (h + (y - centreY) / scale, h + (x - centreX) / scale)
    }

    /// The geometry only (bilinear; 0 outside the source): out [side][side] from frame [side][side].
    public func resample(_ frame: UnsafePointer<Float>, side: Int, into out: UnsafeMutablePointer<Float>) {
        for y in 0..<side {
            for x in 0..<side {
                let p = source(y: Float(y) + 0.5, x: Float(x) + 0.5, side: side)
                let fy = p.y - 0.5, fx = p.x - 0.5
                let y0 = Int(fy.rounded(.down)), x0 = Int(fx.rounded(.down))
                let wy = fy - Float(y0), wx = fx - Float(x0)
                func at(_ yy: Int, _ xx: Int) -> Float { yy >= 0 && yy < side && xx >= 0 && xx < side ? frame[yy * side + xx] : 0 }
                out[y * side + x] = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x0 + 1)) + wy * ((1 - wx) * at(y0 + 1, x0) + wx * at(y0 + 1, x0 + 1))
            }
        }
    }

    /// Contrast and noise in place, on pixels that show something (0 stays 0, so masked and
    /// outside pixels stay what `SeparationLoss.visibleCells` calls empty).
    public func photometric(_ image: UnsafeMutablePointer<Float>, count: Int, random: inout RandomSource) {
        for i in 0..<count where image[i] != 0 {
            image[i] = gain * image[i] + (noise > 0 ? noise * random.gaussian() : 0)
        }
    }

    /// For each cell of view `a` (row-major, `mapSide`² cells of side/mapSide pixels starting at
    /// `cellOrigin`: 0, the even division, or `CellCentres.firstEdge`), the cell of view `b`
    /// whose centre is nearest the same source point, or -1 when that point falls outside `b`
    /// or more than `tolerance` cells from any cell centre of `b`.
    public static func correspondences(from a: FrameView, to b: FrameView, side: Int, mapSide: Int, tolerance: Float = 0.5,
                                       cellOrigin: Float = 0) -> [Int] {
        let cell = Float(side) / Float(mapSide)
        var out = [Int](repeating: -1, count: mapSide * mapSide)
        for cy in 0..<mapSide {
            for cx in 0..<mapSide {
                let p = a.source(y: cellOrigin + (Float(cy) + 0.5) * cell, x: cellOrigin + (Float(cx) + 0.5) * cell, side: side)
                let q = b.view(y: p.y, x: p.x, side: side)
                let gy = (q.y - cellOrigin) / cell - 0.5, gx = (q.x - cellOrigin) / cell - 0.5
                let ny = Int(gy.rounded()), nx = Int(gx.rounded())
                guard ny >= 0, ny < mapSide, nx >= 0, nx < mapSide, abs(gy - Float(ny)) <= tolerance, abs(gx - Float(nx)) <= tolerance else { continue }
                out[cy * mapSide + cx] = ny * mapSide + nx
            }
        }
        return out
    }
}
