import Foundation
import Testing
@testable import MediaFormats

@Suite struct WAVFileTests {
    func temporaryPath(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("showtell-\(UUID().uuidString)-\(name)").path
    }

    func ramp(channels: Int, frames: Int) -> [Float] {
        (0..<(frames * channels)).map { Float(sin(Double($0) * 0.01)) * 0.9 }
    }

    @Test(arguments: [(WAVSampleFormat.int16, 1), (.int24, 2), (.int32, 1), (.float32, 2), (.float64, 1)])
    func roundTrip(format: WAVSampleFormat, channels: Int) throws {
        let clip = AudioClip(sampleRate: 44_100, channels: channels, samples: ramp(channels: channels, frames: 1_000))
        let path = temporaryPath("rt.wav")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WAVFile.write(clip, to: path, format: format)
        let (back, report) = try WAVFile.read(path)
        #expect(report.format == format)
        #expect(back.sampleRate == 44_100 && back.channels == channels && back.samples.count == clip.samples.count)
        let tolerance: Float = format == .int16 ? 1.0 / 32_768 : 1e-6
        let worst = zip(back.samples, clip.samples).map { abs($0 - $1) }.max()!
        #expect(worst <= tolerance)
    }

    /// A float WAV can hold anything: NaN, ±Inf, 3e38. The reader is the boundary: those
    /// become silence or full scale, and the report counts them.
    @Test(arguments: [WAVSampleFormat.float32, .float64])
    func nonFiniteAndHugeFloatSamplesAreSanitisedAndCounted(format: WAVSampleFormat) throws {
        let clip = AudioClip(sampleRate: 16_000, channels: 1,
                             samples: [0.5, .nan, .infinity, -.infinity, 3e38, -1e30, 1.0001, -0.25, 1, -1])
        let path = temporaryPath("hostile.wav")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WAVFile.write(clip, to: path, format: format)
        let (back, report) = try WAVFile.read(path)
        #expect(back.samples == [0.5, 0, 0, 0, 1, -1, 1, -0.25, 1, -1])
        #expect(report.sanitisedSamples == 6)
    }

    @Test func monoMixAveragesChannels() {
        let clip = AudioClip(sampleRate: 8_000, channels: 2, samples: [1, 0, 0.5, -0.5])
        #expect(clip.mixedToMono() == [0.5, 0])
    }

    @Test func truncatedFileIsAnErrorNamingTheFile() throws {
        let clip = AudioClip(sampleRate: 16_000, channels: 1, samples: ramp(channels: 1, frames: 800))
        let path = temporaryPath("cut.wav")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try WAVFile.write(clip, to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes.removeLast(301)  // cut mid-sample
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            try WAVFile.read(path)
        } throws: { error in
            let message = String(describing: error)
            return message.contains(path) && message.contains("truncated")
        }
        let (recovered, report) = try WAVFile.read(path, recoverTruncated: true)
        #expect(report.missingBytes == 301)
        #expect(recovered.samples.count == (1_600 - 301) / 2)
        #expect(recovered.samples == Array(try WAVFile.read(path, recoverTruncated: true).0.samples))
    }

    @Test(arguments: [
        ([UInt8](repeating: 0, count: 3), "not a RIFF"),
        (Array("RIFF\u{0}\u{0}\u{0}\u{0}AVI LIST".utf8), "not WAVE"),
        (Array("RIFF\u{24}\u{0}\u{0}\u{0}WAVEdata\u{0}\u{0}\u{0}\u{0}".utf8), "'fmt '"),
    ])
    func malformedHeadersAreClearErrors(bytes: [UInt8], expected: String) {
        #expect {
            try WAVFile.decode(bytes, path: "bad.wav")
        } throws: { error in
            String(describing: error).contains("bad.wav") && String(describing: error).contains(expected)
        }
    }

    @Test func unsupportedCodecIsNamed() throws {
        // A-law (format tag 6) with 8 bits.
        var header = WAVFile.header(sampleRate: 8_000, channels: 1, format: .int16, dataBytes: 4)
        header[20] = 6; header[34] = 8; header[32] = 1
        #expect {
            try WAVFile.decode(header + [0, 0, 0, 0], path: "alaw.wav")
        } throws: { error in
            String(describing: error).contains("unsupported codec: format tag 0x6")
        }
    }

    @Test func randomGarbageNeverCrashes() {
        var state: UInt64 = 7
        for length in [0, 1, 11, 12, 44, 45, 100, 1_000] {
            for _ in 0..<50 {
                var bytes = [UInt8](repeating: 0, count: length)
                for i in 0..<length { state = state &* 6_364_136_223_846_793_005 &+ 1; bytes[i] = UInt8(state >> 56) }
                if length >= 12 { bytes.replaceSubrange(0..<4, with: Array("RIFF".utf8)); bytes.replaceSubrange(8..<12, with: Array("WAVE".utf8)) }
                _ = try? WAVFile.decode(bytes)
            }
        }
    }
}
