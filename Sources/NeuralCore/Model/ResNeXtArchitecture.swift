/// Convolution + batch norm (+ ReLU): the unit every ResNeXt layer is made of.
/// Offsets point into the model's ParameterStore.
struct ConvBNUnit: Sendable {
    var inChannels, outChannels, kernel, stride, padding, dilation, groups: Int
    var relu: Bool
    var weight, gamma, beta: Int  // parameter offsets: [Co, Ci/g, k, k], [Co], [Co]
    var runningMean, runningVar: Int  // buffer offsets: [Co], [Co]

    init(
        _ prefix: String, _ layout: inout ParameterLayout, inChannels: Int, outChannels: Int, kernel: Int,
        stride: Int = 1, dilation: Int = 1, groups: Int = 1, relu: Bool
    ) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = dilation * (kernel - 1) / 2
        self.dilation = dilation
        self.groups = groups
        self.relu = relu
        weight = layout.parameter("\(prefix).conv.weight", [outChannels, inChannels / groups, kernel, kernel])
        gamma = layout.parameter("\(prefix).bn.weight", [outChannels])
        beta = layout.parameter("\(prefix).bn.bias", [outChannels])
        runningMean = layout.buffer("\(prefix).bn.running_mean", [outChannels])
        runningVar = layout.buffer("\(prefix).bn.running_var", [outChannels])
    }

    func geometry(batch: Int, height: Int, width: Int) -> Conv2DGeometry {
        Conv2DGeometry(
            batch: batch, inChannels: inChannels, outChannels: outChannels, height: height, width: width,
            kernel: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups)
    }
}

/// Bottleneck block: conv1 (1x1) -> conv2 (grouped 3x3) -> conv3 (1x1, no ReLU) -> SE,
/// plus shortcut (identity or 1x1 conv + BN), then ReLU.
struct BottleneckUnit: Sendable {
    var conv1, conv2, conv3: ConvBNUnit
    var shortcut: ConvBNUnit?
    var seReduced: Int
    var se: Int  // parameter offset of fc1.weight, fc1.bias, fc2.weight, fc2.bias (packed)
}

/// The layer list and parameter layout of a configuration (no memory yet).
struct ResNeXtArchitecture: Sendable {
    let configuration: ResNeXtConfiguration
    let stem: ConvBNUnit
    let blocks: [BottleneckUnit]
    let layout: ParameterLayout

    init(_ c: ResNeXtConfiguration) {
        configuration = c
        var layout = ParameterLayout()
        stem = ConvBNUnit("stem", &layout, inChannels: c.inputChannels, outChannels: c.stemWidth, kernel: c.stemKernel, stride: c.stemStride, relu: true)
        var blocks = [BottleneckUnit]()
        var channels = c.stemWidth
        for stage in 0..<c.blocks.count {
            for index in 0..<c.blocks[stage] {
                let prefix = "stages.\(stage).\(index)"
                let stride = index == 0 ? c.strides[stage] : 1
                let width = c.groupedWidths[stage], out = c.outWidths[stage]
                let conv1 = ConvBNUnit("\(prefix).conv1", &layout, inChannels: channels, outChannels: width, kernel: 1, relu: true)
                let conv2 = ConvBNUnit(
                    "\(prefix).conv2", &layout, inChannels: width, outChannels: width, kernel: 3,
                    stride: stride, dilation: c.dilation(stage: stage, block: index), groups: c.cardinality, relu: true)
                let conv3 = ConvBNUnit("\(prefix).conv3", &layout, inChannels: width, outChannels: out, kernel: 1, relu: false)
                let reduced = max(1, out / c.seReduction)
                let se = layout.parameter("\(prefix).se.fc1.weight", [reduced, out])
                _ = layout.parameter("\(prefix).se.fc1.bias", [reduced])
                _ = layout.parameter("\(prefix).se.fc2.weight", [out, reduced])
                _ = layout.parameter("\(prefix).se.fc2.bias", [out])
                let shortcut = (stride != 1 || channels != out)
                    ? ConvBNUnit("\(prefix).shortcut", &layout, inChannels: channels, outChannels: out, kernel: 1, stride: stride, relu: false)
                    : nil
                blocks.append(BottleneckUnit(conv1: conv1, conv2: conv2, conv3: conv3, shortcut: shortcut, seReduced: reduced, se: se))
                channels = out
            }
        }
        self.blocks = blocks
        self.layout = layout
    }
}
