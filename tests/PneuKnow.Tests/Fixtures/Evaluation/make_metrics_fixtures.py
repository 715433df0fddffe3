#!/usr/bin/python3
"""Reference values for PneuKnow.Evaluation, computed once with scikit-learn 1.2 and OpenCV 4.6.

Rerun (from the repository root, Debian 12's system python which has python3-sklearn and python3-opencv):
    /usr/bin/python3 tests/PneuKnow.Tests/Fixtures/Evaluation/make_metrics_fixtures.py
It rewrites, next to this script, predictions_<name>.csv (the Predictions CSV contract) and
expected_<name>.json (scikit-learn's answers on exactly those numbers), and otsu.json.
Probabilities are multiples of 1/20 so that they are exact in the CSV and produce score ties.
"""
import json
import os

import cv2
import numpy as np
import sklearn
from sklearn.metrics import (accuracy_score, auc, confusion_matrix, precision_recall_fscore_support,
                             roc_auc_score, roc_curve)
from sklearn.preprocessing import label_binarize

HERE = os.path.dirname(os.path.abspath(__file__))


def probabilities(rng, n, k, labels, skill):
    """Integer votes out of 20 per class, biased towards the true label by `skill`."""
    out = np.zeros((n, k), dtype=np.int64)
    for i in range(n):
        w = np.ones(k)
        w[labels[i]] += skill
        out[i] = rng.multinomial(20, w / w.sum())
    return out


def make(name, classes, labels, votes, never_predict=None):
    labels = np.asarray(labels)
    k = len(classes)
    votes = np.asarray(votes, dtype=np.int64)
    if never_predict is not None:
        # Move the votes of a class that must never win to the next class, so arg-max never picks it.
        moved = votes[:, never_predict].copy()
        votes[:, never_predict] = 0
        votes[:, (never_predict + 1) % k] += moved
    probs = votes / 20.0
    # arg-max with ties broken towards the lower code, as numpy and torch.argmax do
    predicted = probs.argmax(axis=1)
    rows = ["index,file_name,label,predicted," + ",".join(classes)]
    for i in range(len(labels)):
        rows.append(",".join([str(i), f"img_{i:03d}.png", classes[labels[i]], classes[predicted[i]]]
                             + [repr(float(p)) for p in probs[i]]))
    with open(os.path.join(HERE, f"predictions_{name}.csv"), "w") as f:
        f.write("\n".join(rows) + "\n")

    codes = list(range(k))
    p, r, f1, s = precision_recall_fscore_support(labels, predicted, labels=codes, zero_division=0)
    macro = precision_recall_fscore_support(labels, predicted, labels=codes, average="macro", zero_division=0)
    weighted = precision_recall_fscore_support(labels, predicted, labels=codes, average="weighted", zero_division=0)
    y = label_binarize(labels, classes=codes)
    per_class = []
    for c in codes:
        present = 0 < y[:, c].sum() < len(labels)
        fpr, tpr, thr = roc_curve(y[:, c], probs[:, c]) if present else (None, None, None)
        per_class.append({
            "class": classes[c],
            "fpr": None if fpr is None else fpr.tolist(),
            "tpr": None if tpr is None else tpr.tolist(),
            "thresholds": None if thr is None else thr.tolist(),
            "auc": roc_auc_score(y[:, c], probs[:, c]) if present else None,
        })
    fpr, tpr, thr = roc_curve(y.ravel(), probs.ravel())
    expected = {
        "sklearn": sklearn.__version__,
        "classes": classes,
        "accuracy": accuracy_score(labels, predicted),
        "precision": p.tolist(), "recall": r.tolist(), "f1": f1.tolist(), "support": s.tolist(),
        "macro": {"precision": macro[0], "recall": macro[1], "f1": macro[2]},
        "weighted": {"precision": weighted[0], "recall": weighted[1], "f1": weighted[2]},
        "confusion": confusion_matrix(labels, predicted, labels=codes).tolist(),
        "roc": per_class,
        "micro_roc": {"fpr": fpr.tolist(), "tpr": tpr.tolist(), "thresholds": thr.tolist()},
        "auc_micro": roc_auc_score(y, probs, average="micro"),
    }
    if all(pc["auc"] is not None for pc in per_class):
        expected["auc_macro"] = roc_auc_score(labels, probs, multi_class="ovr", average="macro", labels=codes)
    else:
        # scikit-learn refuses a one-vs-rest macro AUC when a class has no positives; PneuKnow averages
        # the classes where it is defined, which is this mean of scikit-learn's per-class values.
        expected["auc_macro"] = float(np.mean([pc["auc"] for pc in per_class if pc["auc"] is not None]))
    with open(os.path.join(HERE, f"expected_{name}.json"), "w") as f:
        json.dump(expected, f, indent=1)


rng = np.random.default_rng(7)
five = ["B", "C", "NB", "P", "V"]
# 1. a paper-like validation set in miniature: imbalanced, moderately skilled
labels = rng.choice(5, size=60, p=[0.1, 0.1, 0.6, 0.12, 0.08])
make("imbalanced", five, labels, probabilities(rng, 60, 5, labels, 3.0))
# 2. a class that is never predicted (V), so its precision divides by zero
labels = rng.choice(5, size=40)
make("never_predicted", five, labels, probabilities(rng, 40, 5, labels, 2.0), never_predict=4)
# 3. a class absent from the labels (P), so its recall divides by zero and its AUC is undefined
labels = rng.choice([0, 1, 2, 4], size=30)
make("absent_class", five, labels, probabilities(rng, 30, 5, labels, 2.0))
# 4. three classes, coarse scores (multiples of 1/4) so almost every score is tied
labels = rng.choice(3, size=25)
v = probabilities(rng, 25, 3, labels, 1.5)
v = (np.round(v / 5.0) * 5).astype(np.int64)
v[:, 2] = 20 - v[:, 0] - v[:, 1]
v = np.clip(v, 0, 20)
v[:, 2] = 20 - v[:, 0] - v[:, 1]
assert (v >= 0).all()
make("ties", ["a", "b", "c"], labels, v)

# Otsu thresholds of 8-bit images as OpenCV computes them (pixels > threshold are foreground).
otsu = []
for shape, kind in [((16, 16), "bimodal"), ((12, 20), "uniform"), ((10, 10), "skewed")]:
    if kind == "bimodal":
        a = np.where(rng.random(shape) < 0.3, rng.normal(200, 20, shape), rng.normal(60, 25, shape))
    elif kind == "uniform":
        a = rng.uniform(0, 255, shape)
    else:
        a = rng.exponential(40, shape)
    a = np.clip(np.round(a), 0, 255).astype(np.uint8)
    t, _ = cv2.threshold(a, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    otsu.append({"height": shape[0], "width": shape[1], "pixels": a.ravel().tolist(), "threshold": t})
with open(os.path.join(HERE, "otsu.json"), "w") as f:
    json.dump({"opencv": cv2.__version__, "cases": otsu}, f)
