/// Where a backbone's output cells look on its input: cell j's receptive field is centred on
/// input pixel `first + stride · j` (pixel indices; pixel i spans [i, i + 1), so the centre's
/// continuous coordinate is that + 0.5). With "same" padding, (k - 1)·d / 2, every layer keeps
/// cell 0 on pixel 0, so a stride-8 map's cell j looks at pixel 8j, not at the middle of the
/// 8-pixel block [8j, 8j + 8) that an even division of the input would give it: 3.5 pixels
/// up and to the left of that. A map drawn or scored on the even division is misplaced by that much.
public struct CellCentres: Sendable, Equatable {
    public var stride: Int
    public var first: Double

    /// Composes the layers a cell's centre passes through: the stem, its max pool, and each
    /// block's strided grouped 3x3 (its 1x1 shortcut samples the same pixels).
    public init(_ c: ResNeXtConfiguration) {
        stride = 1
        first = 0
        func layer(kernel: Int, stride s: Int, padding: Int, dilation: Int = 1) {
            first += Double(stride) * (Double(dilation * (kernel - 1)) / 2 - Double(padding))
            stride *= s
        }
        let a = ResNeXtArchitecture(c)
        layer(kernel: a.stem.kernel, stride: a.stem.stride, padding: a.stem.padding)
        if c.stemPool { layer(kernel: ResNeXtPlan.poolKernel, stride: ResNeXtPlan.poolStride, padding: ResNeXtPlan.poolPadding) }
        for block in a.blocks {
            let conv = block.conv2
            layer(kernel: conv.kernel, stride: conv.stride, padding: conv.padding, dilation: conv.dilation)
        }
    }

    /// The left (top) edge of cell 0, as a continuous input coordinate, when each cell is the
    /// `stride`-wide square centred where it looks.
    public var firstEdge: Double { first + 0.5 - Double(stride) / 2 }
}
