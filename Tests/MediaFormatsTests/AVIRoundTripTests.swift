import Foundation
import Testing
@testable import MediaFormats
import TestSupport

@Suite struct AVIRoundTripTests {
    @Test(arguments: [1, 3])
    func writesAndReadsBackFrames(channels: Int) throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("video.avi")
        let width = 80, height = 60, frames = 45
        let writer = try AVIWriter(path: path, width: width, height: height, frameRate: FrameRate(30))
        var originals: [Image8] = []
        for number in 0..<frames {
            let image = Synthetic.frame(number, width: width, height: height, channels: channels)
            originals.append(image)
            try writer.append(image, quality: 92)
        }
        try writer.finish()

        let reader = try AVIReader(path: path)
        #expect(reader.info.width == width && reader.info.height == height)
        #expect(reader.info.frameRate == FrameRate(30))
        #expect(reader.frameCount == frames)
        #expect(reader.info.declaredFrameCount == frames)
        #expect(abs(reader.info.duration - 1.5) < 1e-9)
        #expect(reader.report.isClean, "\(reader.report)")
        var seen = 0
        try reader.forEachFrame(components: channels) { number, image in
            #expect(Synthetic.meanAbsoluteDifference(image, originals[number]) < 3)
            seen += 1
        }
        #expect(seen == frames)
        let gray = try reader.decodeFrame(10)
        #expect(gray.channels == 1)
        let jpeg = try reader.jpeg(frame: 0)
        #expect(jpeg.prefix(2) == [0xFF, 0xD8])
    }

    @Test func keepsRationalFrameRate() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("ntsc.avi")
        let rate = try #require(FrameRate(rate: 30000, scale: 1001))
        let writer = try AVIWriter(path: path, width: 32, height: 32, frameRate: rate)
        for number in 0..<10 { try writer.append(Synthetic.frame(number, width: 32, height: 32, channels: 1)) }
        try writer.finish()
        let reader = try AVIReader(path: path)
        #expect(reader.info.frameRate == rate)
        #expect(abs(reader.time(ofFrame: 30) - 1.001) < 1e-12)
    }

    @Test func headerIsRefreshedWhileRecording() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("live.avi")
        let writer = try Synthetic.writeAVI(path, frames: 25, refresh: 10, finish: false)
        // Not finished: the header says 20 (last refresh), the file holds 25 complete frames.
        let reader = try AVIReader(path: path)
        #expect(reader.info.declaredFrameCount == 20)
        #expect(reader.frameCount == 25)
        #expect(reader.report.indexRebuiltBecause == "no idx1 chunk")
        try writer.finish()
        let finished = try AVIReader(path: path)
        #expect(finished.frameCount == 25 && finished.report.isClean)
    }

    @Test func indexGrowsPastItsInitialCapacity() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("long.avi")
        let jpeg = try JPEGCodec.encode(Synthetic.frame(0, width: 16, height: 16, channels: 1))
        let writer = try AVIWriter(path: path, width: 16, height: 16, frameRate: FrameRate(60))
        for _ in 0..<700 { try writer.append(jpeg: jpeg) }  // initial idx1 capacity is 256 entries
        try writer.finish()
        let reader = try AVIReader(path: path)
        #expect(reader.frameCount == 700 && reader.report.isClean)
        #expect(try reader.jpeg(frame: 699) == jpeg)
    }

    @Test func rejectsFramesOfAnotherSizeOrNotJPEG() throws {
        let directory = ScratchFolder("mediaformats")
        let writer = try AVIWriter(path: directory.file("v.avi"), width: 32, height: 32, frameRate: FrameRate(25))
        #expect(throws: AVIError.self) { try writer.append(Synthetic.frame(0, width: 16, height: 32, channels: 1)) }
        #expect(throws: AVIError.self) { try writer.append(jpeg: [1, 2, 3, 4, 5, 6]) }
        let other = try JPEGCodec.encode(Synthetic.frame(0, width: 48, height: 32, channels: 1))
        #expect(throws: AVIError.self) { try writer.append(jpeg: other) }
        try writer.finish()
        #expect(throws: AVIError.self) { try writer.finish() }
    }

    @Test func refusesToGrowPastTheSizeLimit() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("limit.avi")
        let writer = try AVIWriter(path: path, width: 64, height: 48, frameRate: FrameRate(30), headerRefreshInterval: nil,
                                   expectedFrameCount: 0, sizeLimit: 20_000)
        var appended = 0
        var limitError: AVIError?
        for number in 0..<100 {
            do { try writer.append(Synthetic.frame(number, width: 64, height: 48, channels: 1)); appended += 1 } catch {
                limitError = error
                break
            }
        }
        #expect(limitError?.problem == .fileSizeLimit(limit: 20_000))
        #expect(limitError?.description.contains(path) == true)
        try writer.finish()
        let reader = try AVIReader(path: path)
        #expect(reader.frameCount == appended && reader.report.isClean)
        #expect(try readFile(path).count <= 20_000)
    }

    @Test func appendCostIsSmall() throws {
        let directory = ScratchFolder("mediaformats")
        let jpeg = try JPEGCodec.encode(Synthetic.frame(0, width: 640, height: 480, channels: 1), quality: 85)
        let writer = try AVIWriter(path: directory.file("bench.avi"), width: 640, height: 480, frameRate: FrameRate(30),
                                   expectedFrameCount: 2000)
        let frames = 1500
        let clock = ContinuousClock()
        let elapsed = try clock.measure { for _ in 0..<frames { try writer.append(jpeg: jpeg) } }
        let perFrame = Double(elapsed.components.attoseconds / 1_000_000_000_000 + elapsed.components.seconds * 1_000_000) / Double(frames)
        try writer.finish()
        print("AVIWriter.append: \(jpeg.count)-byte JPEG, \(String(format: "%.1f", perFrame)) us per frame")
        #expect(perFrame < 2000)
    }
}
