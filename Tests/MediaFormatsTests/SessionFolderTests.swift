import Foundation
import Testing
@testable import MediaFormats
import TestSupport

@Suite struct SessionFolderTests {
    /// A 1-second session: 30 frames of 64x48 at 30 fps, 16 kHz mono audio, labels and words.
    static func makeSession(in directory: ScratchFolder, audioSeconds: Double = 1, labelCount: Int = 30,
                            lastCueEnd: Double = 0.9) throws -> SessionFolder {
        let folder = SessionFolder(path: directory.file("session-0001"))
        try folder.create()
        try Synthetic.writeAVI(folder.videoPath, frames: 30, width: 64, height: 48, fps: 30)
        let audio = try WAVStreamWriter(path: folder.audioPath, sampleRate: 16_000, channels: 1)
        try audio.append([Float](repeating: 0.1, count: Int(audioSeconds * 16_000)))
        try audio.close()
        try folder.writeLabels((0..<labelCount).map {
            FrameLabel(frame: $0, time: Double($0) / 30, plane: $0 < 15 ? .background : .kidneys, holding: $0 >= 15,
                       frozen: false, anatomy: $0 < 15 ? [] : [AnatomyRegion(name: "kidneys", polygon: [[10, 10], [40, 10], [25, 30]])],
                       gaze: GazePoint(x: 25, y: 20, fixation: true))
        })
        try folder.writeTranscript([
            TranscriptCue(start: 0.6, end: 0.75, speaker: "Sonographer", text: "both"),
            TranscriptCue(start: 0.75, end: lastCueEnd, speaker: "Sonographer", text: "kidneys"),
        ])
        try folder.writeManifest(SessionManifest(fps: 30, frameWidth: 64, frameHeight: 48, frameCount: 30,
                                                 audioSampleRate: 16_000, generator: "MediaFormatsTests", seed: 7,
                                                 hasTranscript: true, hasLabels: true))
        return folder
    }

    @Test func roundTripOpensAndAgrees() throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory)
        let session = try folder.open()
        #expect(session.notes.isEmpty, "\(session.notes)")
        #expect(session.manifest.seed == 7 && session.manifest.duration == 1)
        #expect(session.video.frameCount == 30 && session.audio.duration == 1)
        #expect(session.labels?.count == 30 && session.labels?[20].plane == .kidneys)
        #expect(session.transcript?.map(\.text) == ["both", "kidneys"])
        let json = String(decoding: try readFile(folder.manifestPath), as: UTF8.self)
        #expect(json.contains(#""formatVersion" : 1"#) && json.contains(#""generator" : "MediaFormatsTests""#))
    }

    @Test(arguments: ["video.avi", "audio.wav", "transcript.vtt", "labels.jsonl", "session.json"])
    func missingFileIsNamed(name: String) throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory)
        try FileManager.default.removeItem(atPath: folder.path + "/" + name)
        let error = try #require(throws: SessionError.self) { try folder.open() }
        #expect(error.path == folder.path + "/" + name)
        #expect(error.description.contains("missing"))
    }

    @Test func optionalPartsMayBeAbsentWhenTheManifestSaysSo() throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory)
        try FileManager.default.removeItem(atPath: folder.transcriptPath)
        try FileManager.default.removeItem(atPath: folder.labelsPath)
        try folder.writeManifest(SessionManifest(fps: 30, frameWidth: 64, frameHeight: 48, frameCount: 30,
                                                 audioSampleRate: 16_000, generator: "recorder", hasTranscript: false, hasLabels: false))
        let session = try folder.open()
        #expect(session.labels == nil && session.transcript == nil)
    }

    @Test(arguments: [0.97, 1.03, 1.05])
    func durationsWithinToleranceAreAccepted(audioSeconds: Double) throws {
        let directory = ScratchFolder("mediaformats")
        _ = try Self.makeSession(in: directory, audioSeconds: audioSeconds).open()
    }

    @Test(arguments: [0.8, 1.2])
    func mismatchedAudioDurationNamesBothDurations(audioSeconds: Double) throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory, audioSeconds: audioSeconds)
        let error = try #require(throws: SessionError.self) { try folder.open() }
        #expect(error.path == folder.audioPath)
        #expect(error.problem.contains("video.avi lasts 1.000 s") && error.problem.contains("audio.wav lasts \(String(format: "%.3f", audioSeconds)) s"),
                "\(error)")
    }

    @Test func labelCountMustMatchTheVideo() throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory, labelCount: 29)
        let error = try #require(throws: SessionError.self) { try folder.open() }
        #expect(error.path == folder.labelsPath && error.problem.contains("29 labels") && error.problem.contains("30 frames"))
    }

    @Test func cueAfterTheEndIsAnError() throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory, lastCueEnd: 1.5)
        let error = try #require(throws: SessionError.self) { try folder.open() }
        #expect(error.path == folder.transcriptPath)
    }

    @Test func manifestMismatchesAreNamed() throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory)
        try folder.writeManifest(SessionManifest(fps: 25, frameWidth: 64, frameHeight: 48, frameCount: 30, audioSampleRate: 16_000,
                                                 generator: "x", hasTranscript: true, hasLabels: true))
        let error = try #require(throws: SessionError.self) { try folder.open() }
        #expect(error.path == folder.videoPath && error.problem.contains("25"))

        try writeFile(folder.manifestPath, Array(#"{"formatVersion": 2}"#.utf8))
        let garbled = try #require(throws: SessionError.self) { try folder.open() }
        #expect(garbled.path == folder.manifestPath)
    }

    @Test func badLabelLineIsReportedWithFileAndLine() throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory)
        var bytes = try readFile(folder.labelsPath)
        bytes.replaceSubrange(0..<1, with: Array("x".utf8))
        try writeFile(folder.labelsPath, bytes)
        let error = try #require(throws: SessionError.self) { try folder.open() }
        #expect(error.description.hasPrefix(folder.labelsPath + ": line 1: "), "\(error)")
    }

    @Test func damagedVideoIsReportedWithThePath() throws {
        let directory = ScratchFolder("mediaformats")
        let folder = try Self.makeSession(in: directory)
        try writeFile(folder.videoPath, Array("garbage".utf8))
        let error = try #require(throws: SessionError.self) { try folder.open() }
        #expect(error.path == folder.videoPath && error.problem.contains("not an AVI"))
        #expect(!error.description.contains(folder.videoPath + ": " + folder.videoPath))
    }
}
