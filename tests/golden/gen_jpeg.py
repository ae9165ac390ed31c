"""Golden JPEG corpus for tests/test_jpeg.c.

Run from the repository root with Debian's Python and tools:
    apt-get install python3-pil python3-numpy libjpeg-turbo-progs
    /usr/bin/python3 tests/golden/gen_jpeg.py
    /usr/bin/python3 tests/golden/gen_jpeg.py --neu ../shared/data/neu-det/images
                        # also rewrites tests/data/neu_det_pixels.fnv (the real data's checksums)
    /usr/bin/python3 tests/golden/gen_jpeg.py --bench /tmp/sg_jpeg_bench
                        # only: 2048 x 2048 photo-like JPEGs for bench_jpeg (not committed)

Writes tests/data/jpeg/: NAME.jpg, the pixels Pillow 9.4 decodes (through
libjpeg-turbo 2.1) as NAME.npy (uint8, H x W x C: gray 1, RGB 3, CMYK 4
channels, as Pillow's modes "L", "RGB", "CMYK"), and manifest.txt, which the
C suite reads:
    ok NAME                          decodes to NAME.npy, bit for bit
    error NAME format|unsupported    must be refused with that error class
The C suite never needs Python.

Where the files come from:
  - Pillow's encoder (libjpeg-turbo inside): baseline at several qualities and
    subsamplings (4:4:4, 4:2:2, 4:2:0), optimized Huffman tables, progressive,
    grayscale, CMYK (Pillow writes Adobe's APP14 marker and inverted samples);
  - cjpeg from libjpeg-turbo-progs, for what Pillow cannot write: other
    sampling factors (4:1:1, 4:4:0, 3:1, 2x4, 1x4), restart intervals
    (DRI + RSTn, per MCU row and per 2 MCUs, also progressive), RGB stored as
    RGB (Adobe transform 0, component ids 'R','G','B'), 16-bit quantization
    tables (SOF1), a sequential file with one scan per component, grayscale
    with restarts, and arithmetic coding (which we refuse);
  - byte edits of those files, for what no encoder writes: YCCK (a CMYK
    file's Adobe transform set to 2), RGB recognised by component ids alone
    (APP14 removed), fill bytes before markers, extra COM/APP segments, a
    missing EOI, no DHT segment (the decoder must fall back on the Annex K
    tables, as libjpeg does), restart markers deleted / renumbered / out of
    order (libjpeg's resynchronisation), and the refusals (12-bit precision,
    lossless SOF3, hierarchical SOF5, truncation, no frame header).
Pillow's pixels are the expected answer for every ok file, including the
damaged ones it decodes with warnings. Exception: Pillow refuses a file cut
before its EOI marker (PIL raises "image file is truncated" when the data
ends); libjpeg's own answer for it, like ours, is the complete image, so
no_eoi's expected pixels are Pillow's for the file with its EOI.

The real-data checksums (--neu): one line per NEU-DET image,
    NAME HEIGHT WIDTH CHANNELS FNV1A64
where FNV1A64 is the 64-bit FNV-1a hash (offset basis 0xcbf29ce484222325,
prime 0x100000001b3, over bytes) of Pillow's H x W x C uint8 pixels in
row-major order, as 16 hex digits. tests/test_neu_det.c computes the same.
"""
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.path.join(ROOT, "tests", "data", "jpeg")
manifest = []


def photo(w, h, seed):
    """A photo-like RGB test image: smooth colour waves, a hard-edged patch
    (chroma edges exercise upsampling) and noise (high frequencies)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.stack([128 + 90 * np.sin(x / (w / 2.7 + 1) + c) * np.cos(y / (h / 1.9 + 1) - c)
                    for c in range(3)], -1)
    img += rng.normal(0, 14, img.shape)
    img[h // 4:(3 * h) // 4, w // 3:(2 * w) // 3] = [215, 45, 30]
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def pixels(data):
    """Pillow's decoded pixels as H x W x C uint8."""
    im = Image.open(io.BytesIO(data))
    a = np.asarray(im)
    if a.ndim == 2:
        a = a[:, :, None]
    return np.ascontiguousarray(a, dtype=np.uint8)


def save_ok(name, data, expected=None):
    with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
        f.write(data)
    np.save(os.path.join(OUT, name + ".npy"), pixels(data) if expected is None else expected)
    manifest.append("ok " + name)


def save_bad(name, data, kind):
    with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
        f.write(data)
    manifest.append("error %s %s" % (name, kind))


def pil_jpeg(im, **kw):
    buf = io.BytesIO()
    im.save(buf, "JPEG", **kw)
    return buf.getvalue()


def cjpeg(im, *args):
    if not shutil.which("cjpeg"):
        sys.exit("gen_jpeg.py needs cjpeg: apt-get install libjpeg-turbo-progs")
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "in.ppm" if im.mode == "RGB" else "in.pgm")
        dst = os.path.join(tmp, "out.jpg")
        im.save(src)
        subprocess.run(["cjpeg", *args, "-outfile", dst, src], check=True)
        with open(dst, "rb") as f:
            return f.read()


def segments(data):
    """(offset, marker, length including the 2 marker bytes) of each header
    segment up to and including the first SOS."""
    out, i = [], 2
    while i < len(data):
        assert data[i] == 0xFF, "not at a marker"
        m = data[i + 1]
        if m == 0xFF:
            i += 1
            continue
        n = (data[i + 2] << 8) | data[i + 3]
        out.append((i, m, 2 + n))
        if m == 0xDA:
            break
        i += 2 + n
    return out


def drop_segments(data, marker):
    keep, last = bytearray(), 0
    for off, m, n in segments(data):
        if m == marker:
            keep += data[last:off]
            last = off + n
    return bytes(keep + data[last:])


def patch(data, offset, value):
    b = bytearray(data)
    b[offset] = value
    return bytes(b)


def restart_markers(data):
    return [m.start() for m in re.finditer(rb"\xff[\xd0-\xd7]", data)]


def build_corpus():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    small, wide, mid = photo(17, 13, 1), photo(33, 9, 2), photo(64, 48, 3)

    # Pillow: baseline at several qualities and subsamplings (0 = 4:4:4, 1 = 4:2:2, 2 = 4:2:0)
    for name, im, q, ss in [("rgb_17x13_q50_444", small, 50, 0), ("rgb_17x13_q90_422", small, 90, 1),
                            ("rgb_17x13_q75_420", small, 75, 2), ("rgb_33x9_q95_420", wide, 95, 2),
                            ("rgb_33x9_q60_422", wide, 60, 1), ("rgb_64x48_q85_420", mid, 85, 2),
                            ("rgb_64x48_q95_444", mid, 95, 0), ("rgb_1x1_q75_420", photo(1, 1, 4), 75, 2),
                            ("rgb_2x7_q75_420", photo(2, 7, 5), 75, 2),
                            ("rgb_3x3_q90_422", photo(3, 3, 6), 90, 1)]:
        save_ok(name, pil_jpeg(im, quality=q, subsampling=ss))
    save_ok("optimized_64x48_q80", pil_jpeg(mid, quality=80, optimize=True))
    save_ok("prog_64x48_q80_420", pil_jpeg(mid, quality=80, progressive=True))
    save_ok("prog_33x9_q90_444", pil_jpeg(wide, quality=90, subsampling=0, progressive=True))
    save_ok("prog_17x13_q70_422", pil_jpeg(small, quality=70, subsampling=1, progressive=True))
    save_ok("gray_17x13_q75", pil_jpeg(small.convert("L"), quality=75))
    save_ok("gray_64x48_q95", pil_jpeg(mid.convert("L"), quality=95))
    save_ok("gray_prog_33x9_q85", pil_jpeg(wide.convert("L"), quality=85, progressive=True))
    cmyk = pil_jpeg(wide.convert("CMYK"), quality=90)
    save_ok("cmyk_33x9_q90", cmyk)
    save_ok("cmyk_prog_17x13_q80", pil_jpeg(small.convert("CMYK"), quality=80, progressive=True))
    # YCCK: the same 4 components read as Y, Cb, Cr, K (Adobe transform 2)
    adobe = [off for off, m, n in segments(cmyk) if m == 0xEE][0]
    save_ok("ycck_33x9", patch(cmyk, adobe + 4 + 11, 2))

    # cjpeg: sampling factors Pillow cannot write ("HxV" of luma; chroma 1x1)
    for name, im, samp in [("s411_33x9", wide, "4x1"), ("s440_17x13", small, "1x2"),
                           ("s31_17x13", small, "3x1"), ("s24_33x9", wide, "2x4"),
                           ("s14_17x13", small, "1x4"), ("s42_64x48", mid, "4x2")]:
        save_ok(name, cjpeg(im, "-quality", "85", "-sample", samp + ",1x1,1x1"))
    save_ok("prog_s411_33x9", cjpeg(wide, "-quality", "80", "-sample", "4x1,1x1,1x1",
                                    "-progressive"))
    rst_rows = cjpeg(mid, "-quality", "85", "-restart", "1")
    save_ok("restart_rows_64x48", rst_rows)
    rst_mcus = cjpeg(mid, "-quality", "85", "-restart", "2B")
    save_ok("restart_2mcus_64x48", rst_mcus)
    save_ok("restart_2mcus_444_33x9", cjpeg(wide, "-quality", "90", "-sample", "1x1,1x1,1x1",
                                            "-restart", "2B"))
    prog_rst = cjpeg(mid, "-quality", "85", "-progressive", "-restart", "1")
    save_ok("prog_restart_64x48", prog_rst)
    save_ok("gray_restart_33x9", cjpeg(wide.convert("L"), "-quality", "90", "-restart", "1"))
    rgb = cjpeg(small, "-quality", "90", "-rgb")
    save_ok("rgb_adobe_17x13", rgb)                        # Adobe transform 0, ids R G B
    save_ok("rgb_ids_17x13", drop_segments(rgb, 0xEE))     # ids 'R','G','B' alone
    with tempfile.TemporaryDirectory() as tmp:
        qt = os.path.join(tmp, "q.txt")
        with open(qt, "w") as f:   # values above 255 need 16-bit DQT entries (SOF1)
            f.write(" ".join(str(300 + 7 * i) if i % 5 == 0 else str(1 + i) for i in range(64)) + "\n")
        save_ok("dqt16_17x13", cjpeg(small, "-qtables", qt))
        scans = os.path.join(tmp, "scans.txt")
        with open(scans, "w") as f:   # sequential, one scan per component
            f.write("0;\n1;\n2;\n")
        save_ok("scan_per_component_33x9", cjpeg(wide, "-quality", "85", "-scans", scans))

    # Byte edits.
    base = pil_jpeg(mid, quality=75)
    sos = [off for off, m, n in segments(base) if m == 0xDA][0]
    save_ok("fill_bytes_64x48", base[:sos] + b"\xff\xff\xff" + base[sos:-2] + b"\xff\xff" + base[-2:])
    save_ok("com_app_64x48", base[:2] + b"\xff\xfe\x00\x07hello" + b"\xff\xe2\x00\x04\x00\x00"
            + base[2:])
    save_ok("no_eoi_64x48", base[:-2], expected=pixels(base))
    save_ok("no_dht_64x48", drop_segments(base, 0xC4))
    rst = restart_markers(rst_mcus)
    p = rst[2]
    save_ok("rst_missing_64x48", rst_mcus[:p] + rst_mcus[p + 2:])
    save_ok("rst_renumbered_64x48", patch(rst_mcus, p + 1, 0xD0 + ((rst_mcus[p + 1] - 0xD0 + 4) & 7)))
    save_ok("rst_ahead_64x48", patch(rst_mcus, p + 1, 0xD0 + ((rst_mcus[p + 1] - 0xD0 + 1) & 7)))
    save_ok("rst_old_64x48", patch(rst_mcus, p + 1, 0xD0 + ((rst_mcus[p + 1] - 0xD0 - 1) & 7)))
    save_ok("rst_garbage_64x48", rst_mcus[:p] + b"\x12\x34\x56" + rst_mcus[p:])
    save_ok("rst_eoi_early_64x48", rst_mcus[:p] + b"\xff\xd9")
    prst = restart_markers(prog_rst)
    q = prst[len(prst) // 2]
    save_ok("prog_rst_missing_64x48", prog_rst[:q] + prog_rst[q + 2:])

    # Refusals.
    save_bad("bad_arithmetic_17x13", cjpeg(small, "-arithmetic"), "unsupported")
    sof = [off for off, m, n in segments(base) if m == 0xC0][0]
    save_bad("bad_12bit_64x48", patch(base, sof + 4, 12), "unsupported")
    save_bad("bad_lossless_64x48", patch(base, sof + 1, 0xC3), "unsupported")
    save_bad("bad_hierarchical_64x48", patch(base, sof + 1, 0xC5), "unsupported")
    save_bad("bad_truncated_64x48", base[:len(base) // 2], "format")
    save_bad("bad_no_sof_64x48", drop_segments(base, 0xC0), "format")
    save_bad("bad_not_jpeg", b"\xff\xd8\xff\xe0 this is not a JPEG at all", "format")

    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# tests/golden/gen_jpeg.py: ok NAME (NAME.npy = Pillow's pixels) | "
                "error NAME format|unsupported\n")
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d cases to %s (%d bytes)" % (len(manifest), OUT, total))


def fnv1a64(data):
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def neu_checksums(image_dir):
    lines = ["# NEU-DET: file, height, width, channels, FNV-1a 64 of Pillow 9.4's 8-bit pixels",
             "# (H x W x C, row-major); tests/golden/gen_jpeg.py --neu"]
    for name in sorted(os.listdir(image_dir)):
        if not name.endswith(".jpg"):
            continue
        with open(os.path.join(image_dir, name), "rb") as f:
            a = pixels(f.read())
        lines.append("%s %d %d %d %016x" % (name, a.shape[0], a.shape[1], a.shape[2],
                                            fnv1a64(a.tobytes())))
    path = os.path.join(ROOT, "tests", "data", "neu_det_pixels.fnv")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %d checksums to %s" % (len(lines) - 2, path))


def bench_images(out_dir):
    """2048 x 2048 photo-like images (smooth shading, colour blobs, fine
    texture, mild noise) at quality 90: 4:2:0, 4:4:4 and progressive."""
    os.makedirs(out_dir, exist_ok=True)
    w = h = 2048
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([128 + 90 * np.sin(x / (97 + c * 13) + c) * np.cos(y / (151 - c * 7))
                    + 30 * np.sin((x + y) / 17.0 + c) for c in range(3)], -1)
    for _ in range(40):
        cx, cy, r = rng.integers(0, w), rng.integers(0, h), rng.integers(20, 200)
        inside = (x - cx) ** 2 + (y - cy) ** 2 < r * r
        img[inside] = img[inside] * 0.5 + rng.integers(0, 255, 3) * 0.5
    img += rng.normal(0, 6, img.shape)
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    im.save(os.path.join(out_dir, "photo2048_420.jpg"), quality=90)
    im.save(os.path.join(out_dir, "photo2048_444.jpg"), quality=90, subsampling=0)
    im.save(os.path.join(out_dir, "photo2048_progressive.jpg"), quality=90, progressive=True)
    print("wrote 3 bench images to %s" % out_dir)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bench":
        bench_images(sys.argv[2])
        sys.exit(0)
    build_corpus()
    if len(sys.argv) == 3 and sys.argv[1] == "--neu":
        neu_checksums(sys.argv[2])
