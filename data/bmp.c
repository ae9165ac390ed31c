/* data/bmp.c - Windows and OS/2 bitmaps (.bmp): decoder and writer.
 *
 * The file, after Microsoft's "Bitmap Storage" pages (BITMAPFILEHEADER,
 * BITMAPCOREHEADER, BITMAPINFOHEADER, BITMAPV4HEADER, BITMAPV5HEADER) and the
 * OS/2 1.x/2.x headers; every number is little-endian:
 *
 *   file header (14 bytes)  "BM", file size u32, 2 x u16 reserved,
 *                           bfOffBits u32 = where the pixels start
 *   info header             its own size u32 first, which names the variant:
 *     12  OS/2 1.x core:    width u16, height u16, planes u16, bits u16;
 *                           palette entries are 3 bytes (B, G, R)
 *     40  BITMAPINFOHEADER: width i32, height i32 (negative = rows stored
 *                           top-down), planes u16, bits u16, compression u32,
 *                           image size u32, x/y pixels per metre, colours
 *                           used u32 (0 = 2^bits), colours important u32;
 *                           with BI_BITFIELDS the R, G, B masks follow it
 *     52 / 56  V2 / V3:     40 + R, G, B (+ A) masks inside the header
 *     64  OS/2 2.x:         40 + OS/2 fields (its compression 3 and 4 mean
 *                           Huffman 1D and RLE24, which we do not decode)
 *     108 / 124  V4 / V5:   56 + colour space (+ intent and ICC profile)
 *   palette (1/4/8 bits)    entries of B, G, R, reserved (B, G, R for OS/2 1.x)
 *   pixels at bfOffBits     rows padded to a multiple of 4 bytes, bottom row
 *                           first unless the height is negative; or an RLE
 *                           stream (BI_RLE8 / BI_RLE4, see decode_rle)
 *
 * What we output, chosen so that comparing with Debian's Pillow 9.4 is exact
 * (tests/golden/gen_bmp_pnm.py makes the corpus that checks every rule):
 *   - 1/4/8-bit palette images: ONE channel when every palette entry in the
 *     file is gray (r = g = b), the gray value being the entry, else RGB.
 *     This equals PIL's .convert("L") resp. .convert("RGB") bit for bit: PIL
 *     opens an identity-ramp palette as mode "L" (or "1") and any other as "P",
 *     and P -> L is (19595 r + 38470 g + 7471 b + 0x8000) >> 16, which is r
 *     when r = g = b. An index past the file's palette reads as gray (i, i, i),
 *     like PIL, whose palettes start as the gray ramp. (Pillow 9.4 fails on a
 *     4-bit file whose palette is exactly 0..15; we apply the same rule.)
 *   - 16-bit: RGB, 5-5-5 (BI_RGB or BI_BITFIELDS) or 5-6-5 (BI_BITFIELDS),
 *     each field widened as v * 255 / (2^bits - 1) rounded down, as PIL does.
 *   - 24-bit: RGB. 32-bit BI_RGB: RGB, the fourth byte ignored (as PIL).
 *   - 32-bit BI_BITFIELDS: RGB, or RGBA when the alpha mask is not zero. Any
 *     byte-aligned 8-bit masks are accepted (a superset of PIL's list); all
 *     four masks zero mean B, G, R, A bytes (as PIL).
 *   - RLE: pixels the stream skips (end of line, delta, early end of bitmap)
 *     stay index 0. Pillow 9.4 has two bugs here that later Pillow fixed and
 *     we do not copy: the delta escape reads its two bytes from the wrong
 *     place (python-pillow/Pillow#9443) and an odd RLE4 absolute run loses a
 *     nibble and desynchronises (#9710). Pillow 9.4 also refuses a stream
 *     that ends (end-of-bitmap) before the last pixel; the format allows it.
 *   - Header sizes 52 and 56, which PIL refuses, are decoded as the V2/V3
 *     headers they are.
 *   - Like PIL, a palette cut off by the end of the file keeps the entries
 *     that are there, and the last row may lack its padding bytes.
 *   - Stricter than PIL: RLE8 needs 8 bits per pixel and RLE4 needs 4 (PIL
 *     runs either decoder on any palette depth), and the pixel limit is ours
 *     (sg_image_limits), not PIL's 179 M pixel decompression-bomb bound.
 * Every offset and size is checked against the buffer with 64-bit arithmetic
 * before it is used, and the image is allocated through sg_image_alloc, which
 * enforces the pixel limit first. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "data/image.h"

enum { BI_RGB = 0, BI_RLE8 = 1, BI_RLE4 = 2, BI_BITFIELDS = 3, BI_JPEG = 4, BI_PNG = 5 };
enum { FILE_HEADER = 14 };

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Everything the headers say, checked against the buffer. */
typedef struct bmp_header {
    uint32_t info_size;
    int width, height;       /* height without its sign */
    bool top_down;
    int bits;
    uint32_t compression;
    uint32_t masks[4];       /* R, G, B, A (BI_BITFIELDS only) */
    int palette_entries;     /* entries read from the file, <= 256 */
    int entry_size;          /* 4, or 3 for OS/2 1.x */
    size_t pixels_at;        /* offset of the pixel data */
    uint8_t palette[256][3]; /* R, G, B; entries past the file's are gray */
    bool gray;               /* every palette entry in the file has r = g = b */
    int channels;            /* of the decoded image */
} bmp_header;

/* ---- headers ------------------------------------------------------------ */

/* Which 32-bit BI_BITFIELDS layouts we decode: R, G and B masks 0xFF at
 * three different byte positions, and alpha zero or 0xFF at the fourth. */
static bool masks_are_bytes(const uint32_t m[4])
{
    unsigned used = 0;
    for (int c = 0; c < 4; c++) {
        if (c == 3 && m[c] == 0) continue;
        bool found = false;
        for (int byte = 0; byte < 4; byte++)
            if (m[c] == 0xFFu << 8 * byte && !(used & 1u << byte)) {
                used |= 1u << byte;
                found = true;
            }
        if (!found) return false;
    }
    return true;
}

/* The first `entries` palette entries at p (B, G, R[, X]); the others are
 * gray (i, i, i) as in PIL, whose palettes start as the gray ramp. A palette
 * cut off by the end of the file keeps the entries that are there, as PIL
 * does (the pixels, at bfOffBits, may still be complete). */
static void parse_palette(bmp_header *h, const uint8_t *p, int entries)
{
    h->palette_entries = entries;
    for (int i = 0; i < 256; i++)
        h->palette[i][0] = h->palette[i][1] = h->palette[i][2] = (uint8_t)i;
    h->gray = true;
    for (int i = 0; i < entries; i++) {
        const uint8_t *e = p + (size_t)i * h->entry_size;
        h->palette[i][0] = e[2];
        h->palette[i][1] = e[1];
        h->palette[i][2] = e[0];
        if (e[0] != e[1] || e[1] != e[2]) h->gray = false;
    }
}

/* The masks and the output channels of a BI_BITFIELDS (or 16/24/32-bit) image. */
static sg_err check_bitfields(bmp_header *h, const char *name)
{
    const uint32_t *m = h->masks;
    if (h->bits == 16) {
        bool ok = (m[0] == 0xF800 && m[1] == 0x7E0 && m[2] == 0x1F) ||
                  (m[0] == 0x7C00 && m[1] == 0x3E0 && m[2] == 0x1F);
        if (!ok)
            return sg_error_set(SG_ERR_UNSUPPORTED,
                                "%s: 16-bit BMP masks R %08x G %08x B %08x: only 5-6-5 "
                                "(f800 7e0 1f) and 5-5-5 (7c00 3e0 1f) are decoded", name,
                                m[0], m[1], m[2]);
        return SG_OK;
    }
    if (h->bits == 24) {
        if (m[0] != 0xFF0000 || m[1] != 0xFF00 || m[2] != 0xFF)
            return sg_error_set(SG_ERR_UNSUPPORTED,
                                "%s: 24-bit BMP masks R %08x G %08x B %08x: only ff0000 ff00 ff "
                                "is decoded", name, m[0], m[1], m[2]);
        return SG_OK;
    }
    if (m[0] == 0 && m[1] == 0 && m[2] == 0 && m[3] == 0) {
        /* PIL reads all-zero masks as B, G, R, A bytes. */
        h->masks[0] = 0xFF0000, h->masks[1] = 0xFF00, h->masks[2] = 0xFF, h->masks[3] = 0xFF000000;
    } else if (!masks_are_bytes(m)) {
        return sg_error_set(SG_ERR_UNSUPPORTED,
                            "%s: 32-bit BMP masks R %08x G %08x B %08x A %08x: only 8-bit "
                            "byte-aligned masks are decoded", name, m[0], m[1], m[2], m[3]);
    }
    h->channels = h->masks[3] ? 4 : 3;
    return SG_OK;
}

static sg_err parse_headers(const uint8_t *d, size_t len, const char *name, bmp_header *h)
{
    memset(h, 0, sizeof *h);
    if (len < FILE_HEADER + 4)
        return sg_error_set(SG_ERR_FORMAT, "%s: %zu bytes is too short for a BMP file header",
                            name, len);
    if (d[0] != 'B' || d[1] != 'M')
        return sg_error_set(SG_ERR_FORMAT, "%s: not a BMP file (no 'BM' signature)", name);
    uint32_t offbits = rd32(d + 10);
    h->info_size = rd32(d + FILE_HEADER);
    switch (h->info_size) {
    case 12: case 40: case 52: case 56: case 64: case 108: case 124: break;
    default:
        return sg_error_set(SG_ERR_UNSUPPORTED,
                            "%s: BMP info header of %u bytes (expected 12, 40, 52, 56, 64, 108 "
                            "or 124)", name, h->info_size);
    }
    if (len - FILE_HEADER < h->info_size)
        return sg_error_set(SG_ERR_FORMAT, "%s: BMP info header of %u bytes is cut off at %zu bytes",
                            name, h->info_size, len);
    const uint8_t *ih = d + FILE_HEADER;
    size_t after_header = FILE_HEADER + (size_t)h->info_size;
    int64_t width, height;
    uint64_t colors = 0;
    if (h->info_size == 12) {               /* OS/2 1.x: unsigned 16-bit sizes */
        width = rd16(ih + 4);
        height = rd16(ih + 6);
        h->bits = (int)rd16(ih + 10);
        h->compression = BI_RGB;
        h->entry_size = 3;
    } else {
        width = (int32_t)rd32(ih + 4);
        height = (int32_t)rd32(ih + 8);
        h->bits = (int)rd16(ih + 14);
        h->compression = rd32(ih + 16);
        colors = rd32(ih + 32);
        h->entry_size = 4;
    }
    if (height < 0) {
        h->top_down = true;
        height = -height;                   /* int64: -INT32_MIN is fine */
    }
    if (width <= 0 || height <= 0 || width > INT32_MAX || height > INT32_MAX)
        return sg_error_set(SG_ERR_FORMAT, "%s: BMP size %lld x %lld (must be positive)", name,
                            (long long)width, (long long)(h->top_down ? -height : height));
    h->width = (int)width;
    h->height = (int)height;
    if (h->bits != 1 && h->bits != 4 && h->bits != 8 && h->bits != 16 && h->bits != 24 &&
        h->bits != 32)
        return sg_error_set(SG_ERR_UNSUPPORTED,
                            "%s: BMP with %d bits per pixel (expected 1, 4, 8, 16, 24 or 32)",
                            name, h->bits);

    /* Compression, and for BI_BITFIELDS where the masks are. */
    uint32_t c = h->compression;
    if (h->info_size == 64 && (c == 3 || c == 4))
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: OS/2 BMP compression %u (%s) is not decoded",
                            name, c, c == 3 ? "Huffman 1D" : "RLE24");
    if (c == BI_RLE8 || c == BI_RLE4) {
        int want = c == BI_RLE8 ? 8 : 4;
        if (h->bits != want)
            return sg_error_set(SG_ERR_FORMAT, "%s: BMP %s compression with %d bits per pixel "
                                "(must be %d)", name, c == BI_RLE8 ? "RLE8" : "RLE4", h->bits, want);
    } else if (c == BI_BITFIELDS) {
        if (h->bits < 16)
            return sg_error_set(SG_ERR_FORMAT, "%s: BMP BI_BITFIELDS with %d bits per pixel "
                                "(must be 16, 24 or 32)", name, h->bits);
        const uint8_t *mp = ih + 40;        /* masks inside V2+ headers */
        int nmasks = h->info_size == 52 ? 3 : 4;
        if (h->info_size == 40) {           /* three masks after the header */
            if (len - after_header < 12)
                return sg_error_set(SG_ERR_FORMAT, "%s: BMP colour masks cut off at %zu bytes",
                                    name, len);
            mp = d + after_header;
            after_header += 12;
            nmasks = 3;
        }
        for (int k = 0; k < nmasks; k++) h->masks[k] = rd32(mp + 4 * k);
    } else if (c == BI_RGB) {
        static const uint32_t bgr24[4] = {0xFF0000, 0xFF00, 0xFF, 0};
        static const uint32_t rgb555[4] = {0x7C00, 0x3E0, 0x1F, 0};
        memcpy(h->masks, h->bits == 16 ? rgb555 : bgr24, sizeof h->masks);
    } else if (c == BI_JPEG || c == BI_PNG) {
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: BMP holding a %s stream is not decoded", name,
                            c == BI_JPEG ? "JPEG" : "PNG");
    } else {
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: BMP compression %u (expected 0 BI_RGB, "
                            "1 RLE8, 2 RLE4 or 3 BI_BITFIELDS)", name, c);
    }

    /* Palette, channels, and where the pixels start. */
    uint64_t pixels_at = offbits, pixels_default = after_header;
    if (h->bits <= 8) {
        if (colors == 0) colors = (uint64_t)1 << h->bits;
        /* PIL's bounds: at most 65536 claimed, at most 256 actually there. */
        uint64_t in_file = after_header < len ? (len - after_header) / (size_t)h->entry_size : 0;
        uint64_t entries = colors < in_file ? colors : in_file;
        if (colors > 65536 || entries > 256)
            return sg_error_set(SG_ERR_FORMAT, "%s: BMP palette of %llu colours (at most 256)",
                                name, (unsigned long long)colors);
        parse_palette(h, d + after_header, (int)entries);
        h->channels = h->gray ? 1 : 3;
        pixels_default = after_header + (size_t)h->palette_entries * h->entry_size;
        /* A bfOffBits that points at the palette itself is a known writer bug;
         * PIL skips the palette, so do we. */
        if (offbits == FILE_HEADER + h->info_size) pixels_at += colors * (uint64_t)h->entry_size;
    } else {
        h->channels = 3;
        if (h->bits >= 16) {
            sg_err err = check_bitfields(h, name);
            if (err != SG_OK) return err;
        }
    }
    if (pixels_at == 0) pixels_at = pixels_default;   /* PIL: right after what it read */
    if (pixels_at > len)
        return sg_error_set(SG_ERR_FORMAT, "%s: BMP pixel data offset %llu is past the end of the "
                            "%zu-byte file", name, (unsigned long long)pixels_at, len);
    h->pixels_at = (size_t)pixels_at;
    return SG_OK;
}

/* ---- pixels -------------------------------------------------------------- */

/* Replace the index plane at the start of img->pixels (width * height bytes)
 * by gray values or RGB triples. Going backwards lets RGB expand in place:
 * pixel i's triple lands at 3i >= i, after every index still to be read. */
static void apply_palette(sg_image *img, const bmp_header *h)
{
    uint8_t *p = img->pixels;
    size_t n = (size_t)img->width * (size_t)img->height;
    /* A local copy: the compiler knows the pixel stores cannot change it. */
    uint8_t pal[256][3];
    memcpy(pal, h->palette, sizeof pal);
    if (img->channels == 1) {
        for (size_t i = 0; i < n; i++) p[i] = pal[p[i]][0];
        return;
    }
    for (size_t i = n; i-- > 0;) {
        const uint8_t *rgb = pal[p[i]];
        p[3 * i + 2] = rgb[2];
        p[3 * i + 1] = rgb[1];
        p[3 * i] = rgb[0];
    }
}

/* Row y of the image (0 = top) is row `file_row` of the file. */
static int file_row(const bmp_header *h, int y) { return h->top_down ? y : h->height - 1 - y; }

/* One row of packed indices (1, 4 or 8 bits, most significant first) to bytes. */
static void unpack_indices(const uint8_t *src, int bits, int width, uint8_t *dst)
{
    if (bits == 8) {
        memcpy(dst, src, (size_t)width);
    } else if (bits == 4) {
        for (int x = 0; x < width; x++) dst[x] = x & 1 ? src[x / 2] & 15 : src[x / 2] >> 4;
    } else {
        for (int x = 0; x < width; x++) dst[x] = (src[x / 8] >> (7 - x % 8)) & 1;
    }
}

/* One row of 16/24/32-bit pixels to RGB or RGBA. */
static void unpack_direct(const uint8_t *src, const bmp_header *h, int width, uint8_t *dst)
{
    if (h->bits == 16) {
        bool is565 = h->masks[1] == 0x7E0;
        int rshift = is565 ? 11 : 10, gmax = is565 ? 63 : 31;
        for (int x = 0; x < width; x++, src += 2, dst += 3) {
            uint32_t v = rd16(src);
            dst[0] = (uint8_t)(((v >> rshift) & 31) * 255 / 31);
            dst[1] = (uint8_t)(((v >> 5) & (uint32_t)gmax) * 255 / (uint32_t)gmax);
            dst[2] = (uint8_t)((v & 31) * 255 / 31);
        }
    } else if (h->bits == 24) {
        for (int x = 0; x < width; x++, src += 3, dst += 3) {
            dst[0] = src[2];
            dst[1] = src[1];
            dst[2] = src[0];
        }
    } else {                                /* 32 bits, byte-aligned masks */
        int at[4] = {0, 0, 0, 0}, nc = h->channels;
        for (int c = 0; c < nc; c++)
            for (int s = 0; s < 4; s++)
                if (h->masks[c] == 0xFFu << 8 * s) at[c] = s;
        for (int x = 0; x < width; x++, src += 4, dst += nc)
            for (int c = 0; c < nc; c++) dst[c] = src[at[c]];
    }
}

/* RLE8 / RLE4 (Microsoft "Bitmap Compression"). The stream is pairs of bytes:
 *   n > 0, v       n pixels of index v (RLE4: the two nibbles of v alternate,
 *                  high one first)
 *   0, 0           end of line: go to the start of the next row
 *   0, 1           end of bitmap
 *   0, 2, dx, dy   delta: skip dx pixels right and dy rows on
 *   0, n >= 3      absolute run: n indices follow (RLE4: two per byte), then
 *                  a pad byte if needed to end on a 16-bit boundary
 * As in PIL, the pixels are counted in file order (pos) and a run that would
 * pass the end of its row is cut there; absolute runs are not cut. */

/* Pixel number `pos` in file order gets index v (nothing past the end). */
static inline void rle_put(uint8_t *plane, const bmp_header *h, uint64_t pos, unsigned v)
{
    const uint64_t W = (uint64_t)h->width;
    if (pos < W * (uint64_t)h->height)
        plane[(size_t)file_row(h, (int)(pos / W)) * W + pos % W] = (uint8_t)v;
}

static sg_err decode_rle(const uint8_t *d, size_t len, const bmp_header *h, const char *name,
                         uint8_t *plane)
{
    const uint8_t *s = d + h->pixels_at;
    const size_t n = len - h->pixels_at;
    const bool rle4 = h->compression == BI_RLE4;
    const uint64_t W = (uint64_t)h->width, total = W * (uint64_t)h->height;
    uint64_t pos = 0, x = 0;                /* x: the column as PIL tracks it */
    size_t i = 0;
    while (pos < total) {
        if (n - i < 2) break;
        unsigned count = s[i], value = s[i + 1];
        i += 2;
        if (count > 0) {                    /* encoded run */
            uint64_t room = x < W ? W - x : 0;
            if (count > room) count = (unsigned)room;
            for (unsigned k = 0; k < count; k++)
                rle_put(plane, h, pos + k, rle4 ? (k & 1 ? value & 15 : value >> 4) : value);
            pos += count;
            x += count;
        } else if (value == 0) {            /* end of line */
            pos = (pos + W - 1) / W * W;
            x = 0;
        } else if (value == 1) {            /* end of bitmap: the rest stays index 0 */
            return SG_OK;
        } else if (value == 2) {            /* delta */
            if (n - i < 2) break;
            pos += s[i] + (uint64_t)s[i + 1] * W;
            x = pos % W;
            i += 2;
        } else {                            /* absolute run */
            size_t bytes = rle4 ? (value + 1) / 2 : value;
            /* A run cut off by the end of the data still gives its pixels
             * (as in PIL); the check after the loop decides if they were enough. */
            size_t have = n - i < bytes ? n - i : bytes;
            unsigned count = rle4 ? (unsigned)(2 * have < value ? 2 * have : value) : (unsigned)have;
            for (unsigned k = 0; k < count; k++)
                rle_put(plane, h, pos + k,
                        rle4 ? (k & 1 ? s[i + k / 2] & 15 : s[i + k / 2] >> 4) : s[i + k]);
            pos += count;
            if (have < bytes) break;
            x += value;
            i += bytes;
            /* Runs end on a 16-bit boundary; like PIL we count it from the
             * start of the file (the same thing unless bfOffBits is odd). */
            if ((h->pixels_at + i) & 1 && i < n) i++;
        }
    }
    if (pos < total)
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: BMP RLE data ends after %llu of %llu pixels without an "
                            "end-of-bitmap marker", name, (unsigned long long)pos,
                            (unsigned long long)total);
    return SG_OK;
}

sg_err sg_bmp_decode(const uint8_t *data, size_t len, const char *name,
                     const sg_image_limits *lim, sg_image *out)
{
    *out = (sg_image){0};
    bmp_header h;
    sg_err err = parse_headers(data, len, name, &h);
    if (err != SG_OK) return err;
    bool rle = h.compression == BI_RLE8 || h.compression == BI_RLE4;
    /* Rows are padded to a multiple of 4 bytes; the last row's padding may
     * be missing (PIL does not need it either). width * bits < 2^37, and
     * the product with the height is compared by division: no overflow. */
    uint64_t row = ((uint64_t)h.width * (uint64_t)h.bits + 7) / 8;
    uint64_t stride = (row + 3) / 4 * 4;
    size_t avail = len - h.pixels_at;
    if (!rle && (row > avail || (h.height > 1 && stride > (avail - row) / (uint64_t)(h.height - 1))))
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: BMP pixel data cut off: %d rows of %llu bytes at offset %zu, "
                            "but the file has %zu bytes", name, h.height,
                            (unsigned long long)stride, h.pixels_at, len);
    sg_image img;
    err = sg_image_alloc(&img, h.width, h.height, h.channels, 8, lim, name);
    if (err != SG_OK) return err;
    uint8_t *px = img.pixels;
    size_t row_bytes = (size_t)h.width * (size_t)h.channels;
    if (rle) {
        err = decode_rle(data, len, &h, name, px);
        if (err != SG_OK) {
            sg_image_free(&img);
            return err;
        }
        apply_palette(&img, &h);
    } else if (h.bits == 8 && h.channels == 1) {
        /* The common case (NEU-CLS): gray in one pass, a plain copy when the
         * palette is the identity ramp. */
        bool identity = true;
        uint8_t gray[256];
        for (int i = 0; i < 256; i++) {
            gray[i] = h.palette[i][0];
            identity &= gray[i] == i;
        }
        for (int y = 0; y < h.height; y++) {
            const uint8_t *src = data + h.pixels_at + (size_t)file_row(&h, y) * stride;
            uint8_t *dst = px + (size_t)y * row_bytes;
            if (identity) memcpy(dst, src, row_bytes);
            else for (size_t x = 0; x < row_bytes; x++) dst[x] = gray[src[x]];
        }
    } else if (h.bits <= 8) {
        for (int y = 0; y < h.height; y++)
            unpack_indices(data + h.pixels_at + (size_t)file_row(&h, y) * stride, h.bits, h.width,
                           px + (size_t)y * (size_t)h.width);
        apply_palette(&img, &h);
    } else {
        for (int y = 0; y < h.height; y++)
            unpack_direct(data + h.pixels_at + (size_t)file_row(&h, y) * stride, &h, h.width,
                          px + (size_t)y * row_bytes);
    }
    *out = img;
    return SG_OK;
}

/* ---- writer --------------------------------------------------------------- */

static void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(v >> 8 * k);
}

/* 8-bit gray: BITMAPINFOHEADER + 256-entry gray palette (PIL reads it as "L").
 * RGB: BITMAPINFOHEADER, 24 bits. RGBA: BITMAPV4HEADER, 32 bits, BI_BITFIELDS
 * with masks R ff0000, G ff00, B ff, A ff000000 (PIL reads it as "RGBA").
 * Rows bottom-up, as most readers expect. */
sg_err sg_bmp_write(const char *path, const sg_image *img)
{
    if (!img || !img->pixels || img->width <= 0 || img->height <= 0)
        return sg_error_set(SG_ERR_INVALID, "%s: no image to write as BMP", path);
    if (img->depth != 8 || (img->channels != 1 && img->channels != 3 && img->channels != 4))
        return sg_error_set(SG_ERR_UNSUPPORTED,
                            "%s: BMP writes 8-bit gray, RGB or RGBA, not %d channels of %d bits",
                            path, img->channels, img->depth);
    const int C = img->channels, W = img->width, H = img->height;
    const uint32_t info_size = C == 4 ? 108 : 40, palette_bytes = C == 1 ? 1024 : 0;
    const uint64_t stride = ((uint64_t)W * 8 * (uint64_t)C + 31) / 32 * 4;
    const uint64_t offbits = FILE_HEADER + info_size + palette_bytes;
    const uint64_t file_size = offbits + stride * (uint64_t)H;
    if (file_size > UINT32_MAX)
        return sg_error_set(SG_ERR_LIMIT, "%s: a %d x %d BMP would be %llu bytes, over the "
                            "format's 4 GiB", path, W, H, (unsigned long long)file_size);

    uint8_t head[FILE_HEADER + 108 + 1024];
    memset(head, 0, sizeof head);
    head[0] = 'B', head[1] = 'M';
    wr32(head + 2, (uint32_t)file_size);
    wr32(head + 10, (uint32_t)offbits);
    uint8_t *ih = head + FILE_HEADER;
    wr32(ih, info_size);
    wr32(ih + 4, (uint32_t)W);
    wr32(ih + 8, (uint32_t)H);              /* positive: bottom-up */
    wr16(ih + 12, 1);                       /* planes */
    wr16(ih + 14, (uint32_t)(8 * C));
    wr32(ih + 16, C == 4 ? BI_BITFIELDS : BI_RGB);
    wr32(ih + 20, (uint32_t)(stride * (uint64_t)H));
    wr32(ih + 24, 3780);                    /* 96 dpi in pixels per metre, like PIL */
    wr32(ih + 28, 3780);
    if (C == 1) {
        wr32(ih + 32, 256);                 /* colours used */
        for (int i = 0; i < 256; i++)
            memset(ih + 40 + 4 * i, i, 3);  /* B = G = R = i, reserved 0 */
    } else if (C == 4) {
        wr32(ih + 40, 0x00FF0000);
        wr32(ih + 44, 0x0000FF00);
        wr32(ih + 48, 0x000000FF);
        wr32(ih + 52, 0xFF000000);
        wr32(ih + 56, 0x73524742);          /* colour space 'sRGB' */
    }

    uint8_t *row = calloc(1, (size_t)stride);
    if (!row) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for a BMP row", path);
    sg_atomic_file af;
    sg_err err = sg_atomic_open(&af, path);
    if (err == SG_OK) err = sg_atomic_write(&af, head, (size_t)offbits);
    const uint8_t *px = img->pixels;
    for (int y = H - 1; y >= 0 && err == SG_OK; y--) {
        const uint8_t *src = px + (size_t)y * (size_t)W * (size_t)C;
        if (C == 1) {
            memcpy(row, src, (size_t)W);
        } else {
            for (int x = 0; x < W; x++, src += C) {
                uint8_t *dst = row + (size_t)x * (size_t)C;
                dst[0] = src[2], dst[1] = src[1], dst[2] = src[0];
                if (C == 4) dst[3] = src[3];
            }
        }
        err = sg_atomic_write(&af, row, (size_t)stride);
    }
    free(row);
    if (err == SG_OK) return sg_atomic_commit(&af);
    sg_atomic_abort(&af);
    return err;
}
