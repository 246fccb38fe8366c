@testable import InferenceEngine
import NeuralCore
import ShowTellModel
import Testing

/// The protobuf encoding (known answers from the protobuf documentation's examples) and the
/// exported graph's structure. That onnxruntime runs the export and matches the golden values
/// and the JAX definition is checked by `models/tools/onnx_check.py` in `./build.sh test`.
struct ONNXExportTests {
    @Test func protobufWireFormatKnownAnswers() {
        var w = ProtobufWriter()
        w.int(1, 150)                       // the documentation's example: 08 96 01
        #expect(w.bytes == [0x08, 0x96, 0x01])
        w = ProtobufWriter()
        w.string(2, "testing")              // 12 07 74 65 73 74 69 6e 67
        #expect(w.bytes == [0x12, 0x07] + Array("testing".utf8))
        w = ProtobufWriter()
        w.int(1, -1)                        // negative int64: ten bytes of two's complement
        #expect(w.bytes == [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        w = ProtobufWriter()
        w.packedInts(4, [3, 270, 86942])    // the documentation's packed example: 22 06 03 8E 02 9E A7 05
        #expect(w.bytes == [0x22, 0x06, 0x03, 0x8E, 0x02, 0x9E, 0xA7, 0x05])
        w = ProtobufWriter()
        w.float(2, 1)                       // fixed32, little-endian 0x3F800000
        #expect(w.bytes == [0x15, 0x00, 0x00, 0x80, 0x3F])
        w = ProtobufWriter()
        w.message(3) { $0.int(1, 150) }     // nested: 1a 03 08 96 01
        #expect(w.bytes == [0x1A, 0x03, 0x08, 0x96, 0x01])
    }

    /// One Conv per folded convolution, one SE pattern per block, the two heads, and every
    /// weight once as an initialiser in OIHW (checked on one convolution against the plan's OHWI).
    @Test func graphHasEveryLayerOnceWithOIHWWeights() {
        let network = ShowTellNetwork(backbone: .edge, embeddingDimension: 8, seed: 3)
        let plans = PlannedInference.plans(for: network)
        var graph = ONNXExport.Graph()
        let map = graph.branch(plans.video, input: "frame")
        let embedding = graph.branch(plans.audio, input: "spectrogram")
        let ops = graph.nodes.map(\.op)
        #expect(ops.filter { $0 == "Conv" }.count == plans.video.convs.count + plans.audio.convs.count)
        #expect(ops.filter { $0 == "Sigmoid" }.count == plans.video.squeezeExcitations.count + plans.audio.squeezeExcitations.count)
        let pools = (plans.video.steps + plans.audio.steps).filter { if case .maxPool = $0 { return true } else { return false } }
        #expect(ops.filter { $0 == "MaxPool" }.count == pools.count)
        #expect(graph.nodes.last { $0.outputs == [map] }?.op == "Conv")       // the video projection
        #expect(graph.nodes.last { $0.outputs == [embedding] }?.op == "Gemm")  // the audio projection
        let names = graph.initialisers.map(\.name)
        #expect(Set(names).count == names.count, "an initialiser written twice")
        // Every node's inputs are graph inputs, initialisers or earlier outputs (SSA, in order).
        var known = Set(["frame", "spectrogram"] + names)
        for node in graph.nodes {
            #expect(node.inputs.allSatisfy { known.contains($0) }, "\(node.name) reads an undefined value")
            for output in node.outputs {
                #expect(!known.contains(output), "\(output) defined twice")
                known.insert(output)
            }
        }
        let conv = plans.video.convs[1], s = conv.shape
        let tensor = graph.initialisers.first { $0.name == conv.name + ".weight" }!
        let gin = s.inChannels / s.groups, taps = s.kernel * s.kernel
        #expect(tensor.shape == [s.outChannels, gin, s.kernel, s.kernel])
        for (o, i, t) in [(0, 0, 0), (s.outChannels - 1, gin - 1, taps - 1), (1, gin / 2, taps / 2)] {
            #expect(tensor.floats![(o * gin + i) * taps + t] == conv.weight[(o * taps + t) * gin + i])
        }
    }

    /// QDQ form of an int8 bundle: every stored activation quantised and dequantised once with
    /// its scale and zero point, every convolution's weight int8 and bias int32 behind a
    /// per-channel DequantizeLinear, and the values (OIHW) those of the int8 bundle.
    @Test func int8GraphIsQDQWithTheBundlesIntegers() {
        let network = ShowTellNetwork(backbone: .edge, embeddingDimension: 8, seed: 3)
        let plans = PlannedInference.plans(for: network)
        let quantization = NetworkQuantization.calibrate(
            plans: plans, method: .minMax, spectrograms: [GoldenInference.spectrogram()],
            frames: [(GoldenInference.frame(), GoldenInference.frameWidth, GoldenInference.frameHeight)]).0
        var graph = ONNXExport.Graph()
        _ = graph.branch(plans.video, input: "frame", quantization: quantization.video)
        let ops = graph.nodes.map(\.op)
        #expect(ops.filter { $0 == "QuantizeLinear" }.count == plans.video.slots.count)
        #expect(ops.filter { $0 == "DequantizeLinear" }.count == plans.video.slots.count + 2 * plans.video.convs.count)
        let conv = plans.video.convs[2], s = conv.shape
        let weight = graph.initialisers.first { $0.name == conv.name + ".weight" }!
        #expect(weight.dataType == 3 && weight.raw.map { Int8(bitPattern: $0) } == ONNXExport.Graph.oihw(quantization.video.weights[2].weight, s))
        let bias = graph.initialisers.first { $0.name == conv.name + ".bias" }!
        #expect(bias.dataType == 6 && bias.raw.count == 4 * s.outChannels)
        let dequantise = graph.nodes.first { $0.name == conv.name + ".weight_dequantised" }!
        #expect(dequantise.ints.contains { $0.0 == "axis" && $0.1 == 0 })
    }
}
