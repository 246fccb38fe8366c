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
    private static let float32 = 1, int64 = 7
    private static let attributeInt = 2, attributeInts = 7

    public static func model(video: BranchPlan, audio: BranchPlan, producer: String, docString: String) -> [UInt8] {
        var graph = Graph()
        let map = graph.branch(video, input: "frame")
        graph.rename(map, to: "video_map")
        let embedding = graph.branch(audio, input: "spectrogram")
        graph.rename(embedding, to: "audio_embedding")
        let v = video.slots[video.headOutput!], d = audio.embeddingDimension
        var out = ProtobufWriter()
        out.int(1, irVersion)                        // ModelProto.ir_version
        out.string(2, producer)                      // producer_name
        out.string(6, docString)                     // doc_string
        out.message(8) { $0.string(1, ""); $0.int(2, opset) }  // opset_import (default domain)
        out.message(7) { g in                        // graph
            for node in graph.nodes { g.message(1) { node.encode(&$0) } }
            g.string(2, "showtell")
            for tensor in graph.initialisers { g.message(5) { tensor.encode(&$0) } }
            g.message(11) { valueInfo(&$0, "frame", [1, video.input.channels, video.input.height, video.input.width]) }
            g.message(11) { valueInfo(&$0, "spectrogram", [1, audio.input.channels, audio.input.height, audio.input.width]) }
            g.message(12) { valueInfo(&$0, "video_map", [1, v.channels, v.height, v.width]) }
            g.message(12) { valueInfo(&$0, "audio_embedding", [1, d]) }
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
        var name: String, shape: [Int], floats: [Float]?, int64s: [Int]?

        func encode(_ w: inout ProtobufWriter) {
            w.packedInts(1, shape)                   // dims
            w.int(2, floats != nil ? float32 : int64)  // data_type
            w.string(8, name)
            var raw = [UInt8]()                      // raw_data, little-endian
            if let floats { for f in floats { withUnsafeBytes(of: f.bitPattern.littleEndian) { raw.append(contentsOf: $0) } } }
            if let int64s { for i in int64s { withUnsafeBytes(of: Int64(i).littleEndian) { raw.append(contentsOf: $0) } } }
            w.bytes(9, raw)
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
            initialisers.append(Tensor(name: name, shape: shape, floats: values, int64s: nil))
            return name
        }

        /// The branch's nodes from `input`; returns the name of its output value.
        mutating func branch(_ plan: BranchPlan, input: String) -> String {
            var value = [String](repeating: "", count: plan.slots.count)
            value[0] = input
            for step in plan.steps {
                switch step {
                case .conv(let c, let x, let y):
                    let conv = plan.convs[c], s = conv.shape
                    let gin = s.inChannels / s.groups, taps = s.kernel * s.kernel
                    // OHWI -> OIHW.
                    var oihw = [Float](repeating: 0, count: conv.weight.count)
                    for o in 0..<s.outChannels {
                        for t in 0..<taps {
                            for i in 0..<gin { oihw[(o * gin + i) * taps + t] = conv.weight[(o * taps + t) * gin + i] }
                        }
                    }
                    let w = constant(conv.name + ".weight", [s.outChannels, gin, s.kernel, s.kernel], oihw)
                    let b = constant(conv.name + ".bias", [s.outChannels], conv.bias)
                    let out = node("Conv", [value[x], w, b], conv.name, ints: [("group", s.groups)], intLists: [
                        ("kernel_shape", [s.kernel, s.kernel]), ("strides", [s.stride, s.stride]),
                        ("pads", [s.padding, s.padding, s.padding, s.padding]), ("dilations", [s.dilation, s.dilation]),
                    ])
                    value[y] = conv.relu ? node("Relu", [out], conv.name + ".relu") : out
                case .maxPool(let x, let y):
                    value[y] = node("MaxPool", [value[x]], plan.slots[y].name,
                                    intLists: [("kernel_shape", [3, 3]), ("strides", [2, 2]), ("pads", [1, 1, 1, 1])])
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
                    initialisers.append(Tensor(name: shape, shape: [4], floats: nil, int64s: [1, se.channels, 1, 1]))
                    let gate4 = node("Reshape", [gate, shape], block + ".se.gate4")
                    let scaled = node("Mul", [value[x], gate4], block + ".se.scaled")
                    let sum = node("Add", [scaled, value[identity]], block + ".add")
                    value[y] = node("Relu", [sum], plan.slots[y].name)
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
