import ArgumentParser
import Foundation
import Platform
import Prep

/// `showtell bench prep`: the whole preparation of one session (analysis, diarization,
/// recognition, clips and tensors, plus the recogniser's start-up with the language model
/// built fresh) repeated, CPU time of the one thread that runs it (the machine may be shared),
/// median reported as x real time. The target: 10x (a 10-minute scan in at most 60 s).
struct PrepBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prep",
        abstract: "Data preparation speed on one core: showtell prep of one session, repeated, median x real time (CPU time)."
    )

    @Option(help: "Session folder (video.avi + audio.wav).")
    var session: String

    @Option(help: "Repetitions (the median is reported).")
    var repetitions = 3

    @Option(help: "Keyword dictionary (TOML).")
    var keywords = "models/keywords.toml"

    @Option(help: "Acoustic model folder (default: Debian's pocketsphinx-en-us; ./build.sh adapt-asr makes the adapted one).")
    var acousticModel: String?

    func run() throws {
        let dictionary = try KeywordDictionary.load(keywords)
        var settings = PrepSettings()
        if let acousticModel { settings.recognizer.acousticModel = acousticModel }
        var factors: [Double] = []
        var tenMinutes: [Double] = []
        var duration = 0.0
        for run in 0..<repetitions {
            let out = NSTemporaryDirectory() + "showtell-bench-prep-\(getpid())-\(run)"
            defer { try? FileManager.default.removeItem(atPath: out) }
            let start = MonotonicClock.threadCPUNanoseconds()
            let builder = try DatasetBuilder(output: out, keywords: dictionary, settings: settings, rebuild: true)
            let stored = try builder.prepare([session], rebuild: true) { _, _, _ in }
            try builder.writeIndex(stored)
            let cpu = Double(MonotonicClock.threadCPUNanoseconds() - start) * 1e-9
            duration = stored[0].summary.duration
            let stages = stored[0].summary.cpuSeconds.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.1f", $0.value))" }
            print(String(format: "run %d: %.1f s CPU for %.1f s of recording = %.1fx real time; setup %.1f, ",
                         run + 1, cpu, duration, duration / cpu, builder.setupCPUSeconds) + stages.joined(separator: ", "))
            factors.append(duration / cpu)
            // The setup (language model, recogniser start) is paid once per run, the rest per minute.
            tenMinutes.append(builder.setupCPUSeconds + (cpu - builder.setupCPUSeconds) * 600 / duration)
        }
        let median = factors.sorted()[factors.count / 2]
        let tenMedian = tenMinutes.sorted()[tenMinutes.count / 2]
        print(String(format: "prep: median %.1fx real time on one core (CPU time, %d runs, setup included); a 10-minute scan: about %.0f s = %.1fx (target: 10x, 60 s)",
                     median, factors.count, tenMedian, 600 / tenMedian))
    }
}
