/// Per-tensor asymmetric int8 parameters of an activation (TFLite int8): real = scale * (q - zeroPoint).
public struct ActivationQuantization: Sendable, Equatable, Codable {
    public var scale: Float
    public var zeroPoint: Int32

    public init(scale: Float, zeroPoint: Int32) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// The int8 grid covering [min, max] widened to contain 0 (so zero, and ReLU's floor, are
    /// exact): scale = (max - min) / 255, zeroPoint = round(-128 - min / scale).
    public init(min: Float, max: Float) {
        let lo = Swift.min(min, 0), hi = Swift.max(max, 0)
        let scale = hi > lo ? (hi - lo) / 255 : 1
        self.scale = scale
        zeroPoint = Int32(Swift.max(-128, Swift.min(127, (-128 - lo / scale).rounded(.toNearestOrEven))))
    }

    @inline(__always) public func quantize(_ x: Float) -> Int8 {
        let q = (x / scale).rounded(.toNearestOrEven) + Float(zeroPoint)
        return Int8(Swift.max(-128, Swift.min(127, q)))
    }

    @inline(__always) public func dequantize(_ q: Int8) -> Float { scale * Float(Int32(q) - zeroPoint) }
}

/// Per-output-channel symmetric int8 weights of one folded convolution (TFLite int8):
/// scale[c] = max|w[c]| / 127, q = round_half_even(w / scale[c]) in [-127, 127];
/// bias int32 = round(b / (s_x * scale[c])).
public struct QuantizedConvWeights: Sendable {
    public let weight: [Int8]  // OHWI, like FoldedConv.weight
    public let scale: [Float]  // [Co]
    public let bias: [Int32]  // [Co], scale s_x * scale[c]

    public init(_ conv: FoldedConv, input: ActivationQuantization) {
        let co = conv.shape.outChannels, per = conv.weight.count / co
        var weight = [Int8](repeating: 0, count: conv.weight.count)
        var scale = [Float](repeating: 1, count: co), bias = [Int32](repeating: 0, count: co)
        for c in 0..<co {
            var largest: Float = 0
            for i in 0..<per { largest = max(largest, abs(conv.weight[c * per + i])) }
            let s = largest > 0 ? largest / 127 : 1
            scale[c] = s
            for i in 0..<per {
                let q = (conv.weight[c * per + i] / s).rounded(.toNearestOrEven)
                weight[c * per + i] = Int8(max(-127, min(127, q)))
            }
            let b = (Double(conv.bias[c]) / (Double(input.scale) * Double(s))).rounded(.toNearestOrEven)
            bias[c] = Int32(max(Double(Int32.min / 2), min(Double(Int32.max / 2), b)))
        }
        self.weight = weight
        self.scale = scale
        self.bias = bias
    }

    public init(weight: [Int8], scale: [Float], bias: [Int32]) {
        self.weight = weight
        self.scale = scale
        self.bias = bias
    }
}
