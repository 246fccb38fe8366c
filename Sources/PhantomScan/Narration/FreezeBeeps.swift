import Platform
import Glibc

/// Machines that beep when the image is frozen (a setting: some scans have it, most not).
enum FreezeBeeps {
    static func add(into track: inout [Float], sampleRate: Int, freezeStarts: [Double], amplitude: Double,
                    _ random: inout RandomSource) {
        let rate = Double(sampleRate)
        let frequency = random.pick([880.0, 1000.0, 1200.0])
        let length = Int(random.uniform(0.06...0.12) * rate)
        let ramp = Int(0.005 * rate)  // soft edges, no clicks
        for start in freezeStarts {
            let first = Int(start * rate)
            guard first >= 0, first + length < track.count else { continue }
            for n in 0..<length {
                let edge = min(1, Double(min(n, length - 1 - n)) / Double(ramp))
                track[first + n] += Float(amplitude * edge * sin(2 * Double.pi * frequency * Double(n) / rate))
            }
        }
    }
}
