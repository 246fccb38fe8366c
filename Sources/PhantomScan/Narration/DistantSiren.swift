import Platform
import Glibc

/// An ambulance passing outside now and then: a wail or a two-tone siren, muffled by the
/// walls, fading in and out over several seconds.
enum DistantSiren {
    /// Adds sirens (Poisson, `perMinute` on average) to `track` (unit-RMS floor), with an RMS
    /// near `level` at their loudest.
    static func add(into track: inout [Float], sampleRate: Int, perMinute: Double, level: Double,
                    _ random: inout RandomSource) {
        guard perMinute > 0 else { return }
        let rate = Double(sampleRate)
        let duration = Double(track.count) / rate
        var time = 0.0
        while true {
            time += -log(1 - random.unit()) * 60 / perMinute
            guard time < duration else { break }
            addOne(into: &track, start: time, length: random.uniform(6...15), rate: rate,
                   level: level * random.uniform(0.5...1.5), &random)
        }
    }

    private static func addOne(into track: inout [Float], start: Double, length: Double, rate: Double, level: Double,
                               _ random: inout RandomSource) {
        let first = Int(start * rate)
        let count = min(Int(length * rate), track.count - first)
        guard count > 0 else { return }
        let wail = random.chance(0.5)
        let period = wail ? random.uniform(2.5...4.5) : random.uniform(0.9...1.3)
        let (low, high) = wail ? (random.uniform(600...750), random.uniform(1300...1600)) : (random.uniform(430...470), random.uniform(580...620))
        let doppler = random.uniform(0.01...0.03)  // pitch falls a little as it passes
        let muffle = exp(-2 * Double.pi * random.uniform(900...1800) / rate)
        // Three harmonics at 1, 1/2, 1/4 have an RMS of about 0.81; scale to `level`.
        let gain = level / 0.81
        var phase = 0.0, muffled = 0.0
        for n in 0..<count {
            let t = Double(n) / rate
            let position = t / length
            let cycle = t.truncatingRemainder(dividingBy: period) / period
            var frequency = wail ? low + (high - low) * 0.5 * (1 - cos(2 * Double.pi * cycle)) : (cycle < 0.5 ? high : low)
            frequency *= 1 + doppler * (0.5 - position)
            phase += 2 * Double.pi * frequency / rate
            if phase > 2 * Double.pi { phase -= 2 * Double.pi }
            let tone = sin(phase) + 0.5 * sin(2 * phase) + 0.25 * sin(3 * phase)
            muffled = muffle * muffled + (1 - muffle) * tone
            let fade = sin(Double.pi * position)  // approaches, passes, goes
            track[first + n] += Float(gain * fade * fade * muffled)
        }
    }
}
