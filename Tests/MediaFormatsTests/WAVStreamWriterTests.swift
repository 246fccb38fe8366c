import Foundation
import Testing
@testable import MediaFormats
import TestSupport

@Suite struct WAVStreamWriterTests {
    static func tone(frames: Int, channels: Int, offset: Int = 0) -> [Float] {
        (0..<(frames * channels)).map { Float(sin(Double($0 / channels + offset) * 0.05 + Double($0 % channels))) * 0.8 }
    }

    @Test(arguments: [(WAVSampleFormat.int16, 1), (.float32, 2), (.int16, 2)])
    func streamedFileReadsBackExactly(format: WAVSampleFormat, channels: Int) throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("audio.wav")
        let writer = try WAVStreamWriter(path: path, sampleRate: 16_000, channels: channels, format: format)
        var all: [Float] = []
        for block in 0..<30 {  // odd block sizes, one larger than the internal buffer
            let samples = Self.tone(frames: block == 7 ? 9_000 : 333, channels: channels, offset: all.count / channels)
            try writer.append(samples)
            all += samples
        }
        try writer.close()
        #expect(writer.frameCount == all.count / channels)
        let (clip, report) = try WAVFile.read(path)
        #expect(report.missingBytes == 0 && report.format == format)
        #expect(clip.sampleRate == 16_000 && clip.channels == channels && clip.samples.count == all.count)
        let worst = zip(clip.samples, all).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= (format == .int16 ? 1.0 / 32_768 : 0))
    }

    @Test func interruptedRecordingIsPlayableUpToTheLastRefresh() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("live.wav")
        let writer = try WAVStreamWriter(path: path, sampleRate: 8_000, channels: 1, headerRefreshSeconds: 0.5)
        for _ in 0..<11 { try writer.append(Self.tone(frames: 1_000, channels: 1)) }
        // Still open (as if killed now): refreshes every 4 000 frames, so the header covers
        // 8 000 frames while 11 000 are on disk.
        let bytes = try readFile(path)
        #expect(bytes.count == 44 + 22_000)
        #expect(bytes.u32(at: 40) == 16_000 && bytes.u32(at: 4) == 36 + 16_000)
        let (clip, _) = try WAVFile.read(path)
        #expect(clip.frameCount == 8_000)
        try writer.close()
        #expect(try WAVFile.read(path).0.frameCount == 11_000)
    }

    @Test func nanIsWrittenAsSilence() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("nan.wav")
        let writer = try WAVStreamWriter(path: path, sampleRate: 8_000, channels: 1)
        try writer.append([0.5, .nan, -0.5, .infinity])
        try writer.close()
        #expect(try WAVFile.read(path).0.samples == [0.5, 0, -0.5, 32767.0 / 32768])
    }

    @Test func rejectsPartialFramesAndAppendAfterClose() throws {
        let directory = ScratchFolder("mediaformats")
        let writer = try WAVStreamWriter(path: directory.file("x.wav"), sampleRate: 8_000, channels: 2)
        #expect(throws: WAVError.self) { try writer.append([0.1, 0.2, 0.3]) }
        try writer.close()
        #expect(throws: WAVError.self) { try writer.append([0.1, 0.2]) }
        #expect(throws: WAVError.self) { try WAVStreamWriter(path: "/nonexistent/dir/x.wav", sampleRate: 8_000, channels: 1) }
    }
}
