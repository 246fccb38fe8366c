import Foundation
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
            return EncoderSource(configuration: configuration, trained: true) { _ in
                let copy = ResNeXt(configuration)
                copy.store.parameters.update(from: source.store.parameters, count: source.store.parameterCount)
                copy.store.buffers.update(from: source.store.buffers, count: source.store.bufferCount)
                return copy
            }
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
