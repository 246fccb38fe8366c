import Foundation
import MediaFormats
import Platform
import ShowTellModel

/// The evaluation report of an output folder: every finished run under `planes/*/` and
/// `localise/*/` (result.json) gathered into `report.md`, with tables in the paper's
/// Table 1 layout (runs as columns, mean ± std) and pictures beside it. Rebuilt from the
/// saved results alone, so adding a run (another initialisation, a trained bundle) and
/// running `showtell eval report` updates everything.
public enum EvaluationReport {
    public static func write(out: String) throws -> String {
        var md = "# ShowTell evaluation\n\n"
        md += "Made by `showtell eval report --out \(out)` from the runs in this folder. Runs marked UNTRAINED use "
            + "random or untrained weights: their numbers are baselines for the pipeline, not results of the paper's method.\n\n"
        let planes = try loadResults(PlaneDetectionTask.Result.self, out + "/planes")
        if !planes.isEmpty { md += try planeSection(planes, out: out) }
        let saliency = try loadResults(SaliencyTask.Result.self, out + "/saliency")
        if !saliency.isEmpty { md += try saliencySection(saliency, out: out) }
        let localise = try loadResults(LocalisationTask.Result.self, out + "/localise")
        if !localise.isEmpty { md += try localiseSection(localise, reference: saliencyReference(saliency), out: out) }
        md += try ablationSection(planes: planes, saliency: saliency, localise: localise, out: out)
        md += definitions
        try FileIO.writeAtomically(out + "/report.md", Array(md.utf8))
        return out + "/report.md"
    }

    static func loadResults<T: Decodable>(_ type: T.Type, _ directory: String) throws -> [T] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return try names.sorted().compactMap { name in
            let path = directory + "/" + name + "/result.json"
            guard FileIO.exists(path) else { return nil }
            return try JSONDecoder().decode(T.self, from: Data(try FileIO.readAll(path)))
        }
    }

    static func column(_ name: String, trained: Bool) -> String { trained ? name : name + " (UNTRAINED)" }

    static func planeSection(_ runs: [PlaneDetectionTask.Result], out: String) throws -> String {
        let columns = runs.map { column($0.name, trained: $0.trained) }
        var md = "## Standard plane detection (Table 1, Figure 4)\n\n"
        let first = runs[0].settings
        md += "\(first.folds)-fold cross-validation by scan; a frame every \(first.every) s; encoder + linear head fine-tuned "
            + "\(first.fineTune.epochs) epochs, batch \(first.fineTune.batch), SGD lr \(first.fineTune.learningRate) (x0.1 after "
            + "\(Int(first.fineTune.decayAt * 100)) % of the epochs), momentum \(first.fineTune.momentum). Macro averages over the "
            + "classes present in each fold, mean ± population std over folds, in %.\n\n"
        md += MarkdownTable(columns: columns, rows: [
            .init(metric: "Precision", values: runs.map(\.precision)),
            .init(metric: "Recall", values: runs.map(\.recall)),
            .init(metric: "F1-score", values: runs.map(\.f1)),
            .init(metric: "Accuracy", values: runs.map(\.accuracy)),
        ], scale: 100, decimals: 1).render()
        md += "\nPaper (PULSE, Table 1) F1: random 67.0, video 71.5, V-A base 72.6, V-T base 75.1, ours 76.8, ImageNet 72.5, US-Sup 82.7. "
            + "There is no ImageNet column here: no ImageNet-pretrained weights can be fetched on this machine (nothing is downloaded at run time).\n\n"
        let chart = BarChart(title: "STANDARD PLANE DETECTION", subtitle: "MEAN +/- STD OVER FOLDS (%)", series: columns, groups: [
            .init(title: "PRECISION", values: runs.map { scaled($0.precision, 100) }),
            .init(title: "RECALL", values: runs.map { scaled($0.recall, 100) }),
            .init(title: "F1", values: runs.map { scaled($0.f1, 100) }),
        ], decimals: 1, sharedScale: true)
        try chart.render().writePNG(out + "/planes-bars.png")
        md += "![plane detection](planes-bars.png)\n\n"
        md += "Per-class F1 (%):\n\n"
        md += MarkdownTable(columns: columns, rows: PlaneDetectionTask.classNames.indices.map { k in
            .init(metric: PlaneDetectionTask.classNames[k], values: runs.map { $0.perClassF1[k] })
        }, scale: 100, decimals: 1).render() + "\n"
        for run in runs {
            let file = "planes-confusion-\(run.name).png"
            try ConfusionPicture(title: "CONFUSION: \(run.name.uppercased())" + (run.trained ? "" : " (UNTRAINED)"),
                                 subtitle: "\(run.folds.count) FOLDS SUMMED, \(run.confusion.total) TEST FRAMES",
                                 classNames: run.classNames, matrix: run.confusion).render().writePNG(out + "/" + file)
            md += "![confusion \(run.name)](\(file))\n\n"
        }
        return md
    }

    static func saliencySection(_ runs: [SaliencyTask.Result], out: String) throws -> String {
        let columns = runs.map { column($0.name, trained: $0.trained) }
        var md = "## Eye-gaze saliency prediction (Figure 5)\n\n"
        md += "Encoder + 1x1 saliency head (softmax over the map) fine-tuned with KL(gaze ‖ prediction); frames with a fixation "
            + "in their ±0.3 s window; per fold the mean over test frames, then mean ± population std over folds.\n\n"
        let lower: Set<String> = ["KL"]
        md += MarkdownTable(columns: columns, rows: SaliencyTask.metricNames.map { metric in
            .init(metric: metric, lowerIsBetter: lower.contains(metric), values: runs.map { $0.metrics[metric] })
        }, decimals: 3).render() + "\n"
        let chart = BarChart(title: "EYE-GAZE SALIENCY", subtitle: "MEAN +/- STD OVER FOLDS", series: columns,
                             groups: SaliencyTask.metricNames.map { metric in
                                 .init(title: metric.uppercased(), lowerIsBetter: lower.contains(metric), values: runs.map { $0.metrics[metric] })
                             })
        try chart.render().writePNG(out + "/saliency-bars.png")
        md += "![saliency](saliency-bars.png)\n\n"
        return md
    }

    static func scaled(_ m: MeanStd, _ s: Double) -> MeanStd { MeanStd(mean: m.mean * s, std: m.std * s, count: m.count) }

    /// The paper's reference line in Figure 7c: a saliency model trained on gaze. Ours is the
    /// saliency task's run from the supervised encoder (or, without one, the run with the best
    /// CC), scored on the same held-out scans by cross-validation.
    static func saliencyReference(_ runs: [SaliencyTask.Result]) -> SaliencyTask.Result? {
        runs.first { $0.name == "supervised" } ?? runs.max { ($0.metrics["CC"]?.mean ?? -1) < ($1.metrics["CC"]?.mean ?? -1) }
    }

    static func localiseSection(_ runs: [LocalisationTask.Result], reference: SaliencyTask.Result?, out: String) throws -> String {
        var columns = runs.map { column($0.name, trained: $0.trained) + ($0.settings.mismatchedAudio ? " (control)" : "") }
        let referenceColumn = reference.map { "gaze-trained saliency model (reference: \($0.name))" }
        if let referenceColumn { columns.append(referenceColumn) }
        func withReference(_ values: [MeanStd?], _ metric: String?) -> [MeanStd?] {
            referenceColumn == nil ? values : values + [metric.flatMap { reference?.metrics[$0] }]
        }
        var md = "## Audio-guided localisation (Figure 7)\n\n"
        let rules = runs.map { $0.localisation ?? Localisation.Kind.cosine.rawValue }
        let maps = Set(rules).count == 1 ? rules[0] : zip(columns, rules).map { "\($0): \($1)" }.joined(separator: "; ")
        md += "Moments every \(runs[0].settings.every) s with the sonographer speaking in the 0.6 s window; map = the bundle's "
            + "localisation rule (\(maps)) between the audio embedding and each video cell, "
            + "min-max normalised; mean ± population std over moments. A run marked (control) made each "
            + "moment's map with the audio of another moment of the scan (`--mismatched-audio`): a model whose map follows the speech "
            + "scores lower there. Gaze ground truth: fixations "
            + "within ±\(GazeSaliency.window) s blurred with σ = \(Int(GazeSaliency.sigmaPixels)) screen px. Masks: the named structure's polygon.\n\n"
        for category in LocalisationTask.Category.allCases {
            let scores = runs.map { $0.scores[category.rawValue] }
            md += "### Speech that \(category.rawValue)\n\n"
            md += "Samples: " + zip(columns, scores).map { "\($0): \($1?.samples ?? 0)" }.joined(separator: ", ")
                + (reference.map { "; the reference: its cross-validated predictions on every frame with gaze (every \($0.settings.every) s), whatever is said; its ± is over folds" } ?? "") + "\n\n"
            func ciouValue(_ s: LocalisationTask.Scores?, _ key: KeyPath<LocalisationMetrics.Summary, Double>) -> MeanStd? {
                guard let summary = s?.ciou else { return nil }
                return MeanStd(mean: summary[keyPath: key], std: 0, count: summary.samples)
            }
            md += MarkdownTable(columns: columns, rows: [
                .init(metric: "KL (gaze)", lowerIsBetter: true, values: withReference(scores.map { $0?.kl }, "KL")),
                .init(metric: "CC (gaze)", values: withReference(scores.map { $0?.cc }, "CC")),
                .init(metric: "SIM (gaze)", values: withReference(scores.map { $0?.sim }, "SIM")),
                .init(metric: "Comp (gaze)", values: withReference(scores.map { $0?.comp }, "Comp")),
                .init(metric: "pointing game (mask)", values: withReference(scores.map { $0?.pointing }, nil)),
                .init(metric: "pointing game on the \(LocalisationTask.referenceGrid)x\(LocalisationTask.referenceGrid) grid (mask)",
                      values: withReference(scores.map { $0?.gridPointing }, nil)),
                .init(metric: "pointing game within \(Int(LocalisationMetrics.standardTolerance)) px (mask)", values: withReference(scores.map { $0?.standardPointing }, nil)),
                .init(metric: "cIoU@0.5 (mask, share of samples)", values: withReference(scores.map { ciouValue($0, \.ciouAt05) }, nil)),
                .init(metric: "cIoU AUC (mask)", values: withReference(scores.map { ciouValue($0, \.auc) }, nil)),
                .init(metric: "mean cIoU (mask)", values: withReference(scores.map { ciouValue($0, \.meanCIoU) }, nil)),
            ], decimals: 3).render()
            let skipped = zip(columns, scores).compactMap { name, s -> String? in
                guard let s, !s.skipped.isEmpty else { return nil }
                return "\(name): " + s.skipped.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            }
            if !skipped.isEmpty { md += "\nLeft out: " + skipped.joined(separator: "; ") + "\n" }
            md += "\n"
        }
        let judged = runs.filter { $0.relevance != nil && !$0.settings.mismatchedAudio }
        if !judged.isEmpty {
            md += "### Is the speech about anatomy? (the bundle's relevance head)\n\n"
            md += "Over every moment above: the head's p(anatomy) of the moment's audio against the ground truth (the sonographer's "
                + "words in the window name an anatomy). The box shows the heatmap only while p ≥ threshold. Base rate: the share of "
                + "moments that name anatomy, the precision of a head that always says yes.\n\n"
            md += "| run | threshold | moments | base rate | precision | recall | F1 | AUC |\n|---|---:|---:|---:|---:|---:|---:|---:|\n"
            for run in judged {
                let r = run.relevance!
                md += "| \(run.name) | " + String(format: "%.3f | %d | %.1f %% | %.1f %% | %.1f %% | %.1f %% | ", r.threshold, r.moments,
                                                  r.baseRate * 100, r.precision * 100, r.recall * 100, r.f1 * 100)
                    + (r.auc.map { String(format: "%.3f", $0) } ?? "–") + " |\n"
            }
            md += "\n"
        }
        let anatomy = runs.map { $0.scores[LocalisationTask.Category.anatomy.rawValue] }
        let chart = BarChart(title: "AUDIO-GUIDED LOCALISATION", subtitle: "SPEECH NAMING ANATOMY, MEAN +/- STD OVER MOMENTS",
                             series: columns, groups: [
                                .init(title: "KL", lowerIsBetter: true, values: withReference(anatomy.map { $0?.kl }, "KL")),
                                .init(title: "CC", values: withReference(anatomy.map { $0?.cc }, "CC")),
                                .init(title: "SIM", values: withReference(anatomy.map { $0?.sim }, "SIM")),
                                .init(title: "COMP", values: withReference(anatomy.map { $0?.comp }, "Comp")),
                                .init(title: "POINTING", values: withReference(anatomy.map { $0?.pointing }, nil)),
                             ])
        try chart.render().writePNG(out + "/localise-bars.png")
        md += "![localisation](localise-bars.png)\n\n"
        for run in runs where FileIO.exists(out + "/localise-gallery-\(run.name).png") {
            md += "![gallery \(run.name)](localise-gallery-\(run.name).png)\n\n"
        }
        return md
    }

    static let definitions = """
    ## Definitions

    - Precision, recall, F1 per class with 0 where a denominator is 0; macro = unweighted mean over the classes present in the truth or the predictions (sklearn's default); F1 is the mean of per-class F1.
    - KL = Σ g·ln(ε + g/(p + ε)), ε = 2.2204e-16, both maps divided by their sums (KL(gt‖pred), MIT benchmark KLdiv.m). CC = Pearson correlation. SIM = Σ min of the min-max normalised, sum-normalised maps. NSS with the sample std (N-1). AUC-Judd without jitter.
    - Comp (paper eq. 5) = IoU · η_H / α_S with α_S = share of cells with normalised value > 0, α_H = share > 0.5, η_H = α_H/α_S, IoU of the two maps binarised at 0.5.
    - Pointing game: the map's maximum on a cell the structure's polygon touches (ties: share of tied cells that hit). cIoU: map binarised at its median, |P∩G| / (|G| + |P\\G|); cIoU@0.5 = share of samples with cIoU ≥ 0.5; AUC over thresholds 0, 0.05, ..., 1.
    - Gaze ground truth: fixation samples within ±0.3 s, Gaussian σ = 20 screen px (≈1° of visual angle), integrated over each map cell.
    - The map covers the 224×224 centre crop of the 256×256-scaled frame (on a 640×480 screen x 40-600, y 30-450; 14×14 cells of 40×30 px), each cell the square centred on the pixel its receptive field is centred on: for these backbones cell j looks at crop pixel stride·j, so the cells start (stride - 1)/2 crop px before the crop (results written before the forty-second session scored the even division).

    """

    /// A gallery of the localisation samples: up to `count` naming anatomy and a third as many
    /// that do not, spread evenly over the run; frames decoded again from the sessions.
    public static func localisationGallery(_ samples: [LocalisationTask.Sample], sessions: [String], run: String,
                                           trained: Bool, cellOrigin: Double = 0, out: String, count: Int = 6) throws {
        func pick(_ list: [LocalisationTask.Sample], _ n: Int) -> [LocalisationTask.Sample] {
            guard list.count > n else { return list }
            return (0..<n).map { list[$0 * list.count / n] }
        }
        let chosen = pick(samples.filter { $0.category == .anatomy && $0.structure != nil }, count)
            + pick(samples.filter { $0.category == .other }, max(1, count / 2))
        var opened: [String: EvaluationSession] = [:]
        var tiles: [HeatmapGallery.Tile] = []
        var geometry: ScreenGeometry?
        for sample in chosen {
            guard let directory = sessions.first(where: { ($0 as NSString).lastPathComponent == sample.scan }) else { continue }
            let session = try opened[directory] ?? EvaluationSession(directory: directory)
            opened[directory] = session
            let side = Int(Double(sample.map.count).squareRoot())
            let g = ScreenGeometry(screenWidth: session.frameWidth, screenHeight: session.frameHeight, mapSize: side, cellOrigin: cellOrigin)
            geometry = g
            let frame = try session.recorded.video.decodeFrame(sample.frame)
            let regions = session.labels[sample.frame].anatomy.filter { $0.name == sample.structure }
            var caption = sample.category == .anatomy ? "NAMED: \(sample.structure ?? sample.named.joined(separator: ","))" : "NO ANATOMY NAMED"
            if let cc = sample.cc { caption += String(format: "  CC %.2f", cc) }
            if let p = sample.pointing { caption += p >= 1 ? "  POINT HIT" : p > 0 ? String(format: "  POINT %.2f", p) : "  POINT MISS" }
            tiles.append(.init(frame: frame, map: GridMap(width: side, height: side, values: sample.map),
                               fixations: GazeSaliency.fixations(session.labels, around: sample.time), outlines: regions.map(\.polygon),
                               words: sample.words, caption: caption))
        }
        guard let geometry, !tiles.isEmpty else { return }
        let gallery = HeatmapGallery(title: "LOCALISATION: \(run.uppercased())" + (trained ? "" : " (UNTRAINED)"),
                                     subtitle: "HEAT: MODEL MAP. CYAN: GAZE FIXATIONS. GREEN: NAMED STRUCTURE.",
                                     geometry: geometry, tiles: tiles, columns: 3)
        try gallery.render().writePNG(out + "/localise-gallery-\(run).png")
    }
}
