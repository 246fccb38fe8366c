import Foundation
import MediaFormats
import NeuralCore
import Platform
import ShowTellModel

/// Eye-gaze saliency prediction (Figure 5): the encoder plus `SaliencyHead`, fine-tuned
/// against the gaze density of each sampled frame (frames without a fixation in their
/// ±0.3 s window are left out), k-fold cross-validation by scan as `PlaneDetectionTask`,
/// scored per test frame with KL, CC, SIM, NSS, AUC-Judd and Comp against the gaze ground
/// truth; per fold the mean over frames, reported as mean ± std over folds.
public final class SaliencyTask {
    public typealias Settings = PlaneDetectionTask.Settings

    public struct FoldResult: Codable, Sendable {
        public var fold: Int
        public var testScans: [String]
        public var trainImages: Int
        public var testImages: Int
        public var metrics: [String: Double]
        public var epochLosses: [Float]
        public var seconds: Double
    }

    public struct Result: Codable, Sendable {
        public var name: String
        public var initialisation: String
        public var trained: Bool
        public var settings: Settings
        public var folds: [FoldResult]
        public var metrics: [String: MeanStd]
    }

    public static let metricNames = ["KL", "CC", "SIM", "NSS", "AUC-Judd", "Comp"]

    let sessions: [String]
    let initialisation: EncoderInitialisation
    let settings: Settings
    let work: String
    let name: String

    public init(sessions: [String], initialisation: EncoderInitialisation, settings: Settings, work: String, name: String) {
        self.sessions = sessions
        self.initialisation = initialisation
        self.settings = settings
        self.work = work
        self.name = name
    }

    struct ScanData { var images: [[Float]]; var density: [GridMap]; var fixations: [GridMap] }

    public func run() throws -> Result {
        guard sessions.count >= settings.folds else {
            throw EvaluationError("\(settings.folds)-fold cross-validation by scan needs at least \(settings.folds) scans; the dataset has \(sessions.count)")
        }
        try FileIO.makeDirectories(work)
        let source = try initialisation.loader()
        var cache: [String: ScanData] = [:]
        func load(_ directory: String) throws -> ScanData {
            if let cached = cache[directory] { return cached }
            let session = try EvaluationSession(directory: directory)
            let frames = try FrameSamples.load(session, every: settings.every, label: "\(name) \(session.name)")
            let mapSize = ShowTellNetwork.mapSize(source.configuration, input: ShowTellNetwork.frameSize)
            let geometry = ScreenGeometry(screenWidth: session.frameWidth, screenHeight: session.frameHeight, mapSize: mapSize,
                                          backbone: source.configuration)
            var data = ScanData(images: [], density: [], fixations: [])
            for (k, time) in frames.times.enumerated() {
                let fixations = GazeSaliency.fixations(session.labels, around: time)
                let map = GazeSaliency.fixationMap(fixations, geometry: geometry)
                guard map.values.contains(where: { $0 > 0 }) else { continue }
                data.images.append(frames.images[k])
                data.density.append(GazeSaliency.density(fixations, geometry: geometry))
                data.fixations.append(map)
            }
            cache[directory] = data
            return data
        }
        var folds: [FoldResult] = []
        for fold in 0..<settings.folds {
            let path = work + "/fold-\(fold + 1).json"
            if FileIO.exists(path) {
                folds.append(try JSONDecoder().decode(FoldResult.self, from: Data(try FileIO.readAll(path))))
                continue
            }
            let start = Date()
            let test = sessions.indices.filter { $0 % settings.folds == fold }.map { sessions[$0] }
            var trainImages: [[Float]] = [], targets: [[Double]] = []
            for directory in sessions where !test.contains(directory) {
                let d = try load(directory)
                trainImages += d.images
                targets += d.density.map(\.values)
            }
            let encoder = source.make(fold)
            let cells = (targets.first?.count) ?? 196
            let head = SaliencyHead(channels: encoder.configuration.outputChannels, cells: cells, batch: settings.fineTune.batch,
                                    targets: targets, seed: settings.fineTune.seed &+ UInt64(fold))
            var fineTune = settings.fineTune
            fineTune.seed = settings.fineTune.seed &+ UInt64(fold)
            let tuner = FineTuner(encoder: encoder, head: head, settings: fineTune)
            let label = "\(name) fold \(fold + 1)/\(settings.folds)"
            let losses = try tuner.train(images: trainImages, checkpoint: work + "/fold-\(fold + 1)", label: label)
            var values: [String: [Double]] = [:]
            var testCount = 0
            for directory in test {
                let d = try load(directory)
                testCount += d.images.count
                let side = Int(Double(cells).squareRoot())
                tuner.infer(images: d.images, label: label) { sample, a, slot in
                    let p = GridMap(width: side, height: side, values: head.predictMap(a, slot: slot))
                    let g = d.density[sample], f = d.fixations[sample]
                    if let v = try? SaliencyMetrics.kl(prediction: p, density: g) { values["KL", default: []].append(v) }
                    if let v = try? SaliencyMetrics.cc(prediction: p, density: g) { values["CC", default: []].append(v) }
                    if let v = try? SaliencyMetrics.sim(prediction: p, density: g) { values["SIM", default: []].append(v) }
                    if let v = try? SaliencyMetrics.nss(prediction: p, fixations: f) { values["NSS", default: []].append(v) }
                    if let v = try? SaliencyMetrics.aucJudd(prediction: p, fixations: f) { values["AUC-Judd", default: []].append(v) }
                    if let v = try? Compactness.comp(prediction: p, density: g) { values["Comp", default: []].append(v) }
                }
            }
            let metrics = values.mapValues { $0.reduce(0, +) / Double(max($0.count, 1)) }
            let result = FoldResult(fold: fold + 1, testScans: test.map { ($0 as NSString).lastPathComponent }, trainImages: trainImages.count,
                                    testImages: testCount, metrics: metrics, epochLosses: losses, seconds: Date().timeIntervalSince(start))
            try FileIO.writeAtomically(path, Array(try JSONEncoder.sorted.encode(result)))
            for suffix in [".encoder.safetensors", ".head.safetensors"] { try? FileManager.default.removeItem(atPath: work + "/fold-\(fold + 1)" + suffix) }
            folds.append(result)
        }
        var metrics: [String: MeanStd] = [:]
        for name in Self.metricNames {
            let values = folds.compactMap { $0.metrics[name] }
            if !values.isEmpty { metrics[name] = try MeanStd(values) }
        }
        let result = Result(name: name, initialisation: initialisation.description, trained: source.trained, settings: settings,
                            folds: folds, metrics: metrics)
        try FileIO.writeAtomically(work + "/result.json", Array(try JSONEncoder.sorted.encode(result)))
        return result
    }
}
