import Foundation
import MediaFormats
import NeuralCore
import Platform

/// Standard plane detection (Table 1, Figure 4): the encoder plus a linear classifier over
/// the 14 plane classes, fine-tuned end to end, k-fold cross-validation BY SCAN (a scan's
/// frames are all in training or all in test; fold f tests the scans whose index in name
/// order is f mod k), scored per fold (macro P/R/F1 over the classes present, confusion
/// matrix), reported as mean ± std over folds. Each finished fold is a JSON file in the work
/// folder and training checkpoints every epoch, so a killed run resumes where it stopped.
public final class PlaneDetectionTask {
    public struct Settings: Codable, Sendable, Equatable {
        /// Seconds between sampled frames.
        public var every = 0.5
        public var folds = 3
        public var fineTune = FineTuneSettings()
        public init() {}
    }

    public struct FoldResult: Codable, Sendable {
        public var fold: Int
        public var trainScans: [String]
        public var testScans: [String]
        public var trainImages: Int
        public var testImages: Int
        public var confusion: ConfusionMatrix
        public var macro: ConfusionMatrix.Macro
        public var perClass: [ConfusionMatrix.ClassScore]
        public var epochLosses: [Float]
        public var seconds: Double
    }

    public struct Result: Codable, Sendable {
        public var name: String
        public var initialisation: String
        public var trained: Bool
        public var settings: Settings
        public var classNames: [String]
        public var folds: [FoldResult]
        public var precision: MeanStd
        public var recall: MeanStd
        public var f1: MeanStd
        public var accuracy: MeanStd
        /// Summed over folds.
        public var confusion: ConfusionMatrix
        /// Per class F1 over folds.
        public var perClassF1: [MeanStd]
    }

    public static let classNames = PlaneClass.allCases.map(\.rawValue)

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

    public func run() throws -> Result {
        guard sessions.count >= settings.folds else {
            throw EvaluationError("\(settings.folds)-fold cross-validation by scan needs at least \(settings.folds) scans; the dataset has \(sessions.count)")
        }
        try FileIO.makeDirectories(work)
        let source = try initialisation.loader()
        let encoded = try JSONEncoder.sorted.encode(settings)
        let settingsPath = work + "/settings.json"
        if FileIO.exists(settingsPath), try FileIO.readAll(settingsPath) != Array(encoded) {
            throw EvaluationError("\(work) holds results made with other settings (settings.json); use another --out or delete it")
        }
        try FileIO.writeAtomically(settingsPath, Array(encoded))
        var samples: [String: (labels: [Int32], images: [[Float]])] = [:]
        func load(_ directory: String) throws -> (labels: [Int32], images: [[Float]]) {
            if let cached = samples[directory] { return cached }
            let loaded = try Self.labelledFrames(directory, every: settings.every, label: name)
            samples[directory] = loaded
            return loaded
        }
        var folds: [FoldResult] = []
        for fold in 0..<settings.folds {
            let path = work + "/fold-\(fold + 1).json"
            if FileIO.exists(path) {
                folds.append(try JSONDecoder().decode(FoldResult.self, from: Data(try FileIO.readAll(path))))
                FileHandle.standardError.write(Data("\(name) fold \(fold + 1): done before (\(path))\n".utf8))
                continue
            }
            let start = Date()
            let test = sessions.indices.filter { $0 % settings.folds == fold }.map { sessions[$0] }
            let train = sessions.filter { !test.contains($0) }
            var trainLabels: [Int32] = [], trainImages: [[Float]] = []
            for directory in train {
                let s = try load(directory)
                trainLabels += s.labels
                trainImages += s.images
            }
            let encoder = source.make(fold)
            let head = ClassifierHead(channels: encoder.configuration.outputChannels, classes: PlaneClass.allCases.count,
                                      batch: settings.fineTune.batch, labels: trainLabels, seed: settings.fineTune.seed &+ UInt64(fold))
            var fineTune = settings.fineTune
            fineTune.seed = settings.fineTune.seed &+ UInt64(fold)
            let tuner = FineTuner(encoder: encoder, head: head, settings: fineTune)
            let label = "\(name) fold \(fold + 1)/\(settings.folds)"
            let losses = try tuner.train(images: trainImages, checkpoint: work + "/fold-\(fold + 1)", label: label)
            var confusion = ConfusionMatrix(classes: PlaneClass.allCases.count)
            var testCount = 0
            for directory in test {
                let s = try load(directory)
                testCount += s.images.count
                var failure: (any Error)?
                tuner.infer(images: s.images, label: label) { sample, a, slot in
                    do { try confusion.add(truth: Int(s.labels[sample]), predicted: head.predict(a, slot: slot)) } catch { failure = error }
                }
                if let failure { throw failure }
            }
            let result = FoldResult(fold: fold + 1, trainScans: train.map { ($0 as NSString).lastPathComponent },
                                    testScans: test.map { ($0 as NSString).lastPathComponent }, trainImages: trainImages.count,
                                    testImages: testCount, confusion: confusion, macro: try confusion.macro(),
                                    perClass: (0..<confusion.classes).map(confusion.score), epochLosses: losses,
                                    seconds: Date().timeIntervalSince(start))
            try FileIO.writeAtomically(path, Array(try JSONEncoder.sorted.encode(result)))
            for suffix in [".encoder.safetensors", ".head.safetensors"] { try? FileManager.default.removeItem(atPath: work + "/fold-\(fold + 1)" + suffix) }
            FileHandle.standardError.write(Data(String(format: "%@: macro F1 %.3f, accuracy %.3f (%d test frames, %.0f s)\n", label,
                                                       result.macro.f1, result.macro.accuracy, testCount, result.seconds).utf8))
            folds.append(result)
        }
        var total = ConfusionMatrix(classes: PlaneClass.allCases.count)
        for f in folds { total.add(f.confusion) }
        let perClass = try (0..<total.classes).map { k in try MeanStd(folds.map { $0.perClass[k].f1 }) }
        let result = Result(name: name, initialisation: initialisation.description, trained: source.trained, settings: settings,
                            classNames: Self.classNames, folds: folds,
                            precision: try MeanStd(folds.map(\.macro.precision)), recall: try MeanStd(folds.map(\.macro.recall)),
                            f1: try MeanStd(folds.map(\.macro.f1)), accuracy: try MeanStd(folds.map(\.macro.accuracy)),
                            confusion: total, perClassF1: perClass)
        try FileIO.writeAtomically(work + "/result.json", Array(try JSONEncoder.sorted.encode(result)))
        return result
    }
}

extension PlaneDetectionTask {
    /// A frame every `every` seconds of one session, preprocessed, with its plane label.
    static func labelledFrames(_ directory: String, every: Double, label: String) throws -> (labels: [Int32], images: [[Float]]) {
        let session = try EvaluationSession(directory: directory)
        let frames = try FrameSamples.load(session, every: every, label: "\(label) \(session.name)")
        return (frames.frames.map { Int32(session.labels[$0].plane.index) }, frames.images)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }
}
