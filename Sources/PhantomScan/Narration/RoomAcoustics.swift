import Platform
import Glibc

/// Where a speaker stands relative to the microphone: further away means duller (high
/// frequencies lost to distance and head direction) and more of the room's early reflections.
/// Sparse reflections instead of a full impulse response keep this nearly free.
struct RoomAcoustics: Sendable {
    /// One-pole low-pass coefficient (0 = no filtering).
    var dullness: Double
    var reflections: [(delay: Int, gain: Float)]

    /// `distance` in metres, about 0.5 (sonographer by the machine) to 4 (colleague at the door).
    static func at(distance: Double, sampleRate: Int, _ random: inout RandomSource) -> RoomAcoustics {
        let rate = Double(sampleRate)
        let cutoff = 9000 / max(1, distance)  // Hz
        var reflections: [(delay: Int, gain: Float)] = []
        let strength = min(0.6, 0.12 * distance)
        for index in 0..<8 {
            let delay = random.uniform(0.003...0.012) + Double(index) * 0.008
            let gain = strength * exp(-Double(index) / 3) * random.uniform(0.6...1.0) * (random.chance(0.5) ? 1 : -1)
            reflections.append((Int(delay * rate), Float(gain)))
        }
        return RoomAcoustics(dullness: exp(-2 * Double.pi * min(cutoff, rate / 2.5) / rate), reflections: reflections)
    }

    /// The utterance as heard at the microphone; its buffer grows by the reflections' tail,
    /// word times stay.
    func apply(_ utterance: SynthesizedUtterance) -> SynthesizedUtterance {
        let tail = reflections.map(\.delay).max() ?? 0
        var dry = utterance.samples + [Float](repeating: 0, count: tail)
        var wet = dry
        dry.withUnsafeMutableBufferPointer { dry in
            var state = 0.0
            for i in dry.indices {
                state = dullness * state + (1 - dullness) * Double(dry[i])
                dry[i] = Float(state)
            }
            wet.withUnsafeMutableBufferPointer { wet in
                for i in dry.indices { wet[i] = dry[i] }
                for (delay, gain) in reflections {
                    for i in delay..<dry.count { wet[i] += gain * dry[i - delay] }
                }
            }
        }
        return SynthesizedUtterance(samples: wet, words: utterance.words)
    }
}
