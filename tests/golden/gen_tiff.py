"""Golden TIFF corpus for tests/test_tiff.c.

Run from the repository root with the project's virtualenv (numpy, tifffile,
imagecodecs, Pillow):
    /work/venv/bin/pip install tifffile imagecodecs pillow
    /work/venv/bin/python tests/golden/gen_tiff.py
Writes tests/data/tiff/: <case>.tif, the pixels it holds as <case>.npy
(H x W x C, uint8 or uint16, steelgrad's layout: C = 1 gray, 2 gray + alpha,
3 RGB, 4 RGBA) and manifest.txt, which the C suite reads. The C suite never
needs Python.

Files are written by tifffile (which compresses with imagecodecs: LZW,
Deflate, PackBits, the horizontal predictor), every variant the decoder takes:
both byte orders, strips (RowsPerStrip 3, so the last strip is short) and
16 x 16 tiles (21 x 18 pixels: 2 x 2 tiles, the edge ones partial), no
compression, PackBits, LZW, Deflate as compression 8 and 32946, with and
without predictor 2, 8- and 16-bit gray (MinIsBlack and MinIsWhite), RGB,
gray + alpha and RGBA, and a multi-page file; and a few files Pillow
writes itself (libtiff's strip layout and tags). The expected pixels are the
array we wrote (MinIsWhite inverted: v -> max - v, which is how PIL shows
it); the generator checks that tifffile reads every file back to the stored
samples and that Pillow, where it opens the mode (8-bit L, LA, RGB, RGBA;
16-bit gray as I;16), decodes the same pixels. Malformed and unsupported
files are patched by hand from valid ones.

manifest.txt lines:
    ok NAME C DEPTH PAGES     NAME.npy expected; PAGES > 1: the decoder warns
    error NAME format|unsupported|limit NEEDLE
                              sg_tiff_decode fails with that class and a
                              message containing NEEDLE
"""
import io
import os
import struct
import sys

import numpy as np
import tifffile
from PIL import Image

OUT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "tiff"))
manifest = []
pil_checked = 0


def pattern(h, w, c, depth, seed):
    """Smooth ramps plus noise: predictors and LZW both have work to do."""
    rng = np.random.default_rng(seed)
    top = 255 if depth == 8 else 65535
    y, x = np.mgrid[0:h, 0:w]
    planes = []
    for ch in range(c):
        ramp = (x * (97 + 31 * ch) + y * (57 + 13 * ch)) * (top // 600)
        noise = rng.integers(0, top // 8, size=(h, w))
        planes.append((ramp + noise) % (top + 1))
    a = np.stack(planes, axis=2).astype(np.uint8 if depth == 8 else np.uint16)
    if depth == 16:
        a[0, 0, 0], a[0, 1, 0] = 0, 65535   # the full range
    return a


def pil_pixels(path, c, depth, miniswhite):
    """Pillow's reading of the file in steelgrad's layout, or None when it
    does not open the mode."""
    try:
        im = Image.open(path)
        im.load()
    except Exception:
        return None
    if depth == 16:
        if c != 1 or im.mode not in ("I;16", "I;16B", "I;16N", "I"):
            return None
        return np.asarray(im).astype(np.int64).reshape(im.size[1], im.size[0], 1)
    if im.mode not in ("L", "LA", "RGB", "RGBA"):
        return None
    a = np.asarray(im)
    return a.reshape(a.shape[0], a.shape[1], -1)


def ok(name, data, depth, pages=1, expected=None, **kw):
    """Write data (H x W x C) with tifffile options kw; record the case."""
    global pil_checked
    path = os.path.join(OUT, name + ".tif")
    c = data.shape[2]
    pw = kw.pop("photometric", "minisblack" if c <= 2 else "rgb")
    extras = {}
    if (pw == "minisblack" or pw == "miniswhite") and c == 2 or pw == "rgb" and c == 4:
        extras["extrasamples"] = [2]     # unassociated alpha
    arr = data[:, :, 0] if c == 1 else data
    with tifffile.TiffWriter(path, byteorder=kw.pop("byteorder", "<")) as tw:
        for p in range(pages):
            page = arr if p == 0 else (arr // 2)
            tw.write(page, photometric=pw, planarconfig="contig", metadata=None, **extras, **kw)
    back = tifffile.imread(path, key=0)
    assert np.array_equal(back.reshape(data.shape), data), name
    want = data.copy() if expected is None else expected
    if pw == "miniswhite":
        top = 255 if depth == 8 else 65535
        want[:, :, 0] = top - want[:, :, 0]
    pil = pil_pixels(path, c, depth, pw == "miniswhite")
    if pil is not None and not (pw == "miniswhite" and depth == 16):
        assert pil.shape == want.shape and np.array_equal(pil, want), (name, "Pillow differs")
        pil_checked += 1
    np.save(os.path.join(OUT, name + ".npy"), want)
    manifest.append(f"ok {name} {c} {depth} {pages}")


COMPRESSIONS = [   # (suffix, tifffile compression, predictor)
    ("raw", None, None),
    ("packbits", "packbits", None),
    ("lzw", "lzw", None),
    ("lzw_pred", "lzw", "horizontal"),
    ("deflate8_pred", ("adobe_deflate", 6), "horizontal"),   # Compression 8
    ("deflate32946", ("deflate", 6), None),                  # Compression 32946
    ("deflate32946_pred", ("deflate", 6), "horizontal"),
]


def compression_args(comp, pred):
    kw = {}
    if comp is not None:
        if isinstance(comp, tuple):
            kw["compression"], kw["compressionargs"] = comp[0], {"level": comp[1]}
        else:
            kw["compression"] = comp
    if pred is not None:
        kw["predictor"] = pred
    return kw


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    layouts = [  # (name, channels, depth, photometric)
        ("gray8", 1, 8, "minisblack"), ("gray16", 1, 16, "minisblack"),
        ("white8", 1, 8, "miniswhite"), ("white16", 1, 16, "miniswhite"),
        ("rgb8", 3, 8, "rgb"), ("ga8", 2, 8, "minisblack"), ("rgba8", 4, 8, "rgb"),
        ("ga16", 2, 16, "minisblack"), ("rgb16", 3, 16, "rgb"), ("rgba16", 4, 16, "rgb"),
    ]
    seed = 1
    for lname, c, depth, pw in layouts:
        for cname, comp, pred in COMPRESSIONS:
            # Every layout x compression twice: little-endian strips, big-endian tiles.
            for order, tiled in (("<", False), (">", True)):
                seed += 1
                h, w = (18, 21) if tiled else (7, 13)
                data = pattern(h, w, c, depth, seed)
                kw = compression_args(comp, pred)
                if tiled:
                    kw["tile"] = (16, 16)
                else:
                    kw["rowsperstrip"] = 3
                where = ("be_tiles" if tiled else "le_strips")
                ok(f"{lname}_{cname}_{where}", data, depth, photometric=pw, byteorder=order, **kw)
    # The other pairings too, for the common layouts.
    for lname, c, depth in (("gray8", 1, 8), ("gray16", 1, 16), ("rgb8", 3, 8)):
        for cname, comp, pred in COMPRESSIONS:
            for order, tiled in ((">", False), ("<", True)):
                seed += 1
                h, w = (18, 21) if tiled else (7, 13)
                kw = compression_args(comp, pred)
                kw.update({"tile": (16, 16)} if tiled else {"rowsperstrip": 3})
                ok(f"{lname}_{cname}_{'le_tiles' if tiled else 'be_strips'}",
                   pattern(h, w, c, depth, seed), depth, byteorder=order, **kw)
    # One strip for the whole image; LZW long enough to fill the table
    # (12-bit codes, Clear codes in the middle of a strip).
    ok("gray8_one_strip", pattern(7, 13, 1, 8, 90), 8)
    rng = np.random.default_rng(91)
    noise = rng.integers(0, 256, size=(96, 96, 1)).astype(np.uint8)
    ok("gray8_lzw_table_full", noise, 8, compression="lzw")
    noise16 = rng.integers(0, 65536, size=(48, 64, 1)).astype(np.uint16)
    ok("gray16_lzw_pred_table_full_be", noise16, 16, compression="lzw", predictor="horizontal", byteorder=">")
    # Three pages: the first is decoded, with a warning.
    ok("gray8_three_pages", pattern(7, 13, 1, 8, 92), 8, pages=3)
    ok("rgb8_two_pages_lzw", pattern(7, 13, 3, 8, 93), 8, pages=2, compression="lzw")

    pillow_written()
    errors()
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# made by tests/golden/gen_tiff.py; see its docstring\n")
        f.write("\n".join(manifest) + "\n")
    n_ok = sum(1 for m in manifest if m.startswith("ok "))
    print(f"{n_ok} valid files ({pil_checked} also checked against Pillow), "
          f"{len(manifest) - n_ok} error cases in {OUT}")


def pillow_written():
    """Files Pillow writes (through libtiff when compressed): another writer's
    RowsPerStrip and tag layout. Expected = Pillow's own reading, which
    tifffile must agree with."""
    global pil_checked
    cases = [("L", 1, "raw"), ("L", 1, "tiff_lzw"), ("RGB", 3, "tiff_adobe_deflate"),
             ("RGBA", 4, "packbits"), ("LA", 2, "tiff_lzw"), ("RGB", 3, "tiff_lzw"), ("I;16", 1, "raw"),
             ("I;16", 1, "tiff_lzw")]
    for k, (mode, c, comp) in enumerate(cases):
        depth = 16 if mode == "I;16" else 8
        data = pattern(29, 31, c, depth, 200 + k)
        raw = data.astype("<u2").tobytes() if depth == 16 else data.tobytes()
        im = Image.frombytes(mode, (31, 29), raw)
        name = f"pillow_{mode.replace(';', '').lower()}_{comp}"
        path = os.path.join(OUT, name + ".tif")
        im.save(path, compression=None if comp == "raw" else comp)
        want = pil_pixels(path, c, depth, False)
        assert want is not None and np.array_equal(want, data), name
        back = tifffile.imread(path)
        assert np.array_equal(back.reshape(data.shape), data), (name, "tifffile differs")
        pil_checked += 1
        np.save(os.path.join(OUT, name + ".npy"), data)
        manifest.append(f"ok {name} {c} {depth} 1")


# ---------------------------------------------------------------------------
# Malformed and unsupported files
# ---------------------------------------------------------------------------
def tiff_bytes(data, **kw):
    buf = io.BytesIO()
    tifffile.imwrite(buf, data, metadata=None, **kw)
    return bytearray(buf.getvalue())


def ifd_entries(b):
    """{tag: (entry offset, type, count, value/offset)} of the first IFD."""
    e = "<" if b[:2] == b"II" else ">"
    off = struct.unpack(e + "I", b[4:8])[0]
    n = struct.unpack(e + "H", b[off:off + 2])[0]
    out = {}
    for i in range(n):
        at = off + 2 + 12 * i
        tag, typ, cnt, val = struct.unpack(e + "HHII", b[at:at + 12])
        out[tag] = (at, typ, cnt, val)
    return out, e, off, n


def set_value(b, tag, value):
    """Overwrite the (inline) first value of a SHORT or LONG tag."""
    ents, e, _, _ = ifd_entries(b)
    at, typ, cnt, _ = ents[tag]
    if typ == 3:
        b[at + 8:at + 10] = struct.pack(e + "H", value)
    else:
        b[at + 8:at + 12] = struct.pack(e + "I", value)


def set_array(b, tag, index, value):
    """Overwrite value `index` of a SHORT or LONG array stored at an offset."""
    ents, e, _, _ = ifd_entries(b)
    at, typ, cnt, off = ents[tag]
    size, code = (2, "H") if typ == 3 else (4, "I")
    assert cnt * size > 4
    b[off + index * size:off + (index + 1) * size] = struct.pack(e + code, value)


def error(name, data, kind, needle):
    with open(os.path.join(OUT, name + ".tif"), "wb") as f:
        f.write(bytes(data))
    manifest.append(f"error {name} {kind} {needle}")


def errors():
    img = pattern(7, 13, 1, 8, 100)
    good = tiff_bytes(img[:, :, 0], rowsperstrip=3)
    error("truncated_header", good[:6], "format", "header")
    error("truncated_half", good[:len(good) // 2], "format", "TIFF")
    ents, e, _, _ = ifd_entries(good)
    at, typ, cnt, val = ents[273]
    b = bytearray(good)
    set_array(b, 273, 0, len(b) - 2)                    # first strip starts 2 bytes before the end
    error("strip_past_end", b, "format", "past the end")
    b = bytearray(good)
    set_array(b, 279, 1, 60000)                         # second strip claims 60000 bytes
    error("bytecount_past_end", b, "format", "past the end")
    b = bytearray(good)
    b[4:8] = struct.pack(e + "I", len(b) + 100)
    error("ifd_past_end", b, "format", "outside the file")
    b = bytearray(good)
    _, _, off, n = ifd_entries(b)
    b[off + 2 + 12 * n:off + 6 + 12 * n] = struct.pack(e + "I", off)   # next IFD = itself
    error("ifd_loop", b, "format", "loops")
    b = bytearray(good)
    at, typ, cnt, val = ents[273]
    b[at + 4:at + 8] = struct.pack(e + "I", 1 << 29)    # StripOffsets count far past the file
    error("offsets_count_past_end", b, "format", "StripOffsets")
    b = bytearray(good)
    set_value(b, 256, 100000)
    set_value(b, 257, 100000)
    set_value(b, 278, 100000)
    error("huge_dimensions", b, "limit", "limit")
    b = bytearray(good)
    set_value(b, 256, 0)
    error("zero_width", b, "format", "size")
    # A strip of 3 rows that holds only 10 bytes.
    b = bytearray(good)
    set_array(b, 279, 0, 10)
    error("strip_short", b, "format", "its rows need")

    lzw = tiff_bytes(img[:, :, 0], compression="lzw", rowsperstrip=7)
    ents, e, _, _ = ifd_entries(lzw)
    at, typ, cnt, off = ents[273]
    _, _, _, nbytes = ents[279]
    b = bytearray(lzw)
    b[off:off + nbytes] = b"\xff" * nbytes               # code 511 with an empty table
    error("lzw_garbage", b, "format", "LZW")
    b = bytearray(lzw)
    b[off:off + nbytes] = bytes([0x80, 0x00, 0x20, 0x0F, 0xFF, 0xF0]) + b"\x00" * (nbytes - 6)
    error("lzw_code_beyond_table", b, "format", "LZW")    # clear, 'A', then code 4095
    b = bytearray(lzw)
    b[off + 2:off + nbytes] = b"\x00" * (nbytes - 2)    # stops early: too few bytes
    error("lzw_short", b, "format", "LZW")
    dfl = tiff_bytes(img[:, :, 0], compression="deflate", rowsperstrip=7)
    ents, e, _, _ = ifd_entries(dfl)
    _, _, _, off = ents[273]
    _, _, _, nbytes = ents[279]
    b = bytearray(dfl)
    b[off + 2:off + nbytes] = bytes(range(7, 7 + nbytes - 2))
    error("deflate_garbage", b, "format", "")
    pb = tiff_bytes(img[:, :, 0], compression="packbits", rowsperstrip=7)
    ents, e, _, _ = ifd_entries(pb)
    at, _, _, _ = ents[279]
    b = bytearray(pb)
    b[at + 8:at + 12] = struct.pack(e + "I", 5)
    error("packbits_short", b, "format", "PackBits")

    # Valid TIFFs of variants we refuse, with the tag in the message.
    rgb = pattern(7, 13, 3, 8, 101)
    error("planar_separate", tiff_bytes(np.moveaxis(rgb, 2, 0), planarconfig="separate", photometric="rgb"),
          "unsupported", "PlanarConfiguration (tag 284) 2")
    error("jpeg_in_tiff", tiff_bytes(rgb, compression="jpeg", photometric="rgb"),
          "unsupported", "Compression (tag 259) 7")
    error("float32", tiff_bytes(np.linspace(0, 1, 91, dtype=np.float32).reshape(7, 13)),
          "unsupported", "SampleFormat (tag 339) 3")
    error("int16", tiff_bytes(np.arange(91, dtype=np.int16).reshape(7, 13)),
          "unsupported", "SampleFormat (tag 339) 2")
    error("bilevel", tiff_bytes(img[:, :, 0] > 128), "unsupported", "BitsPerSample (tag 258) 1")
    cmap = np.zeros((3, 256), dtype=np.uint16)
    cmap[0] = np.arange(256) * 257
    error("palette", tiff_bytes(img[:, :, 0], photometric="palette", colormap=cmap),
          "unsupported", "PhotometricInterpretation (tag 262) 3")
    error("bigtiff", tiff_bytes(img[:, :, 0], bigtiff=True), "unsupported", "BigTIFF")
    b = bytearray(tiff_bytes(img[:, :, 0], tile=(16, 16)))
    set_value(b, 322, 65520)                              # a tile far bigger than the image
    set_value(b, 323, 65520)
    error("tile_over_limit", b, "limit", "cover")


if __name__ == "__main__":
    sys.exit(main())
