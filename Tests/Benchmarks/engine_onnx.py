"""onnxruntime on the same network as `showtell bench engine`, one thread, float and int8 (static
QDQ, S8S8, per-channel weights, calibrated on the same kind of random inputs), with
session.x64quantprecision=1 so its int8 arithmetic is exact.

    python3 engine_onnx.py --model VIDEO.onnx --runs 7     # our network: showtell model export --branch video
    python3 engine_onnx.py --backbone edge --size 224 --runs 7   # the backbone rebuilt here, random weights
    -> one line per precision: "float MS MS ..." and "int8 MS MS ..."
"""
import argparse
import os
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

CONFIGS = {  # mirrors NeuralCore's ResNeXtConfiguration
    "edge": dict(stem=16, blocks=[1, 2, 2, 1], out=[32, 64, 128, 256], grouped=[16, 32, 64, 128], card=8,
                 strides=[1, 2, 2, 1], dilations=[1, 1, 1, 2], se=8),
    "paper": dict(stem=64, blocks=[3, 4, 6, 3], out=[256, 512, 1024, 2048], grouped=[128, 256, 512, 1024], card=32,
                  strides=[1, 2, 2, 1], dilations=[1, 1, 1, 2], se=16),
}


def build(config, size):
    c = CONFIGS[config]
    rng = np.random.default_rng(1)
    nodes, inits, counter = [], [], [0]

    def name(prefix):
        counter[0] += 1
        return f"{prefix}{counter[0]}"

    def const(shape, scale):
        n = name("w")
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), n))
        return n

    def conv(x, cin, cout, k, stride=1, dilation=1, groups=1, relu=True):
        w = const([cout, cin // groups, k, k], (2.0 / (cin // groups * k * k)) ** 0.5)
        b = const([cout], 0.01)
        y = name("c")
        pad = dilation * (k - 1) // 2
        nodes.append(helper.make_node("Conv", [x, w, b], [y], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[pad] * 4, dilations=[dilation, dilation], group=groups))
        if not relu:
            return y
        z = name("r")
        nodes.append(helper.make_node("Relu", [y], [z]))
        return z

    x = conv("input", 1, c["stem"], 7, stride=2)
    p = name("p")
    nodes.append(helper.make_node("MaxPool", [x], [p], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, channels = p, c["stem"]
    for stage in range(4):
        for index in range(c["blocks"][stage]):
            stride = c["strides"][stage] if index == 0 else 1
            width, out = c["grouped"][stage], c["out"][stage]
            y = conv(x, channels, width, 1)
            y = conv(y, width, width, 3, stride=stride, dilation=c["dilations"][stage], groups=c["card"])
            y = conv(y, width, out, 1, relu=False)
            g = name("g")
            nodes.append(helper.make_node("GlobalAveragePool", [y], [g]))
            s1 = conv(g, out, max(1, out // c["se"]), 1)
            s2 = conv(s1, max(1, out // c["se"]), out, 1, relu=False)
            s3 = name("s")
            nodes.append(helper.make_node("Sigmoid", [s2], [s3]))
            m = name("m")
            nodes.append(helper.make_node("Mul", [y, s3], [m]))
            shortcut = conv(x, channels, out, 1, stride=stride, relu=False) if (stride != 1 or channels != out) else x
            a = name("a")
            nodes.append(helper.make_node("Add", [m, shortcut], [a]))
            r = name("r")
            nodes.append(helper.make_node("Relu", [a], [r]))
            x, channels = r, out
    graph = helper.make_graph(nodes, f"resnext_se_{config}", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, size, size])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.x64quantprecision", "1")
    return ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def main():
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", default="edge", choices=sorted(CONFIGS))
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--model", help="a one-input float ONNX model (showtell model export --branch video) instead of --backbone")
    args = parser.parse_args()
    input_name = "input"
    if args.model:
        model = onnx.load(args.model)
        input_name = model.graph.input[0].name
        args.size = model.graph.input[0].type.tensor_type.shape.dim[2].dim_value
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal((1, 1, args.size, args.size)).astype(np.float32) for _ in range(4)]

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{input_name: x} for x in inputs])

        def get_next(self):
            return next(self.items, None)

    with tempfile.TemporaryDirectory() as tmp:
        float_path, int8_path = os.path.join(tmp, "float.onnx"), os.path.join(tmp, "int8.onnx")
        onnx.save(model if args.model else build(args.backbone, args.size), float_path)
        quantize_static(float_path, int8_path, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        sessions = {"float": session(float_path), "int8": session(int8_path)}
        times = {k: [] for k in sessions}
        for s in sessions.values():
            s.run(None, {input_name: inputs[0]})
        for _ in range(args.runs):  # interleaved, like showtell bench engine
            for k, s in sessions.items():
                t0 = time.perf_counter()
                s.run(None, {input_name: inputs[0]})
                times[k].append(1000 * (time.perf_counter() - t0))
    for k, v in times.items():
        print(k, " ".join(f"{t:.2f}" for t in v))


if __name__ == "__main__":
    main()
