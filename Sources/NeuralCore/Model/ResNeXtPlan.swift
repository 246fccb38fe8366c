/// Activation offsets of one ConvBNUnit for a given input geometry.
struct ConvBNPlan: Sendable {
    let unit: ConvBNUnit
    let conv: Conv2DGeometry
    let norm: BatchNormGeometry
    let input: Int  // [N, Ci, H, W]
    let convOut: Int  // [N, Co, Ho, Wo] convolution output = batch-norm input
    let output: Int  // [N, Co, Ho, Wo] batch-norm output, ReLU applied in place
    let mean: Int, invStd: Int  // [Co] batch statistics saved for backward

    init(_ unit: ConvBNUnit, input: Int, batch: Int, height: Int, width: Int, _ layout: inout ArenaLayout) {
        self.unit = unit
        conv = unit.geometry(batch: batch, height: height, width: width)
        norm = BatchNormGeometry(batch: batch, channels: unit.outChannels, spatial: conv.outHeight * conv.outWidth)
        self.input = input
        convOut = layout.reserve(conv.outputCount)
        output = layout.reserve(conv.outputCount)
        mean = layout.reserve(unit.outChannels)
        invStd = layout.reserve(unit.outChannels)
    }
}

/// Activation offsets of one bottleneck block.
struct BottleneckPlan: Sendable {
    let unit: BottleneckUnit
    let input: Int  // [N, Cin, H, W]
    let conv1, conv2, conv3: ConvBNPlan
    let shortcut: ConvBNPlan?
    let se: SqueezeExcitationGeometry
    let seOut: Int  // [N, Cout, Ho, Wo]
    let seSaved: Int  // [se.savedCount]
    let output: Int  // [N, Cout, Ho, Wo] sum, ReLU in place
    var outHeight: Int { conv2.conv.outHeight }
    var outWidth: Int { conv2.conv.outWidth }

    init(_ unit: BottleneckUnit, input: Int, batch: Int, height: Int, width: Int, _ layout: inout ArenaLayout) {
        self.unit = unit
        self.input = input
        conv1 = ConvBNPlan(unit.conv1, input: input, batch: batch, height: height, width: width, &layout)
        conv2 = ConvBNPlan(unit.conv2, input: conv1.output, batch: batch, height: height, width: width, &layout)
        let h = conv2.conv.outHeight, w = conv2.conv.outWidth
        conv3 = ConvBNPlan(unit.conv3, input: conv2.output, batch: batch, height: h, width: w, &layout)
        se = SqueezeExcitationGeometry(batch: batch, channels: unit.conv3.outChannels, reduced: unit.seReduced, spatial: h * w)
        seOut = layout.reserve(se.count)
        seSaved = layout.reserve(se.savedCount)
        shortcut = unit.shortcut.map { ConvBNPlan($0, input: input, batch: batch, height: height, width: width, &layout) }
        output = layout.reserve(se.count)
    }
}

/// Every activation offset of a backbone for one (batch, height, width). The arena holds
/// [values A | gradients A | im2col scratch]; an activation's gradient is at offset + A.
struct ResNeXtPlan: Sendable {
    /// The stem's max pool (`ResNeXtConfiguration.stemPool`).
    static let poolKernel = 3, poolStride = 2, poolPadding = 1
    let batch, height, width: Int
    let input: Int  // [N, Cin, H, W]
    let stem: ConvBNPlan
    let pool: PoolGeometry?
    let poolOut: Int  // [N, stem, H/4, W/4] when pooling
    let blocks: [BottleneckPlan]
    let spatial: Int  // [N, C, h, w] last block output
    let channels, outHeight, outWidth: Int
    let pooled: Int  // [N, C]
    let valueCount: Int
    let columnsCount: Int
    let multiplyAdds: Int

    init(_ a: ResNeXtArchitecture, batch: Int, height: Int, width: Int) {
        self.batch = batch
        self.height = height
        self.width = width
        let c = a.configuration
        var layout = ArenaLayout()
        input = layout.reserve(batch * c.inputChannels * height * width)
        stem = ConvBNPlan(a.stem, input: input, batch: batch, height: height, width: width, &layout)
        var h = stem.conv.outHeight, w = stem.conv.outWidth
        var current = stem.output
        var macs = stem.conv.multiplyAdds
        var columns = stem.conv.columnsCount
        if c.stemPool {
            let geometry = PoolGeometry(batch: batch, channels: c.stemWidth, height: h, width: w,
                                        kernel: Self.poolKernel, stride: Self.poolStride, padding: Self.poolPadding)
            pool = geometry
            poolOut = layout.reserve(geometry.outputCount)
            current = poolOut
            h = geometry.outHeight
            w = geometry.outWidth
        } else {
            pool = nil
            poolOut = -1
        }
        var blocks = [BottleneckPlan]()
        for unit in a.blocks {
            let plan = BottleneckPlan(unit, input: current, batch: batch, height: h, width: w, &layout)
            for conv in [plan.conv1, plan.conv2, plan.conv3] + (plan.shortcut.map { [$0] } ?? []) {
                macs += conv.conv.multiplyAdds
                columns = max(columns, conv.conv.columnsCount)
            }
            macs += 2 * batch * plan.se.channels * plan.se.reduced
            blocks.append(plan)
            current = plan.output
            h = plan.outHeight
            w = plan.outWidth
        }
        self.blocks = blocks
        spatial = current
        channels = c.outputChannels
        outHeight = h
        outWidth = w
        pooled = layout.reserve(batch * channels)
        valueCount = layout.count
        columnsCount = columns
        multiplyAdds = macs
    }
}
