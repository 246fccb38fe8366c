import Platform
import Glibc

/// A tileable field of fully developed speckle: complex Gaussian scatterers (many random
/// scatterers per resolution cell) convolved with a Gaussian point-spread function, whose
/// envelope |.| is Rayleigh distributed (mean/std = 1.91). Kept twice, in bytes so it stays
/// in cache: the complex field (to blend two independent fields while the probe sweeps out
/// of plane, which is again complex Gaussian) and 20*log10(envelope) in quarter decibels
/// (for receiver noise, which needs no blending).
struct SpeckleTexture: Sendable {
    /// Side in texels, a power of two so coordinates wrap with a mask.
    let size: Int
    let texelMillimetres: Double
    /// Envelope in 1/4 dB, normalised to unit mean power.
    let quarterDecibels: [Int8]
    /// Real and imaginary parts interleaved, times `componentScale`.
    let components: [Int8]
    static let componentScale: Float = 40

    /// `axialSigma`/`lateralSigma`: PSF widths in texels along y (beam) and x.
    init(seed: UInt64, size: Int, texelMillimetres: Double, axialSigma: Double, lateralSigma: Double) {
        precondition(size > 0 && size & (size - 1) == 0, "speckle texture side must be a power of two")
        self.size = size
        self.texelMillimetres = texelMillimetres
        var rng = SplitMix64(seed: seed, stream: 5)
        let count = size * size
        var real = [Float](repeating: 0, count: count)
        var imaginary = [Float](repeating: 0, count: count)
        for k in 0..<count {
            real[k] = Float(rng.normal())
            imaginary[k] = Float(rng.normal())
        }
        // Three box passes approximate each Gaussian (cheap at any width); the filter is
        // linear, so the field stays complex Gaussian and its envelope Rayleigh.
        let lateral = Self.boxWidth(sigma: lateralSigma), axial = Self.boxWidth(sigma: axialSigma)
        for _ in 0..<3 {
            Self.boxFilterCircular(&real, size: size, width: lateral, alongRows: true)
            Self.boxFilterCircular(&imaginary, size: size, width: lateral, alongRows: true)
            Self.boxFilterCircular(&real, size: size, width: axial, alongRows: false)
            Self.boxFilterCircular(&imaginary, size: size, width: axial, alongRows: false)
        }
        var power = 0.0
        for k in 0..<count { power += Double(real[k] * real[k] + imaginary[k] * imaginary[k]) }
        let normalisation = Float(Double(count) / power)
        var levels = [Int8](repeating: 0, count: count)
        var parts = [Int8](repeating: 0, count: 2 * count)
        let amplitude = Self.componentScale * normalisation.squareRoot()
        for k in 0..<count {
            parts[2 * k] = Int8(max(-127, min(127, (real[k] * amplitude).rounded())))
            parts[2 * k + 1] = Int8(max(-127, min(127, (imaginary[k] * amplitude).rounded())))
            let intensity = max((real[k] * real[k] + imaginary[k] * imaginary[k]) * normalisation, 1e-12)
            // 10*log10(intensity) dB, in quarter dB; clipped at -32 dB (p ~ 6e-4 for Rayleigh).
            let quarters = (40 * log10f(intensity)).rounded()
            levels[k] = Int8(max(-128, min(127, quarters)))
        }
        quarterDecibels = levels
        components = parts
    }

    /// Linear envelope at a texel, from the complex field (for statistics).
    func envelope(x: Int, y: Int) -> Double {
        let k = (y & (size - 1)) * size + (x & (size - 1))
        let re = Double(components[2 * k]), im = Double(components[2 * k + 1])
        return (re * re + im * im).squareRoot() / Double(Self.componentScale)
    }

    /// log2 to about 0.005 (0.015 dB): exponent bits plus a quadratic on the mantissa,
    /// far cheaper than log10f per sample.
    @inline(__always)
    static func fastLog2(_ x: Float) -> Float {
        let bits = x.bitPattern
        let exponent = Float(Int32(bitPattern: (bits >> 23) & 0xFF) - 127)
        let m = Float(bitPattern: (bits & 0x007F_FFFF) | 0x3F80_0000) - 1
        return exponent + m * (1.3466 - 0.3466 * m)
    }

    /// Odd box width whose three-fold repetition has standard deviation close to `sigma`.
    private static func boxWidth(sigma: Double) -> Int {
        let width = Int((4 * sigma * sigma + 1).squareRoot().rounded())
        return width | 1
    }

    private static func boxFilterCircular(_ field: inout [Float], size: Int, width: Int, alongRows: Bool) {
        let radius = width / 2, mask = size - 1
        let scale = 1 / Float(width)
        var line = [Float](repeating: 0, count: size)
        field.withUnsafeMutableBufferPointer { field in
            line.withUnsafeMutableBufferPointer { line in
                let step = alongRows ? 1 : size
                for outer in 0..<size {
                    let base = alongRows ? outer * size : outer
                    for inner in 0..<size { line[inner] = field[base + inner * step] }
                    var sum: Float = 0
                    for k in -radius...radius { sum += line[k & mask] }
                    for inner in 0..<size {
                        field[base + inner * step] = sum * scale
                        sum += line[(inner + radius + 1) & mask] - line[(inner - radius) & mask]
                    }
                }
            }
        }
    }
}
