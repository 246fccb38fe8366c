import NeuralCore

/// A convolution with its batch norm folded in: w' = w * gamma / sqrt(var + eps),
/// b' = beta - mean * gamma / sqrt(var + eps); ReLU fused (applied to the output).
/// Weights in OHWI [Co][k][k][Ci/groups] (channels innermost, as the NHWC executors read them).
public struct FoldedConv: Sendable {
    public let name: String
    public let shape: ConvShape
    public let weight: [Float]  // [Co][k][k][Ci/g]
    public let bias: [Float]  // [Co]
    public let relu: Bool
}

/// Geometry of one convolution of the plan (square kernel, symmetric padding, one image).
public struct ConvShape: Sendable, Equatable {
    public var height, width, inChannels, outChannels, kernel, stride, padding, dilation, groups: Int
    public var outHeight: Int { (height + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }
    /// Reduction length of one output: k * k * Ci / groups.
    public var groupReduction: Int { kernel * kernel * inChannels / groups }
    public var multiplyAdds: Int { outHeight * outWidth * outChannels * groupReduction }
}

/// Squeeze-and-excitation weights (stays float in both precisions: a [C] vector per image).
public struct SEWeights: Sendable {
    public let channels, reduced: Int
    public let fc1Weight: [Float]  // [R][C]
    public let fc1Bias: [Float]  // [R]
    public let fc2Weight: [Float]  // [C][R]
    public let fc2Bias: [Float]  // [C]
}

/// An activation of the plan: one NHWC tensor of one image, with a buffer of its own in each
/// executor (allocated at load), named like the float network's layers.
public struct ActivationSlot: Sendable {
    public let name: String
    public let height, width, channels: Int
    public var count: Int { height * width * channels }
}

/// One step of a branch. Slots index `BranchPlan.slots`; convs index `BranchPlan.convs`.
public enum PlanStep: Sendable {
    case conv(Int, input: Int, output: Int)
    /// 3x3 stride-2 max pool, padding 1 (the stem's).
    case maxPool(input: Int, output: Int)
    /// output = relu(input * sigmoid(SE(input)) + identity).
    case squeezeExciteAdd(Int, input: Int, identity: Int, output: Int)
}

/// One branch (video or audio) as a planned graph: ResNeXt-SE backbone with batch norm folded
/// and ReLU fused, then its head: video = 1x1 projection of the spatial map to D (a conv of the
/// plan); audio = global average pool, then the linear projection to D (float).
public struct BranchPlan: Sendable {
    public enum Head: Sendable {
        case spatialProjection(conv: Int)  // [h*w][C] -> [h*w][D]
        case pooledProjection(weight: [Float], bias: [Float])  // pool [C], then [D][C] . pooled + [D]
    }

    public let name: String  // "video" or "audio"
    public let slots: [ActivationSlot]
    public let convs: [FoldedConv]
    public let squeezeExcitations: [SEWeights]
    public let steps: [PlanStep]
    public let head: Head
    /// The slot the head reads (the backbone's last block output) and, for the video head,
    /// the slot it writes.
    public let backboneOutput: Int
    public let headOutput: Int?
    public let embeddingDimension: Int

    public var input: ActivationSlot { slots[0] }
    public var multiplyAdds: Int {
        convs.reduce(0) { $0 + $1.shape.multiplyAdds }
            + squeezeExcitations.reduce(0) { $0 + 2 * $1.channels * $1.reduced }
            + { if case .pooledProjection(let w, _) = head { return w.count } else { return 0 } }()
    }

    /// Builds the plan of one branch of `network` for a square input of `size`.
    /// `branch` is "video" (spatial projection head) or "audio" (pooled projection head).
    public init(network: ShowTellNetworkWeights, branch: String, size: Int) {
        let c = network.configuration(branch)
        let store = network.store(branch)
        let eps = BatchNormGeometry(batch: 1, channels: 1, spatial: 1).epsilon
        var slots = [ActivationSlot(name: "\(branch).input", height: size, width: size, channels: c.inputChannels)]
        var convs = [FoldedConv](), ses = [SEWeights](), steps = [PlanStep]()

        func values(_ name: String) -> [Float] {
            guard let entry = store.entry(named: name) else { preconditionFailure("network has no tensor \(name)") }
            return Array(UnsafeBufferPointer(start: store.pointer(entry), count: entry.count))
        }
        func addSlot(_ name: String, _ h: Int, _ w: Int, _ ch: Int) -> Int {
            slots.append(ActivationSlot(name: "\(branch).\(name)", height: h, width: w, channels: ch))
            return slots.count - 1
        }
        // conv (OIHW) + BN -> OHWI folded; returns the output slot.
        func conv(_ prefix: String, input: Int, out: Int, kernel: Int, stride: Int, dilation: Int, groups: Int, relu: Bool) -> Int {
            let x = slots[input]
            let shape = ConvShape(
                height: x.height, width: x.width, inChannels: x.channels, outChannels: out, kernel: kernel, stride: stride,
                padding: dilation * (kernel - 1) / 2, dilation: dilation, groups: groups)
            let w = values("\(prefix).conv.weight"), gamma = values("\(prefix).bn.weight"), beta = values("\(prefix).bn.bias")
            let mean = values("\(prefix).bn.running_mean"), variance = values("\(prefix).bn.running_var")
            let gin = x.channels / groups, taps = kernel * kernel
            var folded = [Float](repeating: 0, count: w.count), bias = [Float](repeating: 0, count: out)
            for o in 0..<out {
                // The same fp32 expressions as BatchNorm.forwardInference.
                let scale = gamma[o] / (variance[o] + eps).squareRoot()
                bias[o] = beta[o] - mean[o] * scale
                for i in 0..<gin {
                    for t in 0..<taps { folded[(o * taps + t) * gin + i] = w[(o * gin + i) * taps + t] * scale }
                }
            }
            convs.append(FoldedConv(name: "\(branch).\(prefix)", shape: shape, weight: folded, bias: bias, relu: relu))
            let output = addSlot(prefix, shape.outHeight, shape.outWidth, out)
            steps.append(.conv(convs.count - 1, input: input, output: output))
            return output
        }

        var current = conv("stem", input: 0, out: c.stemWidth, kernel: c.stemKernel, stride: c.stemStride, dilation: 1, groups: 1, relu: true)
        if c.stemPool {
            let s = slots[current]
            let pooled = addSlot("pool", (s.height - 1) / 2 + 1, (s.width - 1) / 2 + 1, s.channels)
            steps.append(.maxPool(input: current, output: pooled))
            current = pooled
        }
        for stage in 0..<c.blocks.count {
            for index in 0..<c.blocks[stage] {
                let prefix = "stages.\(stage).\(index)"
                let stride = index == 0 ? c.strides[stage] : 1
                let width = c.groupedWidths[stage], out = c.outWidths[stage]
                let inChannels = slots[current].channels
                let c1 = conv("\(prefix).conv1", input: current, out: width, kernel: 1, stride: 1, dilation: 1, groups: 1, relu: true)
                let c2 = conv("\(prefix).conv2", input: c1, out: width, kernel: 3, stride: stride, dilation: c.dilation(stage: stage, block: index), groups: c.cardinality, relu: true)
                let c3 = conv("\(prefix).conv3", input: c2, out: out, kernel: 1, stride: 1, dilation: 1, groups: 1, relu: false)
                let reduced = max(1, out / c.seReduction)
                ses.append(SEWeights(
                    channels: out, reduced: reduced, fc1Weight: values("\(prefix).se.fc1.weight"), fc1Bias: values("\(prefix).se.fc1.bias"),
                    fc2Weight: values("\(prefix).se.fc2.weight"), fc2Bias: values("\(prefix).se.fc2.bias")))
                let identity = (stride != 1 || inChannels != out)
                    ? conv("\(prefix).shortcut", input: current, out: out, kernel: 1, stride: stride, dilation: 1, groups: 1, relu: false)
                    : current
                let s3 = slots[c3]
                let output = addSlot("\(prefix).out", s3.height, s3.width, out)
                steps.append(.squeezeExciteAdd(ses.count - 1, input: c3, identity: identity, output: output))
                current = output
            }
        }
        backboneOutput = current
        let d = network.embeddingDimension, channels = c.outputChannels
        let projection = network.projection(branch)
        if branch == "video" {
            // The 1x1 projection as a convolution with no batch norm: weight [D][C] is already OHWI.
            let s = slots[current]
            let shape = ConvShape(height: s.height, width: s.width, inChannels: channels, outChannels: d, kernel: 1, stride: 1,
                                  padding: 0, dilation: 1, groups: 1)
            convs.append(FoldedConv(name: "video.projection", shape: shape, weight: projection.weight, bias: projection.bias, relu: false))
            let output = addSlot("projection", s.height, s.width, d)
            steps.append(.conv(convs.count - 1, input: current, output: output))
            head = .spatialProjection(conv: convs.count - 1)
            headOutput = output
        } else {
            head = .pooledProjection(weight: projection.weight, bias: projection.bias)
            headOutput = nil
        }
        name = branch
        self.slots = slots
        self.convs = convs
        squeezeExcitations = ses
        self.steps = steps
        embeddingDimension = d
    }
}

/// What a plan is built from: the float network's weights, by branch. ShowTellNetwork conforms
/// (see ShowTellNetwork+Plan.swift); kept as a protocol so the plan does not depend on how a
/// bundle was read.
public protocol ShowTellNetworkWeights {
    /// The backbone of "video" or "audio".
    func configuration(_ branch: String) -> ResNeXtConfiguration
    var embeddingDimension: Int { get }
    /// The backbone's parameters and BN buffers of "video" or "audio".
    func store(_ branch: String) -> ParameterStore
    /// The branch's projection: weight [D][C], bias [D].
    func projection(_ branch: String) -> (weight: [Float], bias: [Float])
}
