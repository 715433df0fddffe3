#!/usr/bin/python3
"""Fixtures for tests/PneuKnow.Tests/Models/CntkResNet18Tests.cs.

Rerun from this folder with Debian's Python (onnx 1.12, OpenCV 4.6, scikit-learn 1.2):
    /usr/bin/python3 make_cntk_fixtures.py

Writes
- china_224.png, china_224_shifted.png, flower_224.png: 224x224 RGB crops of scikit-learn's sample
  photos (CC BY 2.0, see README.md), two overlapping crops of one scene and one unrelated scene.
- stages_2223_width4.expected.json: what onnx itself decodes from stages_2223_width4.onnx (op counts,
  every initializer's dims, element count, sum, first values), to check PneuKnow's ONNX reader.
- stages_2222_width4.onnx, stages_2223_width4.onnx: graphs laid out exactly like ML.NET's CNTK
  ResNet18.onnx (explicit asymmetric pads, Conv -> BatchNormalization, Add closing each block,
  1x1 projections listed before the main path) but with every width divided by 16 and, for the
  first, torchvision's [2, 2, 2, 2] blocks instead of [2, 2, 2, 3]. Tensors are stored in raw_data
  (onnx.numpy_helper's encoding), unlike CNTK's float_data, so the reader's other path is exercised.
"""
import collections
import json
import os

import cv2
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLES = "/usr/lib/python3/dist-packages/sklearn/datasets/images"


def crops():
    china = cv2.imread(os.path.join(SAMPLES, "china.jpg"))  # 427 x 640 BGR
    flower = cv2.imread(os.path.join(SAMPLES, "flower.jpg"))
    def crop(img, y, x, size):
        return cv2.resize(img[y:y + size, x:x + size], (224, 224), interpolation=cv2.INTER_AREA)
    cv2.imwrite(os.path.join(HERE, "china_224.png"), crop(china, 40, 120, 380))
    cv2.imwrite(os.path.join(HERE, "china_224_shifted.png"), crop(china, 10, 170, 380))
    cv2.imwrite(os.path.join(HERE, "flower_224.png"), crop(flower, 20, 150, 380))


class Graph:
    def __init__(self, seed):
        self.nodes, self.inits, self.rng, self.ids = [], [], np.random.default_rng(seed), 0

    def name(self, prefix):
        self.ids += 1
        return f"{prefix}{self.ids}"

    def param(self, shape, positive=False):
        a = self.rng.standard_normal(shape).astype(np.float32) * 0.1
        if positive:
            a = np.abs(a) + 0.5
        n = self.name("Parameter")
        self.inits.append(numpy_helper.from_array(a, n))
        return n

    def conv_bn(self, x, cin, cout, k, s):
        begin, end = k // 2, max(0, k - s - k // 2)
        y = self.name("Convolution") + "_Output_0"
        self.nodes.append(helper.make_node("Conv", [x, self.param((cout, cin, k, k))], [y], kernel_shape=[k, k],
                                           strides=[s, s], auto_pad="NOTSET", group=1, dilations=[1, 1],
                                           pads=[begin, begin, end, end]))
        z = self.name("BatchNormalization") + "_Output_0"
        ins = [y, self.param((cout,), True), self.param((cout,)), self.param((cout,)), self.param((cout,), True)]
        self.nodes.append(helper.make_node("BatchNormalization", ins, [z], spatial=1, epsilon=1e-5, momentum=0.9883))
        return z

    def relu(self, x):
        y = self.name("ReLU") + "_Output_0"
        self.nodes.append(helper.make_node("Relu", [x], [y]))
        return y


def resnet(path, stages, widths, seed):
    g = Graph(seed)
    x = g.relu(g.conv_bn("Input247", 3, widths[0], 7, 2))
    pool = g.name("Pooling") + "_Output_0"
    g.nodes.append(helper.make_node("MaxPool", [x], [pool], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 0, 0],
                                    auto_pad="NOTSET", storage_order=0))
    x, cin = pool, widths[0]
    for s, (blocks, w) in enumerate(zip(stages, widths)):
        for b in range(blocks):
            stride = 2 if s > 0 and b == 0 else 1
            shortcut = g.conv_bn(x, cin, w, 1, stride) if stride == 2 else x
            y = g.conv_bn(g.relu(g.conv_bn(x, cin, w, 3, stride)), w, w, 3, 1)
            plus = g.name("Plus") + "_Output_0"
            g.nodes.append(helper.make_node("Add", [y, shortcut], [plus]))
            x, cin = g.relu(plus), w
    out = g.name("Pooling") + "_Output_0"
    g.nodes.append(helper.make_node("AveragePool", [x], [out], kernel_shape=[7, 7], strides=[1, 1], pads=[0, 0, 0, 0],
                                    count_include_pad=0, auto_pad="NOTSET"))
    graph = helper.make_graph(g.nodes, "CNTKGraph",
                              # IR 3, like CNTK's file: initializers are also listed as graph inputs.
                              [helper.make_tensor_value_info("Input247", TensorProto.FLOAT, [1, 3, 224, 224])]
                              + [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims)) for t in g.inits],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, [1, widths[-1], 1, 1])],
                              initializer=g.inits)
    model = helper.make_model(graph, producer_name="PneuKnow make_cntk_fixtures.py", opset_imports=[helper.make_opsetid("", 8)])
    model.ir_version = 3
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, path))


def expected(path):
    model = onnx.load(os.path.join(HERE, path))
    g = model.graph
    summary = {
        "producer": model.producer_name,
        "ir_version": model.ir_version,
        "opset": model.opset_import[0].version,
        "ops": dict(collections.Counter(n.op_type for n in g.node)),
        "first_node_pads": list(g.node[0].attribute[[a.name for a in g.node[0].attribute].index("pads")].ints),
        "input_shape": [d.dim_value for d in g.input[0].type.tensor_type.shape.dim],
        "initializers": {t.name: {"dims": list(t.dims), "count": int(numpy_helper.to_array(t).size),
                                  "sum": float(numpy_helper.to_array(t).astype(np.float64).sum()),
                                  "first": [float(v) for v in numpy_helper.to_array(t).ravel()[:3]]}
                         for t in g.initializer},
    }
    with open(os.path.join(HERE, path.replace(".onnx", ".expected.json")), "w") as f:
        json.dump(summary, f, indent=1)


if __name__ == "__main__":
    crops()
    resnet("stages_2222_width4.onnx", [2, 2, 2, 2], [4, 8, 16, 32], seed=1)
    resnet("stages_2223_width4.onnx", [2, 2, 2, 3], [4, 8, 16, 32], seed=2)
    expected("stages_2223_width4.onnx")
