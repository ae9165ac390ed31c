"""Golden corpus for the BMP and PNM decoders (tests/test_bmp.c, tests/test_pnm.c)
and the NEU-CLS pixel checksums (tests/test_neu_cls.c, FNV-1a 64 as gen_neu says).

Run from the repository root with Debian's Python (Pillow 9.4, numpy 1.24):
    /usr/bin/python3 tests/golden/gen_bmp_pnm.py            # corpus only
    /usr/bin/python3 tests/golden/gen_bmp_pnm.py --neu      # + NEU-CLS checksums
The files are committed; the C suites never need Python.

For every image file NAME.bmp / NAME.p?m in tests/data/bmp/ and tests/data/pnm/
there is NAME.npy: the pixels Pillow decodes, uint8 or uint16, always shaped
(H, W, C). Palette BMPs are compared with PIL's .convert("L") when every palette
entry is gray (r = g = b) and with .convert("RGB") otherwise; PBM with
.convert("L"). Files named bad_* have no .npy: Pillow refuses them and so must
we. PIL writes the variants it can write; the others are built byte by byte
here (build_bmp, the RLE encoder, the PNM writers).

A few expectations cannot come from Pillow 9.4; each is asserted here against
what Pillow does, and listed in tests/data/bmp/README.md:
  - RLE streams with delta escapes or odd RLE4 absolute runs (Pillow 9.4 bugs,
    fixed upstream in python-pillow/Pillow#9443 and #9710) and streams that
    end early with end-of-bitmap (Pillow 9.4 refuses them): the expected pixels
    are the image the encoder below meant, skipped pixels being index 0.
  - Header sizes 52 and 56 (Pillow refuses them): the pixels Pillow decodes
    from the same pixels with a V4 header.
  - 16-bit RGB PNM (Pillow 9.4 reduces it to 8 bits): the formula Pillow uses
    for 16-bit gray, min(65535, round(v / maxval * 65535)); the script checks
    that Pillow's 8-bit result is the same formula with 255.
"""
import io
import os
import struct
import sys

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BMP_DIR = os.path.join(ROOT, "tests", "data", "bmp")
PNM_DIR = os.path.join(ROOT, "tests", "data", "pnm")
NEU_SUMS = os.path.join(ROOT, "tests", "data", "neu_cls_pixels.fnv")

written = []


def save_npy(path, a):
    a = np.ascontiguousarray(a)
    if a.ndim == 2:
        a = a[:, :, None]
    assert a.ndim == 3 and a.dtype in (np.uint8, np.uint16), (path, a.shape, a.dtype)
    with open(path, "wb") as f:
        np.lib.format.write_array(f, a.astype(a.dtype.newbyteorder("<")), allow_pickle=False)


def pil_pixels(data):
    """What Pillow decodes, as uint8/uint16 (H, W, C). A palette image is
    converted to "L" when every entry Pillow read is gray, else to "RGB"."""
    im = Image.open(io.BytesIO(data))
    im.load()
    if im.mode == "P":
        pal = np.array(im.getpalette("RGB"), dtype=np.uint8).reshape(-1, 3)
        gray = (pal[:, 0] == pal[:, 1]).all() and (pal[:, 1] == pal[:, 2]).all()
        im = im.convert("L" if gray else "RGB")
    elif im.mode == "1":
        im = im.convert("L")
    a = np.asarray(im)
    if a.dtype == np.int32:         # mode "I" (16-bit PGM)
        assert a.min() >= 0 and a.max() <= 65535
        a = a.astype(np.uint16)
    else:
        assert a.dtype == np.uint8, a.dtype
    return a if a.ndim == 3 else a[:, :, None]


def pil_fails(data):
    try:
        im = Image.open(io.BytesIO(data))
        im.load()
    except Exception as e:  # noqa: BLE001 - any refusal will do
        return type(e).__name__ + ": " + str(e)
    return None


def emit(directory, name, data, expected):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)
    stem = os.path.splitext(name)[0]
    if expected is not None:
        save_npy(os.path.join(directory, stem + ".npy"), expected)
    written.append((name, len(data), None if expected is None else expected.shape))


def emit_bad(directory, name, data):
    why = pil_fails(data)
    assert why, f"{name}: Pillow decodes it, so it is not a 'bad' file"
    emit(directory, name, data, None)
    return why


# ---------------------------------------------------------------------------
# Test images: smooth gradients plus noise, so every byte position matters.

def rng(seed):
    return np.random.RandomState(seed)


def test_rgb(w, h, seed):
    r = rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    a = np.stack([x * 255 // max(w - 1, 1), y * 255 // max(h - 1, 1), (x + y) * 7 % 256], -1)
    a = (a + r.randint(0, 40, size=(h, w, 3))) % 256
    return a.astype(np.uint8)


def test_indices(w, h, ncolors, seed):
    return rng(seed).randint(0, ncolors, size=(h, w)).astype(np.uint8)


def color_palette(n, seed):
    p = rng(seed).randint(0, 256, size=(n, 3)).astype(np.uint8)
    p[:, 0] |= 1        # make sure no entry is accidentally gray
    p[:, 1] &= 0xFE
    return p


def gray_palette(values):
    v = np.array(values, dtype=np.uint8)
    return np.stack([v, v, v], -1)


def lookup(indices, palette):
    """Index image -> pixels by our rule (gray palette -> 1 channel)."""
    full = np.stack([np.arange(256)] * 3, -1).astype(np.uint8)    # PIL: gray beyond the palette
    full[: len(palette)] = palette[:256]
    if (palette[:, 0] == palette[:, 1]).all() and (palette[:, 1] == palette[:, 2]).all():
        return full[indices][:, :, :1]
    return full[indices]


# ---------------------------------------------------------------------------
# BMP byte builder.

def pack_rows(rows_bytes, top_down):
    rows = list(rows_bytes)
    if not top_down:
        rows = rows[::-1]
    out = b""
    for r in rows:
        out += r + b"\0" * ((-len(r)) % 4)
    return out


def index_rows(indices, bits):
    rows = []
    for row in indices:
        if bits == 8:
            rows.append(bytes(row.tolist()))
        elif bits == 4:
            vals = list(row) + [0] * (len(row) % 2)
            rows.append(bytes((vals[i] << 4) | vals[i + 1] for i in range(0, len(vals), 2)))
        else:
            vals = list(row) + [0] * ((-len(row)) % 8)
            rows.append(bytes(sum(vals[i + k] << (7 - k) for k in range(8)) for i in range(0, len(vals), 8)))
    return rows


def build_bmp(w, h, bits, pixel_data, palette=None, compression=0, header=40,
              masks=None, top_down=False, clr_used=None, offbits=None, gap=b""):
    """A BMP file from parts. palette: (n, 3) RGB. masks: R, G, B[, A]."""
    pal = b""
    if palette is not None:
        entry = 3 if header == 12 else 4
        pal = b"".join(bytes((b, g, r) + ((0,) if entry == 4 else ())) for r, g, b in palette.tolist())
    if header == 12:
        info = struct.pack("<IHHHH", 12, w, h, 1, bits)
    else:
        hh = -h if top_down else h
        ncol = (len(palette) if palette is not None else 0) if clr_used is None else clr_used
        info = struct.pack("<IiiHHIIiiII", header, w, hh, 1, bits, compression,
                           len(pixel_data), 3780, 3780, ncol, 0)
        m = list(masks or []) + [0] * 4
        if header == 52:
            info += struct.pack("<III", *m[:3])
        elif header >= 56:
            info += struct.pack("<IIII", *m[:4])
        if header >= 108:
            info += struct.pack("<I", 0x73524742)           # 'sRGB'
        info += b"\0" * (header - len(info))
        assert len(info) == header
    extra = b""
    if header == 40 and compression == 3:
        extra = struct.pack("<III", *masks[:3])
    start = 14 + len(info) + len(extra) + len(pal) + len(gap)
    off = start if offbits is None else offbits
    fh = b"BM" + struct.pack("<IHHI", start + len(pixel_data), 0, 0, off)
    return fh + info + extra + pal + gap + pixel_data


# ---------------------------------------------------------------------------
# RLE encoder: a list of operations, applied both to the byte stream and to
# the image it means (cursor x, y in file order; skipped pixels stay 0).

class Rle:
    def __init__(self, w, h, rle4, base=0):
        self.w, self.h, self.rle4 = w, h, rle4
        self.base = base                           # file offset of the stream (its parity matters)
        self.out = bytearray()
        self.img = np.zeros((h, w), np.uint8)      # file order: row 0 = first stored row
        self.x = self.y = 0

    def _put(self, v):
        if self.y < self.h and self.x < self.w:
            self.img[self.y, self.x] = v
        self.x += 1

    def run(self, n, a, b=None):
        """n pixels: index a (RLE8) or alternating nibbles a, b (RLE4)."""
        if self.rle4:
            self.out += bytes((n, (a << 4) | b))
            for k in range(n):
                self._put(a if k % 2 == 0 else b)
        else:
            self.out += bytes((n, a))
            for _ in range(n):
                self._put(a)

    def absolute(self, values):
        n = len(values)
        assert n >= 3
        if self.rle4:
            vals = list(values) + [0] * (n % 2)
            data = bytes((vals[i] << 4) | vals[i + 1] for i in range(0, len(vals), 2))
        else:
            data = bytes(values)
        self.out += bytes((0, n)) + data
        self.out += b"\0" * ((self.base + len(self.out)) % 2)   # even file offset, as PIL reads it
        for v in values:
            self._put(v)

    def eol(self):
        self.out += b"\0\0"
        self.x, self.y = 0, self.y + 1

    def delta(self, dx, dy):
        self.out += bytes((0, 2, dx, dy))
        self.x += dx
        self.y += dy

    def eob(self):
        self.out += b"\0\1"

    def image(self, top_down):
        return self.img if top_down else self.img[::-1]


def rle_rows(indices, rle4, base=0):
    """A plain encoding of a whole image (file order rows): runs of equal
    values, and absolute runs for noisy stretches."""
    h, w = indices.shape
    e = Rle(w, h, rle4, base)
    for row in indices:
        x = 0
        while x < w:
            n = 1
            while x + n < w and row[x + n] == row[x] and n < 255:
                n += 1
            if n >= 3 or w - x < 3:
                if rle4:
                    e.run(n, row[x], row[x])
                else:
                    e.run(n, row[x])
                x += n
            elif rle4 and w - x < 4:         # two different nibbles as one run
                m = min(2, w - x)
                e.run(m, row[x], row[x + m - 1])
                x += m
            else:                            # even RLE4 absolute runs: Pillow 9.4 reads those right
                m = min(w - x, 6) & ~1 if rle4 else min(w - x, 7)
                e.absolute(list(row[x:x + m]))
                x += m
        e.eol()
    e.eob()
    return e


# ---------------------------------------------------------------------------

def gen_bmp():
    W, H = 13, 7
    notes = []

    def pil_saved(name, im):
        buf = io.BytesIO()
        im.save(buf, format="BMP")
        data = buf.getvalue()
        emit(BMP_DIR, name, data, pil_pixels(data))

    rgb = test_rgb(W, H, 1)
    # --- written by Pillow
    pil_saved("pil_rgb24_13x7.bmp", Image.fromarray(rgb, "RGB"))
    pil_saved("pil_rgb24_1x1.bmp", Image.fromarray(rgb[:1, :1], "RGB"))
    pil_saved("pil_gray8_13x7.bmp", Image.fromarray(rgb[:, :, 0], "L"))
    pil_saved("pil_gray8_17x13.bmp", Image.fromarray(test_rgb(17, 13, 2)[:, :, 1], "L"))
    pil_saved("pil_bilevel_33x5.bmp", Image.fromarray(test_rgb(33, 5, 3)[:, :, 0] > 128))
    rgba = np.concatenate([rgb, test_rgb(W, H, 4)[:, :, :1]], -1)
    pil_saved("pil_rgba32_read_as_rgb_13x7.bmp", Image.fromarray(rgba, "RGBA"))
    # The last row's padding may be missing: Pillow does not read it.
    buf = io.BytesIO()
    Image.fromarray(test_rgb(W, H, 7), "RGB").save(buf, format="BMP")
    cut = buf.getvalue()[:-(4 - W * 3 % 4)]
    emit(BMP_DIR, "pil_rgb24_last_row_unpadded_13x7.bmp", cut, pil_pixels(cut))
    pim = Image.fromarray(test_indices(W, H, 12, 5), "P")
    pim.putpalette(color_palette(12, 6).reshape(-1).tolist())
    pil_saved("pil_palette8_13x7.bmp", pim)

    def crafted(name, w, h, bits, indices=None, palette=None, pixels=None, expect=None,
                pil_refuses=None, **kw):
        """Palette images from indices, others from raw pixel rows. With
        pil_refuses (a reason), Pillow 9.4 must fail and we expect the palette
        lookup instead."""
        top_down = kw.get("top_down", False)
        if indices is not None:
            data = pack_rows(index_rows(indices, bits), top_down)
            expect_ours = lookup(indices, palette)
        else:
            data = pack_rows(pixels, top_down)
            expect_ours = None
        f = build_bmp(w, h, bits, data, palette=palette, **kw)
        exp = expect if expect is not None else expect_ours
        if pil_refuses:
            why = pil_fails(f)
            assert why, name
            notes.append(f"{name}: {pil_refuses}; Pillow 9.4 fails ({why}); expected = the palette lookup")
        else:
            p = pil_pixels(f)
            if exp is None:
                exp = p
            assert p.shape == exp.shape and (p == exp).all(), name
        emit(BMP_DIR, name, f, exp)
        return f

    # --- palettes: 1, 4, 8 bits, colour and gray, short palettes
    crafted("pal1_color_19x5.bmp", 19, 5, 1, test_indices(19, 5, 2, 10), color_palette(2, 11))
    crafted("pal1_gray_nonramp_33x3.bmp", 33, 3, 1, test_indices(33, 3, 2, 12), gray_palette([40, 200]))
    crafted("pal1_bw_1x1.bmp", 1, 1, 1, np.array([[1]], np.uint8), gray_palette([0, 255]))
    crafted("pal4_color_13x7.bmp", W, H, 4, test_indices(W, H, 16, 13), color_palette(16, 14))
    crafted("pal4_gray_ramp16_13x7.bmp", W, H, 4, test_indices(W, H, 16, 15), gray_palette(range(16)),
            pil_refuses="palette exactly 0..15, which Pillow takes for mode L with a 4-bit raw mode it cannot unpack")
    crafted("pal4_color_clrused5_13x7.bmp", W, H, 4, test_indices(W, H, 16, 16), color_palette(5, 17))
    crafted("pal4_color_14x3.bmp", 14, 3, 4, test_indices(14, 3, 16, 18), color_palette(16, 19))
    crafted("pal8_color_clrused20_13x7.bmp", W, H, 8, test_indices(W, H, 256, 20), color_palette(20, 21))
    crafted("pal8_gray_nonramp_13x7.bmp", W, H, 8, test_indices(W, H, 256, 22),
            gray_palette([255 - i for i in range(256)]))
    crafted("pal8_gray_ramp_clrused4_13x7.bmp", W, H, 8, test_indices(W, H, 256, 23),
            gray_palette(range(4)))
    crafted("pal8_color_topdown_13x7.bmp", W, H, 8, test_indices(W, H, 256, 24), color_palette(256, 25),
            top_down=True)
    crafted("pal8_gray_topdown_17x13.bmp", 17, 13, 8, test_indices(17, 13, 256, 26),
            gray_palette(range(256)), top_down=True)
    crafted("pal8_offbits_gap_13x7.bmp", W, H, 8, test_indices(W, H, 256, 27), color_palette(256, 28),
            gap=b"\xAB" * 6)
    crafted("pal8_offbits_at_palette_13x7.bmp", W, H, 8, test_indices(W, H, 256, 29),
            color_palette(256, 30), offbits=54)
    crafted("pal8_v5_header_13x7.bmp", W, H, 8, test_indices(W, H, 256, 31), color_palette(256, 32),
            header=124)

    # --- OS/2 headers
    crafted("os2v1_pal8_13x7.bmp", W, H, 8, test_indices(W, H, 256, 40), color_palette(256, 41), header=12)
    crafted("os2v1_pal1_19x5.bmp", 19, 5, 1, test_indices(19, 5, 2, 42), color_palette(2, 43), header=12)
    crafted("os2v1_pal4_13x7.bmp", W, H, 4, test_indices(W, H, 16, 44), gray_palette(range(0, 256, 17)),
            header=12)
    crafted("os2v1_rgb24_13x7.bmp", W, H, 24, pixels=[bytes(r[:, ::-1].reshape(-1)) for r in rgb],
            header=12, expect=rgb)
    crafted("os2v2_pal8_13x7.bmp", W, H, 8, test_indices(W, H, 256, 45), color_palette(256, 46), header=64)

    # --- 16 bits: every 5-bit and 6-bit level appears in each field
    def px16(fmt, w, h, seed):
        r = rng(seed)
        vals = r.randint(0, 65536, size=w * h)
        k = np.arange(w * h)
        if fmt == 565:
            vals = ((k % 32) << 11) | ((k % 64) << 5) | ((31 - k % 32) & 31)
        else:
            vals = (vals & 0x8000) | ((k % 32) << 10) | (((k * 7) % 32) << 5) | ((31 - k % 32) & 31)
        return [struct.pack("<%dH" % w, *row) for row in vals.reshape(h, w).tolist()]

    crafted("rgb16_555_13x7.bmp", W, H, 16, pixels=px16(555, W, H, 50))
    crafted("rgb16_565_bitfields_13x7.bmp", W, H, 16, pixels=px16(565, W, H, 51), compression=3,
            masks=[0xF800, 0x7E0, 0x1F])
    crafted("rgb16_555_bitfields_v4_13x7.bmp", W, H, 16, pixels=px16(555, W, H, 52), compression=3,
            header=108, masks=[0x7C00, 0x3E0, 0x1F, 0])
    crafted("rgb16_565_bitfields_topdown_9x9.bmp", 9, 9, 16, pixels=px16(565, 9, 9, 53), compression=3,
            masks=[0xF800, 0x7E0, 0x1F], top_down=True)

    # --- 24 and 32 bits
    bgr_rows = [bytes(r[:, ::-1].reshape(-1)) for r in rgb]
    crafted("rgb24_topdown_13x7.bmp", W, H, 24, pixels=bgr_rows, top_down=True, expect=rgb)
    crafted("rgb24_v5_13x7.bmp", W, H, 24, pixels=bgr_rows, header=124, expect=rgb)
    crafted("rgb24_bitfields_13x7.bmp", W, H, 24, pixels=bgr_rows, compression=3,
            masks=[0xFF0000, 0xFF00, 0xFF], expect=rgb)
    xbyte = test_rgb(W, H, 60)[:, :, 2:3]
    bgrx = np.concatenate([rgb[:, :, ::-1], xbyte], -1)
    rows32 = [bytes(r.reshape(-1)) for r in bgrx]
    crafted("rgb32_bgrx_13x7.bmp", W, H, 32, pixels=rows32, expect=rgb)
    crafted("rgb32_v4_bi_rgb_ignores_alpha_13x7.bmp", W, H, 32, pixels=rows32, header=108, expect=rgb)
    crafted("rgb32_bitfields_bgrx_13x7.bmp", W, H, 32, pixels=rows32, compression=3,
            masks=[0xFF0000, 0xFF00, 0xFF], expect=rgb)
    xbgr = np.concatenate([xbyte, rgb[:, :, ::-1]], -1)
    crafted("rgb32_bitfields_xbgr_13x7.bmp", W, H, 32, pixels=[bytes(r.reshape(-1)) for r in xbgr],
            compression=3, masks=[0xFF000000, 0xFF0000, 0xFF00], expect=rgb)
    rgba = np.concatenate([rgb, xbyte], -1)
    crafted("rgba32_v4_bgra_13x7.bmp", W, H, 32, pixels=rows32, compression=3, header=108,
            masks=[0xFF0000, 0xFF00, 0xFF, 0xFF000000], expect=rgba)
    crafted("rgba32_v4_bgra_topdown_13x7.bmp", W, H, 32, pixels=rows32, compression=3, header=108,
            masks=[0xFF0000, 0xFF00, 0xFF, 0xFF000000], expect=rgba, top_down=True)
    crafted("rgba32_v5_rgba_13x7.bmp", W, H, 32, pixels=[bytes(r.reshape(-1)) for r in rgba],
            compression=3, header=124, masks=[0xFF, 0xFF00, 0xFF0000, 0xFF000000], expect=rgba)
    abgr = np.concatenate([xbyte, rgb[:, :, ::-1]], -1)
    crafted("rgba32_v5_abgr_13x7.bmp", W, H, 32, pixels=[bytes(r.reshape(-1)) for r in abgr],
            compression=3, header=124, masks=[0xFF000000, 0xFF0000, 0xFF00, 0xFF], expect=rgba)
    crafted("rgba32_v5_zero_masks_13x7.bmp", W, H, 32, pixels=rows32, compression=3, header=124,
            masks=[0, 0, 0, 0], expect=rgba)

    # --- V2 (52) and V3 (56) headers: Pillow refuses them; expect what it
    # decodes from the same pixels under a V4 header.
    for name, hdr, bits, rows, masks in [
            ("v2_52_rgb16_565_13x7.bmp", 52, 16, px16(565, W, H, 70), [0xF800, 0x7E0, 0x1F]),
            ("v3_56_rgba32_13x7.bmp", 56, 32, rows32, [0xFF0000, 0xFF00, 0xFF, 0xFF000000]),
            ("v3_56_rgb32_no_alpha_13x7.bmp", 56, 32, rows32, [0xFF0000, 0xFF00, 0xFF, 0])]:
        data = pack_rows(rows, False)
        f = build_bmp(W, H, bits, data, compression=3, header=hdr, masks=masks)
        assert pil_fails(f)
        v4 = build_bmp(W, H, bits, data, compression=3, header=108, masks=masks)
        emit(BMP_DIR, name, f, pil_pixels(v4))
        notes.append(f"{name}: Pillow refuses header size {hdr}; expected = Pillow on the same pixels with a V4 header")

    # --- RLE8 and RLE4
    def rle_file(name, e, palette, top_down=False, pil="same", gap=b""):
        comp = 2 if e.rle4 else 1
        bits = 4 if e.rle4 else 8
        f = build_bmp(e.w, e.h, bits, bytes(e.out), palette=palette, compression=comp, top_down=top_down,
                      gap=gap)
        exp = lookup(e.image(top_down), palette)
        if pil == "same":
            p = pil_pixels(f)
            assert p.shape == exp.shape and (p == exp).all(), name
        else:
            why = pil_fails(f)
            if why is None:
                p = pil_pixels(f)
                assert not (p == exp).all(), f"{name}: Pillow 9.4 was expected to get this wrong"
                why = "decodes other pixels"
            notes.append(f"{name}: {pil}; Pillow 9.4 {why}; expected = the encoder's image")
        emit(BMP_DIR, name, f, exp)

    def blocky(w, h, ncolors, seed):
        r = rng(seed)
        a = np.repeat(r.randint(0, ncolors, size=(h, (w + 3) // 4)), 4, axis=1)[:, :w]
        noise = r.rand(h, w) < 0.3
        a[noise] = r.randint(0, ncolors, size=noise.sum())
        return a.astype(np.uint8)

    rle_file("rle8_color_13x7.bmp", rle_rows(blocky(W, H, 256, 80), False), color_palette(256, 81))
    rle_file("rle8_gray_ramp_17x13.bmp", rle_rows(blocky(17, 13, 256, 82), False), gray_palette(range(256)))
    rle_file("rle8_topdown_13x7.bmp", rle_rows(blocky(W, H, 256, 83), False), color_palette(256, 84),
             top_down=True)
    rle_file("rle4_color_13x7.bmp", rle_rows(blocky(W, H, 16, 85), True), color_palette(16, 86))
    rle_file("rle4_gray_14x5.bmp", rle_rows(blocky(14, 5, 16, 87), True), gray_palette(range(0, 256, 17)))

    # An odd bfOffBits: absolute runs are padded to an even FILE offset (PIL).
    rle_file("rle8_odd_offbits_13x7.bmp", rle_rows(blocky(W, H, 256, 88), False, 14 + 40 + 1024 + 1), color_palette(256, 89),
             gap=b"\x00")

    # Hand-written streams: end of line early, runs cut at the row end,
    # deltas, absolute runs of odd length, end of bitmap before the end.
    e = Rle(W, H, False)
    e.run(4, 7); e.absolute([1, 2, 3]); e.eol()                 # row 0: 7 pixels, rest 0
    e.run(20, 9); e.eol()                                       # row 1: run cut at the row end
    e.absolute([5, 6, 7, 8]); e.run(9, 10); e.eol()             # row 2: exactly full
    for _ in range(4):
        e.run(13, 11); e.eol()
    rle_file("rle8_eol_and_cut_runs_13x7.bmp", e, color_palette(12, 90))
    e = Rle(W, H, False)
    e.run(3, 4); e.delta(5, 2); e.run(2, 6); e.eol()
    for _ in range(4):
        e.absolute(list(range(20, 33))); e.eol()
    e.eob()
    rle_file("rle8_delta_13x7.bmp", e, color_palette(40, 91), pil="delta escape")
    e = Rle(W, H, False)
    e.run(13, 3); e.eol(); e.run(5, 4); e.eob()
    rle_file("rle8_early_end_of_bitmap_13x7.bmp", e, gray_palette(range(256)), pil="end of bitmap before the last pixel")
    e = Rle(W, H, True)
    e.run(5, 1, 2); e.absolute([3, 4, 5, 6]); e.eol()
    e.run(30, 7, 8); e.eol()
    for _ in range(5):
        e.run(13, 9, 10); e.eol()
    rle_file("rle4_eol_and_cut_runs_13x7.bmp", e, color_palette(16, 92))
    e = Rle(W, H, True)
    e.absolute([1, 2, 3, 4, 5]); e.run(8, 6, 7); e.eol()
    for _ in range(6):
        e.absolute([8, 9, 10, 11, 12, 13, 14]); e.run(6, 15, 0); e.eol()
    rle_file("rle4_odd_absolute_13x7.bmp", e, color_palette(16, 93), pil="odd RLE4 absolute runs")
    e = Rle(W, H, True)
    e.run(2, 1, 1); e.delta(3, 1); e.run(4, 2, 3); e.eol()
    for _ in range(5):
        e.run(13, 4, 5); e.eol()
    e.eob()
    rle_file("rle4_delta_13x7.bmp", e, color_palette(16, 94), pil="delta escape")

    # --- files Pillow refuses, and so must we
    idx = test_indices(W, H, 256, 99)
    good = build_bmp(W, H, 8, pack_rows(index_rows(idx, 8), False), palette=color_palette(256, 98))
    emit_bad(BMP_DIR, "bad_header_size_20.bmp", good[:14] + struct.pack("<I", 20) + good[18:])
    emit_bad(BMP_DIR, "bad_bits_2.bmp", good[:28] + struct.pack("<H", 2) + good[30:])
    emit_bad(BMP_DIR, "bad_compression_jpeg.bmp", good[:30] + struct.pack("<I", 4) + good[34:])
    emit_bad(BMP_DIR, "bad_truncated_pixels.bmp", good[:-20])
    emit_bad(BMP_DIR, "bad_bitfields_10_10_10.bmp",
             build_bmp(W, H, 32, pack_rows(rows32, False), compression=3, header=108,
                       masks=[0x3FF00000, 0xFFC00, 0x3FF, 0]))
    emit_bad(BMP_DIR, "bad_bitfields_16_444.bmp",
             build_bmp(W, H, 16, pack_rows(px16(555, W, H, 97), False), compression=3,
                       masks=[0xF00, 0xF0, 0xF]))
    emit_bad(BMP_DIR, "bad_rle8_truncated.bmp",
             build_bmp(W, H, 8, bytes(rle_rows(blocky(W, H, 256, 96), False).out[:30]),
                       palette=color_palette(256, 95), compression=1))
    emit_bad(BMP_DIR, "bad_rle8_with_24_bits.bmp",
             build_bmp(W, H, 24, bytes(rle_rows(blocky(W, H, 256, 96), False).out), compression=1))
    emit_bad(BMP_DIR, "bad_bitfields_8_bits.bmp", good[:30] + struct.pack("<I", 3) + good[34:])
    return notes


# ---------------------------------------------------------------------------
# PNM

def pnm_header(magic, w, h, maxval=None, sep=b"\n"):
    s = magic + sep + b"%d %d" % (w, h) + sep
    if maxval is not None:
        s += b"%d" % maxval + sep
    return s


def scale(v, maxval, top):
    """Pillow's rescaling: min(top, round(v / maxval * top)), half to even."""
    return np.minimum(top, np.rint(v.astype(np.float64) / maxval * top)).astype(
        np.uint16 if top > 255 else np.uint8)


def ascii_body(values, per_line=11):
    flat = values.reshape(-1).tolist()
    lines = [" ".join(str(v) for v in flat[i:i + per_line]) for i in range(0, len(flat), per_line)]
    return ("\n".join(lines) + "\n").encode()


def gen_pnm():
    W, H = 13, 7
    notes = []

    def check(name, data, exp):
        exp = exp if exp.ndim == 3 else exp[:, :, None]
        p = pil_pixels(data)
        assert p.shape == exp.shape and p.dtype == exp.dtype and (p == exp).all(), name
        emit(PNM_DIR, name, data, exp)

    def pil_saved(name, im):
        buf = io.BytesIO()
        im.save(buf, format="PPM")
        data = buf.getvalue()
        emit(PNM_DIR, name, data, pil_pixels(data))

    rgb = test_rgb(W, H, 101)
    pil_saved("pil_p6_13x7.ppm", Image.fromarray(rgb, "RGB"))
    pil_saved("pil_p5_13x7.pgm", Image.fromarray(rgb[:, :, 1], "L"))
    pil_saved("pil_p4_19x5.pbm", Image.fromarray(test_rgb(19, 5, 102)[:, :, 0] > 100))
    g16 = rng(103).randint(0, 65536, size=(H, W)).astype(np.int32)
    pil_saved("pil_p5_16bit_13x7.pgm", Image.fromarray(g16, "I"))

    # --- binary, every maxval regime
    def samples(shape, maxval, seed, over=0):
        """Random samples <= maxval; the first `over` are above it (binary
        files may hold them; Pillow clamps them to the top value)."""
        a = rng(seed).randint(0, maxval + 1, size=shape)
        if over:
            hi = 255 if maxval < 256 else 65535
            a.reshape(-1)[:over] = np.linspace(maxval + 1, hi, over).astype(np.int64)
        return a

    def binary(magic, a, maxval):
        h, w = a.shape[:2]
        raw = a.astype(">u2").tobytes() if maxval > 255 else a.astype(np.uint8).tobytes()
        return pnm_header(magic, w, h, maxval) + raw

    a = samples((H, W), 100, 110, over=3)
    check("p5_maxval100_clamps_13x7.pgm", binary(b"P5", a, 100), scale(a, 100, 255))
    a = samples((H, W), 1, 111)
    check("p5_maxval1_13x7.pgm", binary(b"P5", a, 1), scale(a, 1, 255))
    a = samples((H, W), 1000, 112, over=3)
    check("p5_maxval1000_16bit_13x7.pgm", binary(b"P5", a, 1000), scale(a, 1000, 65535))
    a = samples((H, W), 256, 113)
    check("p5_maxval256_16bit_13x7.pgm", binary(b"P5", a, 256), scale(a, 256, 65535))
    a = samples((H, W, 3), 31, 114, over=2)
    check("p6_maxval31_13x7.ppm", binary(b"P6", a, 31), scale(a, 31, 255))
    a = samples((H, W, 3), 254, 115)
    check("p6_maxval254_13x7.ppm", binary(b"P6", a, 254), scale(a, 254, 255))

    # 16-bit RGB: Pillow gives 8 bits; we keep 16 with the gray formula.
    for name, maxval, seed in [("p6_maxval65535_16bit_13x7.ppm", 65535, 116),
                               ("p6_maxval300_16bit_13x7.ppm", 300, 117)]:
        a = samples((H, W, 3), maxval, seed)
        data = binary(b"P6", a, maxval)
        p = pil_pixels(data)
        assert (p == scale(a, maxval, 255)).all(), name
        emit(PNM_DIR, name, data, scale(a, maxval, 65535))
        notes.append(f"{name}: Pillow 9.4 decodes 8 bits = min(255, round(v/maxval*255)) (checked); "
                     f"expected = min(65535, round(v/maxval*65535))")

    # --- bitmaps
    bits = test_rgb(33, 3, 120)[:, :, 0] > 128
    check("p4_33x3.pbm", pnm_header(b"P4", 33, 3) + np.packbits(~bits, axis=1).tobytes(),
          np.where(bits, 255, 0).astype(np.uint8)[:, :, None])
    check("p4_1x1.pbm", b"P4 1 1\n\x80", np.zeros((1, 1, 1), np.uint8))
    bits = test_rgb(19, 5, 121)[:, :, 0] > 128
    body = "\n".join(" ".join("0" if b else "1" for b in row) for row in bits).encode() + b"\n"
    exp = np.where(bits, 255, 0).astype(np.uint8)[:, :, None]
    check("p1_19x5.pbm", pnm_header(b"P1", 19, 5) + body, exp)
    body = b"".join(b"".join(b"0" if b else b"1" for b in row) + b"#row\r\n" for row in bits)
    check("p1_no_spaces_comments_crlf_19x5.pbm", b"P1\r\n# made by hand\r\n19 #w\r\n5\r\n" + body, exp)

    # --- ASCII gray and colour
    a = samples((H, W), 255, 130)
    check("p2_maxval255_13x7.pgm", pnm_header(b"P2", W, H, 255) + ascii_body(a), scale(a, 255, 255))
    a = samples((H, W), 15, 131)
    check("p2_maxval15_13x7.pgm", pnm_header(b"P2", W, H, 15) + ascii_body(a), scale(a, 15, 255))
    a = samples((H, W), 1000, 132)
    check("p2_maxval1000_16bit_13x7.pgm", pnm_header(b"P2", W, H, 1000) + ascii_body(a),
          scale(a, 1000, 65535))
    a = samples((H, W), 65535, 133)
    check("p2_maxval65535_16bit_13x7.pgm", pnm_header(b"P2", W, H, 65535) + ascii_body(a, 5),
          a.astype(np.uint16))
    a = samples((H, W, 3), 255, 134)
    check("p3_maxval255_13x7.ppm", pnm_header(b"P3", W, H, 255) + ascii_body(a, 9), scale(a, 255, 255))
    a = samples((H, W, 3), 7, 135)
    check("p3_maxval7_13x7.ppm", pnm_header(b"P3", W, H, 7) + ascii_body(a, 30), scale(a, 7, 255))
    a = samples((H, W, 3), 4095, 136)
    data = pnm_header(b"P3", W, H, 4095) + ascii_body(a, 12)
    assert (pil_pixels(data) == scale(a, 4095, 255)).all()
    emit(PNM_DIR, "p3_maxval4095_16bit_13x7.ppm", data, scale(a, 4095, 65535))
    notes.append("p3_maxval4095_16bit_13x7.ppm: as the 16-bit P6 files")

    # --- header syntax: comments everywhere (even inside a number), odd whitespace
    a = samples((H, W), 255, 140)
    check("p2_comments_everywhere_13x7.pgm",
          b"P2\n# comment after magic\n1#inside the width\n3\t# tab\n7 2#x\r55\n" + ascii_body(a).replace(
              b"\n", b" # end of line comment\n", 3), a.astype(np.uint8))
    a = samples((H, W, 3), 255, 141)
    check("p6_whitespace_variety_13x7.ppm", b"P6\t13\r7\x0b\x0c 255\n" + a.astype(np.uint8).tobytes(),
          a.astype(np.uint8))
    a = samples((H, W), 255, 142)
    check("p5_trailing_bytes_13x7.pgm", binary(b"P5", a, 255) + b"extra bytes after the raster",
          a.astype(np.uint8))

    # --- files Pillow refuses, and so must we
    emit_bad(PNM_DIR, "bad_maxval0.pgm", b"P5 2 2 0\n\0\0\0\0")
    emit_bad(PNM_DIR, "bad_maxval65536.pgm", b"P5 2 2 65536\n" + b"\0" * 8)
    emit_bad(PNM_DIR, "bad_truncated.ppm", binary(b"P6", samples((H, W, 3), 255, 150), 255)[:-5])
    emit_bad(PNM_DIR, "bad_truncated_16bit.pgm", binary(b"P5", samples((H, W), 999, 151), 999)[:-1])
    emit_bad(PNM_DIR, "bad_p2_sample_above_maxval.pgm", b"P2 3 1 100\n1 2 101\n")
    emit_bad(PNM_DIR, "bad_p1_digit_2.pbm", b"P1 3 1\n0 2 1\n")
    emit_bad(PNM_DIR, "bad_token_too_long.pgm", b"P5 00000000003 1 255\n\1\2\3")
    emit_bad(PNM_DIR, "bad_missing_maxval.pgm", b"P5 3 1")
    emit_bad(PNM_DIR, "bad_magic_p7.pam", b"P7\nWIDTH 1\nHEIGHT 1\nDEPTH 1\nMAXVAL 255\nENDHDR\n\0")
    emit_bad(PNM_DIR, "bad_width_letters.pgm", b"P5 3x 1 255\n\1\2\3")
    return notes


# ---------------------------------------------------------------------------
# NEU-CLS: FNV-1a 64 of the raw pixel bytes Pillow decodes (H x W x C, C order),
# the same checksum tests/test_neu_det.c uses. FNV-1a: h = 0xcbf29ce484222325;
# for each byte: h ^= byte; h *= 0x100000001b3 (mod 2^64). Computed for all
# files at once, one byte position at a time, so numpy does the loop.

def fnv1a64_rows(a):
    """FNV-1a 64 of each row of a 2-D uint8 array."""
    h = np.full(a.shape[0], 0xCBF29CE484222325, dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    for j in range(a.shape[1]):
        h ^= a[:, j].astype(np.uint64)
        h *= prime                   # wraps mod 2^64, as in C
    return h


def gen_neu(data_dir):
    root = os.path.join(data_dir, "neu-cls")
    names, shapes, pixels = [], [], []
    for cls in sorted(os.listdir(root)):
        d = os.path.join(root, cls)
        if not os.path.isdir(d):
            continue
        for fn in sorted(os.listdir(d)):
            if not fn.lower().endswith(".bmp"):
                continue
            with open(os.path.join(d, fn), "rb") as f:
                a = pil_pixels(f.read())
            names.append(f"{cls}/{fn}")
            shapes.append(a.shape)
            pixels.append(a.reshape(-1))
    assert len(set(shapes)) == 1, "NEU-CLS images of different shapes"
    hashes = fnv1a64_rows(np.stack(pixels))
    assert int(fnv1a64_rows(np.frombuffer(b"a", np.uint8)[None])[0]) == 0xAF63DC4C8601EC8C  # FNV test vector
    with open(NEU_SUMS, "w") as f:
        f.write("# NEU-CLS: relative path, height, width, channels, FNV-1a 64 of Pillow 9.4's 8-bit\n"
                "# pixels (H x W x C, row-major); tests/golden/gen_bmp_pnm.py --neu\n")
        for name, (h, w, c), v in zip(names, shapes, hashes):
            f.write(f"{name} {h} {w} {c} {int(v):016x}\n")
    print("wrote", NEU_SUMS, len(names), "files")


def write_readme(directory, title, notes):
    with open(os.path.join(directory, "README.md"), "w") as f:
        f.write(f"# {title}\n\nWritten by tests/golden/gen_bmp_pnm.py (Debian python3-pil 9.4); "
                "see its docstring. NAME.npy holds the pixels Pillow decodes from NAME (uint8 or "
                "uint16, H x W x C); bad_* files have none: Pillow refuses them and so must we.\n\n"
                "Expectations that do not come straight from Pillow 9.4:\n\n")
        for n in notes:
            f.write(f"- {n}\n")


def main():
    for d in (BMP_DIR, PNM_DIR):
        os.makedirs(d, exist_ok=True)
        for fn in os.listdir(d):
            os.remove(os.path.join(d, fn))
    write_readme(BMP_DIR, "BMP decoder corpus", gen_bmp())
    write_readme(PNM_DIR, "PNM decoder corpus", gen_pnm())
    total = 0
    for d in (BMP_DIR, PNM_DIR):
        for fn in os.listdir(d):
            total += os.path.getsize(os.path.join(d, fn))
    print(f"{len(written)} images, {total} bytes in tests/data/bmp and tests/data/pnm")
    if "--neu" in sys.argv:
        gen_neu(os.environ.get("SG_DATA_DIR", os.path.join(ROOT, "..", "shared", "data")))


if __name__ == "__main__":
    main()
