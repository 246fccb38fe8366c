import Foundation
import Glibc
import Testing
@testable import AudioFrontEnd

/// The same deterministic signal as Tests/FixtureScripts/spectrogram_reference.py.
func referenceSignal() -> [Float] {
    let rate = 24_000.0
    return (0..<14_400).map { n in
        let t = Double(n) / rate
        var x = 0.5 * sin(2 * .pi * 440 * t)
        x += 0.25 * sin(2 * .pi * 3_000 * t + 0.3)
        x += 0.1 * sin(2 * .pi * (500 * t + 0.5 * 15_000 * t * t / 0.6))
        let m = n % 2_400
        x += m < 3 ? 0.2 * exp(-Double(m) / 2) : 0
        return Float(x)
    }
}

func fixtureFloats(_ name: String) throws -> [Float] {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil))
    let data = try Data(contentsOf: url)
    return data.withUnsafeBytes { raw in
        (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
    }
}

@Suite struct SpectrogramTests {
    @Test func matchesNumpyReference() throws {
        let reference = try fixtureFloats("spectrogram_reference.f32")
        #expect(reference.count == 256 * 256)
        let spectrogram = LogSpectrogram()
        let signal = referenceSignal()
        var out = [Float](repeating: 0, count: 256 * 256)
        signal.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { spectrogram.decibels(s.baseAddress!, into: $0.baseAddress!) } }
        // Float32 FFT vs float64 numpy: tight where there is energy, looser near the -100 dB floor.
        var worstLoud: Float = 0, worstAll: Float = 0
        for i in 0..<reference.count {
            let difference = abs(out[i] - reference[i])
            if reference[i] > -60 { worstLoud = max(worstLoud, difference) }
            if reference[i] > -90 { worstAll = max(worstAll, difference) }
        }
        #expect(worstLoud < 0.02, "max |Δ| where level > -60 dB: \(worstLoud) dB")
        #expect(worstAll < 0.5, "max |Δ| where level > -90 dB: \(worstAll) dB")
    }

    @Test func toneLandsInItsBin() {
        // 3 kHz is bin 64 of a 512-point FFT at 24 kHz (46.875 Hz per bin).
        let signal = (0..<14_400).map { Float(0.5 * sin(2 * Double.pi * 3_000 * Double($0) / 24_000)) }
        var out = [Float](repeating: 0, count: 256 * 256)
        let spectrogram = LogSpectrogram()
        signal.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { spectrogram.decibels(s.baseAddress!, into: $0.baseAddress!) } }
        let column = 128
        let peakBin = (0..<256).max { out[$0 * 256 + column] < out[$1 * 256 + column] }
        #expect(peakBin == 64)
    }

    @Test func standardisedHasZeroMeanUnitVariance() {
        let signal = referenceSignal()
        var out = [Float](repeating: 0, count: 256 * 256)
        let spectrogram = LogSpectrogram()
        signal.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { spectrogram.networkInput(s.baseAddress!, into: $0.baseAddress!) } }
        let mean = out.reduce(0, +) / Float(out.count)
        let variance = out.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(out.count)
        #expect(abs(mean) < 1e-3)
        #expect(abs(variance - 1) < 1e-3)
    }
}

@Suite struct StreamingSpectrogramTests {
    @Test func fastLogMatchesLibm() {
        var worst: Float = 0
        var x: Float = 1e-10
        while x < 1e6 {
            worst = max(worst, abs(LogSpectrogram.log10Approximation(x) - log10f(x)))
            x *= 1.0137
        }
        #expect(worst < 2e-6, "worst |Δlog10| = \(worst)")
    }

    @Test func cachedRowsGiveTheSameWindowAsAFullTransform() throws {
        let frontEnd = try SpeechFrontEnd(inputRate: 48_000)
        let input = (0..<(48_000 * 3)).map { Float(0.3 * sin(Double($0) * 0.013) + 0.1 * sin(Double($0) * 0.41)) }
        var cached = [Float](repeating: 0, count: 256 * 256)
        var full = [Float](repeating: 0, count: 256 * 256)
        var cleaned = [Float](repeating: 0, count: 14_400)
        var compared = 0
        for hop in stride(from: 0, to: input.count, by: 4_800) {
            input[hop..<(hop + 4_800)].withUnsafeBufferPointer { frontEnd.push($0) }
            guard frontEnd.windowReady else { continue }
            _ = cached.withUnsafeMutableBufferPointer { frontEnd.latestWindow(into: $0.baseAddress!, standardised: false) }
            _ = cleaned.withUnsafeMutableBufferPointer { frontEnd.copyLatestCleaned(into: $0.baseAddress!) }
            cleaned.withUnsafeBufferPointer { s in full.withUnsafeMutableBufferPointer { frontEnd.spectrogram.decibels(s.baseAddress!, into: $0.baseAddress!) } }
            #expect(cached == full)
            compared += 1
        }
        #expect(compared > 20)
    }
}
