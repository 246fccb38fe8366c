import Foundation
import MediaFormats
import Testing
@testable import AudioFrontEnd

/// Samples no microphone should produce but a file or a broken driver can: the front end
/// must not trap, and levels must stay within what a sample can mean.
@Suite struct HostileSampleTests {
    @Test func denoiserNeverTrapsOnNonFiniteOrHugeSamples() {
        let denoiser = Denoiser(frameLength: 240, sampleRate: 24_000)
        var frame = (0..<240).map { i -> Float in [.nan, .infinity, -.infinity, 3e38, -3e38, 0.1][i % 6] }
        frame.withUnsafeMutableBufferPointer { denoiser.process($0.baseAddress!) }
        #expect(frame.allSatisfy { $0.isFinite && abs($0) <= 1 })
    }

    /// `showtell spectrogram` on a float WAV full of 1e30 and NaN said "rms inf dBFS, peak
    /// 600 dBFS" (or trapped); through the reader's sanitising it reads full scale.
    @Test func spectrogramOfAHostileFloatWAVReportsSaneLevels() throws {
        let rate = 16_000
        var samples = [Float](repeating: 0, count: rate * 2)
        for n in rate / 2..<rate { samples[n] = n % 3 == 0 ? .nan : (n % 2 == 0 ? 1e30 : -1e30) }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("showtell-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WAVFile.write(AudioClip(sampleRate: rate, channels: 1, samples: samples), to: path, format: .float32)
        let (clip, report) = try WAVFile.read(path)
        #expect(report.sanitisedSamples == rate / 2)
        let analysis = try WindowAnalysis.analyse(clip, centre: 0.75)
        let level = analysis.report.level
        #expect(level.peakDBFS.isFinite && level.peakDBFS <= 0.01 && level.peakDBFS > -1, "peak \(level.peakDBFS)")
        #expect(level.rmsDBFS.isFinite && level.rmsDBFS <= 3.02, "rms \(level.rmsDBFS)")  // full-scale square: +3 dBFS
        #expect(analysis.decibels.allSatisfy { $0.isFinite })
    }
}
