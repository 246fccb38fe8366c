import Foundation
import Testing
import TestSupport
@testable import MediaFormats

@Suite(.enabled(if: FFprobe.isAvailable, "ffprobe is not on PATH")) struct FFprobeTests {
    @Test(arguments: [1, 3])
    func aviOpensWithFrameCountRateAndDuration(channels: Int) throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("video.avi")
        try Synthetic.writeAVI(path, frames: 75, width: 96, height: 64, channels: channels, fps: 30)
        let probe = try FFprobe.probe(path, countFrames: true)
        let video = FFprobe.stream(probe)
        #expect(video["codec_name"] as? String == "mjpeg")
        #expect(video["width"] as? Int == 96 && video["height"] as? Int == 64)
        #expect(video["r_frame_rate"] as? String == "30/1")
        #expect(video["avg_frame_rate"] as? String == "30/1")
        #expect(video["nb_frames"] as? String == "75")
        #expect(video["nb_read_frames"] as? String == "75")
        #expect(abs((FFprobe.number(FFprobe.format(probe)["duration"]) ?? 0) - 2.5) < 1e-3)
    }

    @Test func interruptedRecordingStillOpens() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("live.avi")
        let writer = try Synthetic.writeAVI(path, frames: 70, fps: 30, finish: false)
        let probe = try FFprobe.probe(path, countFrames: true)
        let video = FFprobe.stream(probe)
        #expect(video["nb_frames"] as? String == "60")  // header refreshed every 30 frames
        #expect(Int(video["nb_read_frames"] as? String ?? "") ?? 0 >= 60)
        #expect(video["r_frame_rate"] as? String == "30/1")
        try writer.finish()
    }

    @Test(arguments: [(WAVSampleFormat.int16, 48_000, 1), (.float32, 16_000, 2)])
    func streamedWAVOpensWithRateAndDuration(format: WAVSampleFormat, rate: Int, channels: Int) throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("audio.wav")
        let writer = try WAVStreamWriter(path: path, sampleRate: rate, channels: channels, format: format)
        let block = [Float](repeating: 0.25, count: rate / 10 * channels)
        for _ in 0..<25 { try writer.append(block) }
        try writer.close()
        let probe = try FFprobe.probe(path)
        let audio = FFprobe.stream(probe)
        #expect(audio["sample_rate"] as? String == String(rate))
        #expect(audio["channels"] as? Int == channels)
        #expect(audio["codec_name"] as? String == (format == .int16 ? "pcm_s16le" : "pcm_f32le"))
        #expect(abs((FFprobe.number(FFprobe.format(probe)["duration"]) ?? 0) - 2.5) < 1e-3)
    }

    @Test func ffmpegsOwnMJPEGAVIIsReadable() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("ffmpeg.avi")
        let ffmpeg = (FFprobe.path! as NSString).deletingLastPathComponent + "/ffmpeg"
        try #require(FileManager.default.isExecutableFile(atPath: ffmpeg))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=25", "-frames:v", "12",
                             "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", path]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0)
        let reader = try AVIReader(path: path)
        #expect(reader.frameCount == 12 && reader.info.frameRate.framesPerSecond == 25)
        var decoded = 0
        try reader.forEachFrame(components: 3) { _, _ in decoded += 1 }
        #expect(decoded == 12 && reader.report.corruptFrames.isEmpty, "\(reader.report)")
    }
}
