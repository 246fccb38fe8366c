import Foundation

/// The paper's ablation (Figure 6): its components added one at a time, each judged on both
/// downstream tasks. `showtell eval ablation` trains these runs; the report reads them back
/// by name, so a step that was not run is simply absent.
public struct AblationStep: Sendable {
    /// Run name under --out (planes/NAME, saliency/NAME, runs/NAME).
    public var name: String
    /// The row's label in the paper's words.
    public var label: String
    /// `showtell train --variant`, nil for an initialisation that is not trained here.
    public var variant: String?
    /// Training options on top of the recipe.
    public var extraArguments: [String]

    /// In the paper's order; the references (random, video-only, V-T base, supervised) last.
    public static let paperOrder: [AblationStep] = [
        .init(name: "va-base", label: "baseline: audio-video correspondence (Fig. 2a)", variant: "va-base", extraArguments: []),
        .init(name: "va-contra", label: "+ cross-modal contrastive (CM. Contra.)", variant: "va-contra", extraArguments: []),
        .init(name: "va-spatial", label: "+ spatial awareness", variant: "va-spatial", extraArguments: []),
        .init(name: "full-no-sig", label: "+ text, no SIG (every word weighs 1)", variant: "full", extraArguments: ["--gate", "none"]),
        .init(name: "no-audio", label: "w/o audio (video + text, SIG)", variant: "no-audio", extraArguments: []),
        .init(name: "full", label: "+ SIG, keywords: ours", variant: "full", extraArguments: []),
        .init(name: "random", label: "reference: random initialisation", variant: nil, extraArguments: []),
        .init(name: "video-only", label: "reference: video only (frame order)", variant: "video-only", extraArguments: ["--frames-per-clip", "2"]),
        .init(name: "vt-base", label: "reference: V-T base (video + text, no SIG)", variant: "vt-base", extraArguments: []),
        .init(name: "supervised", label: "reference: supervised upper bound", variant: nil, extraArguments: []),
    ]

    public static func named(_ name: String) -> AblationStep? { paperOrder.first { $0.name == name } }

    /// The one-stage recipe every step of the ablation shares (the eleventh session's
    /// `models/edge-full`, models/README.md), without the per-run options. The shipped bundle
    /// since the eighteenth session adds a video-cells pre-training and `--config edge-local`.
    public static let shippedRecipe = ["--config", "edge", "--optimizer", "adamw", "--contrastive", "infonce", "--batch", "20", "--lr", "0.001",
                                       "--weight-decay", "0.01", "--temperature", "0.1", "--decay-every", "15", "--epochs", "20",
                                       "--frames-per-clip", "1", "--keyword-clips-only", "--keyword-negatives", "--live-image-mask",
                                       "--checkpoint-every", "20", "--seed", "1"]

    /// `recipe` with this step's own options in place of the recipe's (a repeated option
    /// would otherwise depend on the parser's tie rule). Options are `--name value` or flags.
    public func trainingArguments(recipe: [String]) -> [String] {
        let replaced = Set(extraArguments.filter { $0.hasPrefix("--") })
        var kept: [String] = []
        var index = recipe.startIndex
        while index < recipe.endIndex {
            let word = recipe[index]
            let takesValue = index + 1 < recipe.endIndex && !recipe[index + 1].hasPrefix("--")
            if replaced.contains(word) {
                index += takesValue ? 2 : 1
                continue
            }
            kept.append(word)
            index += 1
        }
        return kept + extraArguments
    }
}

extension EvaluationReport {
    /// One row per ablation step that has results, one column per metric (the transpose of
    /// the Table 1 layout, as the paper's Figure 6 reads), best per column in bold.
    static func ablationSection(planes: [PlaneDetectionTask.Result], saliency: [SaliencyTask.Result],
                                localise: [LocalisationTask.Result], out: String) throws -> String {
        let steps = AblationStep.paperOrder.filter { step in
            planes.contains { $0.name == step.name } || saliency.contains { $0.name == step.name }
        }
        // Without at least two of the paper's components there is nothing to ablate.
        guard steps.filter({ $0.variant != nil && $0.name != "video-only" && $0.name != "vt-base" }).count >= 2 else { return "" }
        let anatomy = LocalisationTask.Category.anatomy.rawValue
        // The control run is the one with mismatched audio on the same bundle, whatever its name.
        func pointing(_ name: String, control: Bool) -> MeanStd? {
            guard let own = localise.first(where: { $0.name == name && !$0.settings.mismatchedAudio }) else { return nil }
            let run = control ? localise.first { $0.bundle == own.bundle && $0.settings.mismatchedAudio } : own
            return run?.scores[anatomy]?.pointing
        }
        struct Column { var title: String; var lowerIsBetter = false; var ranked = true; var scale = 1.0; var decimals = 3; var value: (AblationStep) -> MeanStd? }
        var columns: [Column] = [
            Column(title: "plane F1 (%)", scale: 100, decimals: 1) { s in planes.first { $0.name == s.name }?.f1 },
            Column(title: "plane precision (%)", scale: 100, decimals: 1) { s in planes.first { $0.name == s.name }?.precision },
            Column(title: "plane recall (%)", scale: 100, decimals: 1) { s in planes.first { $0.name == s.name }?.recall },
        ]
        for metric in SaliencyTask.metricNames {
            columns.append(Column(title: "gaze \(metric)", lowerIsBetter: metric == "KL") { s in
                saliency.first { $0.name == s.name }?.metrics[metric]
            })
        }
        if steps.contains(where: { pointing($0.name, control: false) != nil }) {
            columns.append(Column(title: "pointing (%)", scale: 100, decimals: 1) { pointing($0.name, control: false) })
            columns.append(Column(title: "pointing, other audio (%)", ranked: false, scale: 100, decimals: 1) { pointing($0.name, control: true) })
        }

        var md = "## Ablation study (Figure 6)\n\n"
        md += "Each component of the framework added in the paper's order, every run trained with the same recipe (`showtell eval "
            + "ablation`), its video encoder fine-tuned on both downstream tasks as above; the references below the line are not "
            + "steps of the ablation. Pointing: the run's bundle on speech that names anatomy (the runs with audio and spatial fusion; "
            + "\"other audio\" is the control, a map that follows the speech scores lower there). Best per column in bold.\n\n"
        md += "| step |" + columns.map { " \($0.title)\($0.lowerIsBetter ? " ↓" : "") |" }.joined() + "\n"
        md += "|---|" + String(repeating: "---:|", count: columns.count) + "\n"
        let best: [Double?] = columns.map { column in
            let means = steps.compactMap { column.value($0)?.mean }
            guard column.ranked, means.count > 1 else { return nil }
            return column.lowerIsBetter ? means.min() : means.max()
        }
        var referencesStarted = false
        for step in steps {
            if step.label.hasPrefix("reference"), !referencesStarted {
                referencesStarted = true
                md += "| *references* |" + String(repeating: " |", count: columns.count) + "\n"
            }
            md += "| \(step.label) (`\(step.name)`) |"
            for (column, top) in zip(columns, best) {
                guard let value = column.value(step) else { md += " – |"; continue }
                let text = value.formatted(decimals: column.decimals, scale: column.scale)
                md += value.mean == top ? " **\(text)** |" : " \(text) |"
            }
            md += "\n"
        }
        let chart = BarChart(title: "ABLATION", subtitle: "EACH COMPONENT ADDED, MEAN +/- STD OVER FOLDS", series: steps.map(\.name), groups: [
            .init(title: "PLANE F1 (%)", values: steps.map { s in planes.first { $0.name == s.name }.map { scaled($0.f1, 100) } }),
            .init(title: "GAZE CC", values: steps.map { s in saliency.first { $0.name == s.name }?.metrics["CC"] }),
            .init(title: "GAZE KL", lowerIsBetter: true, values: steps.map { s in saliency.first { $0.name == s.name }?.metrics["KL"] }),
        ], decimals: 2)
        try chart.render().writePNG(out + "/ablation-bars.png")
        md += "\n![ablation](ablation-bars.png)\n\n"
        return md
    }
}
