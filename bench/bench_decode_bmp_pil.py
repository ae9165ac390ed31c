"""Pillow's side of bench/bench_decode_bmp.c: decode every NEU-CLS bitmap.

Usage: /usr/bin/python3 bench/bench_decode_bmp_pil.py DIR   (DIR holds <class>/*.bmp)
Prints JSON lines like the C bench:
  memory:         Image.open(BytesIO(bytes)).load() on files already in memory
  memory_numpy:   the same + np.asarray (a contiguous H x W x C array, as ours)
  disk:           Image.open(path).load(), the file read included
Best of 3 passes over all files; the C bench runs this script in the same run.
"""
import io
import json
import os
import sys
import time

import numpy as np
import PIL
from PIL import Image


def files_under(root):
    out = []
    for cls in sorted(os.listdir(root)):
        d = os.path.join(root, cls)
        if os.path.isdir(d):
            out += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.lower().endswith(".bmp")]
    return out


def best_of(passes, fn):
    best = float("inf")
    for _ in range(passes):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    root = sys.argv[1]
    paths = files_under(root)
    blobs = [open(p, "rb").read() for p in paths]
    pixels = 0
    for b in blobs:
        im = Image.open(io.BytesIO(b))
        pixels += im.size[0] * im.size[1]

    def memory():
        for b in blobs:
            Image.open(io.BytesIO(b)).load()

    def memory_numpy():
        for b in blobs:
            np.asarray(Image.open(io.BytesIO(b)))

    def disk():
        for p in paths:
            with Image.open(p) as im:
                im.load()

    for mode, fn in (("memory", memory), ("memory_numpy", memory_numpy), ("disk", disk)):
        t = best_of(3, fn)
        print(json.dumps({"bench": "decode_bmp", "impl": "pillow-" + PIL.__version__, "mode": mode,
                          "files": len(paths), "seconds": round(t, 6),
                          "us_per_image": round(t / len(paths) * 1e6, 2),
                          "mpix_per_s": round(pixels / t / 1e6, 1)}), flush=True)


if __name__ == "__main__":
    main()
