import Glibc

/// A scene rasterised once per scene instance onto a square grid centred on the scene
/// origin, so a frame only looks tissue properties up. Each texel packs the echo level in
/// half decibels (signed low byte) and the attenuation in 0.04 dB/mm (high byte).
struct TissueRaster: Sendable {
    let size: Int
    let texelMillimetres: Double
    let texels: [UInt16]

    static let attenuationUnit = 0.04

    init(shapes: [SceneShape], fill: Tissue, size: Int, texelMillimetres: Double, seed: UInt64) {
        self.size = size
        self.texelMillimetres = texelMillimetres
        let count = size * size
        var echo = [Float](repeating: Float(fill.echo), count: count)
        var attenuation = [Float](repeating: Float(fill.attenuation), count: count)
        let mottle = ValueNoise(seed: seed, cellMillimetres: 2.5)
        let half = Double(size) / 2
        func millimetres(_ texel: Int) -> Double { (Double(texel) + 0.5 - half) * texelMillimetres }
        for shape in shapes {
            guard let tissue = shape.tissue else { continue }
            let softness = shape.softness
            let (low, high) = shape.bounds
            let x0 = max(0, Int(low.x / texelMillimetres + half)), x1 = min(size - 1, Int(high.x / texelMillimetres + half) + 1)
            let y0 = max(0, Int(low.y / texelMillimetres + half)), y1 = min(size - 1, Int(high.y / texelMillimetres + half) + 1)
            guard x0 <= x1, y0 <= y1 else { continue }
            for ty in y0...y1 {
                let y = millimetres(ty)
                for tx in x0...x1 {
                    let p = Point2(millimetres(tx), y)
                    let coverage = max(0, min(1, 0.5 - shape.distance(p) / softness))
                    guard coverage > 0 else { continue }
                    var level = tissue.echo
                    if tissue.mottle > 0 { level += tissue.mottle * mottle.value(p) }
                    let k = ty * size + tx
                    echo[k] += Float(coverage) * (Float(level) - echo[k])
                    attenuation[k] += Float(coverage) * (Float(tissue.attenuation) - attenuation[k])
                }
            }
        }
        var packed = [UInt16](repeating: 0, count: count)
        for k in 0..<count {
            let halfDecibels = Int8(max(-127, min(127, (2 * echo[k]).rounded())))
            let units = UInt8(max(0, min(255, (Double(attenuation[k]) / Self.attenuationUnit).rounded())))
            packed[k] = UInt16(UInt8(bitPattern: halfDecibels)) | UInt16(units) << 8
        }
        texels = packed
    }
}

/// Smooth random variation in [-1, 1]: bilinear interpolation of hashed lattice values.
struct ValueNoise: Sendable {
    let seed: UInt64
    let cellMillimetres: Double

    func value(_ p: Point2) -> Double {
        let gx = p.x / cellMillimetres, gy = p.y / cellMillimetres
        let ix = Int(floor(gx)), iy = Int(floor(gy))
        let fx = gx - Double(ix), fy = gy - Double(iy)
        let sx = fx * fx * (3 - 2 * fx), sy = fy * fy * (3 - 2 * fy)
        let top = lattice(ix, iy) + sx * (lattice(ix + 1, iy) - lattice(ix, iy))
        let bottom = lattice(ix, iy + 1) + sx * (lattice(ix + 1, iy + 1) - lattice(ix, iy + 1))
        return top + sy * (bottom - top)
    }

    private func lattice(_ x: Int, _ y: Int) -> Double {
        var z = seed ^ (UInt64(bitPattern: Int64(x)) &* 0x9E37_79B9_7F4A_7C15)
            ^ (UInt64(bitPattern: Int64(y)) &* 0xC2B2_AE3D_27D4_EB4F)
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) * 0x1.0p-52 - 1
    }
}
