import Foundation
import MediaFormats
import Testing
@testable import AudioFrontEnd

@Suite struct WindowAnalysisTests {
    /// 48 kHz stereo, silence with a 3 kHz burst from 2.0 s to 2.2 s.
    func burstClip() -> AudioClip {
        let rate = 48_000
        var samples = [Float](repeating: 0, count: rate * 4 * 2)
        for n in (2 * rate)..<(2 * rate + rate / 5) {
            let x = Float(0.3 * sin(2 * Double.pi * 3_000 * Double(n) / Double(rate)))
            samples[2 * n] = x
            samples[2 * n + 1] = x
        }
        return AudioClip(sampleRate: rate, channels: 2, samples: samples)
    }

    @Test func windowIsPlacedWhereAsked() throws {
        // Window centred at 2.3 s covers 2.0-2.6 s: the burst fills its first third.
        let analysis = try WindowAnalysis.analyse(burstClip(), centre: 2.3)
        let row = 64 * 256  // 3 kHz bin
        let inside = (10..<75).map { analysis.decibels[row + $0] }.min()!
        let outside = (100..<250).map { analysis.decibels[row + $0] }.max()!
        #expect(inside > outside + 40, "burst \(inside) dB vs after it \(outside) dB")
        #expect(analysis.report.level.peakDBFS > -11 && analysis.report.level.peakDBFS < -10)
        #expect(analysis.report.level.clippedFraction == 0)
    }

    @Test(arguments: [0.1, 3.9, -1.0])
    func outOfRangeCentreIsAClearError(centre: Double) {
        #expect(throws: WindowAnalysis.OutOfRange.self) { try WindowAnalysis.analyse(burstClip(), centre: centre) }
    }

    @Test func clippingIsCounted() throws {
        let rate = 24_000
        let samples = (0..<(rate * 2)).map { n in Float(max(-1, min(1, 2 * sin(2 * Double.pi * 200 * Double(n) / Double(rate))))) }
        let analysis = try WindowAnalysis.analyse(AudioClip(sampleRate: rate, channels: 1, samples: samples), centre: 1.0)
        #expect(analysis.report.level.clippedFraction > 0.3)
        #expect(analysis.report.level.peakDBFS > -0.01)
    }
}
