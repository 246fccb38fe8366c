import Platform
import Glibc

/// Typing on the machine's keyboard: bursts of key clicks now and then, and often while the
/// image is frozen (the sonographer annotates or measures).
enum KeyboardClicks {
    /// Adds clicks to `track` (unit-RMS floor), each peaking around `peak`.
    static func add(into track: inout [Float], sampleRate: Int, freezeStarts: [Double], peak: Double,
                    _ random: inout RandomSource) {
        let duration = Double(track.count) / Double(sampleRate)
        var burstStarts: [Double] = []
        var time = 0.0
        while true {
            time += -log(1 - random.unit()) * 25  // about one burst every 25 s
            guard time < duration else { break }
            burstStarts.append(time)
        }
        for start in freezeStarts where random.chance(0.5) { burstStarts.append(start + random.uniform(0.2...0.8)) }
        for start in burstStarts {
            var keyTime = start
            for _ in 0..<(3 + random.index(12)) {
                let amplitude = peak * random.uniform(0.5...1.2)
                addClick(into: &track, at: keyTime, sampleRate: sampleRate, amplitude: amplitude, &random)
                // The key's release is a softer click.
                addClick(into: &track, at: keyTime + random.uniform(0.05...0.11), sampleRate: sampleRate,
                         amplitude: amplitude * 0.4, &random)
                keyTime += random.uniform(0.09...0.3)
            }
        }
    }

    /// A noise transient exciting a plastic resonance, decaying in a few milliseconds.
    private static func addClick(into track: inout [Float], at time: Double, sampleRate: Int, amplitude: Double,
                                 _ random: inout RandomSource) {
        let first = Int(time * Double(sampleRate))
        let rate = Double(sampleRate)
        let length = Int(0.02 * rate)
        guard first >= 0, first + length < track.count else { return }
        let resonance = random.uniform(1500...4000)
        let noiseDecay = exp(-1 / (random.uniform(0.0005...0.0015) * rate))
        let ringDecay = exp(-1 / (random.uniform(0.002...0.004) * rate))
        let step = 2 * Double.pi * resonance / rate
        var noiseEnvelope = 1.0, ringEnvelope = 0.5
        for n in 0..<length {
            let sample = noiseEnvelope * Double(random.signedUnitFloat()) + ringEnvelope * sin(step * Double(n))
            track[first + n] += Float(amplitude * sample)
            noiseEnvelope *= noiseDecay
            ringEnvelope *= ringDecay
        }
    }
}
