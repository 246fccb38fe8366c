/// A 2-D map of doubles, row-major [height][width]: a predicted saliency or localisation
/// map, a gaze density, a fixation or mask map. Metrics take maps of equal size; the task
/// harnesses bring everything to the model's map resolution first (see `ScreenGeometry`).
public struct GridMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    public var values: [Double]

    public init(width: Int, height: Int, values: [Double]) {
        precondition(width > 0 && height > 0, "empty map")
        precondition(values.count == width * height, "\(values.count) values for a \(width)x\(height) map")
        self.width = width
        self.height = height
        self.values = values
    }

    public init(width: Int, height: Int, fill: Double = 0) {
        self.init(width: width, height: height, values: [Double](repeating: fill, count: width * height))
    }

    /// From float32 model output.
    public init(width: Int, height: Int, floats: UnsafeBufferPointer<Float>) {
        self.init(width: width, height: height, values: floats.map(Double.init))
    }

    public var count: Int { values.count }

    public subscript(x: Int, y: Int) -> Double {
        get { values[y * width + x] }
        set { values[y * width + x] = newValue }
    }

    /// (x - min) / (max - min); a constant map becomes all zeros (it carries no ranking).
    public func minMaxNormalised() -> GridMap {
        let low = values.min()!, high = values.max()!
        guard high > low else { return GridMap(width: width, height: height) }
        let scale = 1 / (high - low)
        return GridMap(width: width, height: height, values: values.map { ($0 - low) * scale })
    }
}
