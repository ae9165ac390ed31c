"""Golden PNG corpus for tests/test_png.c and tests/test_inflate.c.

Run from the repository root with Debian's Python (python3-pil 9.4, numpy):
    /usr/bin/python3 tests/golden/gen_png.py            # the committed corpus
    /usr/bin/python3 tests/golden/gen_png.py --bench /tmp/sg_png_bench
                                                        # big files for bench_png
Writes tests/data/png/: <case>.png, the pixels Pillow decodes as <case>.npy
(H x W x C, uint8 or uint16, in steelgrad's channel layout, see below), and
manifest.txt, which the C suite reads. Also inflate_*.zz / inflate_*.raw:
zlib and raw DEFLATE streams made by Python's zlib (all block types) with the
bytes they decode to. The C suite never needs Python.

Most PNGs are assembled here by hand (Pillow cannot write interlaced files,
16-bit colour, 2/4-bit gray, or a chosen filter per row): signature, IHDR,
PLTE/tRNS, scanlines with the filter we pick, zlib at a chosen level/strategy,
IDAT split as we like, IEND. Every file is then decoded by Pillow and its
pixels are the expected answer; where Pillow keeps less than the file holds
(16-bit colour: it keeps the high byte) the generator also checks that
Pillow's bytes are the high bytes of the samples it wrote, and stores the full
16-bit samples as <case>.u16.npy.

How Pillow's modes map to steelgrad's output (sg_png_decode keeps the file's
channel count and depth; a palette expands):
    gray 1/2/4-bit  Pillow "1" / "L;2" / "L;4" -> C=1 uint8, v * 255 / (2^d - 1)
                    (mode "1" compared through .convert("L"): 0 / 255)
    gray 8          "L"                         -> C=1 uint8            exact
    gray 16         "I" (int32, full value)     -> C=1 uint16           exact
    RGB 8 / RGBA 8 / gray+alpha 8                -> C=3 / 4 / 2 uint8    exact
    RGB 16          "RGB" from "RGB;16B"        -> C=3 uint16  high byte = Pillow's
    RGBA 16         "RGBA" from "RGBA;16B"      -> C=4 uint16  high byte = Pillow's
    gray+alpha 16   "RGBA" from "LA;16B"        -> C=2 uint16  high byte = Pillow's (L, A)
    palette         "P" .convert("RGB")         -> C=3 uint8            exact
    palette + tRNS  "P" .convert("RGBA")        -> C=4 uint8            exact
    gray/RGB + tRNS colour key: Pillow keeps "L"/"I"/"RGB" (the key goes to
                    im.info) -> the same channels, the key is ignored.
manifest.txt lines:
    ok NAME C DEPTH exact|hi8     NAME.npy expected (hi8: compare our >> 8;
                                  NAME.u16.npy then holds the exact samples)
    error NAME format|unsupported|limit   sg_png_decode must fail with that class
    size NAME BYTES               Pillow's file size for NAME.npy's pixels at its
                                  default (zlib level 6); our writer must stay
                                  within 1.3x of it
    inflate NAME.zz NAME.raw zlib|raw
"""
import io
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "png")
OUT = os.path.normpath(OUT)
manifest = []

# ---------------------------------------------------------------------------
# A small PNG encoder (PNG spec, ISO/IEC 15948 / W3C PNG 2nd edition)
# ---------------------------------------------------------------------------
SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Adam7 passes: (x0, y0, dx, dy), spec section 8.2.
ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
         (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


def chunk(ctype, data):
    crc = zlib.crc32(ctype + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", crc)


def pack_row(samples, depth):
    """One row of samples (1-D uint array, channels interleaved) -> bytes."""
    if depth == 16:
        return samples.astype(">u2").tobytes()
    if depth == 8:
        return samples.astype(np.uint8).tobytes()
    per = 8 // depth
    out = bytearray((len(samples) * depth + 7) // 8)
    for i, v in enumerate(samples):
        out[i // per] |= int(v) << (8 - depth * (i % per + 1))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_row(ftype, row, prev, bpp):
    """Spec section 9.2: the five filter types on one row of bytes."""
    out = bytearray(len(row))
    for i in range(len(row)):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i]
        c = prev[i - bpp] if i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ftype]
        out[i] = (row[i] - pred) & 0xFF
    return bytes([ftype]) + bytes(out)


def scanlines(img, depth, interlace, filters):
    """img: H x W x C array of samples. filters(row_index) -> filter type."""
    h, w, c = img.shape
    bpp = max(1, c * depth // 8)
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    out, k = bytearray(), 0
    for x0, y0, dx, dy in passes:
        sub = img[y0::dy, x0::dx, :]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue   # an empty pass has no scanlines at all, not even filter bytes
        prev = bytes(len(pack_row(sub[0].reshape(-1), depth)))
        for y in range(sub.shape[0]):
            row = pack_row(sub[y].reshape(-1), depth)
            out += filter_row(filters(k), row, prev, bpp)
            prev = row
            k += 1
    return bytes(out)


def zlib_stream(data, level=9, strategy=zlib.Z_DEFAULT_STRATEGY, pieces=1):
    co = zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy)
    out, step = b"", max(1, len(data) // pieces)
    for i in range(0, len(data), step):
        out += co.compress(data[i:i + step])
        if pieces > 1:
            out += co.flush(zlib.Z_SYNC_FLUSH)   # ends with an empty stored block
    return out + co.flush()


def encode(img, ctype, depth, interlace=0, filters=lambda k: k % 5, level=9,
           strategy=zlib.Z_DEFAULT_STRATEGY, palette=None, trns=None, idat_split=None,
           zero_idat=False, before=b"", after=b"", ihdr_size=None, stream=None):
    h, w, _ = img.shape
    W, H = ihdr_size or (w, h)
    png = SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, depth, ctype, 0, 0, interlace))
    png += before
    if palette is not None:
        png += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        png += chunk(b"tRNS", trns)
    z = stream if stream is not None else zlib_stream(scanlines(img, depth, interlace, filters),
                                                      level, strategy)
    if zero_idat:
        png += chunk(b"IDAT", b"")
    parts = [z] if not idat_split else [z[i:i + idat_split] for i in range(0, len(z), idat_split)]
    for i, p in enumerate(parts):
        png += chunk(b"IDAT", p)
        if zero_idat and i == len(parts) // 2:
            png += chunk(b"IDAT", b"")
    return png + after + chunk(b"IEND", b"")


# ---------------------------------------------------------------------------
# Pixels Pillow decodes, in steelgrad's layout
# ---------------------------------------------------------------------------
def pil_pixels(data):
    im = Image.open(io.BytesIO(data))
    im.load()
    ctype, depth = data[25], data[24]
    if im.mode == "P":
        return np.array(im.convert("RGBA" if "transparency" in im.info else "RGB"))
    if im.mode == "1":
        return np.array(im.convert("L"))[:, :, None]
    if im.mode == "L":
        return np.array(im)[:, :, None]
    if im.mode == "I":
        return np.array(im).astype(np.uint16)[:, :, None]
    a = np.array(im)
    if ctype == 4 and depth == 16:   # Pillow: RGBA from "LA;16B" with R = G = B = L
        assert (a[:, :, 0] == a[:, :, 1]).all() and (a[:, :, 0] == a[:, :, 2]).all()
        return a[:, :, [0, 3]]
    return a


def save_npy(name, a):
    with open(os.path.join(OUT, name), "wb") as f:
        np.lib.format.write_array(f, np.ascontiguousarray(a), allow_pickle=False)


def ok_case(name, data, src=None):
    """Write NAME.png, Pillow's pixels as NAME.npy (and the 16-bit truth)."""
    with open(os.path.join(OUT, name + ".png"), "wb") as f:
        f.write(data)
    exp = pil_pixels(data)
    ctype, depth = data[25], data[24]
    hi8 = depth == 16 and ctype != 0
    if hi8:
        assert src is not None, name
        assert (exp == (src >> 8)).all(), name + ": Pillow is not the high byte"
        save_npy(name + ".u16.npy", src.astype(np.uint16))
    elif src is not None and ctype != 3:
        scale = {1: 255, 2: 85, 4: 17, 8: 1, 16: 1}[depth]
        assert (exp.astype(np.int64) == src.astype(np.int64) * scale).all(), name
    save_npy(name + ".npy", exp)
    manifest.append("ok %s %d %d %s" % (name, exp.shape[2], 8 if hi8 else
                    (16 if exp.dtype == np.uint16 else 8), "hi8" if hi8 else "exact"))


def error_case(name, data, cls):
    with open(os.path.join(OUT, name + ".png"), "wb") as f:
        f.write(data)
    manifest.append("error %s %s" % (name, cls))


# ---------------------------------------------------------------------------
# Test pictures
# ---------------------------------------------------------------------------
def photo(h, w, c, seed, noise=3.0):
    """Photo-like: smooth random shapes, a gradient, fine texture, sensor noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.zeros((h, w, c))
    for ch in range(c):
        base = 60 + 80 * (x / w) * rng.uniform(0.3, 1) + 40 * (y / h) * rng.uniform(0.3, 1)
        for _ in range(6):   # soft blobs
            cy, cx = rng.uniform(0, h), rng.uniform(0, w)
            r = rng.uniform(0.05, 0.3) * max(h, w)
            base += rng.uniform(-60, 60) * np.exp(-((y - cy) ** 2 + (x - cx) ** 2) / (2 * r * r))
        coarse = rng.normal(0, 25, (max(2, h // 16), max(2, w // 16))).astype(np.float32)
        tex = np.array(Image.fromarray(coarse, "F").resize((w, h), Image.BICUBIC))
        out[:, :, ch] = base + tex + rng.normal(0, noise, (h, w))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def samples(h, w, c, depth, seed):
    """Smooth-ish random samples covering the whole range of a bit depth."""
    rng = np.random.default_rng(seed)
    top = (1 << depth) - 1
    y, x = np.mgrid[0:h, 0:w]
    base = (x[:, :, None] * 7 + y[:, :, None] * 13 + np.arange(c) * 50) * top // (7 * w + 13 * h + 1) % (top + 1)
    noise = rng.integers(0, top + 1, (h, w, c))
    pick = rng.random((h, w, c)) < 0.3
    return np.where(pick, noise, base).astype(np.uint16 if depth == 16 else np.uint8)


COMBOS = [(0, 1), (0, 2), (0, 4), (0, 8), (0, 16), (2, 8), (2, 16), (3, 1), (3, 2), (3, 4),
          (3, 8), (4, 8), (4, 16), (6, 8), (6, 16)]
CT_NAME = {0: "gray", 2: "rgb", 3: "pal", 4: "graya", 6: "rgba"}


def palette_for(depth, seed, n=None):
    rng = np.random.default_rng(seed)
    n = n or (1 << depth)
    return rng.integers(0, 256, (n, 3))


def make_corpus():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    seed = 100
    # Every colour type x bit depth, plain and Adam7, filters cycling 0..4 row by row
    # (so every filter type meets every bit depth), at several odd sizes.
    for ct, d in COMBOS:
        for il in (0, 1):
            for (w, h) in [(17, 13), (3, 5), (1, 1)] + ([(9, 2)] if il else []):
                seed += 1
                c = CHANNELS[ct]
                img = samples(h, w, c, d, seed)
                pal = None
                if ct == 3:
                    pal = palette_for(d, seed)
                name = "%s%d_%s_%dx%d" % (CT_NAME[ct], d, "adam7" if il else "plain", w, h)
                ok_case(name, encode(img, ct, d, il, palette=pal), img)
    # One filter type for the whole image, per type, on 8-bit RGB and 1-bit gray and 16-bit RGBA.
    for ft in range(5):
        for ct, d, c in [(2, 8, 3), (0, 1, 1), (6, 16, 4)]:
            seed += 1
            img = samples(11, 19, c, d, seed)
            ok_case("filter%d_%s%d" % (ft, CT_NAME[ct], d), encode(img, ct, d, filters=lambda k, t=ft: t), img)
    # Palette + tRNS: a full alpha table, a short one (rest opaque), Pillow's "simple"
    # one-transparent-entry form; 4-bit and 8-bit; indices beyond PLTE (Pillow: gray ramp).
    img = samples(13, 17, 1, 8, 7) % 40
    ok_case("pal8_trns_full", encode(img, 3, 8, palette=palette_for(8, 1, 40),
                                     trns=bytes(np.random.default_rng(2).integers(0, 256, 40, dtype=np.uint8))), None)
    ok_case("pal8_trns_short", encode(img, 3, 8, palette=palette_for(8, 3, 40), trns=bytes([0, 128, 255, 7, 90])), None)
    ok_case("pal8_trns_single", encode(img, 3, 8, palette=palette_for(8, 4, 40), trns=b"\xff\xff\x00"), None)
    img4 = samples(13, 17, 1, 4, 8)
    ok_case("pal4_trns_adam7", encode(img4, 3, 4, 1, palette=palette_for(4, 5), trns=bytes(range(0, 256, 17))), None)
    ok_case("pal8_short_palette", encode(img, 3, 8, palette=palette_for(8, 6, 20)), None)
    ok_case("pal8_short_palette_trns", encode(img, 3, 8, palette=palette_for(8, 6, 20), trns=b"\x10\x20"), None)
    # Gray and RGB colour keys (tRNS): Pillow keeps the channels, so do we.
    g = samples(13, 17, 1, 8, 9)
    ok_case("gray8_trns", encode(g, 0, 8, trns=struct.pack(">H", int(g[0, 0, 0]))), g)
    g16 = samples(5, 7, 1, 16, 10)
    ok_case("gray16_trns", encode(g16, 0, 16, trns=struct.pack(">H", int(g16[0, 0, 0]))), g16)
    rgb = samples(13, 17, 3, 8, 11)
    ok_case("rgb8_trns", encode(rgb, 2, 8, trns=struct.pack(">HHH", *[int(v) for v in rgb[0, 0]])), rgb)
    g2 = samples(6, 9, 1, 2, 12)
    ok_case("gray2_trns_adam7", encode(g2, 0, 2, 1, trns=struct.pack(">H", 1)), g2)
    # DEFLATE variants on a 64 x 48 photo: stored (level 0), fast (1), best (9), fixed
    # Huffman only, Huffman without matches, run-length matches, sync flushes
    # (empty stored blocks between blocks of other types).
    ph = photo(48, 64, 3, 21)
    for tag, kw in [("level0", dict(level=0)), ("level1", dict(level=1)), ("level9", dict(level=9)),
                    ("fixed", dict(strategy=zlib.Z_FIXED)), ("huffonly", dict(strategy=zlib.Z_HUFFMAN_ONLY)),
                    ("rle", dict(strategy=zlib.Z_RLE))]:
        ok_case("deflate_" + tag, encode(ph, 2, 8, filters=lambda k: 4, **kw), ph)
    ok_case("deflate_flushes", encode(ph, 2, 8, filters=lambda k: 1,
                                      stream=zlib_stream(scanlines(ph, 8, 0, lambda k: 1), 6, pieces=5)), ph)
    # IDAT layout: many small IDATs, a zero-length IDAT first and in the middle.
    ok_case("idat_split7", encode(ph[:16], 2, 8, idat_split=7), ph[:16])
    ok_case("idat_zero_length", encode(ph[:16], 2, 8, idat_split=300, zero_idat=True), ph[:16])
    # Ancillary chunks (known and a private one) before and after IDAT are skipped;
    # bytes after IEND are ignored.
    anc = chunk(b"gAMA", struct.pack(">I", 45455)) + chunk(b"tEXt", b"Comment\0steel") + \
        chunk(b"prVt", b"\x01\x02\x03")
    ok_case("ancillary_chunks", encode(ph[:8, :8], 2, 8, before=anc, after=chunk(b"tIME", bytes(7)) +
                                       chunk(b"zzZz", b"")), ph[:8, :8])
    ok_case("trailing_garbage", encode(ph[:4, :4], 2, 8) + b"garbage after IEND", ph[:4, :4])
    # More compressed data than IHDR needs: Pillow (and libpng) decode the image and
    # ignore the rest; so do we.
    st = zlib_stream(scanlines(ph[:9, :10], 8, 0, lambda k: 0))
    ok_case("extra_image_data", encode(ph[:8, :10], 2, 8, stream=st), ph[:8, :10])
    # Files Pillow writes itself (its own filter choice, zlib level 6).
    for mode, name, arr in [("RGB", "pil_rgb", photo(40, 56, 3, 31)), ("L", "pil_gray", photo(40, 56, 1, 32)[:, :, 0]),
                            ("RGBA", "pil_rgba", photo(24, 30, 4, 33)), ("LA", "pil_graya", photo(24, 30, 2, 34))]:
        buf = io.BytesIO()
        Image.fromarray(arr, mode).save(buf, "PNG")
        ok_case(name, buf.getvalue(), None)
    buf = io.BytesIO()
    Image.fromarray(photo(40, 56, 3, 35)).quantize(37).save(buf, "PNG")
    ok_case("pil_palette", buf.getvalue(), None)
    buf = io.BytesIO()
    Image.fromarray(photo(20, 27, 1, 36)[:, :, 0] > 128).save(buf, "PNG")
    ok_case("pil_bilevel", buf.getvalue(), None)
    buf = io.BytesIO()
    Image.fromarray(photo(20, 27, 3, 37)).save(buf, "PNG", compress_level=1)
    ok_case("pil_rgb_level1", buf.getvalue(), None)

    # Sizes Pillow reaches at its default settings, for the writer's compactness test.
    steel = photo(200, 200, 1, 41, noise=6.0)
    rows = np.clip(steel.astype(np.int32) + (np.sin(np.arange(200) / 3.0) * 8).astype(np.int32)[None, :, None], 0, 255)
    size_inputs = [("size_photo_rgb", photo(96, 128, 3, 42)), ("size_steel_gray", rows.astype(np.uint8)),
                   ("size_rgba", photo(64, 64, 4, 43)),
                   ("size_mask", ((np.add.outer(np.arange(96), np.arange(128)) % 37) < 9).astype(np.uint8)[:, :, None] * 255)]
    for name, arr in size_inputs:
        mode = {1: "L", 3: "RGB", 4: "RGBA"}[arr.shape[2]]
        buf = io.BytesIO()
        Image.fromarray(arr[:, :, 0] if mode == "L" else arr, mode).save(buf, "PNG")
        save_npy(name + ".npy", arr)
        manifest.append("size %s %d" % (name, len(buf.getvalue())))

    # Corrupt files and the error class sg_png_decode must give.
    good = encode(ph[:6, :7], 2, 8)
    def flip(data, pos, bit=1):
        b = bytearray(data)
        b[pos] ^= bit
        return bytes(b)
    idat_at = good.index(b"IDAT")
    error_case("bad_crc_ihdr", flip(good, 8 + 8 + 12), "format")
    error_case("bad_crc_idat", flip(good, idat_at + 4 + 10), "format")
    anc_bad = bytearray(encode(ph[:6, :7], 2, 8, before=chunk(b"tEXt", b"a\0b")))
    anc_bad[33 + 8 + 3] ^= 0x10   # the CRC of the tEXt chunk
    error_case("bad_crc_ancillary", bytes(anc_bad), "format")
    z = zlib_stream(scanlines(ph[:6, :7], 8, 0, lambda k: 0))
    error_case("bad_adler", encode(ph[:6, :7], 2, 8, stream=z[:-1] + bytes([z[-1] ^ 1])), "format")
    error_case("truncated_in_idat", good[:idat_at + 20], "format")
    error_case("truncated_no_iend", good[:-12], "format")
    error_case("truncated_signature", good[:5], "format")
    raw = bytearray(scanlines(ph[:6, :7], 8, 0, lambda k: 1))
    raw[(1 + 21) * 3] = 5   # the filter byte of row 3
    error_case("bad_filter_byte", encode(ph[:6, :7], 2, 8, stream=zlib.compress(bytes(raw))), "format")
    error_case("ihdr_taller_than_data", encode(ph[:6, :7], 2, 8, ihdr_size=(7, 7)), "format")
    error_case("ihdr_wider_than_data", encode(ph[:6, :7], 2, 8, ihdr_size=(8, 6)), "format")
    error_case("ihdr_zero_width", encode(ph[:6, :7], 2, 8, ihdr_size=(0, 6)), "format")
    error_case("ihdr_rgb_depth4", encode(samples(6, 7, 3, 4, 1), 2, 4), "format")
    error_case("ihdr_bad_color_type", encode(samples(6, 7, 1, 8, 1), 5, 8), "format")
    ihdr_il2 = bytearray(good)
    ihdr_il2[8 + 8 + 12] = 2
    ihdr_il2[29:33] = struct.pack(">I", zlib.crc32(bytes(ihdr_il2[12:29])) & 0xFFFFFFFF)
    error_case("ihdr_interlace_method2", bytes(ihdr_il2), "format")
    error_case("huge_dimensions", encode(ph[:1, :1], 2, 8, ihdr_size=(60000, 60000)), "limit")
    error_case("palette_missing_plte", encode(samples(6, 7, 1, 8, 1) % 4, 3, 8), "format")
    error_case("unknown_critical_chunk", encode(ph[:6, :7], 2, 8, before=chunk(b"CRIT", b"x")), "unsupported")
    error_case("no_idat", good[:idat_at - 4] + chunk(b"IEND", b""), "format")
    error_case("idat_not_zlib", encode(ph[:6, :7], 2, 8, stream=b"\x00" * 20), "format")
    fd = zlib.compress(scanlines(ph[:6, :7], 8, 0, lambda k: 0))
    cmf, flg = 0x78, 0x20
    flg += 31 - ((cmf << 8) + flg) % 31
    error_case("zlib_preset_dictionary", encode(ph[:6, :7], 2, 8, stream=bytes([cmf, flg]) + b"\0\0\0\0" + fd[2:]),
               "unsupported")


# ---------------------------------------------------------------------------
# Raw zlib / DEFLATE streams for tests/test_inflate.c
# ---------------------------------------------------------------------------
def make_inflate_streams():
    rng = np.random.default_rng(5)
    words = [b"steel", b"scratch", b"inclusion", b"patch", b"pitted", b"crazing", b"rolled", b"scale", b"surface"]
    text = b" ".join(words[i] for i in rng.integers(0, len(words), 1500))
    runs = b"".join(bytes([int(rng.integers(0, 256))]) * int(rng.integers(1, 300)) for _ in range(60))
    periodic = b"".join(bytes(rng.integers(0, 256, int(p), dtype=np.uint8)) * int(rng.integers(3, 80))
                        for p in rng.integers(2, 9, 60))
    noise = bytes(rng.integers(0, 256, 9000, dtype=np.uint8))
    for name, data in [("text", text), ("runs", runs), ("periodic", periodic), ("noise", noise)]:
        with open(os.path.join(OUT, "inflate_%s.raw" % name), "wb") as f:
            f.write(data)
        variants = [("l0", zlib_stream(data, 0)), ("l1", zlib_stream(data, 1)), ("l9", zlib_stream(data, 9)),
                    ("fixed", zlib_stream(data, 6, zlib.Z_FIXED)), ("huff", zlib_stream(data, 6, zlib.Z_HUFFMAN_ONLY)),
                    ("flush", zlib_stream(data, 6, pieces=4))]
        for tag, z in variants:
            assert zlib.decompress(z) == data
            fn = "inflate_%s_%s.zz" % (name, tag)
            with open(os.path.join(OUT, fn), "wb") as f:
                f.write(z)
            manifest.append("inflate %s inflate_%s.raw zlib" % (fn, name))
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        raw = co.compress(data) + co.flush()
        fn = "inflate_%s_raw.deflate" % name
        with open(os.path.join(OUT, fn), "wb") as f:
            f.write(raw)
        manifest.append("inflate %s inflate_%s.raw raw" % (fn, name))


def make_bench(dirname):
    """Big files for bench/bench_png.c (never committed)."""
    os.makedirs(dirname, exist_ok=True)
    for name, arr in [("photo_2048_rgb", photo(2048, 2048, 3, 77)), ("photo_512_rgb", photo(512, 512, 3, 78)),
                      ("steel_200_gray", photo(200, 200, 1, 79, noise=6.0)[:, :, 0])]:
        path = os.path.join(dirname, name + ".png")
        Image.fromarray(arr).save(path, "PNG")
        print("wrote", path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bench":
        make_bench(sys.argv[2])
        sys.exit(0)
    make_corpus()
    make_inflate_streams()
    with open(os.path.join(OUT, "manifest.txt"), "w") as f:
        f.write("# written by tests/golden/gen_png.py; see its docstring\n")
        f.write("\n".join(manifest) + "\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print("wrote %d entries, %d files, %d bytes in %s" % (len(manifest), len(os.listdir(OUT)), total, OUT))
