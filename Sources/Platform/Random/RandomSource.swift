import Glibc

/// The project's random generator: xoshiro256** (Blackman and Vigna). Everything random is
/// seeded (weights, training order, phantom narration), so runs reproduce bit for bit; its whole
/// state is four words, so a checkpoint can save and restore it exactly (the standard
/// library's generator cannot be serialised, and its algorithm is not promised to stay).
public struct RandomSource: SeededRandom, Sendable, Equatable {
    public var state: (UInt64, UInt64, UInt64, UInt64)

    /// SplitMix64 spreads the seed so that nearby seeds give unrelated streams.
    public init(seed: UInt64) {
        var mix = SplitMix64(seed: seed)
        state = (mix.next(), mix.next(), mix.next(), mix.next())
    }

    /// Stream `stream` of a seed (the phantom narration draws casting, script, room and levels
    /// from streams 1-4, so one part's choices never shift when another draws more numbers).
    public init(seed: UInt64, stream: UInt64) {
        self.init(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
    }

    public init(state: [UInt64]) {
        precondition(state.count == 4, "xoshiro256 state has four words")
        self.state = (state[0], state[1], state[2], state[3])
    }

    public var stateWords: [UInt64] { [state.0, state.1, state.2, state.3] }

    public static func == (a: RandomSource, b: RandomSource) -> Bool { a.stateWords == b.stateWords }

    @inline(__always)
    public mutating func next() -> UInt64 {
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

    @inline(__always)
    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 24 bits (every value exact in Float).
    @inline(__always)
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Standard normal as Float (the same draw as `normal()`).
    public mutating func gaussian() -> Float { Float(normal()) }

    public mutating func fillGaussian(_ buffer: UnsafeMutablePointer<Float>, count: Int, std: Float) {
        for i in 0..<count { buffer[i] = gaussian() * std }
    }

    public mutating func fillUniform(_ buffer: UnsafeMutablePointer<Float>, count: Int, low: Float, high: Float) {
        for i in 0..<count { buffer[i] = low + (high - low) * uniform() }
    }
}
