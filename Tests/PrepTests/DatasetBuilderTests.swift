import Foundation
import NeuralCore
import Testing
@testable import GroundTruth
@testable import PhantomScan
@testable import Prep
@testable import PrepEvaluation

/// `showtell prep` end to end on a short phantom session: the index is complete and
/// consistent, a rerun keeps what was done, other settings are refused, ground truth is never
/// needed, and bad input gives clear errors.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: "/usr/share/pocketsphinx/model/en-us/en-us.lm.bin"),
                             "pocketsphinx-en-us is not installed (./build.sh deps)"))
struct DatasetBuilderTests {
    /// Shared by the suite's tests (a session is costly to generate); left for the OS to clean.
    static let scratch = ScratchFolder("showtell-prep-tests")
    static var directory: String { scratch.path }

    /// One 12-second phantom session (generated once; slow in debug builds).
    static let session: String = {
        let path = directory + "/scan-a"
        _ = try! SessionGenerator(duration: 12, seed: 21).generate(to: path)
        return path
    }()

    static let keywords = try! KeywordDictionary.load(TargetSources.root + "/models/keywords.toml")

    static var settings: PrepSettings {
        var settings = PrepSettings()
        settings.languageModel.vocabularySize = 400  // keeps the test's model build short
        return settings
    }

    @Test func writesACompleteConsistentIndexAndKeepsItOnRerun() throws {
        let out = Self.directory + "/dataset"
        let builder = try DatasetBuilder(output: out, keywords: Self.keywords, settings: Self.settings, rebuild: false)
        let stored = try builder.prepare([Self.session], rebuild: false) { _, _, _ in }
        #expect(!FileManager.default.fileExists(atPath: out + "/prep.json"), "manifest before the index is complete")
        try builder.writeIndex(stored)

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/prep.json"))) as! [String: Any]
        #expect(manifest["format"] as? String == "showtell-prep")
        let clips = manifest["clips"] as! Int
        let lines = try String(contentsOfFile: out + "/clips.jsonl", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == clips)
        let tensors = try SafeTensorsFile.read(path: out + "/sessions/scan-a.safetensors")
        #expect(tensors.info("spectrograms")?.shape == [clips, 256, 256])
        #expect(tensors.info("spectrograms")?.dtype == "F16")
        #expect(tensors.info("frames")?.shape == [clips, 2, 256, 256])
        #expect(tensors.info("background_frames")?.shape == [12, 256, 256])
        #expect(try tensors.floats("background_times") == (0..<12).map(Float.init))
        if clips > 0 {
            let first = try JSONDecoder().decode(ClipRecord.self, from: Data(lines[0].utf8))
            #expect(first.session == "scan-a" && first.index == 0 && first.frames.count == 2)
            #expect(abs(first.audio[1] - first.audio[0] - 0.6) < 1e-6 && abs((first.audio[0] + first.audio[1]) / 2 - first.t) < 1e-6)
            // The stored spectrogram is standardised (mean 0, std 1), as the live path feeds the network.
            let map = Array(try tensors.floats("spectrograms")[0..<(256 * 256)])
            let mean = map.reduce(0, +) / Float(map.count)
            let std = (map.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(map.count)).squareRoot()
            #expect(abs(mean) < 0.01 && abs(std - 1) < 0.01)
        }

        // The report measures against the ground truth.
        let report = PrepReport.make(stored, keywords: Self.keywords)
        #expect(report.sessions.count == 1 && report.sessions[0].der != nil && report.sessions[0].truth == nil)

        // Rerun: kept, not recomputed.
        var kept: [String] = []
        let again = try DatasetBuilder(output: out, keywords: Self.keywords, settings: Self.settings, rebuild: false)
        #expect(!FileManager.default.fileExists(atPath: out + "/prep.json"), "a rerun must withdraw the manifest until it completes")
        let second = try again.prepare([Self.session], rebuild: false) { _, _, name in kept.append(name) }
        #expect(kept.contains("scan-a (kept)"))
        #expect(second[0].summary == stored[0].summary)
        try again.writeIndex(second)

        // Other settings: refused unless rebuilding.
        var other = Self.settings
        other.clips.hop = 0.4
        #expect {
            _ = try DatasetBuilder(output: out, keywords: Self.keywords, settings: other, rebuild: false)
        } throws: { "\($0)".contains("--rebuild") }
        #expect(FileManager.default.fileExists(atPath: out + "/prep.json"), "a refused rerun must not touch the dataset")
    }

    @Test func needsOnlyVideoAndAudio() throws {
        // A copy of the session with transcript, labels and session.json gone.
        let bare = Self.directory + "/scan-bare"
        try? FileManager.default.removeItem(atPath: bare)
        try FileManager.default.createDirectory(atPath: bare, withIntermediateDirectories: true)
        for file in ["video.avi", "audio.wav"] {
            try FileManager.default.copyItem(atPath: Self.session + "/" + file, toPath: bare + "/" + file)
        }
        let recording = try Recording(directory: bare)
        #expect(recording.notes.isEmpty)
        let out = Self.directory + "/bare-dataset"
        let builder = try DatasetBuilder(output: out, keywords: Self.keywords, settings: Self.settings, rebuild: false)
        let stored = try builder.prepare([bare], rebuild: false) { _, _, _ in }
        let original = try JSONDecoder().decode(DatasetBuilder.Stored.self,
                                                from: Data(contentsOf: URL(fileURLWithPath: Self.directory + "/dataset/sessions/scan-a.json")))
        // Same media, same result: nothing depended on the ground-truth files.
        #expect(stored[0].clips.map(\.t) == original.clips.map(\.t))
        #expect(stored[0].summary.words == original.summary.words)
        // The report says the truth is missing instead of failing.
        let report = PrepReport.make(stored, keywords: Self.keywords)
        #expect(report.sessions[0].der == nil && report.sessions[0].truth != nil)
    }

    @Test func aSessionsTranscriptDoesNotDependOnTheSessionBeforeIt() throws {
        // pocketsphinx carries state across utterances: with one decoder per run, 9 of 17 clips of
        // this session (prepared by the CLI) heard other words after a copy of itself.
        let before = Self.directory + "/scan-0"
        try? FileManager.default.removeItem(atPath: before)
        try FileManager.default.copyItem(atPath: Self.session, toPath: before)
        let pairBuilder = try DatasetBuilder(output: Self.directory + "/pair-dataset", keywords: Self.keywords, settings: Self.settings, rebuild: true)
        let pair = try pairBuilder.prepare([before, Self.session], rebuild: true) { _, _, _ in }
        let aloneBuilder = try DatasetBuilder(output: Self.directory + "/alone-dataset", keywords: Self.keywords, settings: Self.settings, rebuild: true)
        let alone = try aloneBuilder.prepare([Self.session], rebuild: true) { _, _, _ in }
        #expect(pair.count == 2 && alone.count == 1 && !alone[0].clips.isEmpty)
        #expect(pair[1].clips == alone[0].clips)
        #expect(pair[0].clips.map(\.words) == alone[0].clips.map(\.words))
        #expect(pair[1].summary.tensorsSHA256 == alone[0].summary.tensorsSHA256)
    }

    @Test func badRecordingsGiveClearErrors() throws {
        let broken = Self.directory + "/scan-broken"
        try? FileManager.default.removeItem(atPath: broken)
        try FileManager.default.createDirectory(atPath: broken, withIntermediateDirectories: true)
        #expect { _ = try Recording(directory: broken) } throws: { "\($0)".contains("video.avi") && "\($0)".contains("missing") }
        try FileManager.default.copyItem(atPath: Self.session + "/video.avi", toPath: broken + "/video.avi")
        try Data("RIFF\u{0}\u{0}".utf8).write(to: URL(fileURLWithPath: broken + "/audio.wav"))
        #expect { _ = try Recording(directory: broken) } throws: { "\($0)".contains("audio.wav") }
        // Truncated audio: used, with a note.
        let audio = try Data(contentsOf: URL(fileURLWithPath: Self.session + "/audio.wav"))
        try audio.prefix(audio.count / 2).write(to: URL(fileURLWithPath: broken + "/audio.wav"))
        let truncated = try Recording(directory: broken)
        #expect(truncated.notes.contains { $0.contains("truncated") })
        #expect(truncated.duration < 7)
        // Garbage video.
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: broken + "/video.avi"))
        #expect { _ = try Recording(directory: broken) } throws: { "\($0)".contains("video.avi") }
    }

    @Test func aSessionWithoutSpeechGivesAnEmptyResult() throws {
        // The phantom video with a silent soundtrack of the same length.
        let quiet = Self.directory + "/scan-quiet"
        try? FileManager.default.removeItem(atPath: quiet)
        try FileManager.default.createDirectory(atPath: quiet, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.session + "/video.avi", toPath: quiet + "/video.avi")
        try MediaFormatsBridge.writeSilence(seconds: 12, to: quiet + "/audio.wav")
        let out = Self.directory + "/quiet-dataset"
        let builder = try DatasetBuilder(output: out, keywords: Self.keywords, settings: Self.settings, rebuild: false)
        let stored = try builder.prepare([quiet], rebuild: false) { _, _, _ in }
        try builder.writeIndex(stored)
        #expect(stored[0].summary.clips == 0 && stored[0].summary.kept == nil && stored[0].summary.words.isEmpty)
        let tensors = try SafeTensorsFile.read(path: out + "/sessions/scan-quiet.safetensors")
        #expect(tensors.info("spectrograms")?.shape == [0, 256, 256])
        #expect(tensors.info("background_frames")?.shape == [12, 256, 256])
    }
}

import MediaFormats
import TestSupport

enum MediaFormatsBridge {
    static func writeSilence(seconds: Double, to path: String) throws {
        try WAVFile.write(AudioClip(sampleRate: 48_000, channels: 1, samples: [Float](repeating: 0, count: Int(seconds * 48_000))), to: path)
    }
}
