import Platform
import Glibc

/// The ultrasound machine's cooling fan and mains hum: harmonics of the mains frequency and of
/// the fan's blade rate, slowly wavering, over broadband air noise. Stationary, so it sets the
/// noise floor; returned at unit RMS.
enum FanHum {
    static func render(count: Int, sampleRate: Int, _ random: inout RandomSource) -> [Float] {
        guard count > 0 else { return [] }
        let rate = Double(sampleRate)
        let mains = random.chance(0.7) ? 50.0 : 60.0
        let blade = random.uniform(90...220)
        var tones: [(frequency: Double, amplitude: Double)] = []
        let tonalLevel = random.uniform(0.3...1.2)  // tonal against broadband, varies by machine
        for harmonic in 1...6 {
            tones.append((mains * Double(harmonic), tonalLevel * pow(0.6, Double(harmonic - 1)) * random.uniform(0.5...1.5)))
        }
        for harmonic in 1...3 {
            tones.append((blade * Double(harmonic), 0.4 * tonalLevel * pow(0.5, Double(harmonic - 1)) * random.uniform(0.5...1.5)))
        }
        // Each tone is a phasor turned by a fixed rotation per sample: no sin() per sample.
        var phasors = tones.map { _ in (re: 0.0, im: 0.0) }
        var rotations = tones.map { _ in (re: 0.0, im: 0.0) }
        for (i, tone) in tones.enumerated() {
            let phase = random.uniform(0...(2 * Double.pi))
            phasors[i] = (tone.amplitude * cos(phase), tone.amplitude * sin(phase))
            let step = 2 * Double.pi * tone.frequency / rate
            rotations[i] = (cos(step), sin(step))
        }
        let wobbleRate = random.uniform(0.05...0.2)
        let wobblePhase = random.uniform(0...(2 * Double.pi))
        let airCutoff = exp(-2 * Double.pi * random.uniform(1500...4000) / rate)

        var out = [Float](repeating: 0, count: count)
        var pink = (0.0, 0.0, 0.0)
        var air = 0.0
        for n in 0..<count {
            var tonal = 0.0
            for i in phasors.indices {
                let p = phasors[i], r = rotations[i]
                phasors[i] = (p.re * r.re - p.im * r.im, p.re * r.im + p.im * r.re)
                tonal += phasors[i].im
            }
            let white = Double(random.signedUnitFloat())
            // Paul Kellet's economy pink filter, then a one-pole low-pass: air through the vents.
            pink.0 = 0.99765 * pink.0 + white * 0.0990460
            pink.1 = 0.96300 * pink.1 + white * 0.2965164
            pink.2 = 0.57000 * pink.2 + white * 1.0526913
            let pinkSample = pink.0 + pink.1 + pink.2 + white * 0.1848
            air = airCutoff * air + (1 - airCutoff) * pinkSample
            let wobble = 1 + 0.12 * sin(2 * Double.pi * wobbleRate * Double(n) / rate + wobblePhase)
            out[n] = Float(tonal * wobble + air + 0.02 * white)
        }
        NoiseLevels.normalise(&out, toRMS: 1)
        return out
    }
}
