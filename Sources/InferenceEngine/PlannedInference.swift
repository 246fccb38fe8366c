import CInt8Kernels
import NeuralCore
import ShowTellModel

/// The int8 parameters of a whole network: per branch, every slot's activation quantisation
/// and every convolution's quantised weights (what an int8 bundle stores).
public struct NetworkQuantization: Sendable {
    public var video: (activations: [ActivationQuantization], weights: [QuantizedConvWeights])
    public var audio: (activations: [ActivationQuantization], weights: [QuantizedConvWeights])

    public init(video: (activations: [ActivationQuantization], weights: [QuantizedConvWeights]),
                audio: (activations: [ActivationQuantization], weights: [QuantizedConvWeights])) {
        self.video = video
        self.audio = audio
    }

    /// Post-training quantisation: runs the float plans on the calibration inputs (spectrograms
    /// [256*256] and gray frames), then quantises the weights against the calibrated input scales.
    public static func calibrate(
        plans: (video: BranchPlan, audio: BranchPlan), method: Calibration.Method, audioMethod: Calibration.Method? = nil,
        spectrograms: [[Float]], frames: [(pixels: [UInt8], width: Int, height: Int)]
    ) -> (NetworkQuantization, Calibration) {
        var calibration = Calibration(methods: [method, audioMethod ?? method], slotCounts: [plans.video.slots.count, plans.audio.slots.count])
        let video = FloatBranch(plan: plans.video), audio = FloatBranch(plan: plans.audio)
        let preprocessor = FramePreprocessor()
        for (branch, executor) in [(0, video), (1, audio)] {
            executor.observer = { slot, values, count in calibration.observe(branch: branch, slot: slot, values: values, count: count) }
        }
        for spectrogram in spectrograms {
            audio.slot(0).update(from: spectrogram, count: plans.audio.input.count)
            audio.run()
            calibration.finishInput()
        }
        for frame in frames {
            frame.pixels.withUnsafeBufferPointer { preprocessor.run($0.baseAddress!, width: frame.width, height: frame.height, into: video.slot(0)) }
            video.run()
            calibration.finishInput()
        }
        video.observer = nil
        audio.observer = nil
        func quantize(_ plan: BranchPlan, _ branch: Int) -> (activations: [ActivationQuantization], weights: [QuantizedConvWeights]) {
            let activations = calibration.quantization(branch: branch, plan: plan)
            var weights = [QuantizedConvWeights](repeating: QuantizedConvWeights(weight: [], scale: [], bias: []), count: plan.convs.count)
            for step in plan.steps {
                if case .conv(let c, let input, _) = step { weights[c] = QuantizedConvWeights(plan.convs[c], input: activations[input]) }
            }
            return (activations, weights)
        }
        return (NetworkQuantization(video: quantize(plans.video, 0), audio: quantize(plans.audio, 1)), calibration)
    }
}

/// Both branches of a ShowTellNetwork on the inference engine's planned graph (batch norm folded,
/// ReLU fused, every buffer made at load), in float32 or int8. Serves the loop through
/// ShowTellBranches; `audioEmbedding` / `videoMap` allocate nothing.
public final class PlannedInference: ShowTellBranches, @unchecked Sendable {
    public let plans: (video: BranchPlan, audio: BranchPlan)
    public let mapWidth: Int
    public let mapHeight: Int
    public let embeddingDimension: Int
    public let precision: String
    public let mapCoverage: (x: Float, y: Float, width: Float, height: Float)
    /// The int8 kernel family (nil for float).
    public let family: st_q8_family?

    private let preprocessor = FramePreprocessor()
    private let frame: UnsafeMutablePointer<Float>  // [224][224] preprocessed frame (int8: before quantisation)
    private let floatVideo, floatAudio: FloatBranch?
    private let int8Video, int8Audio: QuantizedBranch?

    public static func plans(for network: ShowTellNetworkWeights) -> (video: BranchPlan, audio: BranchPlan) {
        (BranchPlan(network: network, branch: "video", size: ShowTellNetwork.frameSize),
         BranchPlan(network: network, branch: "audio", size: ShowTellNetwork.spectrogramSize))
    }

    /// Float32 on the planned graph.
    public init(network: ShowTellNetworkWeights) {
        plans = Self.plans(for: network)
        floatVideo = FloatBranch(plan: plans.video)
        floatAudio = FloatBranch(plan: plans.audio)
        int8Video = nil
        int8Audio = nil
        precision = "float32"
        family = nil
        let out = plans.video.slots[plans.video.backboneOutput]
        mapWidth = out.width
        mapHeight = out.height
        mapCoverage = MapCoverage.of(network.configuration("video"), mapWidth: mapWidth, mapHeight: mapHeight)
        embeddingDimension = network.embeddingDimension
        frame = floatVideo!.slot(0)
    }

    /// Int8 with the given quantisation, on `family` (default: the best this CPU runs), each
    /// branch's layers split across `threads` (bit-exact with one).
    public init(network: ShowTellNetworkWeights, quantization: NetworkQuantization, family: st_q8_family = st_q8_best_family(), threads: Int = 1) {
        plans = Self.plans(for: network)
        int8Video = QuantizedBranch(plan: plans.video, activations: quantization.video.activations, weights: quantization.video.weights,
                                    family: family, threads: threads)
        int8Audio = QuantizedBranch(plan: plans.audio, activations: quantization.audio.activations, weights: quantization.audio.weights,
                                    family: family, threads: threads)
        floatVideo = nil
        floatAudio = nil
        precision = "int8"
        self.family = family
        let out = plans.video.slots[plans.video.backboneOutput]
        mapWidth = out.width
        mapHeight = out.height
        mapCoverage = MapCoverage.of(network.configuration("video"), mapWidth: mapWidth, mapHeight: mapHeight)
        embeddingDimension = network.embeddingDimension
        frame = .allocate(capacity: plans.video.input.count)
    }

    deinit { if int8Video != nil { frame.deallocate() } }

    public func audioEmbedding(_ spectrogram: UnsafePointer<Float>, into embedding: UnsafeMutablePointer<Float>) {
        let d = embeddingDimension
        if let branch = floatAudio {
            branch.slot(0).update(from: spectrogram, count: plans.audio.input.count)
            branch.run()
            embedding.update(from: branch.embedding, count: d)
        } else if let branch = int8Audio {
            branch.setInput(spectrogram)
            branch.run()
            embedding.update(from: branch.embedding, count: d)
        }
    }

    public func maskScreenFurniture(_ spec: LiveImageMask) { preprocessor.maskScreenFurniture(spec) }

    public func videoMap(_ pixels: UnsafePointer<UInt8>, width: Int, height: Int, into map: UnsafeMutablePointer<Float>) {
        preprocessor.run(pixels, width: width, height: height, into: frame)
        let head = plans.video.headOutput!
        if let branch = floatVideo {
            branch.run()
            // [cells][D] -> [D][cells]
            let cells = mapWidth * mapHeight, d = embeddingDimension, y = branch.slot(head)
            for p in 0..<cells {
                for c in 0..<d { map[c * cells + p] = y[p * d + c] }
            }
        } else if let branch = int8Video {
            branch.setInput(frame)
            branch.run()
            branch.dequantizeTransposed(head, into: map)
        }
    }

    /// Multiply-accumulates of one pass of each branch.
    public var multiplyAdds: (video: Int, audio: Int) { (plans.video.multiplyAdds, plans.audio.multiplyAdds) }
}
