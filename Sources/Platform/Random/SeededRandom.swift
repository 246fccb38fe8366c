import Glibc

/// The draws both seeded generators offer. They are defined once here so a given generator
/// state always maps to the same values, whichever part of the code draws them.
public protocol SeededRandom: RandomNumberGenerator {}

extension SeededRandom {
    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    public mutating func uniform(_ range: ClosedRange<Double>) -> Double { uniform(range.lowerBound, range.upperBound) }

    public mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Uniform integer in 0..<count (0 when count < 1); the modulo bias is below 2^-40 for our sizes.
    public mutating func index(_ count: Int) -> Int { Int(next() % UInt64(max(count, 1))) }

    public mutating func pick<T>(_ items: [T]) -> T { items[index(items.count)] }

    /// +1 or -1.
    public mutating func sign() -> Double { next() & 1 == 0 ? 1 : -1 }

    /// Standard normal (Box-Muller; the second of the pair is dropped for simplicity).
    public mutating func normal() -> Double {
        let u = max(unit(), 1e-300)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }

    /// Uniform in [-1, 1) with 24 bits: white noise.
    public mutating func signedUnitFloat() -> Float { Float(Int64(bitPattern: next()) >> 40) * 0x1p-23 }
}
