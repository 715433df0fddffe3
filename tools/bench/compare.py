#!/usr/bin/env python3
"""The PyTorch side of `pneuknow bench compare`.

`pneuknow bench compare` starts this script once (`--serve`) and sends it one JSON request per line on stdin; it
answers one JSON line per request on stdout. The C# side measures its own round, then asks this script for the same
round, alternating the order (A B, B A, ...), so both sides see the same machine load. Both sides run:

- the same architecture: torchvision's resnet18 / resnet50 / efficientnet_b0 / efficientnet_b1 / convnext_tiny /
  convnext_small, whose layers equal PneuKnow's same-named backbones (the C# side checks this: it compares the
  parameter count, the multiset of parameter shapes and the feature-map shape before the first round);
- the same head: global average pool, dropout (the paper's 0.5), linear; no stochastic depth;
- the same input: normal random tensors of batch x 3 x size x size (and a second one as the "ROI" of the HKD step),
  put through the ImageNet normalisation PneuKnow's Backbone.Normalize applies;
- the same step, as PneuKnow's trainer computes it (lib/PneuKnow/Training/Trainer.cs, lib/PneuKnow/Distillation):
  * train: zero_grad; [autocast] logits = head(features(normalize(x))); loss = cross_entropy(logits.float(), y);
    backward; Adam step (the recipe's learning rate and weight decay);
  * inference: eval mode, no_grad, [autocast] logits, then softmax of the float32 logits;
  * hkd_student: zero_grad; [autocast] teacher features of the ROI under no_grad (teacher frozen, eval mode), student
    features and logits of the image; consistency = mse_loss(student.float(), teacher.float()), cross-entropy as
    above, total = a * consistency + (1 - a) * cross-entropy; backward; Adam step;
- the same precision: fp32, or bf16-mixed = torch.autocast("cpu", dtype=torch.bfloat16) around the forward pass and
  the losses, with float32 master weights and Adam state (PneuKnow opens libtorch's own autocast the same way).

Requests (one JSON object per line):
  {"op": "describe", "arch": ..., "size": ..., "classes": ..., "dropout": ...}
      -> {"ok": true, "parameters": N, "shapes": [[...], ...], "features": [C, h, w]}
  {"op": "measure", "workload": "train"|"inference"|"hkd_student", "arch", "size", "batch", "classes", "dropout",
   "precision": "fp32"|"bf16-mixed", "threads", "warmup", "steps", "seed", "learning_rate", "weight_decay",
   "consistency_weight"}
      -> {"ok": true, "seconds": [s, ...]}   (the wall time of each timed step)
  An error answers {"ok": false, "error": "..."}.

`--info` prints the versions as one JSON line and exits 0, or exits 3 when torch or torchvision cannot be imported.
Standard library, torch and torchvision only.
"""
import contextlib
import json
import os
import platform
import sys
import time

ARCHITECTURES = ("resnet18", "resnet50", "efficientnet_b0", "efficientnet_b1", "convnext_tiny", "convnext_small")
WORKLOADS = ("train", "inference", "hkd_student")
PRECISIONS = ("fp32", "bf16-mixed")


def info():
    try:
        import torch
        import torchvision
    except Exception as e:  # ImportError, or a broken install raising something else
        print(json.dumps({"ok": False, "error": f"{type(e).__name__}: {e}"}), flush=True)
        return 3
    import re
    onednn = re.search(r"MKL-DNN (v[0-9.]+)", torch.__config__.show())
    print(json.dumps({
        "ok": True,
        "blas": blas_libraries(),
        "onednn": onednn.group(1) if onednn else "unknown",
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "mkldnn": bool(torch.backends.mkldnn.is_available()),
        "default_threads": torch.get_num_threads(),
        "executable": sys.executable,
    }), flush=True)
    return 0


def blas_libraries():
    """The BLAS libraries this process has mapped (torch's linear layers run in them; Debian's libblas.so.3 may be the
    slow reference BLAS unless OpenBLAS provides it), read from /proc/self/maps; "unknown" elsewhere."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if line.rstrip().endswith(".so") or ".so." in line}
    except OSError:
        return "unknown"
    names = sorted({os.path.realpath(p) for p in paths if any(k in os.path.basename(p).lower() for k in ("blas", "mkl_", "libmkl"))})
    return ", ".join(names) if names else "none mapped"


class Net:
    """A torchvision network split as PneuKnow's Backbone is: features (timm's forward_features) and head."""

    def __init__(self, arch, classes, dropout):
        import torch.nn as nn
        import torchvision.models as tv
        if arch not in ARCHITECTURES:
            raise ValueError(f"arch: expected one of {', '.join(ARCHITECTURES)}, found '{arch}'")
        self.arch = arch
        if arch.startswith("resnet"):
            m = getattr(tv, arch)(num_classes=classes)
            # torchvision's ResNet has no head dropout; PneuKnow's (timm's drop_rate) sits before the linear layer.
            m.fc = nn.Sequential(nn.Dropout(dropout), m.fc)
            stem = nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
            self.features_module = stem
            self.head_modules = (m.avgpool, m.fc)
        elif arch.startswith("efficientnet"):
            # No stochastic depth (PneuKnow's bench models have drop_path 0); the head dropout as asked.
            m = getattr(tv, arch)(num_classes=classes, stochastic_depth_prob=0.0)
            m.classifier[0] = nn.Dropout(dropout)
            self.features_module = m.features
            self.head_modules = (m.avgpool, m.classifier)
        else:  # convnext
            m = getattr(tv, arch)(num_classes=classes, stochastic_depth_prob=0.0)
            # torchvision's head: LayerNorm2d, Flatten, Linear; the dropout goes before the linear layer, as timm's.
            m.classifier = nn.Sequential(m.classifier[0], m.classifier[1], nn.Dropout(dropout), m.classifier[2])
            self.features_module = m.features
            self.head_modules = (m.avgpool, m.classifier)
        self.module = m

    def features(self, x):
        return self.features_module(x)

    def head(self, f):
        import torch
        pool, rest = self.head_modules
        x = pool(f)
        if self.arch.startswith("convnext"):
            return rest(x)  # the classifier flattens after its LayerNorm2d
        return rest(torch.flatten(x, 1))


def normalize(x):
    import torch
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (x - mean) / std


def autocast(precision):
    import torch
    if precision == "fp32":
        return contextlib.nullcontext()
    if precision == "bf16-mixed":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    raise ValueError(f"precision: expected one of {', '.join(PRECISIONS)}, found '{precision}'")


def describe(r):
    import torch
    torch.manual_seed(0)
    net = Net(r["arch"], r["classes"], r["dropout"])
    net.module.eval()
    with torch.no_grad():
        f = net.features(torch.zeros(1, 3, r["size"], r["size"]))
    params = list(net.module.parameters())
    return {
        "parameters": sum(p.numel() for p in params),
        "shapes": [list(p.shape) for p in params],
        "features": list(f.shape[1:]),
    }


def measure(r):
    import torch
    import torch.nn.functional as F
    workload, precision = r["workload"], r["precision"]
    if workload not in WORKLOADS:
        raise ValueError(f"workload: expected one of {', '.join(WORKLOADS)}, found '{workload}'")
    autocast(precision)  # checks the name
    torch.set_num_threads(int(r["threads"]))
    torch.manual_seed(int(r["seed"]))
    b, size, classes = int(r["batch"]), int(r["size"]), int(r["classes"])
    net = Net(r["arch"], classes, float(r["dropout"]))
    x = torch.randn(b, 3, size, size)
    roi = torch.randn(b, 3, size, size)
    y = torch.randint(0, classes, (b,), dtype=torch.int64)
    teacher = None
    opt = None
    if workload == "hkd_student":
        teacher = Net(r["arch"], classes, float(r["dropout"]))
        for p in teacher.module.parameters():
            p.requires_grad_(False)
        teacher.module.eval()
    if workload in ("train", "hkd_student"):
        net.module.train()
        opt = torch.optim.Adam(net.module.parameters(), lr=float(r["learning_rate"]), weight_decay=float(r["weight_decay"]))
    else:
        net.module.eval()
    a = float(r.get("consistency_weight", 0.5))

    def step():
        if workload == "inference":
            with torch.no_grad():
                with autocast(precision):
                    logits = net.head(net.features(normalize(x)))
                F.softmax(logits.float(), 1)
            return
        opt.zero_grad()
        with autocast(precision):
            if workload == "train":
                logits = net.head(net.features(normalize(x)))
                total = F.cross_entropy(logits.float(), y)
            else:
                with torch.no_grad():
                    teacher.module.eval()
                    target = teacher.features(normalize(roi))
                features = net.features(normalize(x))
                logits = net.head(features)
                consistency = F.mse_loss(features.float(), target.detach().float())
                ce = F.cross_entropy(logits.float(), y)
                total = consistency * a + ce * (1.0 - a)
        total.backward()
        opt.step()

    for _ in range(int(r["warmup"])):
        step()
    seconds = []
    for _ in range(int(r["steps"])):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    return {"seconds": seconds}


def serve():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            r = json.loads(line)
            op = r.get("op")
            if op == "describe":
                answer = describe(r)
            elif op == "measure":
                answer = measure(r)
            else:
                raise ValueError(f"op: expected describe or measure, found '{op}'")
            answer["ok"] = True
        except Exception as e:
            answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)
    return 0


def main(argv):
    if argv == ["--info"]:
        return info()
    if argv == ["--serve"]:
        return serve()
    print("usage: compare.py --info | --serve  (run by `pneuknow bench compare`; see the docstring)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
