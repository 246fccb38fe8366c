/// xoshiro256** seeded through SplitMix64: the narration's own deterministic stream, so its
/// choices never shift when the visuals draw more or fewer numbers. Foundation and stdlib
/// randomness are avoided because their algorithms are not promised to stay the same.
struct NarrationRandom: Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init(seed: UInt64, stream: UInt64) {
        var mix = seed ^ (stream &* 0x9E37_79B9_7F4A_7C15)
        func next() -> UInt64 {
            mix &+= 0x9E37_79B9_7F4A_7C15
            var z = mix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (next(), next(), next(), next())
    }

    mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 bits.
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * unit()
    }

    /// Uniform index in 0..<count (count > 0); the modulo bias is below 2^-40 for our sizes.
    mutating func index(_ count: Int) -> Int { Int(next() % UInt64(count)) }

    mutating func pick<T>(_ items: [T]) -> T { items[index(items.count)] }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    /// Uniform in [-1, 1): white noise for the room.
    mutating func signedUnitFloat() -> Float { Float(Int64(bitPattern: next()) >> 40) * 0x1p-23 }
}
