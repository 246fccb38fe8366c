import Foundation
import MediaFormats
import NeuralCore
import Platform
import ShowTellModel

/// Where a downstream task's encoder starts: random weights, or the video branch of a model
/// bundle (any bundle: ours, a baseline's, a user's). Each fold gets a fresh copy, so folds
/// never see each other's fine-tuning.
public enum EncoderInitialisation: Sendable, CustomStringConvertible {
    case random(backbone: ResNeXtConfiguration, seed: UInt64)
    case bundle(directory: String)
    /// A `showtell train` run folder: `run.json` names the backbone and variant, and
    /// `checkpoint-video.safetensors` holds the video encoder of the latest epoch. Every
    /// variant has one, also those that write no bundle (concatenation fusion, no audio).
    case trainingRun(directory: String)
    /// The supervised upper bound (the paper's US-Sup): a random encoder trained on the plane
    /// labels of every session in `dataset` (the same classifier head and schedule as the
    /// plane task), saved at `cache` so it is trained once. Reads labels: evaluation only, and
    /// `dataset` must not hold the sessions it is then judged on (`EvalPlanesCommand` checks).
    case supervised(dataset: String, backbone: ResNeXtConfiguration, settings: FineTuneSettings, every: Double, cache: String)

    /// The folder's kind: a training run when it has run.json and a video checkpoint, else a bundle.
    public static func folder(_ directory: String) -> EncoderInitialisation {
        FileIO.exists(directory + "/run.json") && FileIO.exists(directory + "/" + runCheckpoint) ? .trainingRun(directory: directory) : .bundle(directory: directory)
    }

    static let runCheckpoint = "checkpoint-video.safetensors"

    public var description: String {
        switch self {
        case .random(let backbone, let seed): "random (\(backbone.name), seed \(seed))"
        case .bundle(let directory): "bundle \(directory)"
        case .trainingRun(let directory): "training run \(directory)"
        case .supervised(let dataset, let backbone, let settings, _, _): "supervised on the plane labels of \(dataset) (\(backbone.name), \(settings.epochs) epochs)"
        }
    }

    /// Loads once (a bundle is checked: checksum, shapes, NaN) and returns a maker of fresh copies.
    public func loader() throws -> EncoderSource {
        switch self {
        case .random(let backbone, let seed):
            return EncoderSource(configuration: backbone, trained: false) { fold in ResNeXt(backbone, seed: seed &+ UInt64(fold)) }
        case .bundle(let directory):
            let bundle = try ModelBundle.load(directory: directory)
            let source = bundle.network.video
            return EncoderSource(configuration: source.configuration, trained: bundle.manifest.trained) { _ in
                let copy = ResNeXt(source.configuration)
                copy.store.parameters.update(from: source.store.parameters, count: source.store.parameterCount)
                copy.store.buffers.update(from: source.store.buffers, count: source.store.bufferCount)
                return copy
            }
        case .trainingRun(let directory):
            let info: [String: String]
            do {
                info = try JSONDecoder().decode([String: String].self, from: Data(FileIO.readAll(directory + "/run.json")))
            } catch {
                throw EncoderLoadingError(message: "\(directory)/run.json: \(error); is this a showtell train run folder?")
            }
            guard let name = info["backbone"], let configuration = ResNeXtConfiguration.named(name) else {
                throw EncoderLoadingError(message: "\(directory)/run.json names no known backbone (\(info["backbone"] ?? "none")); is this a showtell train run folder?")
            }
            let source = ResNeXt(configuration)
            do { try source.store.loadWeights(path: directory + "/" + Self.runCheckpoint) } catch {
                throw EncoderLoadingError(message: "\(directory)/\(Self.runCheckpoint): \(error); the run's video encoder cannot be read")
            }
            return Self.copies(of: source, trained: true)
        case .supervised(let dataset, let backbone, let settings, let every, let cache):
            let source = ResNeXt(backbone, seed: settings.seed)
            let weights = cache + "/encoder.safetensors"
            if !FileIO.exists(weights) {
                try FileIO.makeDirectories(cache)
                var labels: [Int32] = [], images: [[Float]] = []
                for directory in try EvaluationDataset.sessionDirectories(dataset) {
                    let s = try PlaneDetectionTask.labelledFrames(directory, every: every, label: "supervised pretraining")
                    labels += s.labels
                    images += s.images
                }
                let head = ClassifierHead(channels: backbone.outputChannels, classes: PlaneClass.allCases.count,
                                          batch: settings.batch, labels: labels, seed: settings.seed)
                try FineTuner(encoder: source, head: head, settings: settings)
                    .train(images: images, checkpoint: cache + "/pretraining", label: "supervised pretraining")
                try source.store.saveWeights(path: weights, metadata: ["dataset": dataset, "images": "\(images.count)"])
                for suffix in [".encoder.safetensors", ".head.safetensors"] { try? FileManager.default.removeItem(atPath: cache + "/pretraining" + suffix) }
            } else {
                try source.store.loadWeights(path: weights)
            }
            return Self.copies(of: source, trained: true)
        }
    }

    /// Each fold's fresh copy of `source`.
    private static func copies(of source: ResNeXt, trained: Bool) -> EncoderSource {
        EncoderSource(configuration: source.configuration, trained: trained) { _ in
            let copy = ResNeXt(source.configuration)
            copy.store.parameters.update(from: source.store.parameters, count: source.store.parameterCount)
            copy.store.buffers.update(from: source.store.buffers, count: source.store.bufferCount)
            return copy
        }
    }
}

public struct EncoderLoadingError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}

public struct EncoderSource {
    public let configuration: ResNeXtConfiguration
    /// False for random weights and for bundles whose manifest says untrained: reports say so.
    public let trained: Bool
    public let make: (_ fold: Int) -> ResNeXt
}
