import Foundation
import GroundTruth
import NeuralCore
import PhantomScan
import ShowTellModel
import Testing
@testable import Evaluation

/// `eval localise` scores the map the appliance would draw: the rule the bundle's manifest
/// names (a trained bundle's fusion logit), not always cosine. A bundle's two rules give
/// different maps from the same weights, so scoring the wrong one is visible here.
@Suite(.serialized)
struct LocalisationTaskTests {
    static let directory: String = {
        let path = NSTemporaryDirectory() + "showtell-localise-tests-\(getpid())"
        try? FileManager.default.removeItem(atPath: path)
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// One 10-second phantom session with its ground truth (slow-ish in debug builds).
    static let session: String = {
        let path = directory + "/scan-a"
        _ = try! SessionGenerator(duration: 10, seed: 21).generate(to: path)
        return path
    }()

    static func run(_ kind: Localisation.Kind, mismatched: Bool = false, embeddings: Bool = false) throws -> (LocalisationTask.Result, [LocalisationTask.Sample]) {
        let bundle = directory + "/bundle-\(kind == .cosine ? "cosine" : "dot")"
        let network = ShowTellNetwork(backbone: .tiny, embeddingDimension: 8, seed: 3)
        try ModelBundle.write(network: network, trained: kind == .fusionDot, notes: "localise test", localisation: kind, to: bundle)
        var settings = LocalisationTask.Settings()
        settings.every = 0.5
        settings.threads = 1
        settings.mismatchedAudio = mismatched
        let work = bundle + (mismatched ? "-mismatched" : "") + "-work"
        return try LocalisationTask(sessions: [session], bundle: bundle, settings: settings, work: work, name: "t", embeddings: embeddings).run()
    }

    /// `--keep-embeddings` keeps what each map was made from: the map rule over the kept audio
    /// and video gives the scored map again, and the kept mask the recorded pointing game. A
    /// folder finished without them is evaluated again rather than left without them.
    @Test func keptEmbeddingsGiveTheScoredMapsAgain() throws {
        let (_, plain) = try Self.run(.fusionDot)
        let kept = Self.directory + "/bundle-dot-work/scan-scan-a.safetensors"
        #expect(!FileManager.default.fileExists(atPath: kept))
        let (_, samples) = try Self.run(.fusionDot, embeddings: true)
        #expect(samples.map(\.map) == plain.map(\.map))
        let file = try SafeTensorsFile.read(path: kept)
        let audio = try file.floats("audio"), video = try file.floats("video"), mask = try file.floats("mask")
        let d = try #require(file.info("audio")).shape[1]
        let shape = try #require(file.info("video")).shape
        let (height, width) = (shape[2], shape[3]), cells = height * width
        #expect(shape == [samples.count, d, height, width] && cells == samples[0].map.count)
        #expect(file.info("mask")?.shape == [samples.count, height, width])
        for (k, sample) in samples.enumerated() {
            var scores = [Float](repeating: 0, count: cells)
            audio.withUnsafeBufferPointer { a in video.withUnsafeBufferPointer { v in scores.withUnsafeMutableBufferPointer {
                Localisation.dotMap(audio: a.baseAddress! + k * d, map: v.baseAddress! + k * d * cells, dimension: d, cells: cells, into: $0.baseAddress!)
            } } }
            let again = scores.withUnsafeBufferPointer { GridMap(width: width, height: height, floats: $0) }.minMaxNormalised()
            #expect(zip(again.values, sample.map).allSatisfy { abs($0 - $1) < 1e-9 }, "moment \(k): the kept embeddings give another map")
            let coverage = Array(mask[(k * cells)..<((k + 1) * cells)])
            if let pointing = sample.pointing {
                let peaks = (0..<cells).filter { sample.map[$0] == sample.map.max()! }
                #expect(Double(peaks.filter { coverage[$0] > 0 }.count) / Double(peaks.count) == pointing)
                // The pointing game on the reference grid is recorded whenever the map's side is a multiple of it.
                let grid = LocalisationTask.referenceGrid
                let onGrid = width % grid == 0 && height % grid == 0
                    ? try LocalisationMetrics.pointingGame(prediction: GridMap(width: width, height: height, values: sample.map),
                                                           coverage: GridMap(width: width, height: height, values: coverage.map(Double.init)), grid: grid)
                    : nil
                #expect(sample.gridPointing == onGrid)
                if width == grid { #expect(sample.gridPointing == pointing) }
            } else {
                #expect(coverage.allSatisfy { $0 == 0 })
            }
        }
    }

    @Test func scoresTheMapRuleTheManifestNames() throws {
        let (cosine, cosineSamples) = try Self.run(.cosine)
        let (dot, dotSamples) = try Self.run(.fusionDot)
        #expect(cosine.localisation == Localisation.Kind.cosine.rawValue)
        #expect(dot.localisation == Localisation.Kind.fusionDot.rawValue)
        try #require(!dotSamples.isEmpty, "the phantom session has sonographer speech to score")
        #expect(dotSamples.map(\.time) == cosineSamples.map(\.time))
        // Same weights, same moments: the maps differ only because the rule differs.
        let largest = zip(dotSamples, cosineSamples).map { pair in zip(pair.0.map, pair.1.map).map { abs($0 - $1) }.max() ?? 0 }.max() ?? 0
        #expect(largest > 0.01, "the dot-product and cosine maps came out the same (largest difference \(largest))")
        for sample in dotSamples { #expect(sample.map.allSatisfy { $0 >= 0 && $0 <= 1 }) }
        let report = try EvaluationReport.localiseSection([cosine, dot], reference: nil, out: Self.directory)
        #expect(report.contains(Localisation.Kind.fusionDot.rawValue))
    }

    /// The control run keeps the moments and frames but pairs each with another moment's
    /// audio, so its maps differ (the tiny random network does depend on its audio input).
    @Test func mismatchedAudioControlChangesTheMapsNotTheMoments() throws {
        let (_, matched) = try Self.run(.fusionDot)
        let (control, mismatched) = try Self.run(.fusionDot, mismatched: true)
        #expect(control.settings.mismatchedAudio)
        #expect(mismatched.map(\.time) == matched.map(\.time) && mismatched.map(\.frame) == matched.map(\.frame))
        let differing = zip(matched, mismatched).filter { pair in zip(pair.0.map, pair.1.map).contains { abs($0 - $1) > 1e-6 } }.count
        #expect(differing > matched.count / 2, "only \(differing) of \(matched.count) maps changed with another moment's audio")
        // The matched run's finished scans are not reused under the control's settings.
        var other = control.settings
        other.mismatchedAudio = true
        #expect(throws: EvaluationError.self) {
            try LocalisationTask(sessions: [Self.session], bundle: Self.directory + "/bundle-dot", settings: other,
                                 work: Self.directory + "/bundle-dot-work", name: "t").run()
        }
    }

    /// `showtell localise` draws the map `eval localise` scores: same moments, same verdicts;
    /// a session without ground truth still gets its picture; a time outside the recording
    /// is refused with the range that would work.
    @Test func singleMomentOverlayAgreesWithTheEvaluation() throws {
        let (_, samples) = try Self.run(.fusionDot)
        let judged = samples.filter { $0.pointing != nil }
        try #require(!judged.isEmpty, "the phantom session names an anatomy on screen")
        let out = Self.directory + "/moments.png"
        let moments = try MomentOverlay.render(session: Self.session, bundle: Self.directory + "/bundle-dot",
                                               times: judged.map(\.time), out: out)
        #expect(moments.map(\.time) == judged.map(\.time))
        #expect(moments.map(\.structure) == judged.map(\.structure))
        #expect(moments.map(\.pointing) == judged.map(\.pointing))
        // The whole map (`localise --maps-out`): the evaluation's values, cells row by row
        // across the crop, the peak on the top cell.
        for (m, s) in zip(moments, judged) {
            #expect(m.cells.map(\.value) == s.map)
            let side = Int(Double(m.cells.count).squareRoot())
            #expect(side * side == m.cells.count && m.cells[1].x > m.cells[0].x && m.cells[side].y > m.cells[0].y)
            let top = try #require(m.cells.max(by: { $0.value < $1.value }))
            #expect(m.peak?.x == top.x && m.peak?.y == top.y)
        }
        #expect(try FileManager.default.attributesOfItem(atPath: out)[.size] as? Int ?? 0 > 1000)

        // The same recording without its ground truth.
        let bare = Self.directory + "/scan-bare"
        try? FileManager.default.removeItem(atPath: bare)
        try FileManager.default.createDirectory(atPath: bare, withIntermediateDirectories: true)
        for file in ["video.avi", "audio.wav"] { try FileManager.default.copyItem(atPath: Self.session + "/" + file, toPath: bare + "/" + file) }
        var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.session + "/session.json"))) as! [String: Any]
        manifest["hasLabels"] = false
        manifest["hasTranscript"] = false
        try JSONSerialization.data(withJSONObject: manifest).write(to: URL(fileURLWithPath: bare + "/session.json"))
        let plain = try MomentOverlay.render(session: bare, bundle: Self.directory + "/bundle-dot", times: [judged[0].time], out: bare + ".png")
        #expect(plain.count == 1 && plain[0].named.isEmpty && plain[0].pointing == nil && plain[0].words.isEmpty)

        let error = #expect(throws: EvaluationError.self) {
            try MomentOverlay.render(session: Self.session, bundle: Self.directory + "/bundle-dot", times: [60], out: out)
        }
        #expect(error?.description.contains("outside the recording") == true, "\(String(describing: error))")
    }

    /// The margin says how clearly the peak is on the structure: positive exactly when the
    /// peak cell touches it; moving the audio window changes what is heard (words, named
    /// structure) but not the frame; a move past the recording's end is refused.
    @Test func audioOffsetMovesTheHeardWindowAndMarginAgreesWithThePointingGame() throws {
        #expect(MomentOverlay.margin([0, 1, 0.5, 0.2], peak: 1, coverage: [0, 1, 0, 0]) == 0.5)
        #expect(MomentOverlay.margin([0, 1, 0.5, 0.2], peak: 1, coverage: [0, 0, 0, 0.3]) == 0)
        #expect(MomentOverlay.margin([2, 2, 2], peak: 0, coverage: [1, 0, 0]) == nil)
        let (_, samples) = try Self.run(.fusionDot)
        let judged = samples.filter { $0.pointing != nil }
        try #require(!judged.isEmpty)
        let out = Self.directory + "/offset.png"
        let times = judged.map(\.time).filter { $0 >= 1.5 && $0 <= 8.5 }
        try #require(!times.isEmpty)
        let here = try MomentOverlay.render(session: Self.session, bundle: Self.directory + "/bundle-dot", times: times, out: out)
        for m in here where m.pointing != nil {
            let margin = try #require(m.margin)
            #expect((margin > 0) == ((m.peakCellInside ?? 0) > 0), "margin \(margin), peak cell \(m.peakCellInside ?? -1)")
            #expect(m.speech >= 0 && m.speech <= 1)
        }
        let moved = try MomentOverlay.render(session: Self.session, bundle: Self.directory + "/bundle-dot", times: times, out: out, audioOffset: -1)
        #expect(moved.map(\.frame) == here.map(\.frame))
        let truth = try SessionTruth.read(directory: Self.session)
        for m in moved {
            let heard = truth.words.filter { $0.end > m.time - 1 - 0.3 && $0.start < m.time - 1 + 0.3 }
            #expect(m.words.isEmpty == heard.isEmpty)
            if let last = heard.last { #expect(m.words.hasSuffix(last.text), "\(m.words) / \(last.text)") }
        }
        #expect(throws: EvaluationError.self) {
            try MomentOverlay.render(session: Self.session, bundle: Self.directory + "/bundle-dot", times: [9], out: out, audioOffset: 1)
        }
    }

    /// The relevance head's verdicts against the transcript: precision and recall at its
    /// threshold, the base rate, and the threshold-free AUC (ties count half).
    @Test func relevanceScoresCountVerdictsAgainstTheTranscript() throws {
        func sample(_ named: Bool, _ p: Double?) -> LocalisationTask.Sample {
            .init(scan: "s", time: 0, frame: 0, words: "", named: named ? ["heart"] : [], category: named ? .anatomy : .other,
                  structure: nil, map: [], kl: nil, cc: nil, sim: nil, comp: nil, pointing: nil, ciou: nil, skipped: [], relevance: p)
        }
        let samples = [sample(true, 0.9), sample(true, 0.4), sample(false, 0.5), sample(false, 0.1), sample(true, nil)]
        let r = try #require(LocalisationTask.RelevanceScores(samples, threshold: 0.45))
        #expect(r.moments == 4 && r.baseRate == 0.5)
        #expect(r.precision == 0.5 && r.recall == 0.5 && r.f1 == 0.5)
        #expect(r.auc == 0.75)  // 0.9 beats both, 0.4 beats 0.1 only: 3 of 4 pairs
        let tied = try #require(LocalisationTask.RelevanceScores([sample(true, 0.5), sample(false, 0.5)], threshold: 0.5))
        #expect(tied.auc == 0.5 && tied.precision == 0.5 && tied.recall == 1)
        #expect(LocalisationTask.RelevanceScores([sample(true, nil)], threshold: 0.5) == nil)
    }
}
