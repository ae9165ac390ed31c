/* data/pnm.c - Netpbm images: PBM (P1, P4), PGM (P2, P5), PPM (P3, P6).
 *
 * The format (Netpbm's pbm(5), pgm(5), ppm(5) pages):
 *   magic "P1".."P6", whitespace, width, height, and (not for PBM) maxval,
 *   as ASCII decimal numbers separated by whitespace (space, tab, CR, LF,
 *   VT, FF). A '#' starts a comment that runs to the next CR or LF and is
 *   skipped wherever it appears, even inside a number ("12#x\n3" is 123: the
 *   spec says so and PIL does so). One whitespace byte ends the header.
 *   P4  rows of ceil(width / 8) bytes, most significant bit first, 1 = black
 *   P5/P6  samples of 1 byte (maxval < 256) or 2 bytes big-endian; P6 is R,G,B
 *   P1  '0' / '1' characters, whitespace optional; P2/P3 decimal samples
 *
 * What we output, matching Debian's Pillow 9.4 (tests/golden/gen_bmp_pnm.py
 * checks every case):
 *   - P1/P4: one 8-bit channel, black (1) -> 0, white (0) -> 255, which is
 *     PIL's mode "1" converted to "L".
 *   - maxval <= 255: 8-bit samples; maxval > 255: 16-bit samples.
 *   - Samples are rescaled to the full range of the output depth exactly as
 *     PIL does it: out = min(top, round(v / maxval * top)) in double precision
 *     with round-half-even (Python's round), top = 255 or 65535. maxval 255
 *     (8-bit) and 65535 (16-bit) are copied unchanged. In binary files a
 *     sample above maxval clamps to top; in ASCII files it is an error (PIL).
 *   - 16-bit RGB (P3/P6, maxval > 255): PIL 9.4 reduces these to 8 bits; we
 *     keep 16 bits and scale them like PIL's 16-bit gray (the corpus holds
 *     that formula's values).
 * Stricter than PIL: numbers are plain digits ("+5" or "1_0" are errors), and
 * ASCII data that ends early is an error (PIL pads it with stale bytes).
 * More lenient: bytes after the last sample are never looked at (PIL rejects
 * a stray character anywhere in the block of ASCII data it reads). */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "data/image.h"

typedef struct pnm_reader {
    const uint8_t *d;
    size_t len, pos;
    const char *name;
} pnm_reader;

static bool is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Skip a comment: from '#' (already read) through the next CR or LF. */
static void skip_comment(pnm_reader *r)
{
    while (r->pos < r->len) {
        uint8_t c = r->d[r->pos++];
        if (c == '\n' || c == '\r') return;
    }
}

/* Skip whitespace and comments; false at the end of the data. */
static bool skip_blank(pnm_reader *r)
{
    while (r->pos < r->len) {
        uint8_t c = r->d[r->pos];
        if (c == '#') {
            r->pos++;
            skip_comment(r);
        } else if (is_space(c)) {
            r->pos++;
        } else {
            return true;
        }
    }
    return false;
}

/* The next decimal number of at most 10 digits (PIL's token limit), skipping
 * whitespace and comments before and inside it; the whitespace byte that
 * ends it is consumed. `what` names the field in error messages. */
static sg_err read_number(pnm_reader *r, const char *what, uint64_t *value)
{
    if (!skip_blank(r))
        return sg_error_set(SG_ERR_FORMAT, "%s: PNM file ends before the %s", r->name, what);
    int digits = 0;
    uint64_t v = 0;
    while (r->pos < r->len) {
        uint8_t c = r->d[r->pos++];
        if (is_space(c)) break;
        if (c == '#') {
            skip_comment(r);
            continue;
        }
        if (c < '0' || c > '9')
            return sg_error_set(SG_ERR_FORMAT, "%s: PNM %s: expected a decimal digit at byte %zu, "
                                "found 0x%02x", r->name, what, r->pos - 1, c);
        if (++digits > 10)
            return sg_error_set(SG_ERR_FORMAT, "%s: PNM %s at byte %zu has more than 10 digits",
                                r->name, what, r->pos - 1);
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (!digits)   /* a comment that ran to the end of the file */
        return sg_error_set(SG_ERR_FORMAT, "%s: PNM file ends before the %s", r->name, what);
    *value = v;
    return SG_OK;
}

/* PIL's rescaling: round(v / maxval * top), half to even, clamped to top.
 * Each step is one IEEE double operation, as in Python. */
static uint32_t rescale(uint32_t v, uint32_t maxval, uint32_t top)
{
    if (maxval == top) return v > top ? top : v;
    double ratio = (double)v / (double)maxval;
    double scaled = ratio * (double)top;
    double rounded = nearbyint(scaled);     /* default mode: to nearest, ties to even */
    return rounded >= top ? top : (uint32_t)rounded;
}

/* Store sample k (already rescaled) into an 8- or 16-bit image. */
static void put_sample(sg_image *img, size_t k, uint32_t v)
{
    if (img->depth == 16)
        ((uint16_t *)img->pixels)[k] = (uint16_t)v;
    else
        ((uint8_t *)img->pixels)[k] = (uint8_t)v;
}

/* P4 and P5/P6: raw samples right after the header. */
static sg_err decode_binary(pnm_reader *r, int kind, uint32_t maxval, sg_image *img)
{
    const uint8_t *s = r->d + r->pos;
    const size_t W = (size_t)img->width, H = (size_t)img->height, C = (size_t)img->channels;
    uint8_t *px8 = img->pixels;
    if (kind == 4) {
        size_t stride = (W + 7) / 8;
        for (size_t y = 0; y < H; y++)
            for (size_t x = 0; x < W; x++)
                px8[y * W + x] = (s[y * stride + x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
        return SG_OK;
    }
    size_t n = W * H * C;
    uint32_t top = img->depth == 16 ? 65535 : 255;
    if (maxval < 256) {
        uint8_t lut[256];
        for (uint32_t v = 0; v < 256; v++) lut[v] = (uint8_t)rescale(v, maxval, top);
        for (size_t k = 0; k < n; k++) px8[k] = lut[s[k]];
    } else {
        uint16_t *px16 = img->pixels;
        for (size_t k = 0; k < n; k++) {
            uint32_t v = (uint32_t)s[2 * k] << 8 | s[2 * k + 1];
            px16[k] = (uint16_t)rescale(v, maxval, top);
        }
    }
    return SG_OK;
}

/* P1: '0'/'1' characters; P2/P3: decimal samples <= maxval. */
static sg_err decode_ascii(pnm_reader *r, int kind, uint32_t maxval, sg_image *img)
{
    const size_t n = (size_t)img->width * (size_t)img->height * (size_t)img->channels;
    uint32_t top = img->depth == 16 ? 65535 : 255;
    for (size_t k = 0; k < n; k++) {
        if (!skip_blank(r))
            return sg_error_set(SG_ERR_FORMAT, "%s: PNM data ends after %zu of %zu samples",
                                r->name, k, n);
        if (kind == 1) {
            uint8_t c = r->d[r->pos++];
            if (c != '0' && c != '1')
                return sg_error_set(SG_ERR_FORMAT, "%s: PBM pixel %zu at byte %zu is 0x%02x, "
                                    "expected '0' or '1'", r->name, k, r->pos - 1, c);
            put_sample(img, k, c == '1' ? 0 : 255);
            continue;
        }
        uint64_t v;
        sg_err err = read_number(r, "sample", &v);
        if (err != SG_OK) return err;
        if (v > maxval)
            return sg_error_set(SG_ERR_FORMAT, "%s: PNM sample %zu is %llu, above maxval %u",
                                r->name, k, (unsigned long long)v, maxval);
        put_sample(img, k, rescale((uint32_t)v, maxval, top));
    }
    return SG_OK;
}

sg_err sg_pnm_decode(const uint8_t *data, size_t len, const char *name,
                     const sg_image_limits *lim, sg_image *out)
{
    *out = (sg_image){0};
    if (len < 2 || data[0] != 'P' || data[1] < '1' || data[1] > '6' ||
        (len > 2 && !is_space(data[2])))
        return sg_error_set(SG_ERR_FORMAT, "%s: not a PNM file (expected P1..P6 and whitespace)",
                            name);
    const int kind = data[1] - '0';
    const bool ascii = kind <= 3, bitmap = kind == 1 || kind == 4;
    const int channels = kind == 3 || kind == 6 ? 3 : 1;
    pnm_reader r = {data, len, len > 2 ? 3 : 2, name};
    uint64_t width, height, maxval = 1;
    sg_err err = read_number(&r, "width", &width);
    if (err == SG_OK) err = read_number(&r, "height", &height);
    if (err == SG_OK && !bitmap) err = read_number(&r, "maxval", &maxval);
    if (err != SG_OK) return err;
    if (width == 0 || height == 0 || width > INT32_MAX || height > INT32_MAX)
        return sg_error_set(SG_ERR_FORMAT, "%s: PNM size %llu x %llu (must be 1..%d)", name,
                            (unsigned long long)width, (unsigned long long)height, INT32_MAX);
    if (maxval == 0 || maxval > 65535)
        return sg_error_set(SG_ERR_FORMAT, "%s: PNM maxval %llu (must be 1..65535)", name,
                            (unsigned long long)maxval);
    const int depth = maxval > 255 ? 16 : 8;

    /* The data must be there before anything is allocated: a binary row is
     * exact, an ASCII sample takes at least one byte. */
    uint64_t row_bytes = kind == 4 ? (width + 7) / 8
                         : ascii   ? width * (uint64_t)channels
                                   : width * (uint64_t)channels * (depth == 16 ? 2 : 1);
    if (row_bytes > (len - r.pos) / height)
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: PNM data cut off: %llu rows need %s%llu bytes each after the "
                            "%zu-byte header, the file has %zu bytes", name,
                            (unsigned long long)height, ascii ? "at least " : "",
                            (unsigned long long)row_bytes, r.pos, len);
    sg_image img;
    err = sg_image_alloc(&img, (int)width, (int)height, channels, depth, lim, name);
    if (err != SG_OK) return err;
    err = ascii ? decode_ascii(&r, kind, (uint32_t)maxval, &img)
                : decode_binary(&r, kind, (uint32_t)maxval, &img);
    if (err != SG_OK) {
        sg_image_free(&img);
        return err;
    }
    *out = img;
    return SG_OK;
}
