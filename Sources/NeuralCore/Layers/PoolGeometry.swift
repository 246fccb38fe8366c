/// Geometry of a square max or average pooling window over an NCHW batch.
public struct PoolGeometry: Sendable, Equatable {
    public var batch: Int
    public var channels: Int
    public var height: Int
    public var width: Int
    public var kernel: Int
    public var stride: Int
    public var padding: Int

    public init(batch: Int, channels: Int, height: Int, width: Int, kernel: Int, stride: Int, padding: Int = 0) {
        precondition(padding * 2 <= kernel, "padding larger than half the window")
        self.batch = batch
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernel) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernel) / stride + 1 }
    public var inputCount: Int { batch * channels * height * width }
    public var outputCount: Int { batch * channels * outHeight * outWidth }
    var planes: Int { batch * channels }
}
