/// SplitMix64 (Steele, Lea, Flood 2014): seeds `RandomSource`, and is the generator of the
/// phantom's visuals (scenes, probe motion, gaze, speckle). It stays a generator of its own
/// only because the phantom datasets already made (and the numbers measured on them) come from
/// its stream; new code uses `RandomSource`.
public struct SplitMix64: SeededRandom, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// An independent stream for a labelled part of a phantom (visit k, scene, gaze...), so
    /// that one part can be regenerated without replaying the others.
    public init(seed: UInt64, stream: UInt64, substream: UInt64 = 0) {
        var mixer = SplitMix64(seed: seed ^ 0x6A09_E667_F3BC_C908)
        let a = mixer.next() ^ (stream &* 0x9E37_79B9_7F4A_7C15)
        var second = SplitMix64(seed: a)
        state = second.next() ^ (substream &* 0xBF58_476D_1CE4_E5B9)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// The output function alone: a bijection that scatters nearby inputs (e.g. dataset seed
    /// plus scan number) over all 64 bits.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
