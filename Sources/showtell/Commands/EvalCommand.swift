import ArgumentParser
import Evaluation
import Foundation
import NeuralCore
import Platform

/// The paper's evaluation (DESIGN.md §8): downstream tasks from any encoder initialisation,
/// audio-guided localisation from a bundle, and the report gathered from finished runs.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate encoders and model bundles on labelled sessions: plane detection, localisation, report.",
        discussion: "Every run writes into --out/<task>/<name>/ and resumes where it stopped; `eval report` rebuilds --out/report.md from all finished runs.",
        subcommands: [EvalPlanesCommand.self, EvalSaliencyCommand.self, EvalLocaliseCommand.self, EvalAblationCommand.self, EvalReportCommand.self]
    )
}

/// --init random | random:BACKBONE | BUNDLE_DIR | RUN_DIR | supervised:DATASET
struct InitialisationOption: ExpressibleByArgument {
    let value: EncoderInitialisation
    init?(argument: String) {
        if argument == "random" {
            value = .random(backbone: .edge, seed: 0)
        } else if argument.hasPrefix("supervised:") {
            // Settings and cache are filled in by FineTuneRunOptions.resolvedInitialisation.
            value = .supervised(dataset: String(argument.dropFirst(11)), backbone: .edge, settings: FineTuneSettings(), every: 0.5, cache: "")
        } else if argument.hasPrefix("random:") {
            guard let backbone = ResNeXtConfiguration.named(String(argument.dropFirst(7))) else { return nil }
            value = .random(backbone: backbone, seed: 0)
        } else {
            value = .folder(argument)
        }
    }
}

struct EvalPlanesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "planes",
        abstract: "Standard plane detection: fine-tune encoder + linear head, k-fold cross-validation by scan (Table 1, Figure 4)."
    )

    @Option(help: "Dataset folder (scan sessions with labels.jsonl).") var dataset: String
    @OptionGroup var options: FineTuneRunOptions

    func run() throws {
        try options.checkDisjoint(from: dataset)
        var settings = PlaneDetectionTask.Settings()
        (settings.every, settings.folds) = (options.every, options.folds)
        options.apply(to: &settings.fineTune)
        let (initialisation, name, out) = (options.resolvedInitialisation, options.name, options.out)
        let sessions = try EvaluationDataset.sessionDirectories(dataset)
        let task = PlaneDetectionTask(sessions: sessions, initialisation: initialisation, settings: settings, work: out + "/planes/" + name, name: name)
        let result = try task.run()
        print("\(name) (\(result.initialisation)\(result.trained ? "" : ", UNTRAINED")): precision \(result.precision.formatted(scale: 100)) %, "
              + "recall \(result.recall.formatted(scale: 100)) %, F1 \(result.f1.formatted(scale: 100)) % over \(result.folds.count) folds")
        print("report: \(try EvaluationReport.write(out: out))")
    }
}

struct EvalLocaliseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "localise",
        abstract: "Audio-guided localisation of a bundle against gaze (KL, CC, SIM, Comp) and anatomy masks (pointing game, cIoU, AUC) (Figure 7)."
    )

    @Option(help: "Dataset folder (scan sessions with transcript.vtt and labels.jsonl).") var dataset: String
    @Option(help: "Model bundle folder.") var bundle: String
    @Option(help: "Run name (a column of the report).") var name: String
    @Option(help: "Output folder of the evaluation.") var out: String
    @Option(help: "Seconds between sampled moments (moments with sonographer speech only).") var every = 0.25
    @Option(help: "Threads.") var threads = 2
    @Flag(help: "Control run: score each moment's map made with another moment's audio (a model that listens drops).")
    var mismatchedAudio = false
    @Flag(help: "Also keep each scan's audio embeddings and video maps (scan-NAME.safetensors in the run's work folder) for offline analysis (models/tools/localise_bottleneck.py).")
    var keepEmbeddings = false

    func run() throws {
        var settings = LocalisationTask.Settings()
        settings.every = every
        settings.threads = threads
        settings.mismatchedAudio = mismatchedAudio
        let sessions = try EvaluationDataset.sessionDirectories(dataset)
        let task = LocalisationTask(sessions: sessions, bundle: bundle, settings: settings, work: out + "/localise/" + name, name: name,
                                    embeddings: keepEmbeddings)
        let (result, samples) = try task.run()
        try EvaluationReport.localisationGallery(samples, sessions: sessions, run: name, trained: result.trained,
                                                 cellOrigin: result.cellOrigin ?? 0, out: out)
        for (category, s) in result.scores.sorted(by: { $0.key < $1.key }) {
            print("\(name) \(category): \(s.samples) moments; KL \(s.kl?.formatted(decimals: 3) ?? "-"), CC \(s.cc?.formatted(decimals: 3) ?? "-"), "
                  + "SIM \(s.sim?.formatted(decimals: 3) ?? "-"), Comp \(s.comp?.formatted(decimals: 3) ?? "-"), "
                  + "pointing \(s.pointing?.formatted(decimals: 3) ?? "-"), cIoU@0.5 \(s.ciou.map { String(format: "%.3f", $0.ciouAt05) } ?? "-"), "
                  + "AUC \(s.ciou.map { String(format: "%.3f", $0.auc) } ?? "-")")
        }
        print(String(format: "%.0f s%@", result.seconds, result.trained ? "" : " (UNTRAINED bundle: the maps mean nothing yet)"))
        print("report: \(try EvaluationReport.write(out: out))")
    }
}

struct EvalReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild --out/report.md and its pictures from every finished run in --out."
    )

    @Option(help: "Output folder of the evaluation.") var out: String

    func run() throws { print("report: \(try EvaluationReport.write(out: out))") }
}

struct EvalSaliencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "saliency",
        abstract: "Eye-gaze saliency: fine-tune encoder + 1x1 saliency head against the gaze density, k-fold by scan; KL, CC, SIM, NSS, AUC-Judd, Comp (Figure 5)."
    )

    @Option(help: "Dataset folder (scan sessions with labels.jsonl gaze).") var dataset: String
    @OptionGroup var options: FineTuneRunOptions

    func run() throws {
        try options.checkDisjoint(from: dataset)
        var settings = SaliencyTask.Settings()
        (settings.every, settings.folds) = (options.every, options.folds)
        options.apply(to: &settings.fineTune)
        let (initialisation, name, out) = (options.resolvedInitialisation, options.name, options.out)
        let sessions = try EvaluationDataset.sessionDirectories(dataset)
        let result = try SaliencyTask(sessions: sessions, initialisation: initialisation, settings: settings,
                                      work: out + "/saliency/" + name, name: name).run()
        print("\(name) (\(result.initialisation)\(result.trained ? "" : ", UNTRAINED")): "
              + SaliencyTask.metricNames.map { "\($0) \(result.metrics[$0]?.formatted(decimals: 3) ?? "-")" }.joined(separator: ", "))
        print("report: \(try EvaluationReport.write(out: out))")
    }
}

/// The options plane detection and saliency share: which encoder, where the run goes, how it
/// is fine-tuned and cross-validated.
struct FineTuneRunOptions: ParsableArguments {
    @Option(name: .customLong("init"), help: "Encoder start: random, random:tiny|edge|paper, a model bundle folder (its video branch), a showtell train run folder (its video checkpoint: every variant has one), or supervised:DATASET (the upper bound: an edge encoder first trained on DATASET's plane labels, with this run's settings; DATASET must not hold the evaluated scans).")
    var initialisation: InitialisationOption
    @Option(help: "Run name (a column of the report).") var name: String
    @Option(help: "Output folder of the evaluation.") var out: String
    @Option(help: "Seconds between sampled frames.") var every = 0.5
    @Option(help: "Cross-validation folds (by scan).") var folds = 3
    @Option(help: "Fine-tuning epochs.") var epochs = 4
    @Option(help: "Batch size.") var batch = 16
    @Option(help: "SGD learning rate.") var learningRate: Float = 0.01
    @Option(help: "Threads (OpenBLAS and the backbone's loops).") var threads = 2
    @Option(help: "Seed of the random initialisation, shuffling and head.") var seed: UInt64 = 0

    /// Sets what these options choose; the task's other fine-tuning defaults stay.
    func apply(to settings: inout FineTuneSettings) {
        settings.epochs = epochs
        settings.batch = batch
        settings.learningRate = learningRate
        settings.threads = threads
        settings.seed = seed
    }

    /// A random start takes the run's seed; a supervised one the run's settings, and its
    /// pretrained encoder is kept under --out/pretrained (trained once per dataset and settings).
    var resolvedInitialisation: EncoderInitialisation {
        switch initialisation.value {
        case .random(let backbone, _):
            return .random(backbone: backbone, seed: seed)
        case .supervised(let dataset, let backbone, _, _, _):
            var settings = FineTuneSettings()
            apply(to: &settings)
            let key = "\((dataset as NSString).lastPathComponent)-e\(epochs)-b\(batch)-lr\(learningRate)-s\(seed)-every\(every)"
            return .supervised(dataset: dataset, backbone: backbone, settings: settings, every: every, cache: out + "/pretrained/supervised-" + key)
        default:
            return initialisation.value
        }
    }

    /// The supervised upper bound must not have seen the scans it is judged on.
    func checkDisjoint(from dataset: String) throws {
        guard case .supervised(let pretraining, _, _, _, _) = initialisation.value else { return }
        let judged = Set(try EvaluationDataset.sessionDirectories(dataset).map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
        let seen = Set(try EvaluationDataset.sessionDirectories(pretraining).map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
        let shared = judged.intersection(seen)
        guard shared.isEmpty else {
            throw ValidationError("--init supervised:\(pretraining) trains on \(shared.count) of the scans --dataset \(dataset) judges (\(shared.sorted().first!)); pretrain on other scans")
        }
    }
}
