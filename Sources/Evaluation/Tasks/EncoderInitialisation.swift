import NeuralCore
import ShowTellModel

/// Where a downstream task's encoder starts: random weights, or the video branch of a model
/// bundle (any bundle: ours, a baseline's, a user's). Each fold gets a fresh copy, so folds
/// never see each other's fine-tuning.
public enum EncoderInitialisation: Sendable, CustomStringConvertible {
    case random(backbone: ResNeXtConfiguration, seed: UInt64)
    case bundle(directory: String)

    public var description: String {
        switch self {
        case .random(let backbone, let seed): "random (\(backbone.name), seed \(seed))"
        case .bundle(let directory): "bundle \(directory)"
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
        }
    }
}

public struct EncoderSource {
    public let configuration: ResNeXtConfiguration
    /// False for random weights and for bundles whose manifest says untrained: reports say so.
    public let trained: Bool
    public let make: (_ fold: Int) -> ResNeXt
}
