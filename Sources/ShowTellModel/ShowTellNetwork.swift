import COpenBLAS
import NeuralCore

/// The paper's two deployed branches (DESIGN.md §3), float32:
/// - video: gray frame -> 256×256 -> centre crop 224×224 -> ResNeXt-SE -> spatial map
///   [C][14][14] -> 1×1 projection -> V ∈ R^{D×14×14};
/// - audio: 256×256 log-spectrogram -> ResNeXt-SE (same architecture, own weights) ->
///   global pool [C_a] -> linear -> a ∈ R^D. The audio backbone is the video's unless the
///   bundle names its own (`audioBackbone`: a listener with more capacity than the picture
///   needs, issue 9).
/// The text branch and the fusion heads exist only in training.
///
/// Weights are named like a PyTorch state dict: `video.<backbone>`, `audio.<backbone>`,
/// `video_projection.weight` [D, C], `video_projection.bias` [D], `audio_projection.*`.
public final class ShowTellNetwork: @unchecked Sendable {
    /// The video branch's backbone.
    public let backbone: ResNeXtConfiguration
    /// The audio branch's backbone (`backbone` unless a bundle names its own).
    public let audioBackbone: ResNeXtConfiguration
    public let embeddingDimension: Int
    public let video: ResNeXt
    public let audio: ResNeXt
    /// [D][C] and [D] (video), then [D][C_a] and [D] (audio), in one allocation.
    public let projections: UnsafeMutablePointer<Float>
    /// C: channels of the video map.
    public let channels: Int
    /// C_a: channels of the audio branch's pooled vector.
    public let audioChannels: Int

    public static let frameSize = 224
    public static let frameResize = 256
    public static let spectrogramSize = 256
    /// Gray-level normalisation of the video input: (x / 255 - mean) / std.
    public static let pixelMean: Float = 0.2
    public static let pixelStd: Float = 0.2

    /// `audioBackbone` nil: the audio branch has the video's architecture (own weights).
    public init(backbone: ResNeXtConfiguration, audioBackbone: ResNeXtConfiguration? = nil, embeddingDimension: Int, seed: UInt64) {
        self.backbone = backbone
        self.audioBackbone = audioBackbone ?? backbone
        self.embeddingDimension = embeddingDimension
        video = ResNeXt(backbone, seed: seed)
        audio = ResNeXt(self.audioBackbone, seed: seed &+ 1)
        channels = backbone.outputChannels
        audioChannels = self.audioBackbone.outputChannels
        let videoCount = embeddingDimension * channels + embeddingDimension
        let count = videoCount + embeddingDimension * audioChannels + embeddingDimension
        projections = .allocate(capacity: count)
        // PyTorch's default for linear layers: U(-1/√fan_in, 1/√fan_in). One stream of draws,
        // so a network whose branches share an architecture starts as it always did.
        var state = seed &+ 0x9E37_79B9_7F4A_7C15
        for i in 0..<count {
            let bound = 1 / Float(i < videoCount ? channels : audioChannels).squareRoot()
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            projections[i] = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * bound
        }
    }

    /// True when the audio branch has its own architecture (the manifest then names it).
    public var hasOwnAudioBackbone: Bool { audioBackbone != backbone }

    deinit { projections.deallocate() }

    public var videoProjectionWeight: UnsafeMutablePointer<Float> { projections }
    public var videoProjectionBias: UnsafeMutablePointer<Float> { projections + embeddingDimension * channels }
    public var audioProjectionWeight: UnsafeMutablePointer<Float> { videoProjectionBias + embeddingDimension }
    public var audioProjectionBias: UnsafeMutablePointer<Float> { audioProjectionWeight + embeddingDimension * audioChannels }

    public var parameterCount: Int {
        video.parameterCount + audio.parameterCount + embeddingDimension * (channels + audioChannels + 2)
    }

    /// All weights as safetensors entries.
    public func add(to writer: inout SafeTensorsWriter) {
        for tensor in tensors { writer.add(tensor.name, shape: tensor.shape, floats: tensor.values) }
    }

    /// Loads all weights; a missing, mis-shaped or unexpected tensor is an error naming it.
    public func load(from file: SafeTensorsFile) throws(SafeTensorsError) {
        let expected = tensors
        for (name, shape, pointer) in expected {
            guard let info = file.info(name) else { throw SafeTensorsError("missing tensor \"\(name)\"") }
            guard info.shape == shape else { throw SafeTensorsError("tensor \"\(name)\" has shape \(info.shape), model expects \(shape)") }
            try file.copy(name, into: pointer, count: shape.reduce(1, *))
        }
        // An extra tensor means the file was made for another architecture or D.
        let names = Set(expected.map(\.name))
        if let extra = file.tensors.first(where: { !names.contains($0.name) }) {
            throw SafeTensorsError("unexpected tensor \"\(extra.name)\" (not part of a \(architectureName) network with D = \(embeddingDimension))")
        }
    }

    /// "edge-local-os8", or "edge-local-os8 video, edge audio" when the branches differ.
    public var architectureName: String {
        Self.backbonesName(video: backbone.name, audio: hasOwnAudioBackbone ? audioBackbone.name : nil)
    }

    /// The one spelling of a network's backbones in messages (`architectureName`, `ModelManifest.backbones`).
    static func backbonesName(video: String, audio: String?) -> String {
        audio.map { "\(video) video, \($0) audio" } ?? video
    }

    /// Spatial size of a backbone's map for an input of `size`×`size` (14 for edge/paper at 224).
    public static func mapSize(_ c: ResNeXtConfiguration, input size: Int) -> Int {
        var n = (size + 2 * ((c.stemKernel - 1) / 2) - c.stemKernel) / c.stemStride + 1
        if c.stemPool { n = (n - 1) / 2 + 1 }  // 3×3, stride 2, padding 1
        for stride in c.strides { n = (n - 1) / stride + 1 }  // 3×3 with padding = dilation
        return n
    }

    public var videoMapSize: (width: Int, height: Int) {
        let n = Self.mapSize(backbone, input: Self.frameSize)
        return (n, n)
    }

    /// Every tensor as (name, shape, values), in the order they are written.
    public var tensors: [(name: String, shape: [Int], values: UnsafeMutablePointer<Float>)] {
        var list = [(name: String, shape: [Int], values: UnsafeMutablePointer<Float>)]()
        for (prefix, branch) in [("video.", video), ("audio.", audio)] {
            for entry in branch.store.entries { list.append((prefix + entry.name, entry.shape, branch.store.pointer(entry))) }
        }
        let d = embeddingDimension
        list.append(("video_projection.weight", [d, channels], videoProjectionWeight))
        list.append(("video_projection.bias", [d], videoProjectionBias))
        list.append(("audio_projection.weight", [d, audioChannels], audioProjectionWeight))
        list.append(("audio_projection.bias", [d], audioProjectionBias))
        return list
    }

    /// The first NaN or infinity in any weight or buffer, for the loader's error message.
    public func firstNonFinite() -> (tensor: String, index: Int, value: Float)? {
        for tensor in tensors {
            let count = tensor.shape.reduce(1, *)
            for i in 0..<count where !tensor.values[i].isFinite { return (tensor.name, i, tensor.values[i]) }
        }
        return nil
    }

    /// Threads for the backbones' non-GEMM work (OpenBLAS threads are set process-wide,
    /// see `setBLASThreads`).
    public var threads: Int {
        get { video.threads }
        set { video.threads = newValue; audio.threads = newValue }
    }

    /// OpenBLAS's thread count is global to the process (openblas_set_num_threads).
    public static func setBLASThreads(_ count: Int) { openblas_set_num_threads(Int32(max(1, count))) }

    /// y[D][n] = W[D][C] · x[C][n] + b (the 1×1 projection; n = 1 for the audio vector).
    public func project(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, input: UnsafePointer<Float>,
                        channels: Int, columns: Int, output: UnsafeMutablePointer<Float>) {
        let d = embeddingDimension
        for row in 0..<d { (output + row * columns).update(repeating: bias[row], count: columns) }
        if columns == 1 {
            // A vector: sgemv. (OpenBLAS 0.3.21 sends tiny sgemm calls to its SkylakeX
            // small-matrix kernels, which malloc; sgemv does not.)
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(d), Int32(channels), 1, weight, Int32(channels), input, 1, 1, output, 1)
            return
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(columns), Int32(channels),
                    1, weight, Int32(channels), input, Int32(columns), 1, output, Int32(columns))
    }
}
