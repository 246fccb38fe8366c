import Foundation
import MediaFormats
import Testing
@testable import Evaluation

@Suite struct ReportPictureTests {
    @Test func markdownTableMarksTheBestPerRow() throws {
        let table = MarkdownTable(columns: ["random", "ours"], rows: [
            .init(metric: "F1", values: [try MeanStd([0.6, 0.7]), try MeanStd([0.8, 0.7])]),
            .init(metric: "KL", lowerIsBetter: true, values: [try MeanStd([1.2]), try MeanStd([1.5])]),
            .init(metric: "Comp", values: [nil, try MeanStd([0.1])]),
        ], scale: 100, decimals: 1).render()
        let lines = table.split(separator: "\n").map(String.init)
        #expect(lines[0] == "| | random | ours |")
        #expect(lines[2] == "| F1 | 65.0 ± 5.0 | **75.0 ± 5.0** |")
        #expect(lines[3] == "| KL ↓ | **120.0 ± 0.0** | 150.0 ± 0.0 |")
        #expect(lines[4] == "| Comp | – | 10.0 ± 0.0 |")  // a lone value is not "best"
    }

    @Test func barChartDrawsBarsToScaleWithErrorBars() throws {
        let chart = BarChart(title: "T", series: ["A", "B"], groups: [
            .init(title: "F1", values: [MeanStd(mean: 0.5, std: 0.1, count: 3), MeanStd(mean: 1.0, std: 0, count: 3)]),
        ])
        let picture = chart.render()
        // Geometry of render(): left 56, two series -> bars 60 wide with a gap of 8, baseline at
        // 110 + 300, y scale 1.0 (the nice ceiling of the tallest mean + std).
        let baseline = 410
        #expect(picture.get(56 + 5, baseline - 10) == BarChart.palette[0])
        #expect(picture.get(56 + 5, baseline - 140) == BarChart.palette[0])   // 0.5 of 300 px is 150 px tall
        #expect(picture.get(56 + 5, baseline - 160) != BarChart.palette[0])
        #expect(picture.get(56 + 68 + 5, baseline - 295) == BarChart.palette[1])
        // The error bar of A spans 0.4-0.6 (120-180 px above the baseline) at the bar's centre.
        #expect(picture.get(56 + 30, baseline - 175) == 0x000000)
        let png = ImageFiles.pngData(picture.image())
        #expect(Array(png.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }

    @Test func confusionPictureColoursRowShares() throws {
        let matrix = try ConfusionMatrix(classes: 3, truth: [0, 0, 1, 1, 1, 1], predicted: [0, 0, 1, 1, 2, 0])
        let pictureData = ConfusionPicture(title: "C", classNames: ["A", "BB", "CCC"], matrix: matrix)
        let picture = pictureData.render()
        // Layout of render(): cell 44, label width = 3 glyphs x 12 + 16 = 52, left 82, top 142.
        let left = 82, top = 142
        #expect(picture.get(left + 2, top + 2) == Picture.inferno(1))               // class A: 100 % correct
        #expect(picture.get(left + 44 + 2, top + 44 + 2) == Picture.inferno(0.5))   // class BB: 2 of 4
        #expect(picture.get(left + 88 + 2, top + 88 + 2) == 0xE8E8E8)                // class CCC: no frames
    }

    @Test func galleryBlendsHeatOnlyWhereTheMapIsHot() {
        let geometry = ScreenGeometry(screenWidth: 640, screenHeight: 480, mapSize: 14)
        var map = GridMap(width: 14, height: 14)
        map[3, 10] = 1
        let frame = Image8(width: 640, height: 480, channels: 1, fill: 100)
        let gallery = HeatmapGallery(title: "G", geometry: geometry, tiles: [.init(frame: frame, map: map, words: "here are the kidneys", caption: "X")], columns: 1)
        let picture = gallery.render()
        // Tile at (16, 72), 320 px wide over 14 cells: cell (3, 10) centre at x 16 + 3.5·320/14, y 72 + 10.5·240/14.
        let hot = picture.get(16 + 80, 72 + 180), cold = picture.get(16 + 300, 72 + 20)
        #expect(cold == 0x646464)
        #expect(hot != 0x646464 && hot >> 16 & 0xFF > hot & 0xFF)  // warm colour
    }
}

@Suite struct SessionTruthTests {
    func words(_ text: String) -> [EvaluationSession.Word] {
        text.split(separator: " ").enumerated().map { .init(start: Double($0.offset), end: Double($0.offset) + 0.5, speaker: "sonographer", text: String($0.element)) }
    }

    @Test func namedAnatomyUsesTheSpokenForms() {
        #expect(EvaluationSession.namedAnatomy(in: words("and here are the Kidneys.")) == ["kidneys"])
        #expect(EvaluationSession.namedAnatomy(in: words("the pulmonary artery and the heart")) == ["pulmonary_artery", "heart"])
        #expect(EvaluationSession.namedAnatomy(in: words("lateral ventricles")) == ["ventricles_brain"])
        #expect(EvaluationSession.namedAnatomy(in: words("how have you been feeling")).isEmpty)
        #expect(EvaluationSession.namedAnatomy(in: words("the artery")).isEmpty)
    }

    @Test func fixationsComeFromTheWindowAndSkipSaccades() {
        let labels = (0..<90).map { i in
            FrameLabel(frame: i, time: Double(i) / 30, plane: .background, holding: false, frozen: false, anatomy: [],
                       gaze: GazePoint(x: Double(i), y: 10, fixation: i % 3 != 0))
        }
        let found = GazeSaliency.fixations(labels, around: 1.0, window: 0.3)
        // Frames 21...39 (0.7...1.3 s), minus the saccade frames 21, 24, ..., 39.
        #expect(found.map(\.x) == (21...39).filter { $0 % 3 != 0 }.map(Double.init))
        #expect(GazeSaliency.fixations([], around: 1).isEmpty)
    }
}

@Suite struct AblationReportTests {
    func planes(_ name: String, f1: Double) -> PlaneDetectionTask.Result {
        let m = MeanStd(mean: f1, std: 0.01, count: 3)
        return .init(name: name, initialisation: name, trained: name != "random", settings: .init(), classNames: PlaneDetectionTask.classNames,
                     folds: [], precision: m, recall: m, f1: m, accuracy: m, confusion: ConfusionMatrix(classes: PlaneDetectionTask.classNames.count),
                     perClassF1: PlaneDetectionTask.classNames.map { _ in m })
    }

    func saliency(_ name: String, kl: Double) -> SaliencyTask.Result {
        .init(name: name, initialisation: name, trained: true, settings: .init(), folds: [],
              metrics: Dictionary(uniqueKeysWithValues: SaliencyTask.metricNames.map { ($0, MeanStd(mean: $0 == "KL" ? kl : 0.5, std: 0, count: 3)) }))
    }

    func localise(_ name: String, bundle: String, control: Bool, pointing: Double) -> LocalisationTask.Result {
        var settings = LocalisationTask.Settings()
        settings.mismatchedAudio = control
        let scores = LocalisationTask.Scores(samples: 10, kl: nil, cc: nil, sim: nil, comp: nil,
                                             pointing: MeanStd(mean: pointing, std: 0.1, count: 10), ciou: nil, skipped: [:])
        return .init(name: name, bundle: bundle, trained: true, localisation: nil, settings: settings, scans: [],
                     scores: [LocalisationTask.Category.anatomy.rawValue: scores], seconds: 1, relevance: nil)
    }

    @Test func stepsFollowThePaperOrderWithTheBestPerColumnAndTheControlOfTheSameBundle() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ablation-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        // Given in scrambled order; "full" has the best F1, "va-base" the lowest KL.
        let md = try EvaluationReport.ablationSection(
            planes: [planes("full", f1: 0.30), planes("random", f1: 0.10), planes("va-base", f1: 0.09), planes("va-spatial", f1: 0.26)],
            saliency: [saliency("va-spatial", kl: 1.5), saliency("va-base", kl: 1.2), saliency("full", kl: 1.4)],
            localise: [localise("x-control", bundle: "B", control: true, pointing: 0.40), localise("full", bundle: "B", control: false, pointing: 0.51),
                       localise("other-control", bundle: "C", control: true, pointing: 0.99)],
            out: out)
        let rows = md.split(separator: "\n").filter { $0.hasPrefix("| ") && !$0.hasPrefix("| step") }.map(String.init)
        #expect(rows.count == 5)  // va-base, va-spatial, full, the references' line, random
        #expect(rows[0].hasPrefix("| baseline") && rows[0].contains("`va-base`"))
        #expect(rows[1].contains("`va-spatial`") && rows[2].contains("`full`"))
        #expect(rows[3].hasPrefix("| *references*") && rows[4].contains("`random`"))
        #expect(rows[2].contains("**30.0 ± 1.0**"))            // best F1
        #expect(rows[0].contains("**1.200 ± 0.000**"))         // best (lowest) KL
        #expect(rows[2].contains("51.0 ± 10.0") && rows[2].contains("40.0 ± 10.0"))  // its own control, not bundle C's
        #expect(rows[1].hasSuffix("– | – |"))                   // va-spatial has no localisation
        #expect(FileManager.default.fileExists(atPath: out + "/ablation-bars.png"))
    }

    @Test func localisationShowsTheGazeTrainedSaliencyModelAsTheReference() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("reference-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let runs = [saliency("random", kl: 1.5), saliency("supervised", kl: 1.25), saliency("full", kl: 1.3)]
        let reference = try #require(EvaluationReport.saliencyReference(runs))
        #expect(reference.name == "supervised")
        #expect(EvaluationReport.saliencyReference([saliency("random", kl: 1.5)])?.name == "random")
        let md = try EvaluationReport.localiseSection([localise("full", bundle: "B", control: false, pointing: 0.5)], reference: reference, out: out)
        let header = try #require(md.split(separator: "\n").first { $0.hasPrefix("| | full |") })
        #expect(header.contains("gaze-trained saliency model (reference: supervised)"))
        let kl = try #require(md.split(separator: "\n").first { $0.hasPrefix("| KL (gaze)") })
        #expect(kl.hasSuffix("| 1.250 ± 0.000 |"), "\(kl)")                 // the reference's own KL
        let pointing = try #require(md.split(separator: "\n").first { $0.hasPrefix("| pointing game") })
        #expect(pointing.hasSuffix("| – |"))                                 // no mask score for a saliency model
    }

    @Test func fewerThanTwoComponentsWriteNoSection() throws {
        let md = try EvaluationReport.ablationSection(planes: [planes("full", f1: 0.3), planes("random", f1: 0.1)], saliency: [], localise: [], out: "/nonexistent")
        #expect(md.isEmpty)
    }
}

@Suite struct AblationStepTests {
    @Test func aStepsOwnOptionsReplaceTheRecipes() throws {
        let video = try #require(AblationStep.named("video-only"))
        let arguments = video.trainingArguments(recipe: ["--frames-per-clip", "1", "--keyword-negatives", "--seed", "1"])
        #expect(arguments == ["--keyword-negatives", "--seed", "1", "--frames-per-clip", "2"])
        let noSIG = try #require(AblationStep.named("full-no-sig"))
        #expect(noSIG.trainingArguments(recipe: AblationStep.shippedRecipe).suffix(2) == ["--gate", "none"])
        #expect(AblationStep.named("full")!.trainingArguments(recipe: AblationStep.shippedRecipe) == AblationStep.shippedRecipe)
        #expect(AblationStep.named("nonsense") == nil)
    }
}
