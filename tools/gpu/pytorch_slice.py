"""The paper-recipe slice of tools/gpu-check.sh in plain PyTorch, for the images/s comparison with pneuknow.

Same data (the phantom's raw/ and roi/ images listed in manifest.csv: file_name,class,split,patient_id), 224 px,
batch 8, Adam 1e-4 with a per-batch cosine schedule, cross-entropy, timm backbones with random initialisation
(pneuknow's slice is not pretrained either); HKD student: frozen teacher on the ROI image, MSE between the teachers'
and the student's last feature maps, weight 0.5. Each (architecture, stage) trains for --seconds after a warm-up,
in fp32 and with torch.autocast(fp16) + GradScaler (the authors trained with AMP). Prints images/s, peak GPU memory,
and, when --pneuknow-runs is given, pneuknow's train_images_per_second (timings.csv) beside them with the ratio.
"""
import argparse, csv, glob, os, time

import numpy as np
import timm
import torch
import torch.nn.functional as F
from PIL import Image

CLASSES = None


def load(data, size):
    global CLASSES
    rows = [r for r in csv.DictReader(open(os.path.join(data, "manifest.csv"))) if r["split"] == "train"]
    CLASSES = sorted({r["class"] for r in rows})
    def read(folder, name):
        im = Image.open(os.path.join(data, folder, name)).convert("RGB").resize((size, size), Image.BILINEAR)
        return np.asarray(im, dtype=np.uint8)
    raw = torch.from_numpy(np.stack([read("raw", r["file_name"]) for r in rows])).permute(0, 3, 1, 2).contiguous()
    roi = torch.from_numpy(np.stack([read("roi", r["file_name"]) for r in rows])).permute(0, 3, 1, 2).contiguous()
    labels = torch.tensor([CLASSES.index(r["class"]) for r in rows])
    return raw.pin_memory(), roi.pin_memory(), labels.pin_memory()


MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def batches(raw, roi, labels, batch, device):
    n = len(labels)
    mean, std = MEAN.to(device), STD.to(device)
    while True:
        order = torch.randperm(n)
        for i in range(0, n - batch + 1, batch):
            idx = order[i:i + batch]
            # A horizontal flip stands for the augmentation: the comparison is of the GPU step, not of the loaders.
            x = raw[idx].to(device, non_blocking=True).float().div_(255)
            r = roi[idx].to(device, non_blocking=True).float().div_(255)
            if torch.rand(()) < 0.5:
                x, r = x.flip(3), r.flip(3)
            yield (x - mean) / std, (r - mean) / std, labels[idx].to(device, non_blocking=True)


def run(arch, stage, amp, data, seconds, device, warmup=10):
    torch.manual_seed(0)
    model = timm.create_model(arch, pretrained=False, num_classes=len(CLASSES), drop_rate=0.5).to(device)
    teacher = None
    if stage == "student":
        teacher = timm.create_model(arch, pretrained=False, num_classes=len(CLASSES)).to(device).eval()
        for p in teacher.parameters():
            p.requires_grad_(False)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10_000)
    scaler = torch.amp.GradScaler("cuda", enabled=amp)
    it = batches(*data, 8, device)
    torch.cuda.reset_peak_memory_stats()
    images, start, step = 0, None, 0
    model.train()
    while True:
        x, r, y = next(it)
        with torch.autocast("cuda", dtype=torch.float16, enabled=amp):
            feats = model.forward_features(x if stage != "teacher" else r)
            logits = model.forward_head(feats)
            loss = F.cross_entropy(logits, y)
            if teacher is not None:
                with torch.no_grad():
                    target = teacher.forward_features(r)
                loss = 0.5 * F.mse_loss(feats.float(), target.float()) + 0.5 * loss
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        sched.step()
        step += 1
        if step == warmup:
            torch.cuda.synchronize()
            start = time.perf_counter()
        elif start is not None:
            images += y.shape[0]
            if step % 20 == 0:
                torch.cuda.synchronize()
                if time.perf_counter() - start >= seconds:
                    break
    elapsed = time.perf_counter() - start
    return images / elapsed, torch.cuda.max_memory_allocated() / 2**20, float(loss)


def pneuknow_rate(runs, arch, stage):
    if not runs:
        return None
    kind = "baseline" if stage == "baseline" else "hkd"
    sub = {"baseline": "baseline", "teacher": "roi_teacher", "student": "hkd_student"}[stage]
    for path in glob.glob(os.path.join(runs, f"{arch}-{kind}", "**", sub, "**", "timings.csv"), recursive=True):
        rates = [float(r["train_images_per_second"]) for r in csv.DictReader(open(path))]
        if rates:
            return max(rates)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--archs", default="convnext_small,resnet50")
    ap.add_argument("--pneuknow-runs")
    a = ap.parse_args()
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    data = load(a.data, 224)
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {torch.cuda.get_device_name(0)}, timm {timm.__version__}, {len(data[2])} training images")
    print("| backbone | stage | PyTorch fp32 img/s | PyTorch AMP img/s | peak MiB fp32 / AMP | pneuknow img/s | pneuknow / fp32 | pneuknow / AMP |")
    print("|---|---|---|---|---|---|---|---|")
    for arch in a.archs.split(","):
        for stage in ("baseline", "teacher", "student"):
            fp32, m32, _ = run(arch, stage, False, data, a.seconds, device)
            amp, mamp, _ = run(arch, stage, True, data, a.seconds, device)
            pk = pneuknow_rate(a.pneuknow_runs, arch, stage)
            ratio = lambda b: f"{pk / b:.2f}" if pk else "-"
            print(f"| {arch} | {stage} | {fp32:.1f} | {amp:.1f} | {m32:.0f} / {mamp:.0f} | {pk if pk else '-'} | {ratio(fp32)} | {ratio(amp)} |", flush=True)


if __name__ == "__main__":
    main()
