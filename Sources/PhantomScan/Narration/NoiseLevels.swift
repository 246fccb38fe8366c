import Glibc

/// Level helpers for the noise track (powers as mean squares).
enum NoiseLevels {
    static func meanSquare(_ samples: [Float]) -> Double {
        guard !samples.isEmpty else { return 0 }
        var sum = 0.0
        for sample in samples { sum += Double(sample) * Double(sample) }
        return sum / Double(samples.count)
    }

    static func normalise(_ samples: inout [Float], toRMS target: Double) {
        let power = meanSquare(samples)
        guard power > 0 else { return }
        let gain = Float(target / power.squareRoot())
        for i in samples.indices { samples[i] *= gain }
    }

    static func amplitude(dB: Double) -> Double { pow(10, dB / 20) }

    static func power(dB: Double) -> Double { pow(10, dB / 10) }
}
