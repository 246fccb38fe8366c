"""The `paper` backbone (ResNeXt-50 32x4d + SE, 1 input channel) as an ONNX graph with random
weights, and onnxruntime's forward time on one thread: the reference for
`showtell bench neural --paper-inference-only`. BatchNorm is folded into the convolutions (as
onnxruntime would fuse it anyway).

    python3 resnext_onnx.py --stride 32 --runs 7      # prints one line of milliseconds per run
"""
import argparse
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

BLOCKS, OUT, GROUPED, CARD, SE = [3, 4, 6, 3], [256, 512, 1024, 2048], [128, 256, 512, 1024], 32, 16


def build(output_stride):
    rng = np.random.default_rng(1)
    nodes, inits = [], []
    counter = [0]

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

    x = conv("input", 1, 64, 7, stride=2)
    p = name("p")
    nodes.append(helper.make_node("MaxPool", [x], [p], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    x, channels = p, 64
    strides = [1, 2, 2, 2 if output_stride == 32 else 1]
    dilations = [1, 1, 1, 1 if output_stride == 32 else 2]
    for stage in range(4):
        for index in range(BLOCKS[stage]):
            stride = strides[stage] if index == 0 else 1
            width, out = GROUPED[stage], OUT[stage]
            y = conv(x, channels, width, 1)
            y = conv(y, width, width, 3, stride=stride, dilation=dilations[stage], groups=CARD)
            y = conv(y, width, out, 1, relu=False)
            # Squeeze-and-excitation.
            g = name("g")
            nodes.append(helper.make_node("GlobalAveragePool", [y], [g]))
            s1 = conv(g, out, out // SE, 1)
            s2 = conv(s1, out // SE, out, 1, relu=False)
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
    graph = helper.make_graph(nodes, "resnext50_se", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 224, 224])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, None)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--stride", type=int, default=32, choices=[16, 32])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    model = build(args.stride)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(2).standard_normal((1, 1, 224, 224)).astype(np.float32)
    session.run(None, {"input": x})
    times = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        session.run(None, {"input": x})
        times.append(1000 * (time.perf_counter() - t0))
    print(" ".join(f"{t:.2f}" for t in times))


if __name__ == "__main__":
    main()
