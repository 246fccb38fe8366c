import NeuralCore

/// `manifest.json` of a model bundle (DESIGN.md §5): what the weights are, how to feed them,
/// where they came from, and the SHA-256 of `model.safetensors`. snake_case keys so Python
/// tools read it as it is. Fields after `notes` are optional when read (older or hand-made
/// manifests); `write` always fills them.
public struct ModelManifest: Codable, Sendable, Equatable {
    public static let currentFormat = "showtell-model/1"

    /// "showtell-model/1"; a reader refuses formats it does not know.
    public var format: String
    /// ResNeXt configuration name of the video branch (and of the audio branch unless
    /// `audioBackbone` names another): "edge", "paper", "tiny".
    public var backbone: String
    /// Joint embedding dimension D.
    public var embeddingDimension: Int
    /// False for a freshly initialised bundle (the screen says UNTRAINED MODEL).
    public var trained: Bool
    /// ISO-8601 UTC, e.g. "2026-11-26T23:50:00Z".
    public var created: String
    /// Lowercase hex SHA-256 of model.safetensors.
    public var sha256: String
    /// Trainable parameters of both branches and projections (BN running statistics excluded).
    public var parameters: Int
    public var notes: String

    /// Size of model.safetensors in bytes (a cut-short copy is reported as such, not only as a checksum mismatch).
    public var bytes: Int?
    /// "float32" (int8 bundles will say "int8" and carry their quantisation parameters).
    public var precision: String?
    /// The backbone's shape as built; a reader checks it against its own definition of `backbone`.
    public var architecture: Architecture?
    public var inputs: Inputs?
    public var outputs: Outputs?
    /// Provenance of a trained bundle; nil for an untrained one.
    public var training: TrainingSummary?
    /// What wrote the bundle ("showtell 0.1.0", "showtell model init").
    public var producer: String?
    /// Outputs for GoldenInference's fixed inputs on the machine that wrote the bundle.
    public var golden: Golden?
    /// Int8 bundles only (precision "int8"): how the activations were calibrated and their
    /// per-tensor parameters (the weights' per-channel scales are tensors of model.safetensors).
    public var quantization: Quantization?
    /// The audio branch's configuration name and shape when it differs from `backbone`;
    /// absent otherwise, so earlier manifests read and compare unchanged.
    public var audioBackbone: String?
    public var audioArchitecture: Architecture?

    public struct Quantization: Codable, Sendable, Equatable {
        /// "tflite-int8: weights per-channel symmetric [-127,127], activations per-tensor asymmetric, int32 bias, fp32 requantisation rounding half to even"
        public var arithmetic: String
        /// "min/max", "percentile 99.99", or per branch ("video mean squared error, audio
        /// min/max"), followed by ", empirical bias correction" when applied
        public var method: String
        /// Calibration inputs (spectrogram windows and frames) and the sessions they came from.
        public var calibrationInputs: Int
        public var calibrationSessions: [String]
        /// SHA-256 of the float bundle's model.safetensors that was quantised.
        public var sourceSha256: String
        /// Per activation tensor (plan slot name, e.g. "video.stages.0.0.conv1"): real = scale * (q - zero_point).
        public var activations: [String: Activation]

        public struct Activation: Codable, Sendable, Equatable {
            public var scale: Float
            public var zeroPoint: Int32
            public init(scale: Float, zeroPoint: Int32) {
                self.scale = scale
                self.zeroPoint = zeroPoint
            }
            enum CodingKeys: String, CodingKey { case scale, zeroPoint = "zero_point" }
        }

        public init(arithmetic: String, method: String, calibrationInputs: Int, calibrationSessions: [String],
                    sourceSha256: String, activations: [String: Activation]) {
            self.arithmetic = arithmetic
            self.method = method
            self.calibrationInputs = calibrationInputs
            self.calibrationSessions = calibrationSessions
            self.sourceSha256 = sourceSha256
            self.activations = activations
        }

        enum CodingKeys: String, CodingKey {
            case arithmetic, method, calibrationInputs = "calibration_inputs", calibrationSessions = "calibration_sessions"
            case sourceSha256 = "source_sha256", activations
        }
    }

    public struct Golden: Codable, Sendable, Equatable {
        /// L2 norms of a and of the whole map V.
        public var audioNorm: Double
        public var videoNorm: Double
        /// a[0..<8] and V[0..<8] (first channel, first cells).
        public var audioHead: [Float]
        public var videoHead: [Float]

        enum CodingKeys: String, CodingKey {
            case audioNorm = "audio_norm", videoNorm = "video_norm", audioHead = "audio_head", videoHead = "video_head"
        }
    }

    public struct Architecture: Codable, Sendable, Equatable {
        public var family: String
        public var inputChannels: Int
        public var stemWidth: Int
        public var stemKernel: Int
        public var stemStride: Int
        public var stemPool: Bool
        public var blocks: [Int]
        public var outWidths: [Int]
        public var groupedWidths: [Int]
        public var cardinality: Int
        public var strides: [Int]
        public var dilations: [Int]
        /// Written only where a stage's first block differs from `dilations` (edge-local-os8),
        /// so earlier manifests read and compare unchanged.
        public var entryDilations: [Int]?
        public var seReduction: Int
        /// Channels C of the spatial map before projection.
        public var outputChannels: Int

        public init(_ c: ResNeXtConfiguration) {
            family = "resnext-se-dilated"
            inputChannels = c.inputChannels
            stemWidth = c.stemWidth
            stemKernel = c.stemKernel
            stemStride = c.stemStride
            stemPool = c.stemPool
            blocks = c.blocks
            outWidths = c.outWidths
            groupedWidths = c.groupedWidths
            cardinality = c.cardinality
            strides = c.strides
            dilations = c.dilations
            entryDilations = c.entryDilations == c.dilations ? nil : c.entryDilations
            seReduction = c.seReduction
            outputChannels = c.outputChannels
        }
    }

    /// How the appliance feeds each branch; training must prepare its inputs the same way.
    public struct Inputs: Codable, Sendable, Equatable {
        public var video: Video
        public var audio: Audio

        public struct Video: Codable, Sendable, Equatable {
            /// "gray8": one byte per pixel, any frame size.
            public var frame: String
            public var resize: [Int]
            public var crop: [Int]
            public var interpolation: String
            /// network input = (pixel / 255 - mean) / std
            public var pixelMean: Float
            public var pixelStd: Float
            /// Screen furniture masked out of the input (nil: the whole frame, as before).
            public var liveImageMask: LiveImageMask?
        }

        public struct Audio: Codable, Sendable, Equatable {
            public var sampleRate: Int
            public var windowSeconds: Double
            /// [frequency bins, time columns]
            public var spectrogram: [Int]
            public var layout: String
            public var standardisation: String
        }
    }

    public struct Outputs: Codable, Sendable, Equatable {
        /// [D]
        public var audioEmbedding: [Int]
        /// [D, h, w] for the 224×224 crop.
        public var videoMap: [Int]
        /// x, y, width, height of the frame the map's cells cover, as fractions (`MapCoverage`;
        /// bundles before the forty-second session wrote the crop itself, 0.0625 0.0625 0.875 0.875).
        public var mapCoverage: [Float]
        public var localisation: String
        /// "Is this speech about anatomy?" (nil: the bundle has no such head; the box then
        /// shows the map whenever the sonographer speaks).
        public var relevance: RelevanceHead?
    }

    /// What a clinical ML engineer needs to trace a trained bundle back to its run.
    public struct TrainingSummary: Codable, Sendable, Equatable {
        public var runID: String?
        /// Dataset name or path, and how many sessions/clips it had.
        public var dataset: String?
        public var sessions: Int?
        public var clips: Int?
        public var epochs: Int?
        public var steps: Int?
        public var batchSize: Int?
        public var learningRate: Double?
        public var seed: UInt64?
        /// Loss weights α β γ δ and final values by name ("l_base_va": 0.41, ...).
        public var losses: [String: Double]?
        /// Validation metrics by name ("f1_macro": 0.71, "kl": 1.2, ...).
        public var metrics: [String: Double]?
        /// Source revision of the trainer.
        public var codeVersion: String?
        /// The run's configuration (variant, fusion, pooling, loss form and weights, optimiser, ...).
        public var configuration: [String: String]?
        /// The anatomy keyword dictionary the text branch's SIG used (canonical -> spoken forms).
        public var keywords: [String: [String]]?
        /// Training report: the held-out pointing-game table (markdown).
        public var report: String?

        public init() {}

        enum CodingKeys: String, CodingKey {
            case runID = "run_id", dataset, sessions, clips, epochs, steps, batchSize = "batch_size"
            case learningRate = "learning_rate", seed, losses, metrics, codeVersion = "code_version"
            case configuration, keywords, report
        }
    }

    enum CodingKeys: String, CodingKey {
        case format, backbone, embeddingDimension = "embedding_dimension", trained, created, sha256, parameters, notes
        case bytes, precision, architecture, inputs, outputs, training, producer, golden
        case quantization, audioBackbone = "audio_backbone", audioArchitecture = "audio_architecture"
    }

    /// "edge-local-os8", or "edge-local-os8 video, edge audio" when the audio branch has its own.
    public var backbones: String { ShowTellNetwork.backbonesName(video: backbone, audio: audioBackbone) }

    /// The video and audio branches' configurations as this build defines them; a name this
    /// build does not know, or a described shape that differs from its definition, is an error
    /// naming `manifestPath`.
    public func branchConfigurations(manifestPath: String) throws(ModelBundleError) -> (video: ResNeXtConfiguration, audio: ResNeXtConfiguration) {
        func configuration(_ key: String, _ name: String, _ described: Architecture?) throws(ModelBundleError) -> ResNeXtConfiguration {
            guard let c = ResNeXtConfiguration.named(name) else {
                throw ModelBundleError(.unknownBackbone, path: manifestPath, "\(key) \"\(name)\" is unknown (this build has \(ResNeXtConfiguration.names))")
            }
            if let described, described != Architecture(c) {
                throw ModelBundleError(.tensorMismatch, path: manifestPath, "architecture of \(key) \"\(name)\" differs from this build's definition; the bundle was made by another version")
            }
            return c
        }
        let video = try configuration("backbone", backbone, architecture)
        guard let audioBackbone else { return (video, video) }
        return (video, try configuration("audio_backbone", audioBackbone, audioArchitecture))
    }

    /// `outputs.map_coverage` must say where this build places the map's cells (`MapCoverage`),
    /// or be the crop itself, which bundles recorded before the cells were placed where they
    /// look (the box places those by their backbone too). Anything else came from a tool or
    /// version that places the map elsewhere, which this build cannot honour.
    public func checkMapCoverage(video: ResNeXtConfiguration, manifestPath: String) throws(ModelBundleError) {
        guard let outputs, outputs.videoMap.count == 3 else { return }
        let placed = MapCoverage.of(video, mapWidth: outputs.videoMap[2], mapHeight: outputs.videoMap[1])
        let crop = Float(ShowTellNetwork.frameSize) / Float(ShowTellNetwork.frameResize), margin = (1 - crop) / 2
        func same(_ a: [Float], _ b: [Float]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 1e-5 } }
        let expected = [placed.x, placed.y, placed.width, placed.height]
        guard same(outputs.mapCoverage, expected) || same(outputs.mapCoverage, [margin, margin, crop, crop]) else {
            throw ModelBundleError(.manifestInvalid, path: manifestPath,
                                   "outputs.map_coverage \(outputs.mapCoverage) is not where this build places a \(video.name) map's cells (\(expected)); the bundle was made by another tool or version")
        }
    }
}

extension ModelManifest.Architecture {
    enum CodingKeys: String, CodingKey {
        case family, inputChannels = "input_channels", stemWidth = "stem_width", stemKernel = "stem_kernel"
        case stemStride = "stem_stride", stemPool = "stem_pool", blocks, outWidths = "out_widths"
        case groupedWidths = "grouped_widths", cardinality, strides, dilations, entryDilations = "entry_dilations", seReduction = "se_reduction"
        case outputChannels = "output_channels"
    }
}

extension ModelManifest.Inputs.Video {
    enum CodingKeys: String, CodingKey {
        case frame, resize, crop, interpolation, pixelMean = "pixel_mean", pixelStd = "pixel_std", liveImageMask = "live_image_mask"
    }
}

extension ModelManifest.Inputs.Audio {
    enum CodingKeys: String, CodingKey {
        case sampleRate = "sample_rate", windowSeconds = "window_seconds", spectrogram, layout, standardisation
    }
}

extension ModelManifest.Outputs {
    enum CodingKeys: String, CodingKey {
        case audioEmbedding = "audio_embedding", videoMap = "video_map", mapCoverage = "map_coverage", localisation, relevance
    }
}

extension ModelManifest {
    /// The manifest `ModelBundle.write` produces for a network (checksum and size filled by the writer).
    static func describing(_ network: ShowTellNetwork, trained: Bool, notes: String, created: String,
                           training: TrainingSummary?, producer: String,
                           localisation: Localisation.Kind = .cosine) -> ModelManifest {
        let d = network.embeddingDimension
        let map = network.videoMapSize
        let coverage = MapCoverage.of(network.backbone, mapWidth: map.width, mapHeight: map.height)
        return ModelManifest(
            format: currentFormat, backbone: network.backbone.name, embeddingDimension: d, trained: trained,
            created: created, sha256: "", parameters: network.parameterCount, notes: notes,
            bytes: nil, precision: "float32", architecture: Architecture(network.backbone),
            inputs: Inputs(
                video: .init(frame: "gray8", resize: [ShowTellNetwork.frameResize, ShowTellNetwork.frameResize],
                             crop: [ShowTellNetwork.frameSize, ShowTellNetwork.frameSize],
                             interpolation: FramePreprocessor.interpolation,
                             pixelMean: ShowTellNetwork.pixelMean, pixelStd: ShowTellNetwork.pixelStd),
                audio: .init(sampleRate: 24_000, windowSeconds: 0.6,
                             spectrogram: [ShowTellNetwork.spectrogramSize, ShowTellNetwork.spectrogramSize],
                             layout: "row-major [frequency bin][time column], row 0 = 0 Hz (AudioFrontEnd LogSpectrogram)",
                             standardisation: "per window: (dB - mean) / (std + 1e-5)")),
            outputs: Outputs(
                audioEmbedding: [d], videoMap: [d, map.height, map.width],
                mapCoverage: [coverage.x, coverage.y, coverage.width, coverage.height],
                localisation: localisation.rawValue),
            training: training, producer: producer, golden: nil,
            audioBackbone: network.hasOwnAudioBackbone ? network.audioBackbone.name : nil,
            audioArchitecture: network.hasOwnAudioBackbone ? Architecture(network.audioBackbone) : nil)
    }
}
