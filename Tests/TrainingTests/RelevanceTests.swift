import Foundation
import Platform
import ShowTellModel
import Testing
@testable import Training

/// The "about anatomy?" head: fitted from the keyword gate on ASR words alone, it separates
/// what the audio embedding separates; the threshold is the best-F1 one; the bundle refuses
/// a head that does not fit its embedding.
@Suite struct RelevanceTests {
    /// Clips naming "heart" have audio whose first embedding component is high; the rest low.
    struct Source: ClipSource {
        let clips: [ClipRecord]
        let sessionNames = ["s0", "s1"]
        let frameSize = 8, spectrogramSize = 4, framesPerClip = 1
        init() {
            var random = RandomSource(seed: 5)
            clips = (0..<120).map { i in
                ClipRecord(session: i % 2, time: Double(i), words: random.chance(0.3) ? ["there's", "the", "heart"] : ["looking", "nice"])
            }
        }
        func loadFrame(clip index: Int, frame: Int, into output: UnsafeMutablePointer<Float>) { output.update(repeating: 0, count: 64) }
        func loadSpectrogram(clip index: Int, into output: UnsafeMutablePointer<Float>) {
            let named = clips[index].words.contains("heart")
            for i in 0..<16 { output[i] = (named ? 1 : -1) + Float((index * 7 + i * 3) % 5) / 10 }
        }
    }

    @Test func fitsTheKeywordGateFromTheAudioEmbedding() throws {
        let source = Source()
        let keywords = KeywordDictionary(forms: ["heart": ["heart"]])
        let result = try RelevanceFitting.fit(source: source, keywords: keywords, dimension: 2, dataset: "toy",
                                              embed: { s, a in a[0] = (0..<16).reduce(0) { $0 + s[$1] } / 16; a[1] = s[5] })
        #expect(result.clips == 120)
        #expect(result.positives == source.clips.filter { $0.words.contains("heart") }.count)
        #expect(result.precision == 1 && result.recall == 1, "\(result.precision) \(result.recall)")
        #expect(result.head.weights[0] > 0)
        #expect(result.head.problem(dimension: 2) == nil)
        #expect(result.head.taughtBy.contains("self-supervised"))
        #expect(result.auc == 1)
    }

    /// The fit standardises the embedding and folds that back into the weights: the only
    /// informative component shifted by 1000 and scaled by 0.001 still gives perfect verdicts.
    @Test func fitIgnoresTheEmbeddingsOffsetAndScale() throws {
        let source = Source()
        let keywords = KeywordDictionary(forms: ["heart": ["heart"]])
        let result = try RelevanceFitting.fit(source: source, keywords: keywords, dimension: 2, dataset: "toy",
                                              embed: { s, a in a[0] = 1000 + 0.001 * (0..<16).reduce(0) { $0 + s[$1] } / 16; a[1] = 0 })
        #expect(result.precision == 1 && result.recall == 1, "\(result.precision) \(result.recall)")
        #expect(result.auc == 1)
    }

    /// AUC as the Mann-Whitney statistic: scores 0.9 (yes), 0.8 (no), 0.7 (yes), 0.2 (no):
    /// of the four positive-negative pairs three are ordered right, so 0.75; a tie counts half.
    @Test func areaUnderCurveCountsOrderedPairs() {
        #expect(RelevanceHead.areaUnderCurve(positives: [0.9, 0.7], negatives: [0.8, 0.2]) == 0.75)
        #expect(RelevanceHead.areaUnderCurve(positives: [0.5], negatives: [0.5]) == 0.5)
        #expect(RelevanceHead.areaUnderCurve(positives: [0.5], negatives: []) == nil)
    }

    @Test func refusesADatasetWithoutBothKinds() {
        let keywords = KeywordDictionary(forms: ["kidneys": ["kidneys"]])
        #expect(throws: TrainingError.self) {
            try RelevanceFitting.fit(source: Source(), keywords: keywords, dimension: 2, dataset: "toy", embed: { _, a in a[0] = 0; a[1] = 0 })
        }
    }

    /// F1 = 2PR/(P+R) over thresholds: scores 0.9 (yes), 0.8 (no), 0.7 (yes), 0.2 (no):
    /// threshold 0.7 flags three with two hits (P 2/3, R 1, F1 0.8), the best.
    @Test func thresholdHasTheBestF1() {
        let best = RelevanceFitting.bestThreshold(scores: [0.9, 0.8, 0.7, 0.2], targets: [1, 0, 1, 0])
        #expect(best.threshold == 0.7)
        #expect(abs(best.precision - 2.0 / 3) < 1e-9 && best.recall == 1)
    }

    /// Keeping a share of the positives: scores of the positives 0.9, 0.7, 0.6, 0.3 (and
    /// negatives 0.8, 0.5, 0.2): keeping 0.75 needs three of four, so the threshold is 0.6
    /// (P 3/4: 0.8 is flagged too; R 3/4); keeping 0.9 needs all four, 0.3. The fit records the share it kept.
    @Test func thresholdKeepsTheAskedShareOfKeywordClips() throws {
        let scores: [Float] = [0.9, 0.8, 0.7, 0.6, 0.5, 0.3, 0.2], targets: [Float] = [1, 0, 1, 1, 0, 1, 0]
        let three = RelevanceFitting.recallThreshold(scores: scores, targets: targets, keep: 0.75)
        #expect(three.threshold == 0.6 && three.recall == 0.75 && three.precision == 0.75)
        #expect(RelevanceFitting.recallThreshold(scores: scores, targets: targets, keep: 0.9).threshold == 0.3)
        var settings = RelevanceFitting.Settings()
        settings.keepRecall = 0.98
        let result = try RelevanceFitting.fit(source: Source(), keywords: KeywordDictionary(forms: ["heart": ["heart"]]), dimension: 2,
                                              settings: settings, dataset: "toy", embed: { s, a in a[0] = s[0] + s[7]; a[1] = s[3] })
        #expect(result.recall >= 0.98)
        #expect(result.head.taughtBy.contains("keeping 98.0 %"), "\(result.head.taughtBy)")
    }

    /// A bundle whose head has the wrong size, or no threshold in (0, 1), is refused with
    /// what to do; a right one loads and survives the round trip.
    @Test func bundleCarriesAndChecksTheHead() throws {
        let directory = NSTemporaryDirectory() + "showtell-relevance-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let network = ShowTellNetwork(backbone: .tiny, embeddingDimension: 8, seed: 3)
        var manifest = try ModelBundle.write(network: network, trained: true, notes: "relevance test", to: directory)
        let weights = try FileIO.readAll(directory + "/" + ModelBundle.weightsFile)
        manifest.outputs?.relevance = RelevanceHead(weights: [Float](repeating: 0.1, count: 8), bias: -1, threshold: 0.4, taughtBy: "test")
        try ModelBundle.write(weights: weights, manifest: manifest, to: directory)
        #expect(try ModelBundle.load(directory: directory).manifest.outputs?.relevance == manifest.outputs?.relevance)
        for bad in [RelevanceHead(weights: [0.1, 0.2], bias: 0, threshold: 0.5, taughtBy: "test"),
                    RelevanceHead(weights: [Float](repeating: 0, count: 8), bias: 0, threshold: 1, taughtBy: "test")] {
            manifest.outputs?.relevance = bad
            try ModelBundle.write(weights: weights, manifest: manifest, to: directory)
            let error = #expect(throws: ModelBundleError.self) { try ModelBundle.load(directory: directory) }
            #expect(error?.description.contains("outputs.relevance") == true, "\(String(describing: error))")
        }
    }
}
