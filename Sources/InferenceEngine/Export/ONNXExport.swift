/// The float network as an ONNX model (opset 13), so a hospital can run our trained weights on
/// other engines (onnxruntime, TensorRT, OpenVINO): both branches in one graph, batch norm
/// folded as the planned graph has it.
///
/// Inputs (NCHW float32): `frame` [1, 1, 224, 224], the frame after FramePreprocessor (resize,
/// centre crop, normalise); `spectrogram` [1, 1, 256, 256], the standardised log-spectrogram.
/// Outputs: `video_map` [1, D, h, w] and `audio_embedding` [1, D]; the heatmap is their
/// per-cell dot product (the bundle's `outputs.localisation`). Initialisers keep the bundle's
/// layer names (`video.stages.0.0.conv1.weight`, OIHW). The SE gate is GlobalAveragePool ->
/// Gemm -> Relu -> Gemm -> Sigmoid, multiplied into the block before the residual add.
public enum ONNXExport {
    public static let opset = 13
    static let irVersion = 7

    // ONNX TensorProto.DataType and AttributeProto.AttributeType values.
    private static let float32 = 1, int8 = 3, int32 = 6, int64 = 7
    private static let attributeInt = 2, attributeInts = 7

    /// `quantization`: an int8 bundle's parameters, written in QDQ form (below); nil: float.
    /// A nil plan leaves that branch (its input and output) out.
    public static func model(video: BranchPlan?, audio: BranchPlan?, quantization: NetworkQuantization? = nil,
                             producer: String, docString: String) -> [UInt8] {
        var graph = Graph()
        if let video {
            graph.rename(graph.branch(video, input: "frame", quantization: quantization?.video), to: "video_map")
        }
        if let audio {
            graph.rename(graph.branch(audio, input: "spectrogram", quantization: quantization?.audio), to: "audio_embedding")
        }
        var out = ProtobufWriter()
        out.int(1, irVersion)                        // ModelProto.ir_version
        out.string(2, producer)                      // producer_name
        out.string(6, docString)                     // doc_string
        out.message(8) { $0.string(1, ""); $0.int(2, opset) }  // opset_import (default domain)
        out.message(7) { g in                        // graph
            for node in graph.nodes { g.message(1) { node.encode(&$0) } }
            g.string(2, "showtell")
            for tensor in graph.initialisers { g.message(5) { tensor.encode(&$0) } }
            if let video { g.message(11) { valueInfo(&$0, "frame", [1, video.input.channels, video.input.height, video.input.width]) } }
            if let audio { g.message(11) { valueInfo(&$0, "spectrogram", [1, audio.input.channels, audio.input.height, audio.input.width]) } }
            if let video {
                let v = video.slots[video.headOutput!]
                g.message(12) { valueInfo(&$0, "video_map", [1, v.channels, v.height, v.width]) }
            }
            if let audio { g.message(12) { valueInfo(&$0, "audio_embedding", [1, audio.embeddingDimension]) } }
        }
        return out.bytes
    }

    private static func valueInfo(_ w: inout ProtobufWriter, _ name: String, _ shape: [Int]) {
        w.string(1, name)
        w.message(2) { type in                       // TypeProto
            type.message(1) { tensor in              // tensor_type
                tensor.int(1, float32)               // elem_type
                tensor.message(2) { s in for dim in shape { s.message(1) { $0.int(1, dim) } } }  // shape.dim.dim_value
            }
        }
    }

    struct Node {
        var op: String, inputs: [String], outputs: [String], name: String
        var ints: [(String, Int)] = [], intLists: [(String, [Int])] = []

        func encode(_ w: inout ProtobufWriter) {
            for i in inputs { w.string(1, i) }
            for o in outputs { w.string(2, o) }
            w.string(3, name)
            w.string(4, op)
            for (key, value) in ints { w.message(5) { $0.string(1, key); $0.int(3, value); $0.int(20, attributeInt) } }
            for (key, values) in intLists { w.message(5) { $0.string(1, key); $0.packedInts(8, values); $0.int(20, attributeInts) } }
        }
    }

    struct Tensor {
        var name: String, shape: [Int], dataType: Int, raw: [UInt8]

        static func floats(_ name: String, _ shape: [Int], _ values: [Float]) -> Tensor {
            Tensor(name: name, shape: shape, dataType: float32, raw: values.flatMap { littleEndian($0.bitPattern) })
        }
        static func int64s(_ name: String, _ shape: [Int], _ values: [Int]) -> Tensor {
            Tensor(name: name, shape: shape, dataType: int64, raw: values.flatMap { littleEndian(Int64($0)) })
        }
        static func int32s(_ name: String, _ shape: [Int], _ values: [Int32]) -> Tensor {
            Tensor(name: name, shape: shape, dataType: int32, raw: values.flatMap { littleEndian($0) })
        }
        static func int8s(_ name: String, _ shape: [Int], _ values: [Int8]) -> Tensor {
            Tensor(name: name, shape: shape, dataType: int8, raw: values.map { UInt8(bitPattern: $0) })
        }
        private static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

        /// The values of a float tensor (tests).
        var floats: [Float]? {
            guard dataType == float32 else { return nil }
            return stride(from: 0, to: raw.count, by: 4).map { i in
                Float(bitPattern: UInt32(raw[i]) | UInt32(raw[i + 1]) << 8 | UInt32(raw[i + 2]) << 16 | UInt32(raw[i + 3]) << 24)
            }
        }

        func encode(_ w: inout ProtobufWriter) {
            w.packedInts(1, shape)                   // dims
            w.int(2, dataType)                       // data_type
            w.string(8, name)
            w.bytes(9, raw)                          // raw_data, little-endian
        }
    }

    struct Graph {
        var nodes: [Node] = []
        var initialisers: [Tensor] = []

        mutating func rename(_ value: String, to name: String) {
            for i in nodes.indices { nodes[i].outputs = nodes[i].outputs.map { $0 == value ? name : $0 } }
        }

        mutating func node(_ op: String, _ inputs: [String], _ output: String,
                           ints: [(String, Int)] = [], intLists: [(String, [Int])] = []) -> String {
            nodes.append(Node(op: op, inputs: inputs, outputs: [output], name: output, ints: ints, intLists: intLists))
            return output
        }

        mutating func constant(_ name: String, _ shape: [Int], _ values: [Float]) -> String {
            initialisers.append(.floats(name, shape, values))
            return name
        }

        /// OHWI [O][k][k][I/g] -> OIHW [O][I/g][k][k].
        static func oihw<T>(_ w: [T], _ s: ConvShape) -> [T] {
            let gin = s.inChannels / s.groups, taps = s.kernel * s.kernel
            var out = w
            for o in 0..<s.outChannels {
                for t in 0..<taps {
                    for i in 0..<gin { out[(o * gin + i) * taps + t] = w[(o * taps + t) * gin + i] }
                }
            }
            return out
        }

        /// The branch's nodes from `input`; returns the name of its output value.
        ///
        /// With `quantization` (QDQ form, as onnxruntime's quantiser writes it): every activation
        /// the int8 engine stores is QuantizeLinear -> DequantizeLinear with its scale and zero
        /// point; convolution weights are int8 initialisers (per output channel scale, zero point
        /// 0) and biases int32 (scale s_x * s_w), each behind a DequantizeLinear (axis 0). The SE
        /// gate and the audio head stay float, as in the int8 engine. Engines that fuse QDQ
        /// (onnxruntime, TensorRT) run the convolutions in int8; their requantisation rounding
        /// is their own, so outputs are close to the int8 engine's, not bit-equal.
        mutating func branch(_ plan: BranchPlan, input: String,
                             quantization: (activations: [ActivationQuantization], weights: [QuantizedConvWeights])? = nil) -> String {
            var value = [String](repeating: "", count: plan.slots.count)
            func qdq(_ x: String, _ slot: Int) -> String {
                guard let q = quantization?.activations[slot] else { return x }
                let name = plan.slots[slot].name
                let scale = constant(name + ".scale", [], [q.scale])
                let zero = name + ".zero_point"
                initialisers.append(.int8s(zero, [], [Int8(q.zeroPoint)]))
                let quantised = node("QuantizeLinear", [x, scale, zero], name + ".quantised")
                return node("DequantizeLinear", [quantised, scale, zero], name + ".dequantised")
            }
            value[0] = qdq(input, 0)
            for step in plan.steps {
                switch step {
                case .conv(let c, let x, let y):
                    let conv = plan.convs[c], s = conv.shape
                    let shape = [s.outChannels, s.inChannels / s.groups, s.kernel, s.kernel]
                    let w: String, b: String
                    if let q = quantization {
                        let weights = q.weights[c], input = q.activations[x]
                        initialisers.append(.int8s(conv.name + ".weight", shape, Self.oihw(weights.weight, s)))
                        let scale = constant(conv.name + ".weight_scale", [s.outChannels], weights.scale)
                        initialisers.append(.int8s(conv.name + ".weight_zero_point", [s.outChannels], [Int8](repeating: 0, count: s.outChannels)))
                        w = node("DequantizeLinear", [conv.name + ".weight", scale, conv.name + ".weight_zero_point"], conv.name + ".weight_dequantised",
                                 ints: [("axis", 0)])
                        initialisers.append(.int32s(conv.name + ".bias", [s.outChannels], weights.bias))
                        let biasScale = constant(conv.name + ".bias_scale", [s.outChannels],
                                                 weights.scale.map { Float(Double(input.scale) * Double($0)) })
                        initialisers.append(.int32s(conv.name + ".bias_zero_point", [s.outChannels], [Int32](repeating: 0, count: s.outChannels)))
                        b = node("DequantizeLinear", [conv.name + ".bias", biasScale, conv.name + ".bias_zero_point"], conv.name + ".bias_dequantised",
                                 ints: [("axis", 0)])
                    } else {
                        w = constant(conv.name + ".weight", shape, Self.oihw(conv.weight, s))
                        b = constant(conv.name + ".bias", [s.outChannels], conv.bias)
                    }
                    let out = node("Conv", [value[x], w, b], conv.name, ints: [("group", s.groups)], intLists: [
                        ("kernel_shape", [s.kernel, s.kernel]), ("strides", [s.stride, s.stride]),
                        ("pads", [s.padding, s.padding, s.padding, s.padding]), ("dilations", [s.dilation, s.dilation]),
                    ])
                    value[y] = qdq(conv.relu ? node("Relu", [out], conv.name + ".relu") : out, y)
                case .maxPool(let x, let y):
                    value[y] = qdq(node("MaxPool", [value[x]], plan.slots[y].name,
                                        intLists: [("kernel_shape", [3, 3]), ("strides", [2, 2]), ("pads", [1, 1, 1, 1])]), y)
                case .squeezeExciteAdd(let index, let x, let identity, let y):
                    let se = plan.squeezeExcitations[index]
                    let block = String(plan.slots[y].name.dropLast(".out".count))
                    let pooled = node("GlobalAveragePool", [value[x]], block + ".se.pool")
                    let flat = node("Flatten", [pooled], block + ".se.flatten")
                    let w1 = constant(block + ".se.fc1.weight", [se.reduced, se.channels], se.fc1Weight)
                    let b1 = constant(block + ".se.fc1.bias", [se.reduced], se.fc1Bias)
                    let fc1 = node("Gemm", [flat, w1, b1], block + ".se.fc1", ints: [("transB", 1)])
                    let hidden = node("Relu", [fc1], block + ".se.relu")
                    let w2 = constant(block + ".se.fc2.weight", [se.channels, se.reduced], se.fc2Weight)
                    let b2 = constant(block + ".se.fc2.bias", [se.channels], se.fc2Bias)
                    let fc2 = node("Gemm", [hidden, w2, b2], block + ".se.fc2", ints: [("transB", 1)])
                    let gate = node("Sigmoid", [fc2], block + ".se.gate")
                    let shape = block + ".se.shape"
                    initialisers.append(.int64s(shape, [4], [1, se.channels, 1, 1]))
                    let gate4 = node("Reshape", [gate, shape], block + ".se.gate4")
                    let scaled = node("Mul", [value[x], gate4], block + ".se.scaled")
                    let sum = node("Add", [scaled, value[identity]], block + ".add")
                    value[y] = qdq(node("Relu", [sum], plan.slots[y].name), y)
                }
            }
            switch plan.head {
            case .spatialProjection:
                return value[plan.headOutput!]
            case .pooledProjection(let weight, let bias):
                let c = plan.slots[plan.backboneOutput].channels, d = plan.embeddingDimension
                let pooled = node("GlobalAveragePool", [value[plan.backboneOutput]], plan.name + ".global_pool")
                let flat = node("Flatten", [pooled], plan.name + ".global_pool.flatten")
                let w = constant(plan.name + "_projection.weight", [d, c], weight)
                let b = constant(plan.name + "_projection.bias", [d], bias)
                return node("Gemm", [flat, w, b], plan.name + "_projection", ints: [("transB", 1)])
            }
        }
    }
}
