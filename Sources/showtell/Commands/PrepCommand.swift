import ArgumentParser
import Foundation
import Platform
import Prep
import PrepEvaluation

struct PrepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prep",
        abstract: "Prepare recorded sessions into a training clip index (diarization, ASR, keywords).",
        discussion: """
            Reads only video.avi and audio.wav of each SESSION_DIR: front-end VAD -> offline speaker \
            diarization (the speaker with the most speech is kept as the sonographer) -> pocketsphinx \
            on the kept speech -> keyword dictionary -> clips (every 0.2 s where the kept speaker \
            covers half of the centred 0.6 s window). Writes DATASET_DIR/sessions/NAME.safetensors \
            (spectrograms F16 [N,256,256], frames U8 [N,2,256,256], background_frames U8 [M,256,256], \
            background_times F32 [M]) and NAME.json per session, clips.jsonl, prep-report.md/.json \
            (measured against the ground truth where the session has it) and prep.json last. \
            Rerunning keeps sessions already prepared with the same settings. Needs \
            libpocketsphinx-dev and pocketsphinx-en-us (./build.sh deps).
            """
    )

    @Argument(help: "Session folders (each with video.avi and audio.wav).")
    var sessions: [String]

    @Option(help: "Dataset folder to write.")
    var out: String

    @Option(help: "Keyword dictionary (TOML).")
    var keywords = "models/keywords.toml"

    @Flag(help: "Prepare every session again, even when a dataset with other settings exists.")
    var rebuild = false

    @Flag(help: "No progress bar.")
    var quiet = false

    @Option(help: "Words of the general English model kept in the recogniser's language model.")
    var vocabulary: Int?

    @Option(help: "Posterior below which a recognised word becomes <unk>.")
    var minConfidence: Double?

    @Option(help: "Diarization: average-linkage stopping distance.")
    var speakerThreshold: Float?

    @Option(help: "Acoustic model folder for both recognition passes (default: Debian's pocketsphinx-en-us; `./build.sh adapt-asr` writes one adapted to the training voices).")
    var acousticModel: String?
    @Option(help: "Recogniser beam (pocketsphinx -beam, e.g. 1e-40).")
    var beam: String?

    @Option(help: "Recogniser language weight (pocketsphinx -lw).")
    var languageWeight: String?

    @Option(help: "log10 unigram probability given to keyword words.")
    var keywordBoost: Double?

    @Flag(help: "Recogniser: add pocketsphinx's flat-lexicon second pass.")
    var flatPass = false

    @Flag(help: "Leave out the keyword-spotting pass (the language-model pass alone).")
    var noKeywordSpotting = false

    @Option(help: "Keyword spotting: minimum per-frame scores for short, medium and long keyphrases (e.g. -30,-25,-20).")
    var spottingThresholds: String?

    var settings: PrepSettings {
        var settings = PrepSettings()
        if let vocabulary { settings.languageModel.vocabularySize = vocabulary }
        if let minConfidence { settings.recognizer.minimumConfidence = minConfidence }
        if let speakerThreshold { settings.diarization.threshold = speakerThreshold }
        if let acousticModel { settings.recognizer.acousticModel = acousticModel }
        if let beam { settings.recognizer.beam = beam; settings.recognizer.phoneBeam = beam }
        if let languageWeight { settings.recognizer.languageWeight = languageWeight }
        if let keywordBoost { settings.languageModel.keywordLog10Probability = keywordBoost }
        if flatPass { settings.recognizer.flatPass = true }
        if noKeywordSpotting { settings.keywordSpotting.enabled = false }
        if let spottingThresholds {
            settings.keywordSpotting.thresholds = spottingThresholds.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        }
        return settings
    }

    func run() throws {
        let dictionary: KeywordDictionary
        do { dictionary = try KeywordDictionary.load(keywords) } catch {
            throw ValidationError("\(error)")
        }
        guard settings.keywordSpotting.thresholds.count == 3 else {
            throw ValidationError("--spotting-thresholds needs three numbers (short, medium, long keyphrases), e.g. -30,-25,-20")
        }
        let builder = try DatasetBuilder(output: out, keywords: dictionary, settings: settings, rebuild: rebuild)
        let bar = ProgressBar(total: sessions.count, quiet: quiet)
        let stored: [DatasetBuilder.Stored]
        do {
            stored = try builder.prepare(sessions, rebuild: rebuild) { bar.update(session: $0, fraction: $1, name: $2) }
        } catch {
            bar.finish()
            throw ValidationError("\(error)")
        }
        bar.finish()
        if !builder.missingKeywords.isEmpty {
            Console.error("warning: keyword forms without a pronunciation (add them under [pronunciations] in \(keywords)): \(builder.missingKeywords.joined(separator: ", "))\n")
        }
        Console.error(String(format: "setup: %.1f s CPU, %.1f s wall (language model %.1f s wall)\n", builder.setupCPUSeconds,
                             builder.setupSeconds, builder.languageModelSeconds))
        let report = PrepReport.make(stored, keywords: dictionary, setupSeconds: builder.setupSeconds, setupCPUSeconds: builder.setupCPUSeconds)
        try report.write(to: out)
        try builder.writeIndex(stored)
        let t = report.total
        func pct(_ x: Double?) -> String { x.map { String(format: "%.1f%%", 100 * $0) } ?? "n/a" }
        print("prepared \(stored.count) sessions, \(t.clips) clips -> \(out)")
        print("DER \(pct(t.der?.rate)), sonographer share \(pct(t.sonographerShare)), WER \(pct(t.wer?.rate)), keyword precision \(pct(t.keywords?.precision)) recall \(pct(t.keywords?.recall)), \(String(format: "%.1f", t.realTimeFactor))x real time on one core (CPU time; \(String(format: "%.1f", t.wallRealTimeFactor))x by wall clock)")
        print("report: \(out)/prep-report.md")
    }
}

/// One stderr line, refreshed: sessions done, the current one, elapsed and ETA.
final class ProgressBar {
    private let total: Int
    private let quiet: Bool
    private let start = MonotonicClock.seconds()
    private var lastDraw = 0.0

    init(total: Int, quiet: Bool) {
        self.total = total
        self.quiet = quiet || isatty(2) == 0
    }

    func update(session: Int, fraction: Double, name: String) {
        guard !quiet else { return }
        let now = MonotonicClock.seconds()
        guard now - lastDraw > 0.2 || fraction >= 1 else { return }
        lastDraw = now
        let done = (Double(session) + min(max(fraction, 0), 1)) / Double(max(total, 1))
        let width = 30
        let filled = Int(done * Double(width))
        let elapsed = now - start
        let eta = done > 0.01 ? elapsed * (1 - done) / done : Double.nan
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "prep [\(bar)] \(Int(done * 100))% session \(session + 1)/\(total) \(name)  elapsed \(Self.clock(elapsed))  ETA \(eta.isNaN ? "--" : Self.clock(eta))"
        FileHandle.standardError.write(("\r" + line + "\u{1B}[K").data(using: .utf8)!)
    }

    func finish() {
        guard !quiet else { return }
        FileHandle.standardError.write("\n".data(using: .utf8)!)
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s / 60 % 60)m" : "\(s / 60)m\(String(format: "%02d", s % 60))s"
    }
}
