#!/usr/bin/python3
"""Reference outputs of OpenCV 4.6 for the augmentation tests (CI never runs this).

Rerun from the repository root with Debian's interpreter (it has python3-opencv):
    /usr/bin/python3 tests/PneuKnow.Tests/Fixtures/Augmentation/make_augmentation_fixtures.py
It rewrites every file next to this script. The inputs are generated from a fixed seed,
so a rerun reproduces the same files unless OpenCV's arithmetic changed.

Files:
  gray_<name>.png             8-bit single-channel inputs (sizes chosen to exercise tiles
                              that do not divide the image)
  clahe_<name>_c<clip>.png    cv2.createCLAHE(clipLimit=clip, tileGridSize=(8, 8)).apply(gray)
  clahergb_<name>_c<clip>.png albumentations' CLAHE on a 3-channel image read by cv2:
                              RGB -> LAB, CLAHE on L, LAB -> RGB (stored as RGB PNG)
  warp_<name>.csv             one line "angle,scale,dx,dy": albumentations' shift_scale_rotate
  warp_<name>.png             cv2.warpAffine, bilinear, constant border 0, of gray_<name>
  warpmask_<name>.png         the same with nearest-neighbour (as for masks)
  resize_<name>_<h>x<w>.png   cv2.resize(..., interpolation=cv2.INTER_LINEAR)
  sharpen_<name>.png          cv2.filter2D with albumentations' Sharpen kernel (alpha 0.35, lightness 0.8)
  blur_<name>.png             cv2.blur(gray, (3, 3))
  motion_kernels.csv          x1,y1,x2,y2 then the 9 entries of cv2.line(zeros(3,3), (x1,y1), (x2,y2), 1)
  lab_pixels.csv              R,G,B, then cv2 RGB2LAB (L,a,b), then cv2 LAB2RGB of that L,a,b, for 200 random pixels
  lab2rgb_sha256.txt          all 2^24 8-bit codes through cv2 LAB2RGB: line L (0..255) is the SHA-256 of the
                              R,G,B bytes of the 65536 codes (L, a, b) with a the outer and b the inner loop
  mask_<name>.png             (gray_<name> > 150) * 255, the mask warped in warpmask_<name>.png
  hsv_gray.csv                hue,sat,val shift then 256 x (R,G,B): albumentations' _shift_hsv_uint8
                              applied to a gray ramp (R=G=B=0..255)
"""
import csv
import os

import cv2
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20231)


def structured(h, w):
    # Chest-X-ray-like: smooth vertical/horizontal shading, two bright blobs, noise.
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = 60 + 80 * (x / w) + 40 * np.sin(y / h * 3.0)
    for cy, cx, r in [(0.45, 0.3, 0.2), (0.5, 0.7, 0.18)]:
        d = ((y / h - cy) ** 2 + (x / w - cx) ** 2) / r ** 2
        img += 90 * np.exp(-d)
    img += rng.normal(0, 12, size=(h, w))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def save(name, img):
    path = os.path.join(HERE, name)
    if img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
    assert cv2.imwrite(path, img), path


def shift_scale_rotate_matrix(w, h, angle, scale, dx, dy):
    # albumentations 1.3 functional.shift_scale_rotate
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, scale)
    m[0, 2] += dx * w
    m[1, 2] += dy * h
    return m


images = {"a": structured(64, 64), "b": structured(75, 100), "c": structured(37, 53)}
for name, g in images.items():
    save(f"gray_{name}.png", g)
    for clip in (1.0, 2.5, 4.0):
        save(f"clahe_{name}_c{clip}.png", cv2.createCLAHE(clipLimit=clip, tileGridSize=(8, 8)).apply(g))
    for clip in (1.0, 4.0):
        rgb = cv2.cvtColor(g, cv2.COLOR_GRAY2RGB)
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        lab[:, :, 0] = cv2.createCLAHE(clipLimit=clip, tileGridSize=(8, 8)).apply(lab[:, :, 0])
        save(f"clahergb_{name}_c{clip}.png", cv2.cvtColor(lab, cv2.COLOR_LAB2RGB))

warps = {"a": (7.5, 1.3, 0.05, -0.08), "b": (-9.0, 0.6, -0.1, 0.04), "c": (3.0, 1.45, 0.02, 0.09)}
for name, (angle, scale, dx, dy) in warps.items():
    g = images[name]
    h, w = g.shape
    m = shift_scale_rotate_matrix(w, h, angle, scale, dx, dy)
    with open(os.path.join(HERE, f"warp_{name}.csv"), "w", newline="") as f:
        csv.writer(f).writerow([angle, scale, dx, dy])
    save(f"warp_{name}.png", cv2.warpAffine(g, m, (w, h), flags=cv2.INTER_LINEAR,
                                            borderMode=cv2.BORDER_CONSTANT, borderValue=0))
    mask = ((g > 150) * 255).astype(np.uint8)
    save(f"mask_{name}.png", mask)
    save(f"warpmask_{name}.png", cv2.warpAffine(mask, m, (w, h), flags=cv2.INTER_NEAREST,
                                                borderMode=cv2.BORDER_CONSTANT, borderValue=0))

for name, (h, w) in {"a": (32, 48), "b": (120, 90)}.items():
    save(f"resize_{name}_{h}x{w}.png", cv2.resize(images[name], (w, h), interpolation=cv2.INTER_LINEAR))

alpha, lightness = 0.35, 0.8
nochange = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32)
effect = np.array([[-1, -1, -1], [-1, 8 + lightness, -1], [-1, -1, -1]], dtype=np.float32)
sharpen = (1 - alpha) * nochange + alpha * effect
for name in ("a", "c"):
    save(f"sharpen_{name}.png", cv2.filter2D(images[name], ddepth=-1, kernel=sharpen))
    save(f"blur_{name}.png", cv2.blur(images[name], (3, 3)))

with open(os.path.join(HERE, "motion_kernels.csv"), "w", newline="") as f:
    wr = csv.writer(f)
    for x1 in range(3):
        for y1 in range(3):
            for x2 in range(3):
                for y2 in range(3):
                    if (x1, y1) == (x2, y2):
                        continue
                    k = np.zeros((3, 3), dtype=np.uint8)
                    cv2.line(k, (x1, y1), (x2, y2), 1, thickness=1)
                    wr.writerow([x1, y1, x2, y2] + k.flatten().tolist())


def shift_hsv_uint8(img, hue_shift, sat_shift, val_shift):
    # albumentations 1.3 functional._shift_hsv_uint8
    img = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)
    hue, sat, val = cv2.split(img)
    if hue_shift != 0:
        lut = np.mod(np.arange(0, 256, dtype=np.int16) + hue_shift, 180).astype(np.uint8)
        hue = cv2.LUT(hue, lut)
    if sat_shift != 0:
        lut = np.clip(np.arange(0, 256, dtype=np.int16) + sat_shift, 0, 255).astype(np.uint8)
        sat = cv2.LUT(sat, lut)
    if val_shift != 0:
        lut = np.clip(np.arange(0, 256, dtype=np.int16) + val_shift, 0, 255).astype(np.uint8)
        val = cv2.LUT(val, lut)
    return cv2.cvtColor(cv2.merge((hue, sat, val)), cv2.COLOR_HSV2RGB)


ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
with open(os.path.join(HERE, "hsv_gray.csv"), "w", newline="") as f:
    wr = csv.writer(f)
    for shifts in [(12.7, 25.3, -7.9), (-15.2, 4.6, 18.4), (3.3, -20.0, 0.0), (-19.9, 29.9, -19.9), (0.0, 9.5, 5.5)]:
        out = shift_hsv_uint8(ramp, *shifts)
        wr.writerow(list(shifts) + out.reshape(-1).tolist())
pixels = rng.integers(0, 256, size=(1, 200, 3), dtype=np.uint8)
lab = cv2.cvtColor(pixels, cv2.COLOR_RGB2LAB)
back = cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
with open(os.path.join(HERE, "lab_pixels.csv"), "w", newline="") as f:
    wr = csv.writer(f)
    for i in range(pixels.shape[1]):
        wr.writerow(pixels[0, i].tolist() + lab[0, i].tolist() + back[0, i].tolist())
import hashlib

codes = np.zeros((256, 256, 3), dtype=np.uint8)
codes[:, :, 1] = np.arange(256, dtype=np.uint8)[:, None]
codes[:, :, 2] = np.arange(256, dtype=np.uint8)[None, :]
with open(os.path.join(HERE, "lab2rgb_sha256.txt"), "w", newline="\n") as f:
    for light in range(256):
        codes[:, :, 0] = light
        f.write(hashlib.sha256(cv2.cvtColor(codes, cv2.COLOR_LAB2RGB).tobytes()).hexdigest() + "\n")
print("wrote fixtures to", HERE)
