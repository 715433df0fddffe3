#!/usr/bin/python3
"""The authors' ROI-budget subsets, drawn with NumPy (CI never runs this).

The authors draw the teacher's annotated subset with pandas `DataFrame.sample(frac=f, random_state=42)`.
pandas turns the seed into `numpy.random.RandomState(42)`, the size into `round(f * n)` (Python's round: ties to
even) and the draw into `RandomState.choice(n, size, replace=False)`, which for the legacy generator is
`permutation(n)[:size]`. This script makes those calls directly (pandas is not installed on the build machine; the
calls are pandas' own, see pandas.core.sample), so the fixture is NumPy's output.

Rerun from the repository root with Debian's interpreter:
    /usr/bin/python3 tests/PneuKnow.Tests/Fixtures/Training/make_roi_sample.py
Output roi_sample.csv: one line per case, "n,frac,seed,size,i0 i1 ..." with the indices in NumPy's draw order.
"""
import csv
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = [
    (865, 0.3, 42), (865, 0.1, 42), (865, 0.5, 42), (865, 0.7, 42),
    (1082, 0.3, 42), (217, 0.1, 42), (10, 0.5, 42), (7, 0.1, 42), (2, 0.5, 42),
    (865, 0.3, 0), (865, 0.3, 4294967295), (70000, 0.001, 42), (1000, 0.999, 7),
]
with open(os.path.join(HERE, "roi_sample.csv"), "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    for n, frac, seed in CASES:
        size = round(frac * n)
        idx = np.random.RandomState(seed).choice(n, size=size, replace=False)
        w.writerow([n, repr(frac), seed, size, " ".join(str(int(i)) for i in idx)])
print("wrote", os.path.join(HERE, "roi_sample.csv"))
