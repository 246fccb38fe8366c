/// A ResNeXt-SE backbone: one ParameterStore (parameters, gradients, BN buffers) and plain
/// forward/backward passes over a ResNeXtActivations arena.
///
/// Training step: `forward(a, training: true)` (also zeroes activation gradients), add the
/// loss gradient into `a.spatialMapGrad` and/or `a.pooledGrad`, `backward(a)`. Parameter
/// gradients accumulate: call `store.zeroGradients()` before each step.
public final class ResNeXt: @unchecked Sendable {
    public let configuration: ResNeXtConfiguration
    public let store: ParameterStore
    let architecture: ResNeXtArchitecture
    /// Threads for the non-GEMM work (batch norm, im2col, pooling, elementwise); sgemm uses
    /// OpenBLAS's own threads (openblas_set_num_threads). Set it before running passes.
    public var threads = 1

    public init(_ configuration: ResNeXtConfiguration, seed: UInt64 = 0) {
        self.configuration = configuration
        architecture = ResNeXtArchitecture(configuration)
        store = ParameterStore(architecture.layout)
        var random = RandomSource(seed: seed)
        initialise(&random)
    }

    public var parameterCount: Int { store.parameterCount }

    /// `training: false` leaves out the gradient half of the arena (inference only).
    public func makeActivations(batch: Int, height: Int, width: Int, training: Bool = true) -> ResNeXtActivations {
        ResNeXtActivations(
            ResNeXtPlan(architecture, batch: batch, height: height, width: width),
            inputChannels: configuration.inputChannels, hasGradients: training)
    }

    /// He-normal (fan-in) convolutions, BN = identity, SE linears like PyTorch's default.
    private func initialise(_ random: inout RandomSource) {
        let p = store.parameters, b = store.buffers
        func initialise(_ u: ConvBNUnit) {
            let fanIn = u.inChannels / u.groups * u.kernel * u.kernel
            random.fillGaussian(p + u.weight, count: u.outChannels * fanIn, std: (2 / Float(fanIn)).squareRoot())
            (p + u.gamma).update(repeating: 1, count: u.outChannels)
            (b + u.runningVar).update(repeating: 1, count: u.outChannels)
        }
        initialise(architecture.stem)
        for block in architecture.blocks {
            [block.conv1, block.conv2, block.conv3].forEach(initialise)
            if let shortcut = block.shortcut { initialise(shortcut) }
            let channels = block.conv3.outChannels, reduced = block.seReduced
            let fc1 = 1 / Float(channels).squareRoot(), fc2 = 1 / Float(reduced).squareRoot()
            var at = p + block.se
            random.fillUniform(at, count: reduced * channels + reduced, low: -fc1, high: fc1)
            at += reduced * channels + reduced
            random.fillUniform(at, count: channels * reduced + channels, low: -fc2, high: fc2)
        }
    }

    // MARK: Forward

    public func forward(_ a: ResNeXtActivations, training: Bool) {
        precondition(a.inputChannels == configuration.inputChannels, "activations belong to another configuration")
        precondition(!training || a.hasGradients, "training needs activations made with training: true")
        let plan = a.plan
        if training {
            let gradients = a.gradient(0)
            Parallel.forChunks(plan.valueCount, threads: threads) { range in
                (gradients + range.lowerBound).update(repeating: 0, count: range.count)
            }
        }
        forward(plan.stem, a, training: training)
        if let pool = plan.pool {
            MaxPool.forward(output: a.value(plan.poolOut), input: a.value(plan.stem.output), geometry: pool, threads: threads)
        }
        for block in plan.blocks { forward(block, a, training: training) }
        GlobalAvgPool.forward(
            output: a.value(plan.pooled), input: a.value(plan.spatial),
            planes: plan.batch * plan.channels, spatial: plan.outHeight * plan.outWidth)
    }

    private func forward(_ u: ConvBNPlan, _ a: ResNeXtActivations, training: Bool) {
        let p = store.parameters, b = store.buffers
        Conv2D.forward(
            output: a.value(u.convOut), input: a.value(u.input), weight: p + u.unit.weight, bias: nil,
            geometry: u.conv, columns: a.columns, threads: threads)
        if training {
            BatchNorm.forwardTraining(
                output: a.value(u.output), input: a.value(u.convOut), gamma: p + u.unit.gamma, beta: p + u.unit.beta,
                savedMean: a.value(u.mean), savedInvStd: a.value(u.invStd),
                runningMean: b + u.unit.runningMean, runningVar: b + u.unit.runningVar, geometry: u.norm,
                relu: u.unit.relu, threads: threads)
        } else {
            BatchNorm.forwardInference(
                output: a.value(u.output), input: a.value(u.convOut), gamma: p + u.unit.gamma, beta: p + u.unit.beta,
                runningMean: b + u.unit.runningMean, runningVar: b + u.unit.runningVar, geometry: u.norm,
                relu: u.unit.relu, threads: threads)
        }
    }

    private func forward(_ block: BottleneckPlan, _ a: ResNeXtActivations, training: Bool) {
        forward(block.conv1, a, training: training)
        forward(block.conv2, a, training: training)
        forward(block.conv3, a, training: training)
        SqueezeExcitation.forward(
            output: a.value(block.seOut), input: a.value(block.conv3.output),
            parameters: store.parameters + block.unit.se, saved: a.value(block.seSaved), geometry: block.se, threads: threads)
        if let shortcut = block.shortcut { forward(shortcut, a, training: training) }
        let identity = block.shortcut?.output ?? block.input
        ResidualAdd.forward(
            output: a.value(block.output), a: a.value(block.seOut), b: a.value(identity), count: block.se.count,
            relu: true, threads: threads)
    }

    // MARK: Backward

    public func backward(_ a: ResNeXtActivations) {
        precondition(a.hasGradients, "backward needs activations made with training: true")
        let plan = a.plan
        GlobalAvgPool.backward(
            inputGrad: a.gradient(plan.spatial), outputGrad: a.gradient(plan.pooled),
            planes: plan.batch * plan.channels, spatial: plan.outHeight * plan.outWidth)
        for block in plan.blocks.reversed() { backward(block, a) }
        if let pool = plan.pool {
            MaxPool.backward(
                inputGrad: a.gradient(plan.stem.output), outputGrad: a.gradient(plan.poolOut), input: a.value(plan.stem.output),
                geometry: pool, threads: threads)
        }
        backward(plan.stem, a, needsInputGradient: false)
    }

    private func backward(_ u: ConvBNPlan, _ a: ResNeXtActivations, needsInputGradient: Bool = true) {
        let p = store.parameters, g = store.gradients
        if u.unit.relu {
            ReLU.backward(
                inputGrad: a.gradient(u.output), outputGrad: a.gradient(u.output), output: a.value(u.output),
                count: u.conv.outputCount, accumulate: false, threads: threads)
        }
        BatchNorm.backward(
            inputGrad: a.gradient(u.convOut), gammaGrad: g + u.unit.gamma, betaGrad: g + u.unit.beta,
            outputGrad: a.gradient(u.output), input: a.value(u.convOut), gamma: p + u.unit.gamma,
            savedMean: a.value(u.mean), savedInvStd: a.value(u.invStd), geometry: u.norm, threads: threads)
        Conv2D.backward(
            inputGrad: needsInputGradient ? a.gradient(u.input) : nil, weightGrad: g + u.unit.weight, biasGrad: nil,
            outputGrad: a.gradient(u.convOut), input: a.value(u.input), weight: p + u.unit.weight, geometry: u.conv,
            columns: a.columns, threads: threads)
    }

    private func backward(_ block: BottleneckPlan, _ a: ResNeXtActivations) {
        ReLU.backward(
            inputGrad: a.gradient(block.output), outputGrad: a.gradient(block.output), output: a.value(block.output),
            count: block.se.count, accumulate: false, threads: threads)
        let identity = block.shortcut?.output ?? block.input
        ResidualAdd.backward(
            aGrad: a.gradient(block.seOut), bGrad: a.gradient(identity), outputGrad: a.gradient(block.output),
            count: block.se.count, threads: threads)
        SqueezeExcitation.backward(
            inputGrad: a.gradient(block.conv3.output), parameterGrads: store.gradients + block.unit.se,
            outputGrad: a.gradient(block.seOut), input: a.value(block.conv3.output),
            parameters: store.parameters + block.unit.se, saved: a.value(block.seSaved), geometry: block.se, threads: threads)
        backward(block.conv3, a)
        backward(block.conv2, a)
        backward(block.conv1, a)
        if let shortcut = block.shortcut { backward(shortcut, a) }
    }
}

/// The activation arena of one (batch, height, width): [values | gradients | im2col scratch]
/// in one allocation (no gradient half for inference-only activations).
public final class ResNeXtActivations: @unchecked Sendable {
    let plan: ResNeXtPlan
    let arena: Arena
    let inputChannels: Int
    let hasGradients: Bool

    init(_ plan: ResNeXtPlan, inputChannels: Int, hasGradients: Bool) {
        self.plan = plan
        self.inputChannels = inputChannels
        self.hasGradients = hasGradients
        arena = Arena(count: (hasGradients ? 2 : 1) * plan.valueCount + plan.columnsCount)
    }

    @inline(__always) func value(_ offset: Int) -> UnsafeMutablePointer<Float> { arena.base + offset }
    @inline(__always) func gradient(_ offset: Int) -> UnsafeMutablePointer<Float> { arena.base + plan.valueCount + offset }
    var columns: UnsafeMutablePointer<Float> { arena.base + (hasGradients ? 2 : 1) * plan.valueCount }

    public var batch: Int { plan.batch }
    /// Floats in this arena (values, gradients, scratch).
    public var floatCount: Int { arena.count }
    /// [N, Cin, H, W]: write the images here before `forward`.
    public var input: TensorView { TensorView(value(plan.input), shape: [plan.batch, inputChannels, plan.height, plan.width]) }
    /// [N, C, h, w]: the spatial map before global pooling.
    public var spatialMap: TensorView { TensorView(value(plan.spatial), shape: spatialShape) }
    /// [N, C, h, w]: add dL/d(spatialMap) here between forward and backward.
    public var spatialMapGrad: TensorView {
        precondition(hasGradients, "inference-only activations have no gradients")
        return TensorView(gradient(plan.spatial), shape: spatialShape)
    }
    /// [N, C]: the globally pooled vector.
    public var pooled: TensorView { TensorView(value(plan.pooled), shape: [plan.batch, plan.channels]) }
    /// [N, C]: add dL/d(pooled) here between forward and backward.
    public var pooledGrad: TensorView {
        precondition(hasGradients, "inference-only activations have no gradients")
        return TensorView(gradient(plan.pooled), shape: [plan.batch, plan.channels])
    }
    private var spatialShape: [Int] { [plan.batch, plan.channels, plan.outHeight, plan.outWidth] }
}
