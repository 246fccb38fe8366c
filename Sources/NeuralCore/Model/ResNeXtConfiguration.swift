/// Shape of a ResNeXt backbone with squeeze-and-excitation and dilation.
/// Block: 1x1 -> grouped 3x3 (stride, dilation) -> 1x1 -> SE -> + shortcut -> ReLU.
public struct ResNeXtConfiguration: Sendable, Equatable {
    public var name: String
    public var inputChannels: Int
    public var stemWidth: Int
    public var stemKernel: Int
    public var stemStride: Int
    /// 3x3 stride-2 max pool after the stem.
    public var stemPool: Bool
    /// Blocks per stage.
    public var blocks: [Int]
    /// Output channels of each stage.
    public var outWidths: [Int]
    /// Channels of each stage's grouped 3x3 convolution (cardinality x group width).
    public var groupedWidths: [Int]
    public var cardinality: Int
    public var strides: [Int]
    public var dilations: [Int]
    /// Dilation of each stage's first grouped 3x3 (the others use `dilations`). A stage that
    /// had stride 2 keeps its trained weights at stride 1 with entry dilation 1 and dilation 2
    /// after it: the first convolution's taps stay adjacent and the later ones land where they
    /// did on the coarser grid (DeepLab's conversion).
    public var entryDilations: [Int]
    /// SE hidden width = channels / seReduction.
    public var seReduction: Int

    public init(
        name: String, inputChannels: Int = 1, stemWidth: Int, stemKernel: Int, stemStride: Int, stemPool: Bool,
        blocks: [Int], outWidths: [Int], groupedWidths: [Int], cardinality: Int,
        strides: [Int], dilations: [Int], entryDilations: [Int]? = nil, seReduction: Int
    ) {
        let stages = blocks.count
        precondition([outWidths.count, groupedWidths.count, strides.count, dilations.count, (entryDilations ?? dilations).count].allSatisfy { $0 == stages })
        precondition(groupedWidths.allSatisfy { $0 % cardinality == 0 }, "grouped width not divisible by cardinality")
        self.name = name
        self.inputChannels = inputChannels
        self.stemWidth = stemWidth
        self.stemKernel = stemKernel
        self.stemStride = stemStride
        self.stemPool = stemPool
        self.blocks = blocks
        self.outWidths = outWidths
        self.groupedWidths = groupedWidths
        self.cardinality = cardinality
        self.strides = strides
        self.dilations = dilations
        self.entryDilations = entryDilations ?? dilations
        self.seReduction = seReduction
    }

    /// For tests: 16x16 input -> 32 x 8 x 8, dilated last stage.
    public static let tiny = ResNeXtConfiguration(
        name: "tiny", stemWidth: 8, stemKernel: 3, stemStride: 1, stemPool: false,
        blocks: [1, 1], outWidths: [16, 32], groupedWidths: [8, 16], cardinality: 4,
        strides: [2, 1], dilations: [1, 2], seReduction: 4)

    /// Trains on two CPU cores: widths 16-32-64-128 in the grouped convolutions, cardinality 8,
    /// output stride 16 (dilated last stage).
    public static let edge = ResNeXtConfiguration(
        name: "edge", stemWidth: 16, stemKernel: 7, stemStride: 2, stemPool: true,
        blocks: [1, 2, 2, 1], outWidths: [32, 64, 128, 256], groupedWidths: [16, 32, 64, 128], cardinality: 8,
        strides: [1, 2, 2, 1], dilations: [1, 1, 1, 2], seReduction: 8)

    /// `edge` without its fourth (dilated) stage: 128 channels at output stride 16. A map
    /// cell's receptive field is 91 px of the 224 px crop instead of 155, so a cell sees about
    /// one structure and its surroundings rather than most of the fan (an experiment of issue 9:
    /// does a more local video map point at the named structure more often?).
    public static let edgeLocal = ResNeXtConfiguration(
        name: "edge-local", stemWidth: 16, stemKernel: 7, stemStride: 2, stemPool: true,
        blocks: [1, 2, 2], outWidths: [32, 64, 128], groupedWidths: [16, 32, 64], cardinality: 8,
        strides: [1, 2, 2], dilations: [1, 1, 1], seReduction: 8)

    /// `edge-local` with its third stage dilated instead of strided: the same weights give a
    /// map at output stride 8 (28 x 28 cells on the 224 px crop), for structures smaller than a
    /// stride-16 cell (issue 9: the nose, the brain's ventricles).
    public static let edgeLocalStride8 = ResNeXtConfiguration(
        name: "edge-local-os8", stemWidth: 16, stemKernel: 7, stemStride: 2, stemPool: true,
        blocks: [1, 2, 2], outWidths: [32, 64, 128], groupedWidths: [16, 32, 64], cardinality: 8,
        strides: [1, 2, 1], dilations: [1, 1, 2], entryDilations: [1, 1, 1], seReduction: 8)

    /// ResNeXt-50 32x4d + SE (reduction 16), last stage dilated (output stride 16), 1-channel input.
    public static let paper = ResNeXtConfiguration(
        name: "paper", stemWidth: 64, stemKernel: 7, stemStride: 2, stemPool: true,
        blocks: [3, 4, 6, 3], outWidths: [256, 512, 1024, 2048], groupedWidths: [128, 256, 512, 1024], cardinality: 32,
        strides: [1, 2, 2, 1], dilations: [1, 1, 1, 2], seReduction: 16)

    /// Every named configuration, in the order messages list them.
    public static let all = [tiny, edge, edgeLocal, edgeLocalStride8, paper]

    public static func named(_ name: String) -> ResNeXtConfiguration? {
        all.first { $0.name == name }
    }

    /// "tiny, edge, edge-local, paper": for messages naming the choices.
    public static var names: String { all.map(\.name).joined(separator: ", ") }

    public var outputChannels: Int { outWidths.last! }

    /// Same tensors with the same shapes: only the name, strides and dilations may differ (the
    /// weights of `edge-local` run as `edge-local-os8`).
    public func sharesWeights(with other: ResNeXtConfiguration) -> Bool {
        var a = self, b = other
        for c in [\ResNeXtConfiguration.strides, \.dilations, \.entryDilations] {
            a[keyPath: c] = []
            b[keyPath: c] = []
        }
        a.name = ""
        b.name = ""
        return a == b
    }

    /// Dilation of block `block`'s grouped 3x3 in `stage`.
    public func dilation(stage: Int, block: Int) -> Int {
        block == 0 ? entryDilations[stage] : dilations[stage]
    }

    /// Trainable parameters and multiply-adds of one forward pass on one image.
    public func complexity(height: Int, width: Int) -> (parameters: Int, multiplyAdds: Int) {
        let architecture = ResNeXtArchitecture(self)
        let plan = ResNeXtPlan(architecture, batch: 1, height: height, width: width)
        return (architecture.layout.parameterCount, plan.multiplyAdds)
    }
}
