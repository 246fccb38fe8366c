import Foundation
import NeuralCore
import Platform
import ShowTellModel

/// An int8 model bundle (what `showtell quantize` writes): the float bundle's folder format
/// (DESIGN.md §5) with precision "int8":
/// - model.safetensors: per branch and convolution (batch norm folded) `<conv>.weight` I8
///   [Co][k][k][Ci/g] (OHWI), `<conv>.weight_scale` F32 [Co], `<conv>.bias` I32 [Co] (scale
///   s_x * s_w[c]); the float SE weights (`<branch>.stages.S.I.se.fc*`) and the audio projection;
/// - manifest.json: the float manifest's fields (architecture, front-end contract, D) plus
///   `quantization` (method, calibration sessions, per-activation scale and zero point, the
///   float source's SHA-256).
/// Loading checks size, SHA-256, every tensor's presence, dtype and shape against the plan,
/// and every activation's parameters; each failure names the tensor or key and what to do.
public enum Int8Bundle {
    public static let arithmetic = "tflite-int8: weights per-channel symmetric [-127,127], activations per-tensor asymmetric, int32 bias (s_x*s_w), fp32 requantisation rounding half to even"

    @discardableResult
    public static func write(
        source: ModelBundle, quantization: NetworkQuantization, method: String, calibrationInputs: Int,
        sessions: [String], biasCorrected: Bool = false, to directory: String
    ) throws(ModelBundleError) -> ModelManifest {
        let described = method + (biasCorrected ? ", empirical bias correction" : "")
        let network = source.network
        let plans = PlannedInference.plans(for: network)
        var writer = SafeTensorsWriter()
        writer.metadata = ["format": "pt", "showtell.format": ModelManifest.currentFormat, "showtell.precision": "int8",
                           "showtell.backbone": network.backbone.name]
        if network.hasOwnAudioBackbone { writer.metadata["showtell.audio_backbone"] = network.audioBackbone.name }
        var activations = [String: ModelManifest.Quantization.Activation]()
        for (plan, q) in [(plans.video, quantization.video), (plans.audio, quantization.audio)] {
            for (conv, w) in zip(plan.convs, q.weights) {
                let s = conv.shape
                writer.add("\(conv.name).weight", shape: [s.outChannels, s.kernel, s.kernel, s.inChannels / s.groups], int8s: w.weight)
                writer.add("\(conv.name).weight_scale", shape: [s.outChannels], floats: w.scale)
                writer.add("\(conv.name).bias", shape: [s.outChannels], int32s: w.bias)
            }
            for (slot, a) in zip(plan.slots, q.activations) { activations[slot.name] = .init(scale: a.scale, zeroPoint: a.zeroPoint) }
        }
        for (name, shape, values) in network.tensors where name.contains(".se.") || name.hasPrefix("audio_projection.") {
            writer.add(name, shape: shape, floats: values)
        }
        var manifest = source.manifest
        manifest.precision = "int8"
        manifest.producer = "showtell quantize"
        manifest.created = ModelBundle.timestamp()
        manifest.notes = source.manifest.notes + " | int8 (\(described)) from \(source.manifest.sha256.prefix(12))"
        // Golden values from the int8 engine itself: its integer kernels are bit-exact on
        // every CPU family, so a mismatch at load means a broken engine or an edited bundle.
        manifest.golden = GoldenInference.run(PlannedInference(network: network, quantization: quantization))
        manifest.quantization = .init(
            arithmetic: arithmetic, method: described, calibrationInputs: calibrationInputs, calibrationSessions: sessions,
            sourceSha256: source.manifest.sha256, activations: activations)
        return try ModelBundle.write(weights: writer.encode(), manifest: manifest, to: directory)
    }

    /// A verified int8 bundle, ready to serve on the best kernel family this CPU runs: size,
    /// checksum, every tensor and activation parameter (`read`), then the golden inference
    /// (with `threads`, so the split is checked too).
    public static func load(directory: String, threads: Int = 1) throws(ModelBundleError) -> (manifest: ModelManifest, inference: PlannedInference) {
        let (manifest, network, quantization) = try read(directory: directory)
        let inference = PlannedInference(network: network, quantization: quantization, threads: threads)
        _ = try GoldenInference.verify(inference, manifest: manifest, directory: directory)
        return (manifest, inference)
    }

    /// An int8 bundle's parts, checked (size, checksum, every tensor's dtype and shape, every
    /// activation parameter) but not run: the network holds the float weights the int8 engine
    /// still uses (SE, audio projection); its convolution weights are unused.
    public static func read(directory: String) throws(ModelBundleError) -> (manifest: ModelManifest, network: ShowTellNetwork, quantization: NetworkQuantization) {
        let manifest = try ModelBundle.readManifest(directory: directory)
        let manifestPath = directory + "/" + ModelBundle.manifestFile, path = directory + "/" + ModelBundle.weightsFile
        guard manifest.precision == "int8", let quantization = manifest.quantization else {
            throw ModelBundleError(.manifestInvalid, path: manifestPath, "precision is \(manifest.precision ?? "float32"), not int8 with a \"quantization\" section; run showtell quantize on it first")
        }
        let (video, audio) = try manifest.branchConfigurations(manifestPath: manifestPath)
        try manifest.checkMapCoverage(video: video, manifestPath: manifestPath)
        guard FileIO.exists(path) else { throw ModelBundleError(.weightsMissing, path: path, "missing; reinstall the bundle") }
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(path) } catch { throw ModelBundleError(.weightsMissing, path: path, "cannot be read: \(error)") }
        if let expected = manifest.bytes, expected != bytes.count {
            throw ModelBundleError(.truncated, path: path, "\(bytes.count) bytes but the manifest says \(expected) — the bundle is corrupt or cut short; reinstall it")
        }
        let actual = SHA256.hex(bytes)
        guard actual == manifest.sha256.lowercased() else {
            throw ModelBundleError(.checksumMismatch, path: path, "checksum mismatch (manifest says \(manifest.sha256.prefix(12))…, file is \(actual.prefix(12))…) — the bundle is corrupt; reinstall it")
        }
        let file: SafeTensorsFile
        do { file = try SafeTensorsFile(bytes: bytes) } catch { throw ModelBundleError(.weightsInvalid, path: path, error.message) }
        // The float weights the int8 engine still uses (SE, audio projection) go into a network
        // of the bundle's shape; its convolution weights are unused (the int8 ones replace them).
        let network = ShowTellNetwork(backbone: video, audioBackbone: audio, embeddingDimension: manifest.embeddingDimension, seed: 0)
        func fail(_ message: String) -> ModelBundleError { ModelBundleError(.tensorMismatch, path: path, message + " (manifest: backbone \(manifest.backbones), D = \(manifest.embeddingDimension))") }
        for (name, shape, values) in network.tensors where name.contains(".se.") || name.hasPrefix("audio_projection.") {
            guard let info = file.info(name) else { throw fail("missing tensor \"\(name)\"") }
            guard info.shape == shape else { throw fail("tensor \"\(name)\" has shape \(info.shape), the model expects \(shape)") }
            do { try file.copy(name, into: values, count: shape.reduce(1, *)) } catch { throw fail(error.message) }
        }
        let plans = PlannedInference.plans(for: network)
        func branch(_ plan: BranchPlan) throws(ModelBundleError) -> (activations: [ActivationQuantization], weights: [QuantizedConvWeights]) {
            var weights = [QuantizedConvWeights]()
            for conv in plan.convs {
                let s = conv.shape
                let expected = [s.outChannels, s.kernel, s.kernel, s.inChannels / s.groups]
                for (suffix, dtype, shape) in [("weight", "I8", expected), ("weight_scale", "F32", [s.outChannels]), ("bias", "I32", [s.outChannels])] {
                    guard let info = file.info("\(conv.name).\(suffix)") else { throw fail("missing tensor \"\(conv.name).\(suffix)\"") }
                    guard info.dtype == dtype, info.shape == shape else {
                        throw fail("tensor \"\(conv.name).\(suffix)\" is \(info.dtype) \(info.shape), the plan expects \(dtype) \(shape)")
                    }
                }
                do {
                    let w = try file.integers("\(conv.name).weight").map { Int8($0) }
                    guard !w.contains(-128) else { throw fail("tensor \"\(conv.name).weight\" holds -128; weights must be in [-127, 127]") }
                    let scale = try file.floats("\(conv.name).weight_scale")
                    guard scale.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw fail("tensor \"\(conv.name).weight_scale\" holds a non-positive or non-finite scale") }
                    let bias = try file.integers("\(conv.name).bias").map { Int32($0) }
                    weights.append(QuantizedConvWeights(weight: w, scale: scale, bias: bias))
                } catch let error as ModelBundleError {
                    throw error
                } catch {
                    throw fail("\(error)")
                }
            }
            var activations = [ActivationQuantization]()
            for slot in plan.slots {
                guard let a = quantization.activations[slot.name] else {
                    throw ModelBundleError(.manifestInvalid, path: manifestPath, "quantization.activations has no entry \"\(slot.name)\"; re-run showtell quantize")
                }
                guard a.scale.isFinite, a.scale > 0, (-128...127).contains(a.zeroPoint) else {
                    throw ModelBundleError(.manifestInvalid, path: manifestPath, "quantization.activations[\"\(slot.name)\"]: scale \(a.scale), zero_point \(a.zeroPoint) is not a valid int8 quantisation")
                }
                activations.append(ActivationQuantization(scale: a.scale, zeroPoint: a.zeroPoint))
            }
            return (activations, weights)
        }
        return (manifest, network, NetworkQuantization(video: try branch(plans.video), audio: try branch(plans.audio)))
    }
}
