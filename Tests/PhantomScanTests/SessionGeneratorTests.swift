import Foundation
import MediaFormats
import Testing
import TestSupport
@testable import PhantomScan

/// Whole phantom sessions: the folder opens with the strict reader, media agree on duration,
/// ffprobe reads them, a seed reproduces the bytes, and the ground truth hangs together.
@Suite(.enabled(if: NarrationFixture.espeakAvailable, "espeak-ng (libespeak-ng1, espeak-ng-data) is not installed"),
       .serialized)
struct SessionGeneratorTests {
    /// Shared by the suite's tests (a session is costly to generate); left for the OS to clean.
    static let scratch = ScratchFolder("showtell-session-tests")
    static var directory: String { scratch.path }

    /// One 8-second session shared by the read-only tests (rendering is slow in debug builds).
    static let shared: (path: String, report: SessionGenerator.Report) = {
        let path = directory + "/shared"
        let report = try! SessionGenerator(duration: 8, seed: 11).generate(to: path)
        return (path, report)
    }()

    @Test func opensWithTheStrictReaderAndMediaAgree() throws {
        let session = try SessionFolder(path: Self.shared.path).open()
        #expect(session.notes.isEmpty)
        #expect(session.manifest.frameCount == 240)
        #expect(session.video.frameCount == 240)
        #expect(session.video.info.frameRate.framesPerSecond == 30)
        #expect(session.audio.sampleRate == 48_000)
        #expect(abs(session.audio.duration - 8) < 1e-9)
        #expect(session.labels?.count == 240)
        #expect(session.labels?.enumerated().allSatisfy { $0.offset == $0.element.frame } == true)
        let words = try #require(session.transcript)
        #expect(!words.isEmpty)
        #expect(words.allSatisfy { $0.speaker != nil && $0.start < $0.end && $0.end <= 8 })
        #expect(zip(words, words.dropFirst()).allSatisfy { $0.start <= $1.start })
        let frame = try session.video.decodeFrame(120)
        #expect(frame.width == 640 && frame.height == 480)
    }

    @Test(.enabled(if: FFprobe.isAvailable, "ffprobe is not on PATH"))
    func ffprobeReadsDurationRateAndAudioRate() throws {
        let video = try FFprobe.probe(Self.shared.path + "/video.avi", countFrames: true)
        let stream = FFprobe.stream(video)
        #expect(stream["codec_name"] as? String == "mjpeg")
        #expect(stream["r_frame_rate"] as? String == "30/1")
        #expect(FFprobe.number(stream["nb_read_frames"]) == 240)
        #expect(abs((FFprobe.number(FFprobe.format(video)["duration"]) ?? 0) - 8) < 0.04)
        let audio = FFprobe.stream(try FFprobe.probe(Self.shared.path + "/audio.wav"))
        #expect(audio["sample_rate"] as? String == "48000")
        #expect(abs((FFprobe.number(audio["duration"]) ?? 0) - 8) < 0.001)
    }

    @Test func sameSeedSameBytesOtherSeedOtherSession() throws {
        let a = Self.directory + "/a", b = Self.directory + "/b", c = Self.directory + "/c"
        for (path, seed) in [(a, UInt64(5)), (b, 5), (c, 6)] {
            try SessionGenerator(duration: 3, seed: seed).generate(to: path)
        }
        for file in ["video.avi", "audio.wav", "transcript.vtt", "labels.jsonl", "session.json"] {
            let bytesA = FileManager.default.contents(atPath: a + "/" + file)
            #expect(bytesA != nil)
            #expect(bytesA == FileManager.default.contents(atPath: b + "/" + file), "\(file) differs for the same seed")
        }
        #expect(FileManager.default.contents(atPath: a + "/video.avi") != FileManager.default.contents(atPath: c + "/video.avi"))
    }

    @Test func refusesToOverwriteAndLeavesNoPartialFolder() throws {
        let path = Self.directory + "/existing"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        #expect(throws: SessionError.self) { try SessionGenerator(duration: 2, seed: 1).generate(to: path) }
        #expect(FileManager.default.contents(atPath: path + "/notes.txt") == Data("keep me".utf8))
        #expect(throws: SessionError.self) { try SessionGenerator(duration: 0.2, seed: 1).generate(to: Self.directory + "/short") }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.contains(".partial-") }
        #expect(leftovers.isEmpty)
    }

    /// While the sonographer names a structure, the gaze fixates on it (DESIGN.md §7: the
    /// gaze follows what is talked about).
    @Test func gazeFollowsTheNamedAnatomy() throws {
        let timeline = ScanScriptGenerator(seed: 21).timeline(duration: 60)
        let narration = try NarrationGenerator().generate(timeline: timeline, seed: 21)
        let spans = SessionGenerator.attention(from: narration.phrases, timeline: timeline)
        #expect(spans.count >= 5)
        let gaze = GazeModel(seed: 21, timeline: timeline, attention: spans)
        var renderer = BModeRenderer(timeline: timeline, seed: 21)
        var image = renderer.makeImage()
        var onTarget = 0, fixations = 0
        for span in spans {
            let frame = Int(((span.start + span.end) / 2) * BModeRenderer.framesPerSecond)
            let label = renderer.render(frame: frame, into: &image)
            let point = gaze.gaze(frame: frame, regions: label.anatomy)
            guard point.fixation else { continue }
            fixations += 1
            let boxes = label.anatomy.filter { $0.name == span.anatomy }.map { region in
                (region.polygon.map { $0[0] }.min()!, region.polygon.map { $0[0] }.max()!,
                 region.polygon.map { $0[1] }.min()!, region.polygon.map { $0[1] }.max()!)
            }
            if boxes.contains(where: { point.x >= $0.0 - 4 && point.x <= $0.1 + 4 && point.y >= $0.2 - 4 && point.y <= $0.3 + 4 }) {
                onTarget += 1
            }
        }
        #expect(fixations >= 3)
        // Fixations land on the attended structure 75 % of the time by design; allow sampling noise.
        #expect(Double(onTarget) / Double(max(fixations, 1)) >= 0.55, "gaze on the named anatomy in \(onTarget) of \(fixations) fixations")
    }

    @Test func contactSheetShowsEveryTile() throws {
        let session = try SessionFolder(path: Self.shared.path).open()
        let sheet = try ContactSheet.render(session: session, columns: 3, rows: 2)
        #expect(sheet.channels == 3)
        #expect(sheet.width == 3 * 326 + 6)
        // Each tile's picture area has B-mode content (not the background colour).
        for tile in 0..<6 {
            let x = 6 + (tile % 3) * 326 + 160, y = 20 + (tile / 3) * (240 + 45 + 6 + 6) + 150
            var bright = 0
            for dy in -40...40 { for dx in -80...80 where sheet.pixels[((y + dy) * sheet.width + x + dx) * 3] > 60 { bright += 1 } }
            #expect(bright > 100, "tile \(tile) looks empty")
        }
    }
}
