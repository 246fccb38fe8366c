import Glibc

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for picking scenes and
/// jitter. Phantoms must be reproducible from a seed, so nothing here touches system entropy.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// An independent stream for a labelled part of a phantom (visit k, scene, gaze...), so
    /// that one part can be regenerated without replaying the others.
    init(seed: UInt64, stream: UInt64, substream: UInt64 = 0) {
        var mixer = SplitMix64(seed: seed ^ 0x6A09_E667_F3BC_C908)
        let a = mixer.next() ^ (stream &* 0x9E37_79B9_7F4A_7C15)
        var second = SplitMix64(seed: a)
        state = second.next() ^ (substream &* 0xBF58_476D_1CE4_E5B9)
        _ = next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1) with 53 random bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    mutating func uniform(_ range: ClosedRange<Double>) -> Double { uniform(range.lowerBound, range.upperBound) }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Uniform integer in 0..<count.
    mutating func index(_ count: Int) -> Int { Int(next() % UInt64(max(count, 1))) }

    /// +1 or -1.
    mutating func sign() -> Double { next() & 1 == 0 ? 1 : -1 }

    /// Standard normal (Box-Muller; one of the pair is dropped for simplicity).
    mutating func normal() -> Double {
        let u = max(unit(), 1e-300)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * unit())
    }
}
