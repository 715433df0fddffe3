#!/usr/bin/python3
"""What the authors' network sees for two images, made with OpenCV 4.6 (CI never runs this).

The authors read every image with cv2.imread (3 channels), convert BGR to RGB and resize with albumentations'
Resize(224, 224), which calls cv2.resize(..., interpolation=cv2.INTER_LINEAR); masks go through INTER_NEAREST.
The test (tests/PneuKnow.Tests/Data/StoreResizeTests.cs) writes the same two 8-bit gray PNGs from the same integer
formula, opens them through ImageStore -> valid pipeline -> BatchLoader and compares the tensors with these files.

Rerun from the repository root with Debian's interpreter:
    /usr/bin/python3 tests/PneuKnow.Tests/Fixtures/Data/make_store_resize_fixtures.py

Images (formula shared with the test; integer arithmetic, so both sides build the same pixels):
  tall   2048 rows x 1664 columns (non-square, a 9.1 x 7.4 reduction)
  double 448 x 448 (an exact 2x reduction, where cv2's INTER_LINEAR switches to INTER_AREA)
  pixel (x, y) = (x*37 + y*91 + ((x*y) >> 8)) % 256; the ROI keeps the box x in [300, 1200), y in [500, 1400)
  of tall (x in [50, 300), y in [100, 400) of double) and is 0 elsewhere; the mask is ROI > 0.
Files: store_<name>_image.png, store_<name>_roi.png, store_<name>_mask.png (224 x 224, 8-bit gray).
"""
import os
import tempfile

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = {"tall": (2048, 1664, (300, 1200, 500, 1400)), "double": (448, 448, (50, 300, 100, 400))}


def formula(h, w):
    y, x = np.mgrid[0:h, 0:w].astype(np.int64)
    return ((x * 37 + y * 91 + ((x * y) >> 8)) % 256).astype(np.uint8)


def read_as_authors(path):
    rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
    assert (rgb[:, :, 0] == rgb[:, :, 1]).all() and (rgb[:, :, 0] == rgb[:, :, 2]).all()
    return rgb


with tempfile.TemporaryDirectory() as tmp:
    for name, (h, w, (x0, x1, y0, y1)) in CASES.items():
        raw = formula(h, w)
        roi = np.zeros_like(raw)
        roi[y0:y1, x0:x1] = raw[y0:y1, x0:x1]
        for kind, img in (("raw", raw), ("roi", roi)):
            assert cv2.imwrite(os.path.join(tmp, f"{name}_{kind}.png"), img)
        image = cv2.resize(read_as_authors(os.path.join(tmp, f"{name}_raw.png")), (224, 224), interpolation=cv2.INTER_LINEAR)
        roi_rgb = read_as_authors(os.path.join(tmp, f"{name}_roi.png"))
        roi_out = cv2.resize(roi_rgb, (224, 224), interpolation=cv2.INTER_LINEAR)
        mask = cv2.resize(((roi_rgb[:, :, 0] > 0) * 255).astype(np.uint8), (224, 224), interpolation=cv2.INTER_NEAREST)
        for kind, img in (("image", image[:, :, 0]), ("roi", roi_out[:, :, 0]), ("mask", mask)):
            assert cv2.imwrite(os.path.join(HERE, f"store_{name}_{kind}.png"), img)
print("wrote fixtures to", HERE)
