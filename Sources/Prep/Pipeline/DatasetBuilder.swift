import Foundation
import NeuralCore
import Platform
import ShowTellModel

/// `showtell prep`: prepares session folders into a dataset folder.
///
/// Layout: sessions/NAME.safetensors (tensors) and sessions/NAME.json (summary + clip
/// records), each written atomically when its session is done; then clips.jsonl; then
/// prep.json, written last and atomically: its presence means the dataset is complete. On a
/// rerun a session whose NAME.json carries the same settings hash is kept as it is; a dataset
/// made with other settings is refused unless `rebuild` is set.
public final class DatasetBuilder {
    public struct Failure: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    public struct Stored: Codable, Sendable {
        public var summary: SessionSummary
        public var clips: [ClipRecord]
    }

    public let output: String
    public let settings: PrepSettings
    public let keywords: KeywordDictionary
    public var manifestPath: String { output + "/prep.json" }
    public var languageModelPath: String { output + "/asr/domain-lm.arpa" }
    public var dictionaryPath: String { output + "/asr/domain.dict" }
    public var keyphrasePath: String { output + "/asr/keyphrases.txt" }
    /// Seconds spent building the language model and starting the decoders. Each session gets
    /// fresh decoders: pocketsphinx carries state from one utterance to the next, so with one
    /// decoder per run a scan's transcript depended on the scan decoded before it (7 of 234 clips
    /// of a training scan differed between preparing it alone and after another scan).
    public private(set) var setupSeconds = 0.0
    public private(set) var setupCPUSeconds = 0.0
    /// Of which building the language model (0 when reused).
    public private(set) var languageModelSeconds = 0.0
    /// Keyword forms left out of the language model (a word the recogniser cannot pronounce).
    public private(set) var missingKeywords: [String] = []

    public init(output: String, keywords: KeywordDictionary, settings: PrepSettings = PrepSettings(), rebuild: Bool) throws {
        var settings = settings
        settings.keywordDictionarySHA256 = keywords.sha256
        self.output = output
        self.keywords = keywords
        self.settings = settings
        try FileIO.makeDirectories(output + "/sessions")
        try FileIO.makeDirectories(output + "/asr")
        if FileIO.exists(manifestPath) {
            let data = Data(try FileIO.readAll(manifestPath))
            let old = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let oldHash = old?["settings_sha256"] as? String
            if oldHash != settings.sha256 && !rebuild {
                throw Failure(message: "\(manifestPath): this dataset was made with other settings (settings hash \(oldHash ?? "unknown"), now \(settings.sha256)); pass --rebuild to prepare it again, or choose another --out")
            }
            // From here on the dataset is incomplete until the new manifest is written.
            unlink(manifestPath)
        }
    }

    /// Prepares every session not already prepared with these settings. `progress` gets
    /// (session index, fraction of that session, name).
    public func prepare(_ directories: [String], rebuild: Bool,
                        progress: (Int, Double, String) -> Void) throws -> [Stored] {
        var results: [Stored] = []
        var names = Set<String>()
        for (number, directory) in directories.enumerated() {
            let recording = try Recording(directory: directory)
            guard names.insert(recording.name).inserted else {
                throw Failure(message: "\(directory): two sessions are named \(recording.name); session folder names must be unique")
            }
            let jsonPath = output + "/sessions/\(recording.name).json"
            let tensorsPath = output + "/sessions/\(recording.name).safetensors"
            if !rebuild, FileIO.exists(jsonPath), FileIO.exists(tensorsPath),
               let stored = try? JSONDecoder().decode(Stored.self, from: Data(FileIO.readAll(jsonPath))),
               stored.summary.settingsSHA256 == settings.sha256 {
                progress(number, 1, recording.name + " (kept)")
                results.append(stored)
                continue
            }
            let preparer = try SessionPreparer(settings: settings, recognizer: makeRecognizer(), spotter: makeSpotter(), keywords: keywords)
            var output = try preparer.prepare(recording) { progress(number, $0, recording.name) }
            let bytes = output.tensors.encode()
            try FileIO.writeAtomically(tensorsPath, bytes)
            output.summary.tensorsSHA256 = SHA256.hex(bytes)
            let stored = Stored(summary: output.summary, clips: output.clips)
            try FileIO.writeAtomically(jsonPath, Array(try Self.encoder.encode(stored)))
            results.append(stored)
        }
        return results
    }

    /// Writes clips.jsonl and then prep.json (the dataset is complete from that moment).
    public func writeIndex(_ sessions: [Stored]) throws {
        let lineEncoder = JSONEncoder()
        lineEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var lines = [UInt8]()
        for session in sessions {
            for clip in session.clips { lines += Array(try lineEncoder.encode(clip)); lines.append(0x0A) }
        }
        try FileIO.writeAtomically(output + "/clips.jsonl", lines)
        let settingsObject = try JSONSerialization.jsonObject(with: Self.encoder.encode(settings))
        let manifest: [String: Any] = [
            "format": "showtell-prep", "version": settings.version, "settings": settingsObject,
            "settings_sha256": settings.sha256,
            "language_model": "asr/domain-lm.arpa", "pronouncing_dictionary": "asr/domain.dict",
            "keyphrases": settings.keywordSpotting.enabled ? "asr/keyphrases.txt" : NSNull(),
            "sessions": sessions.map { s -> [String: Any] in
                ["name": s.summary.name, "clips": s.summary.clips, "background_frames": s.summary.backgroundFrames,
                 "file": s.summary.tensorsFile, "sha256": s.summary.tensorsSHA256, "duration": s.summary.duration,
                 "kept_speaker": s.summary.kept ?? NSNull()]
            },
            "clips": sessions.reduce(0) { $0 + $1.summary.clips },
        ]
        let data = try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try FileIO.writeAtomically(manifestPath, Array(data) + [0x0A])
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// A new keyword-spotting pass (nil when disabled), after `makeRecognizer` (it reads the
    /// domain dictionary, which holds every keyword word with its alternates).
    private func makeSpotter() throws -> KeywordSpotter? {
        guard settings.keywordSpotting.enabled else { return nil }
        let start = MonotonicClock.seconds(), startCPU = MonotonicClock.threadCPUNanoseconds()
        let general = settings.languageModel.vocabularySize == 0
        let pronunciations = general ? settings.recognizer.pronunciations : dictionaryPath
        let pronouncing = try PronouncingDictionary(path: pronunciations, extra: [:])
        let made = try KeywordSpotter(keywords: keywords, pronouncing: pronouncing, pronunciations: pronunciations,
                                      keyphraseFile: keyphrasePath, acousticModel: settings.recognizer.acousticModel,
                                      settings: settings.keywordSpotting)
        setupSeconds += MonotonicClock.seconds() - start
        setupCPUSeconds += Double(MonotonicClock.threadCPUNanoseconds() - startCPU) * 1e-9
        return made
    }

    /// A new LM recogniser (the language model is built once and reused by its stamp).
    private func makeRecognizer() throws -> SpeechRecognizer {
        let start = MonotonicClock.seconds(), startCPU = MonotonicClock.threadCPUNanoseconds()
        // The model depends on its settings and the keyword dictionary only: a stamp file
        // lets reruns reuse it.
        let stampPath = output + "/asr/domain.stamp"
        let stamp = SHA256.hex(Array((settings.languageModel.generalModel + "|\(settings.languageModel)|" + keywords.sha256
                                      + "|" + settings.recognizer.pronunciations).utf8))
        let current = (try? FileIO.readAll(stampPath)).map { String(decoding: $0, as: UTF8.self) }
        if settings.languageModel.vocabularySize > 0, current != stamp || !FileIO.exists(languageModelPath) || !FileIO.exists(dictionaryPath) {
            let dictionary = try PronouncingDictionary(path: settings.recognizer.pronunciations, extra: keywords.pronunciations)
            missingKeywords = try DomainLanguageModel.build(keywords: keywords, settings: settings.languageModel, path: languageModelPath,
                                                            dictionaryPath: dictionaryPath, pronouncing: dictionary)
            try FileIO.writeAtomically(stampPath, Array(stamp.utf8))
        }
        languageModelSeconds += MonotonicClock.seconds() - start
        // Vocabulary 0: the general model and full dictionary as they are (for comparison).
        let general = settings.languageModel.vocabularySize == 0
        let made = try SpeechRecognizer(languageModel: general ? settings.languageModel.generalModel : languageModelPath,
                                        pronunciations: general ? settings.recognizer.pronunciations : dictionaryPath, settings: settings.recognizer)
        setupSeconds += MonotonicClock.seconds() - start
        setupCPUSeconds += Double(MonotonicClock.threadCPUNanoseconds() - startCPU) * 1e-9
        return made
    }
}

