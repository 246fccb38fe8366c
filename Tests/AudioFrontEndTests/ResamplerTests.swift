import Foundation
import Testing
@testable import AudioFrontEnd

func sine(_ frequency: Double, rate: Double, count: Int, amplitude: Double = 0.5) -> [Float] {
    (0..<count).map { Float(amplitude * sin(2 * .pi * frequency * Double($0) / rate)) }
}

func rms(_ x: ArraySlice<Float>) -> Double {
    (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(x.count)).squareRoot()
}

@Suite struct ResamplerTests {
    @Test(arguments: [100.0, 1_000.0, 5_000.0, 10_000.0])
    func passbandIsFlat(frequency: Double) throws {
        let out = try Resampler.convert(sine(frequency, rate: 48_000, count: 48_000), from: 48_000, to: 24_000)
        #expect(out.count == 24_000)
        let gainDB = 20 * log10(rms(out[2_000..<22_000]) / (0.5 / 2.0.squareRoot()))
        #expect(abs(gainDB) < 0.01, "gain at \(frequency) Hz: \(gainDB) dB")
    }

    @Test(arguments: [12_500.0, 14_000.0, 20_000.0])
    func aliasesAreRejected(frequency: Double) throws {
        // Above the 12 kHz output Nyquist: must be removed, not folded back.
        let out = try Resampler.convert(sine(frequency, rate: 48_000, count: 48_000), from: 48_000, to: 24_000)
        let levelDB = 20 * log10(rms(out[2_000..<22_000]) / (0.5 / 2.0.squareRoot()) + 1e-12)
        #expect(levelDB < -100, "residual at \(frequency) Hz: \(levelDB) dB")
    }

    @Test func blockSizeDoesNotChangeTheOutput() throws {
        let input = sine(1_234, rate: 44_100, count: 44_100)
        let whole = try Resampler.convert(input, from: 44_100, to: 24_000)
        let streaming = try Resampler(inputRate: 44_100, outputRate: 24_000)
        var collected: [Float] = []
        var scratch = [Float](repeating: 0, count: streaming.maxOutput(forInput: 997))
        var start = 0
        while start < input.count {
            let end = min(start + 997, input.count)
            let n = input[start..<end].withUnsafeBufferPointer { chunk in
                scratch.withUnsafeMutableBufferPointer { streaming.process(chunk, into: $0) }
            }
            collected.append(contentsOf: scratch[0..<n])
            start = end
        }
        let common = min(collected.count, whole.count) - 100
        #expect(common > 23_000)
        let worst = (0..<common).map { abs(collected[$0] - whole[$0]) }.max()!
        #expect(worst < 1e-6)
    }
}
