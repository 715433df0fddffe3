#!/usr/bin/python3
"""Equivalence fixtures for PneuKnow's backbones (tests/PneuKnow.Tests/Models/EquivalenceTests.cs).

Rerun (from the repository root, with Debian's torch 1.13 + torchvision 0.14, not a pyenv python):
    /usr/bin/python3 tests/PneuKnow.Tests/Fixtures/Models/make_backbone_fixtures.py

For each architecture family it builds a SMALL-width variant with torchvision's own modules, saves
  <name>.pth / <name>.safetensors   the torchvision state dict (torchvision names; the C# side maps them)
  <name>.expected.pth               {"input": N x 3 x H x W, "features": forward_features, "logits": logits}
Everything is computed in eval mode in float32 from fixed seeds. Widths/depths are printed so the C#
configurations can be checked against them (see the test file).
"""
import json
import os
import struct
from functools import partial

import torch
import torchvision
from torch import nn
from torchvision.models import convnext, efficientnet, resnet

OUT = os.path.dirname(os.path.abspath(__file__))
torch.set_grad_enabled(False)


class SmallResNet(resnet.ResNet):
    """torchvision's ResNet with configurable stem/stage widths.

    torchvision hard-codes 64/128/256/512; everything except the widths (blocks, _make_layer,
    forward) is torchvision's own code."""

    def __init__(self, block, layers, widths, stem, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = stem
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
        self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, widths[0], layers[0])
        self.layer2 = self._make_layer(block, widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(block, widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(block, widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3] * block.expansion, num_classes)

    def forward_features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))


def randomise_norm_stats(model, gen):
    # Fresh BatchNorm layers are identities in eval mode; random statistics and affine
    # parameters make the fixture sensitive to every one of them (and to eps).
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=gen) * 0.2)
            m.running_var.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
            m.bias.copy_(torch.randn(m.num_features, generator=gen) * 0.2)
            m.num_batches_tracked.fill_(7)
        elif isinstance(m, nn.LayerNorm):
            m.weight.copy_(torch.rand(m.normalized_shape, generator=gen) + 0.5)
            m.bias.copy_(torch.randn(m.normalized_shape, generator=gen) * 0.2)
        elif isinstance(m, convnext.CNBlock):
            # layer_scale starts at 1e-6, which would hide the whole residual branch.
            m.layer_scale.copy_(torch.rand(m.layer_scale.shape, generator=gen) * 0.5 + 0.5)


def save_safetensors(path, state):
    """Minimal safetensors writer (the `safetensors` module is not installed here)."""
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        t = t.contiguous()
        dtype = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        data = t.numpy().tobytes()
        header[name] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def emit(name, model, features_fn, size, fmt="pth"):
    gen = torch.Generator().manual_seed(1234)
    randomise_norm_stats(model, gen)
    model.eval()
    x = torch.randn(2, 3, size, size, generator=gen)
    feats = features_fn(model, x)
    logits = model(x)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if fmt == "safetensors":
        save_safetensors(os.path.join(OUT, name + ".safetensors"), state)
    else:
        torch.save(state, os.path.join(OUT, name + ".pth"))
    torch.save({"input": x, "features": feats.contiguous(), "logits": logits},
               os.path.join(OUT, name + ".expected.pth"))
    n = sum(p.numel() for p in model.parameters())
    print(f"{name}: {n} parameters, features {tuple(feats.shape)}, logits {tuple(logits.shape)}")


torch.manual_seed(0)
# Dense 3x3 convolutions avoid 20, 24 and 40 channels: libtorch 2.10's oneDNN AVX-512 kernels compute those
# wrongly for batch >= 2 on the AMD EPYC build machine (tests/PneuKnow.Tests/Models/OneDnnConvolutionTests.cs).
# ResNet, BasicBlock: stem 8, widths 8/16/32/48, blocks 1/2/1/1, 7 classes.
emit("resnet_basic_small", SmallResNet(resnet.BasicBlock, [1, 2, 1, 1], [8, 16, 32, 48], 8, 7),
     lambda m, x: m.forward_features(x), 48, fmt="safetensors")
# ResNet, Bottleneck (v1.5, stride on the 3x3): stem 8, widths 4/8/12/16 (x4 out), blocks 2/1/2/1, 5 classes.
emit("resnet_bottleneck_small", SmallResNet(resnet.Bottleneck, [2, 1, 2, 1], [4, 8, 12, 16], 8, 5),
     lambda m, x: m.forward_features(x), 48)

# EfficientNet: torchvision's b0 stage table (expand, kernel, stride, in, out) at width 0.25 with
# layers 2/1/1/2/1/1/1 (stage 0 repeats so its second depthwise-separable block has a skip), 6 classes.
mb = partial(efficientnet.MBConvConfig, width_mult=0.25, depth_mult=1.0)
settings = [mb(1, 3, 1, 32, 16, 2), mb(6, 3, 2, 16, 24, 1), mb(6, 5, 2, 24, 40, 1), mb(6, 3, 2, 40, 80, 2),
            mb(6, 5, 1, 80, 112, 1), mb(6, 5, 2, 112, 192, 1), mb(6, 3, 1, 192, 320, 1)]
eff = efficientnet.EfficientNet(settings, dropout=0.2, stochastic_depth_prob=0.2, num_classes=6)
emit("efficientnet_small", eff, lambda m, x: m.features(x), 48)

# ConvNeXt: dims 8/16/24/32, depths 1/1/2/1, 4 classes.
blocks = [convnext.CNBlockConfig(8, 16, 1), convnext.CNBlockConfig(16, 24, 1),
          convnext.CNBlockConfig(24, 32, 2), convnext.CNBlockConfig(32, None, 1)]
cnx = convnext.ConvNeXt(blocks, stochastic_depth_prob=0.1, num_classes=4)
emit("convnext_small_dims", cnx, lambda m, x: m.features(x), 64)

# Reference parameter counts of the full-size torchvision models (1000 classes), as docs/design.md quotes them.
for arch in ["resnet18", "resnet50", "efficientnet_b0", "efficientnet_b1", "convnext_tiny", "convnext_small"]:
    m = getattr(torchvision.models, arch)()
    print(arch, sum(p.numel() for p in m.parameters()))
