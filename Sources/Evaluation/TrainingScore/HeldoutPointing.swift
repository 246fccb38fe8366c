import Foundation
import MediaFormats
import NeuralCore
import Platform
import Training

extension PointingGame {
    /// The held-out scorer `showtell train --evaluate PREP --sessions RAW` hands to the
    /// training run: the pointing game on PREP's clips against RAW's ground truth, the table
    /// and a gallery of hits and misses written to `out` (pointing.md, gallery/).
    public static func heldoutScorer(prep: String, sessions root: String, out: String, title: String) -> HeldoutScorer {
        { model, vectors, keywords in
            let dataset = try PreparedDataset(path: prep)
            let origin = CellCentres(model.configuration.backbone).firstEdge  // each cell where it looks
            let builder = BatchBuilder(source: dataset, vectors: vectors, keywords: keywords, configuration: model.configuration)
            var result = Result()
            let windows = try windows(dataset: dataset, keywords: keywords, sessionsRoot: root, result: &result)
            let maps = model.maps(for: windows.map(\.clip), builder: builder)
            for (window, map) in zip(windows, maps) { result.trials.append(score(window, map: map, side: model.mapSide, cellOrigin: origin)) }
            var table = result.table(title: title)
            var metrics = ["pointing_game": result.accuracy, "pointing_chance": result.chance, "pointing_windows": Double(result.trials.count)]
            if model.configuration.variant.usesText {
                // Diagnostic, not the product: the text map queried with the spoken form of the
                // anatomy the ground truth says is named (instead of the ASR words, which miss
                // it more often than not). It tells whether the visual side localises at all.
                let named = TextQuerySource(dataset, words: Dictionary(windows.map { ($0.clip, keywords.forms[$0.anatomy]?.first ?? $0.anatomy) },
                                                                      uniquingKeysWith: { a, _ in a }))
                let oracleBuilder = BatchBuilder(source: named, vectors: vectors, keywords: keywords, configuration: model.configuration)
                var oracle = Result()
                let oracleMaps = model.maps(for: windows.map(\.clip), builder: oracleBuilder, textQuery: true)
                for (window, map) in zip(windows, oracleMaps) { oracle.trials.append(score(window, map: map, side: model.mapSide, cellOrigin: origin)) }
                table += "\n\nDiagnostic: the text map queried with the named anatomy's spoken form (ground truth, not ASR):\n\n"
                    + oracle.table(title: "text oracle")
                metrics["pointing_text_oracle"] = oracle.accuracy
            }
            // Gallery: the first hits and misses, spread over the held-out windows.
            var gallery = [String]()
            try FileIO.makeDirectories(out + "/gallery")
            for wantHit in [true, false] {
                let picks = result.trials.indices.filter { result.trials[$0].hit == wantHit }
                for k in stride(from: 0, to: picks.count, by: max(1, picks.count / 6)).prefix(6) {
                    let i = picks[k], trial = result.trials[i], window = windows[i]
                    let stored = dataset.storedFrame(clip: trial.clip, frame: 0)
                    let image = Overlay.render(frame: stored.pixels, side: stored.side, map: maps[i], mapSide: model.mapSide, window: window,
                                               trial: trial, caption: "asr: " + dataset.clips[trial.clip].words.joined(separator: " "), cellOrigin: origin)
                    let name = "gallery/\(wantHit ? "hit" : "miss")-\(gallery.count)-\(trial.anatomy).png"
                    try FileIO.writeAtomically(out + "/" + name, ImageFiles.pngData(image))
                    gallery.append("![\(name)](\(name))")
                }
            }
            let report = "Pointing game, \(prep) (\(result.trials.count) windows naming one anatomy in the ground-truth transcript; "
                + "\(result.notVisible) named an anatomy not in the frame, \(result.ambiguous) named several: not counted)\n\n" + table
                + "\n\nGallery (map over the 224 crop, maximum boxed cyan, mask outlined green):\n\n" + gallery.joined(separator: "\n") + "\n"
            try FileIO.writeAtomically(out + "/pointing.md", Array(report.utf8))
            return HeldoutScore(report: report, table: table, metrics: metrics)
        }
    }
}

/// A dataset whose chosen clips hear other words (evaluation diagnostics only).
struct TextQuerySource: ClipSource, @unchecked Sendable {
    let base: any ClipSource
    let clips: [ClipRecord]

    init(_ base: any ClipSource, words: [Int: String]) {
        self.base = base
        var clips = base.clips
        for (clip, text) in words { clips[clip].words = text.split(separator: " ").map(String.init) }
        self.clips = clips
    }

    var sessionNames: [String] { base.sessionNames }
    var frameSize: Int { base.frameSize }
    var spectrogramSize: Int { base.spectrogramSize }
    var framesPerClip: Int { base.framesPerClip }
    func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) { base.loadFrame(clip: index, frame: frame, into: output) }
    func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) { base.loadSpectrogram(clip: index, into: output) }
}
