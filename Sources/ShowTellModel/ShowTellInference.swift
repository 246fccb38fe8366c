import NeuralCore

/// Batch-1 inference of both branches over buffers made once: one arena per branch and the
/// frame preprocessor. `embedAudio`/`embedVideo` allocate nothing, take no lock, do not log.
/// A float bundle serves the loop through it (`ShowTellBranches`, wrapped with the bundle's
/// manifest as a `LocalisationModel` by InferenceEngine's BundleLocalisationModel); the
/// bundle writer uses it for the golden outputs.
public final class ShowTellInference: @unchecked Sendable {
    public let network: ShowTellNetwork
    public let mapWidth: Int
    public let mapHeight: Int
    /// x, y, width, height of the frame the map's cells cover, as fractions (`MapCoverage`).
    public let mapCoverage: (x: Float, y: Float, width: Float, height: Float)

    private let preprocessor: FramePreprocessor
    private let videoActivations: ResNeXtActivations
    private let audioActivations: ResNeXtActivations
    // Views into the arenas, taken once (TensorView's shape arrays would allocate per call).
    private let videoInput: UnsafeMutablePointer<Float>  // [1][224][224]
    private let videoSpatial: UnsafeMutablePointer<Float>  // [1][C][h][w]
    private let audioInput: UnsafeMutablePointer<Float>  // [1][256][256]
    private let audioPooled: UnsafeMutablePointer<Float>  // [1][C_a]

    /// `threads`: the backbones' own loops (batch norm, im2col, pooling); OpenBLAS's thread
    /// count is process-wide and left to `ShowTellNetwork.setBLASThreads`.
    public init(network: ShowTellNetwork, threads: Int = 1) {
        self.network = network
        network.threads = max(1, threads)
        preprocessor = FramePreprocessor()
        let frame = ShowTellNetwork.frameSize, spectrogram = ShowTellNetwork.spectrogramSize
        videoActivations = network.video.makeActivations(batch: 1, height: frame, width: frame, training: false)
        audioActivations = network.audio.makeActivations(batch: 1, height: spectrogram, width: spectrogram, training: false)
        videoInput = videoActivations.input.data
        videoSpatial = videoActivations.spatialMap.data
        audioInput = audioActivations.input.data
        audioPooled = audioActivations.pooled.data
        let shape = videoActivations.spatialMap.shape  // [1, C, h, w]
        mapHeight = shape[2]
        mapWidth = shape[3]
        mapCoverage = MapCoverage.of(network.backbone, mapWidth: mapWidth, mapHeight: mapHeight)
    }

    public var embeddingDimension: Int { network.embeddingDimension }
    /// Floats in both activation arenas (memory the model adds at run time).
    public var arenaFloats: Int { videoActivations.floatCount + audioActivations.floatCount }

    /// spectrogram [256][256] (standardised) -> audio backbone -> pooled [C_a] -> a [D].
    public func embedAudio(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>) {
        audioInput.update(from: spectrogram, count: ShowTellNetwork.spectrogramSize * ShowTellNetwork.spectrogramSize)
        network.audio.forward(audioActivations, training: false)
        network.project(weight: network.audioProjectionWeight, bias: network.audioProjectionBias,
                        input: audioPooled, channels: network.audioChannels, columns: 1, output: embedding)
    }

    /// gray frame [height][width] -> [224][224] -> video backbone -> [C][h][w] -> V [D][h][w].
    public func embedVideo(_ frame: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>) {
        preprocessor.run(frame, width: width, height: height, into: videoInput)
        network.video.forward(videoActivations, training: false)
        network.project(weight: network.videoProjectionWeight, bias: network.videoProjectionBias,
                        input: videoSpatial, channels: network.channels, columns: mapWidth * mapHeight, output: map)
    }

    /// Masks screen furniture out of every later frame (`LiveImageMask`).
    public func maskScreenFurniture(_ spec: LiveImageMask) { preprocessor.maskScreenFurniture(spec) }

    /// For tests: the preprocessed frame and the backbone's map of the last `embedVideo`.
    public var lastVideoInput: UnsafePointer<Float> { UnsafePointer(videoInput) }
    public var lastVideoFeatures: UnsafePointer<Float> { UnsafePointer(videoSpatial) }
    public var lastAudioFeatures: UnsafePointer<Float> { UnsafePointer(audioPooled) }
}
