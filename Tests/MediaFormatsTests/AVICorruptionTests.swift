import Testing
@testable import MediaFormats
import TestSupport

@Suite struct AVICorruptionTests {
    /// A finished 20-frame file and its bytes.
    private func sample(_ directory: ScratchFolder, frames: Int = 20) throws -> (path: String, bytes: [UInt8]) {
        let path = directory.file("good.avi")
        try Synthetic.writeAVI(path, frames: frames)
        return (path, try readFile(path))
    }

    @Test(arguments: [0, 5, 11, 40, 150, 223, 224, 300, 2000, 5000, -200, -17, -1])
    func truncatedFilesFailClearlyOrRecoverCompleteFrames(cut: Int) throws {
        let directory = ScratchFolder("mediaformats")
        let (_, bytes) = try sample(directory)
        let length = cut >= 0 ? cut : bytes.count + cut
        let path = directory.file("cut.avi")
        try writeFile(path, Array(bytes[0..<length]))
        do {
            let reader = try AVIReader(path: path)
            // Recovered: only complete frames, each one decodes, and the report says what happened.
            #expect(length >= AVILayout.moviData)
            #expect(reader.frameCount == 20 || reader.report.notes.contains { $0.contains("header declares") })
            #expect(reader.frameCount <= 20)
            #expect(!reader.report.isClean || reader.frameCount == 20)
            var decoded = 0
            try reader.forEachFrame { _, _ in decoded += 1 }
            #expect(decoded == reader.frameCount)
        } catch let error as AVIError {
            #expect(length < AVILayout.moviData, "\(error)")
            #expect(error.description.hasPrefix(path + ": "))
        }
    }

    @Test func missingIndexIsRebuiltByScanningMovi() throws {
        let directory = ScratchFolder("mediaformats")
        let (_, bytes) = try sample(directory)
        let idx1 = try #require(bytes.find("idx1", from: AVILayout.moviData))
        let path = directory.file("noindex.avi")
        try writeFile(path, Array(bytes[0..<idx1]))
        let reader = try AVIReader(path: path)
        #expect(reader.frameCount == 20)
        #expect(reader.report.indexRebuiltBecause == "no idx1 chunk")
        #expect(reader.report.truncatedBytes == 0)
        #expect(try reader.decodeFrame(19).width == 64)
    }

    @Test func damagedIndexIsRebuilt() throws {
        let directory = ScratchFolder("mediaformats")
        var (_, bytes) = try sample(directory)
        let idx1 = try #require(bytes.find("idx1", from: AVILayout.moviData))
        bytes.setU32(0x7FFF_0000, at: idx1 + 8 + 5 * 16 + 8)  // frame 5's offset points far away
        let path = directory.file("badindex.avi")
        try writeFile(path, bytes)
        let reader = try AVIReader(path: path)
        #expect(reader.frameCount == 20)
        #expect(reader.report.indexRebuiltBecause?.contains("frame 5") == true)
    }

    @Test func corruptFrameInTheMiddleIsSkippedAndCounted() throws {
        let directory = ScratchFolder("mediaformats")
        var (_, bytes) = try sample(directory)
        // Overwrite the entropy-coded data of frame 7 (after its headers) with garbage.
        var chunk = AVILayout.moviData
        for _ in 0..<7 { chunk += 8 + Int(bytes.u32(at: chunk + 4) + 1) & ~1 }
        let size = Int(bytes.u32(at: chunk + 4))
        let scan = try #require(Array(bytes[(chunk + 8)..<(chunk + 8 + size)]).indices.first {
            bytes[chunk + 8 + $0] == 0xFF && bytes[chunk + 9 + $0] == 0xDA
        })
        for i in (chunk + 8 + scan + 20)..<(chunk + 8 + size - 2) { bytes[i] = UInt8(truncatingIfNeeded: i &* 7919) | 0x01 }
        let path = directory.file("corrupt.avi")
        try writeFile(path, bytes)

        let reader = try AVIReader(path: path)
        var frames: [Int] = []
        try reader.forEachFrame { number, _ in frames.append(number) }
        #expect(frames == Array(0..<7) + Array(8..<20))
        #expect(reader.report.corruptFrames == [7])
        #expect(reader.report.description.contains("1 corrupt frame"))
        #expect(throws: AVIError.self) { try reader.decodeFrame(7) }
        #expect(reader.time(ofFrame: 8) == 8.0 / 30)  // the time base is unchanged by skipping
    }

    @Test func zeroLengthChunkCountsAsDroppedFrame() throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("dropped.avi")
        let writer = try AVIWriter(path: path, width: 64, height: 48, frameRate: FrameRate(30))
        try writer.append(Synthetic.frame(0, width: 64, height: 48, channels: 1))
        try writer.finish()
        // Hand-insert an empty '00dc' after the frame, as grabbers do for a dropped frame.
        var bytes = try readFile(path)
        let idx1 = try #require(bytes.find("idx1", from: AVILayout.moviData))
        bytes = Array(bytes[0..<idx1]) + Array("00dc".utf8) + [0, 0, 0, 0]
        try writeFile(path, bytes)
        let reader = try AVIReader(path: path)
        #expect(reader.frameCount == 2)
        #expect(try reader.jpeg(frame: 1).isEmpty)
        var count = 0
        try reader.forEachFrame { _, _ in count += 1 }
        #expect(count == 1 && reader.report.corruptFrames == [1])
    }

    @Test(arguments: [(0, 0, 0), (0, 1, 0), (1_000_000, 1, 0), (1, 100_000, 0)])
    func unusableFrameRateIsAnError(rate: Int, scale: Int, microseconds: Int) throws {
        let directory = ScratchFolder("mediaformats")
        var (_, bytes) = try sample(directory)
        bytes.setU32(UInt32(scale), at: AVILayout.strhData + 20)
        bytes.setU32(UInt32(rate), at: AVILayout.strhData + 24)
        bytes.setU32(UInt32(microseconds), at: AVILayout.avihData)
        let path = directory.file("rate.avi")
        try writeFile(path, bytes)
        let error = try #require(throws: AVIError.self) { try AVIReader(path: path) }
        guard case .invalidFrameRate = error.problem else { Issue.record("\(error)"); return }
        #expect(error.description.contains(path))
    }

    @Test func zeroStreamRateFallsBackToMainHeaderWithANote() throws {
        let directory = ScratchFolder("mediaformats")
        var (_, bytes) = try sample(directory)
        bytes.setU32(0, at: AVILayout.strhData + 24)
        let path = directory.file("avih.avi")
        try writeFile(path, bytes)
        let reader = try AVIReader(path: path)
        #expect(abs(reader.info.frameRate.framesPerSecond - 30) < 0.01)
        #expect(reader.report.notes.contains { $0.contains("frame rate from avih") })
    }

    /// Found by fuzzing: a header declaring 60000 x 60000 made the reader size its frame
    /// buffers from it (gigabytes) instead of refusing the file.
    @Test func absurdFrameSizeIsAnErrorNotAnAllocation() throws {
        let directory = ScratchFolder("mediaformats")
        var (_, bytes) = try sample(directory)
        for offset in [AVILayout.avihData + 32, AVILayout.avihData + 36, AVILayout.strfData + 4, AVILayout.strfData + 8] {
            bytes.setU32(60000, at: offset)
        }
        let path = directory.file("huge.avi")
        try writeFile(path, bytes)
        let error = try #require(throws: AVIError.self) { try AVIReader(path: path) }
        #expect(error.description.contains("60000x60000 is over the"))
    }

    @Test(arguments: [
        [UInt8](),
        Array("hello, this is not a video file at all".utf8),
        Array("RIFF\u{10}\0\0\0WAVEfmt ".utf8),
        Array("RIFF\u{ff}\u{ff}\u{ff}\u{ff}AVI LIST\u{ff}\u{ff}\u{ff}\u{7f}hdrl".utf8),
    ])
    func garbageIsRejected(bytes: [UInt8]) throws {
        let directory = ScratchFolder("mediaformats")
        let path = directory.file("garbage.avi")
        try writeFile(path, bytes)
        let error = try #require(throws: AVIError.self) { try AVIReader(path: path) }
        #expect(error.description.hasPrefix(path + ": "))
    }

    @Test func randomDamageNeverCrashes() throws {
        let directory = ScratchFolder("mediaformats")
        let (_, original) = try sample(directory, frames: 8)
        let path = directory.file("fuzz.avi")
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int { state = state &* 6364136223846793005 &+ 1442695040888963407; return Int(state >> 33) }
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + next() % 8) { bytes[next() % bytes.count] = UInt8(next() & 0xFF) }
            try writeFile(path, bytes)
            guard let reader = try? AVIReader(path: path) else { continue }
            try? reader.forEachFrame { _, _ in }
        }
    }

    @Test func missingFileNamesThePath() {
        let error = #expect(throws: AVIError.self) { try AVIReader(path: "/nonexistent/video.avi") }
        #expect(error?.description.hasPrefix("/nonexistent/video.avi") == true)
    }
}
