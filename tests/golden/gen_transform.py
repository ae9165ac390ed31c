"""Golden files for the image transforms (data/transform.h).

Run from the repository root with Debian's python3 (numpy, python3-pil,
python3-opencv, python3-torch, python3-torchvision; python3-scipy optional):
    /usr/bin/python3 tests/golden/gen_transform.py
It writes small .npy files into tests/data/transform/, read by
tests/test_transform.c and tests/test_clahe.c. The C suite never needs Python.

What each reference is
- resize: PIL Image.resize on mode "F" (float32) images, one channel at a
  time (NEAREST, BILINEAR, BOX), and torchvision.transforms.functional.resize
  on float tensors (NEAREST, BILINEAR with antialias False and True).
- crops / pads: torchvision center_crop, numpy.pad.
- colour: torchvision adjust_brightness / adjust_contrast / rgb_to_grayscale /
  normalize / to_tensor; PIL convert("L") for uint8.
- affine: Keras' apply_affine_transform. Keras and scipy are not dependencies,
  so this file carries a numpy transcription of both halves:
    keras_matrix()   transform_matrix_offset_center(R @ T @ S @ Z, h, w)
    scipy_affine()   scipy.ndimage.affine_transform(order=1, mode, cval),
                     with scipy 1.10's border rules (map_coordinate, then
                     symmetric or reflect-101 taps, weights 1-f and 1-(1-f),
                     sum in double in tap order, one rounding to float32).
  When scipy is installed the transcription is checked bit for bit against
  scipy.ndimage.affine_transform on every case before anything is written.
- CLAHE: cv2.createCLAHE(clipLimit, tileGridSize).apply(); colour through
  cv2.cvtColor RGB2YCrCb / YCrCb2RGB on the Y channel.
"""
import os

import cv2
import numpy as np
import torch
import torchvision.transforms.functional as TF
from PIL import Image
from torchvision.transforms import InterpolationMode

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "transform")
RNG = np.random.default_rng(20240607)


def save(name, a):
    os.makedirs(OUT, exist_ok=True)
    a = np.ascontiguousarray(a)
    if a.dtype not in (np.float32, np.uint8, np.uint16):
        a = a.astype(np.float32)
    np.save(os.path.join(OUT, name + ".npy"), a)


def smooth_image(c, h, w):
    """Values in [0, 1]: a few smooth waves plus noise, so interpolation matters."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = []
    for k in range(c):
        f = 0.5 + 0.25 * np.sin(x * (0.7 + 0.2 * k) + y * 0.3) * np.cos(y * (0.5 + 0.1 * k))
        f += 0.2 * RNG.random((h, w))
        out.append(np.clip(f, 0, 1))
    return np.stack(out).astype(np.float32)


# --------------------------------------------------------------------- resize

RESIZE_SIZES = [(11, 7), (31, 40), (9, 29), (23, 5)]   # from 23 x 17


def pil_resize(chw, oh, ow, method):
    return np.stack([np.asarray(Image.fromarray(ch, mode="F").resize((ow, oh), method))
                     for ch in chw]).astype(np.float32)


def tv_resize(chw, oh, ow, mode, antialias):
    t = torch.from_numpy(chw.copy())
    return TF.resize(t, [oh, ow], interpolation=mode, antialias=antialias).numpy()


def gen_resize():
    src = smooth_image(3, 23, 17)
    save("resize_in", src)
    src2 = smooth_image(2, 24, 16)     # integer factors
    save("resize_in2", src2)
    for tag, img, sizes in (("in", src, RESIZE_SIZES), ("in2", src2, [(12, 8), (6, 4), (48, 32)])):
        for oh, ow in sizes:
            sfx = "%s_%dx%d" % (tag, oh, ow)
            save("resize_pil_nearest_" + sfx, pil_resize(img, oh, ow, Image.Resampling.NEAREST))
            save("resize_pil_bilinear_" + sfx, pil_resize(img, oh, ow, Image.Resampling.BILINEAR))
            save("resize_pil_box_" + sfx, pil_resize(img, oh, ow, Image.Resampling.BOX))
            save("resize_tv_nearest_" + sfx, tv_resize(img, oh, ow, InterpolationMode.NEAREST, False))
            save("resize_tv_bilinear_" + sfx, tv_resize(img, oh, ow, InterpolationMode.BILINEAR, False))
            save("resize_tv_bilinear_aa_" + sfx, tv_resize(img, oh, ow, InterpolationMode.BILINEAR, True))


# --------------------------------------------------------------- crop and pad

def gen_crop_pad():
    src = smooth_image(2, 9, 12)
    save("crop_in", src)
    t = torch.from_numpy(src.copy())
    for ch, cw in ((5, 6), (4, 7), (9, 12), (12, 15), (13, 14)):
        save("center_crop_%dx%d" % (ch, cw), TF.center_crop(t, [ch, cw]).numpy())
    # numpy.pad with (top, bottom, left, right) = (2, 3, 4, 1); pads within the image size.
    for mode in ("constant", "edge", "symmetric", "reflect", "wrap"):
        kw = {"constant_values": 0.25} if mode == "constant" else {}
        save("pad_" + mode, np.pad(src, ((0, 0), (2, 3), (4, 1)), mode=mode, **kw))


# --------------------------------------------------------------------- colour

def gen_colour():
    rgb = smooth_image(3, 13, 11)
    gray = smooth_image(1, 13, 11)
    save("colour_rgb", rgb)
    save("colour_gray", gray)
    trgb, tgray = torch.from_numpy(rgb.copy()), torch.from_numpy(gray.copy())
    save("brightness_1.25_rgb", TF.adjust_brightness(trgb, 1.25).numpy())
    save("contrast_0.625_rgb", TF.adjust_contrast(trgb, 0.625).numpy())
    save("contrast_1.75_rgb", TF.adjust_contrast(trgb, 1.75).numpy())
    save("contrast_1.75_gray", TF.adjust_contrast(tgray, 1.75).numpy())
    save("gray_of_rgb", TF.rgb_to_grayscale(trgb).numpy())
    save("normalize_imagenet", TF.normalize(trgb, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]).numpy())
    # uint8: PIL convert("L") and torchvision to_tensor.
    u8 = RNG.integers(0, 256, (17, 23, 3), dtype=np.uint8)
    u8[0, :8] = [[0, 0, 0], [255, 255, 255], [255, 0, 0], [0, 255, 0], [0, 0, 255],
                 [1, 2, 3], [128, 128, 127], [254, 1, 254]]
    save("u8_rgb", u8)
    save("u8_rgb_to_L", np.asarray(Image.fromarray(u8, "RGB").convert("L")))
    rgba = np.concatenate([u8, RNG.integers(0, 256, (17, 23, 1), dtype=np.uint8)], axis=2)
    save("u8_rgba", rgba)
    save("u8_rgba_to_L", np.asarray(Image.fromarray(rgba, "RGBA").convert("L")))
    save("u8_rgb_to_tensor", TF.to_tensor(Image.fromarray(u8, "RGB")).numpy())


# --------------------------------------------------------------------- affine

def keras_matrix(theta, tx, ty, shear, zx, zy, h, w):
    """keras.preprocessing.image.apply_affine_transform's matrix (or None)."""
    t = None
    if theta != 0:
        a = np.deg2rad(theta)
        t = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    if tx != 0 or ty != 0:
        s = np.array([[1, 0, tx], [0, 1, ty], [0, 0, 1]])
        t = s if t is None else np.dot(t, s)
    if shear != 0:
        a = np.deg2rad(shear)
        s = np.array([[1, -np.sin(a), 0], [0, np.cos(a), 0], [0, 0, 1]])
        t = s if t is None else np.dot(t, s)
    if zx != 1 or zy != 1:
        z = np.array([[zx, 0, 0], [0, zy, 0], [0, 0, 1]])
        t = z if t is None else np.dot(t, z)
    if t is None:
        return None
    ox, oy = float(h) / 2 + 0.5, float(w) / 2 + 0.5
    offset = np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]])
    reset = np.array([[1, 0, -ox], [0, 1, -oy], [0, 0, 1]])
    return np.dot(np.dot(offset, t), reset)


def map_coordinate(x, n, mode):
    """scipy ni_interpolation.c map_coordinate, vectorised (x: float64 array)."""
    x = x.copy()
    lo, hi = x < 0, x > n - 1
    if mode == "constant":
        x[lo | hi] = -1.0
        return x
    if n <= 1:
        x[lo | hi] = 0.0
        return x
    if mode == "nearest":
        x[lo], x[hi] = 0.0, n - 1.0
    elif mode == "reflect":
        s = 2 * n
        v = x[lo]
        big = v < -s
        v[big] = s * np.trunc(-v[big] / s) + v[big]
        x[lo] = np.where(v < -n, v + s, -v - 1)
        v = x[hi] - s * np.trunc(x[hi] / s)
        x[hi] = np.where(v >= n, s - v - 1, v)
    elif mode == "mirror":
        s = 2 * n - 2
        v = s * np.trunc(-x[lo] / s) + x[lo]
        x[lo] = np.where(v <= 1 - n, v + s, -v)
        v = x[hi] - s * np.trunc(x[hi] / s)
        x[hi] = np.where(v >= n, s - v, v)
    elif mode == "wrap":
        s = n - 1
        x[lo] = x[lo] + s * (np.trunc(-x[lo] / s) + 1)
        x[hi] = x[hi] - s * np.trunc(x[hi] / s)
    return x


def tap_index(i, n, mode):
    if n <= 1:
        return np.zeros_like(i)
    if mode in ("nearest", "reflect"):
        s = 2 * n
        i = np.mod(i, s)
        return np.where(i >= n, s - 1 - i, i)
    s = 2 * n - 2
    i = np.mod(i, s)
    return np.where(i >= n, s - i, i)


def scipy_affine(img, m, off, mode, cval):
    """scipy.ndimage.affine_transform(img, m, off, order=1, mode=mode, cval=cval), 2-D."""
    h, w = img.shape
    r, c = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    pr = ((0.0 + r * m[0, 0]) + c * m[0, 1]) + off[0]
    pc = ((0.0 + r * m[1, 0]) + c * m[1, 1]) + off[1]
    qr, qc = map_coordinate(pr, h, mode), map_coordinate(pc, w, mode)
    outside = ~((qr > -1.0) & (qc > -1.0))
    qr, qc = np.where(outside, 0.0, qr), np.where(outside, 0.0, qc)
    fr, fc = np.floor(qr), np.floor(qc)
    wr0 = 1.0 - (qr - fr)
    wr1 = 1.0 - wr0
    wc0 = 1.0 - (qc - fc)
    wc1 = 1.0 - wc0
    fr, fc = fr.astype(np.int64), fc.astype(np.int64)
    ra, rb = tap_index(fr, h, mode), tap_index(fr + 1, h, mode)
    ca, cb = tap_index(fc, w, mode), tap_index(fc + 1, w, mode)
    x = img.astype(np.float64)
    t = 0.0 + x[ra, ca] * wr0 * wc0
    t = t + x[ra, cb] * wr0 * wc1
    t = t + x[rb, ca] * wr1 * wc0
    t = t + x[rb, cb] * wr1 * wc1
    return np.where(outside, cval, t).astype(img.dtype)


def keras_apply_affine(chw, theta, tx, ty, shear, zx, zy, mode, cval):
    t = keras_matrix(theta, tx, ty, shear, zx, zy, chw.shape[1], chw.shape[2])
    if t is None:
        return chw.copy(), None
    out = np.stack([scipy_affine(ch, t[:2, :2], t[:2, 2], mode, cval) for ch in chw])
    try:
        from scipy import ndimage
    except ImportError:
        ndimage = None
    if ndimage is not None:
        ref = np.stack([ndimage.affine_transform(ch, t[:2, :2], t[:2, 2], order=1, mode=mode, cval=cval)
                        for ch in chw])
        assert np.array_equal(ref, out), "numpy transcription differs from scipy (%s)" % mode
    return out, t


MODES = {"constant": 0, "nearest": 1, "reflect": 2, "mirror": 3, "wrap": 4}  # = sg_border values

# theta, tx, ty, shear, zx, zy, cval: all exact in float32 (the C test reads them as float32).
AFFINE_CASES = [
    (30.0, 0, 0, 0, 1, 1, 0.25),
    (-17.25, 2.75, -3.125, 11.5, 0.8125, 1.21875, 0.5),
    (0, 5.5, -4.25, 0, 1, 1, 0.75),
    (0, 0, 0, 0, 1.75, 1.375, 0.0),
    (123.5, -1.5, 2.25, -25.0, 1.5, 0.625, 1.0),
    (0, 0, 0, 35.0, 1, 1, 0.125),
    (90.0, 0, 0, 0, 1, 1, 0.0),
]


def gen_affine():
    rgb = smooth_image(3, 23, 17)
    gray = smooth_image(1, 12, 19)
    save("affine_rgb", rgb)
    save("affine_gray", gray)
    params, mats = [], []
    k = 0
    for case in AFFINE_CASES:
        for mode, code in MODES.items():
            theta, tx, ty, shear, zx, zy, cval = case
            for name, img in (("rgb", rgb), ("gray", gray)):
                out, t = keras_apply_affine(img, theta, tx, ty, shear, zx, zy, mode, cval)
                save("affine_%02d_%s" % (k, name), out)
                if name == "rgb":
                    mats.append(t[:2, :].reshape(-1))
            params.append([theta, tx, ty, shear, zx, zy, code, cval])
            k += 1
    save("affine_params", np.array(params, dtype=np.float32))
    # The Keras matrices for the RGB image (float64 -> float32, compared to 1e-6).
    save("affine_matrices", np.array(mats, dtype=np.float32))


# ---------------------------------------------------------------------- CLAHE

def texture_u8(h, w, low_contrast=False):
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    f = 110 + 60 * np.sin(x / 5.0) * np.cos(y / 7.0) + 0.8 * x - 0.5 * y + RNG.normal(0, 12, (h, w))
    if low_contrast:
        f = 120 + (f - 120) * 0.15
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


# name, (h, w), clip limit, (tiles_x, tiles_y), low contrast
CLAHE_CASES = [
    ("64x64_c2_t8x8", (64, 64), 2.0, (8, 8), False),
    ("23x17_c2_t4x4", (23, 17), 2.0, (4, 4), False),
    ("37x53_c40_t8x8", (37, 53), 40.0, (8, 8), False),
    ("17x40_c3_t8x8", (17, 40), 3.0, (8, 8), True),
    ("16x17_c2_t8x8", (16, 17), 2.0, (8, 8), True),     # height divides, width does not
    ("5x3_c1_t8x8", (5, 3), 1.0, (8, 8), False),        # tiles of one pixel, padding > image
    ("48x32_c0_t4x4", (48, 32), 0.0, (4, 4), False),    # no clipping
    ("100x120_c4_t5x3", (100, 120), 4.0, (5, 3), True),  # non-square grid
    ("61x47_c1.5_t7x6", (61, 47), 1.5, (7, 6), True),
]


def clahe(img, clip, tiles):
    return cv2.createCLAHE(clipLimit=clip, tileGridSize=tiles).apply(img)


def gen_clahe():
    for name, (h, w), clip, tiles, low in CLAHE_CASES:
        img = texture_u8(h, w, low)
        save("clahe_u8_%s_in" % name, img)
        save("clahe_u8_%s_out" % name, clahe(img, clip, tiles))
    # 16 bits: spread the texture over the full range with low bits set.
    img16 = (texture_u8(29, 31).astype(np.uint16) * 257 + RNG.integers(0, 200, (29, 31))).astype(np.uint16)
    save("clahe_u16_29x31_c2_t4x4_in", img16)
    save("clahe_u16_29x31_c2_t4x4_out", clahe(img16, 2.0, (4, 4)))
    # Colour: Y of YCrCb.
    for name, (h, w), depth in (("rgb_u8_23x29", (23, 29), 8), ("rgb_u16_19x21", (19, 21), 16)):
        rgb = np.stack([texture_u8(h, w), texture_u8(h, w, True), texture_u8(h, w)], axis=2)
        if depth == 16:
            rgb = (rgb.astype(np.uint16) * 257 + RNG.integers(0, 255, rgb.shape)).astype(np.uint16)
        ycc = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
        ycc[:, :, 0] = clahe(np.ascontiguousarray(ycc[:, :, 0]), 2.0, (4, 4))
        save("clahe_%s_in" % name, rgb)
        save("clahe_%s_out" % name, cv2.cvtColor(ycc, cv2.COLOR_YCrCb2RGB))


NEU_CLASSES = [("crazing", "Cr"), ("inclusion", "In"), ("patches", "Pa"),
               ("pitted_surface", "PS"), ("rolled-in_scale", "RS"), ("scratches", "Sc")]
NEU_SETTINGS = [(2.0, (8, 8)), (40.0, (8, 8)), (2.0, (7, 7))]   # 200 % 7 != 0: padded tiles


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def gen_neu_manifest():
    """Checksums of OpenCV's CLAHE of a sample of NEU-CLS images (never the images)."""
    root = os.environ.get("SG_DATA_DIR") or os.path.join(os.path.dirname(OUT), "..", "..", "..",
                                                          "shared", "data")
    cls = os.path.join(root, "neu-cls")
    if not os.path.isdir(cls):
        print("no NEU data at %s: clahe_neu.txt left as it is" % os.path.normpath(cls))
        return
    lines = ["# file  fnv1a64 of cv2 CLAHE output (uint8, row-major) for: " +
             "  ".join("clip %g tiles %dx%d" % (c, t[0], t[1]) for c, t in NEU_SETTINGS)]
    for folder, prefix in NEU_CLASSES:
        for k in (1, 50, 100, 150, 200, 250, 300):
            rel = "%s/%s_%d.bmp" % (folder, prefix, k)
            img = np.asarray(Image.open(os.path.join(cls, rel)).convert("L"))
            hashes = ["%016x" % fnv1a64(clahe(img, c, t).tobytes()) for c, t in NEU_SETTINGS]
            lines.append(" ".join([rel] + hashes))
    with open(os.path.join(OUT, "clahe_neu.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def main():
    gen_neu_manifest()
    gen_resize()
    gen_crop_pad()
    gen_colour()
    gen_affine()
    gen_clahe()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d files, %d bytes, into %s" % (len(os.listdir(OUT)), total, os.path.normpath(OUT)))


if __name__ == "__main__":
    main()
