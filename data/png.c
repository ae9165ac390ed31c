/* data/png.c - the PNG decoder, sg_png_decode (declared in data/image.h).
 *
 * Written from the PNG specification (W3C PNG 2nd edition = ISO/IEC 15948;
 * section numbers below are that document's). A PNG file is an 8-byte
 * signature and a sequence of chunks: 4-byte big-endian length, 4-letter
 * type, data, CRC-32 of type and data (section 5.3). We check every chunk's
 * CRC, read IHDR (size, bit depth, colour type, interlace), PLTE and tRNS,
 * concatenate the IDAT chunks into one zlib stream, inflate it (data/inflate.c)
 * into a buffer of exactly the size IHDR implies, undo the per-row filters
 * (section 9), undo Adam7 interlacing (section 8.2) and expand the samples to
 * steelgrad's layout. Ancillary chunks (lowercase first letter) are skipped;
 * an unknown critical chunk is SG_ERR_UNSUPPORTED.
 *
 * Output, chosen to match what Debian's python3-pil (Pillow 9.4) returns:
 *   gray 1/2/4-bit       C=1, 8-bit, scaled v * 255 / (2^depth - 1)
 *   gray 8 / 16          C=1, 8 / 16-bit
 *   RGB, gray+alpha,     C=3, 2, 4, the file's depth (16-bit samples in full;
 *   RGBA 8 / 16            Pillow keeps only their high byte)
 *   palette              C=3 (RGB); C=4 (RGBA) when a tRNS chunk is present;
 *                        indices beyond PLTE give (i, i, i), alpha beyond tRNS
 *                        255, as Pillow's palette (a gray ramp underneath)
 *   gray/RGB tRNS        the colour key is ignored (Pillow keeps "L"/"RGB" too)
 * Leniencies shared with Pillow and libpng: bytes after IEND are ignored, and
 * so is compressed data beyond what the image needs (its Adler-32 is then not
 * examined). Stricter than Pillow: a missing IEND is an error (a truncated
 * file), and so is image data shorter than IHDR says (Pillow may pad the last
 * rows).
 *
 * The pixel limit is checked as soon as IHDR is read, before anything is
 * allocated, and so is the most the IDAT data could hold (DEFLATE expands at
 * most 1032:1), so a small file cannot make us allocate a large image. The
 * allocations are the output image, the inflate buffer of the exact filtered
 * size (for 8/16-bit images without palette or interlacing one buffer serves
 * as both) and, with several IDAT chunks, a copy of the compressed stream
 * (bounded by the file size). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/kernels/kernels.h"
#include "data/crc.h"
#include "data/image.h"
#include "data/inflate.h"

static const uint8_t png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

/* Adam7 passes (section 8.2): first column and row, column and row steps. */
static const uint8_t adam7[7][4] = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4},
                                    {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};

enum { CT_GRAY = 0, CT_RGB = 2, CT_PALETTE = 3, CT_GRAY_ALPHA = 4, CT_RGBA = 6 };

typedef struct png_info {
    const char *name;
    uint32_t width, height;
    unsigned depth, color_type, interlace;
    unsigned samples;          /* samples per pixel in the file: 1, 3, 1, 2, 4 */
    unsigned out_channels;     /* after palette expansion */
    unsigned out_depth;        /* 8 or 16 */
    unsigned bpp;              /* bytes per complete pixel for filtering, >= 1 (section 9.2) */
    bool have_plte, have_trns;
    unsigned palette_size;
    uint8_t palette[256][4];   /* RGBA; Pillow's gray ramp where PLTE/tRNS are silent */
} png_info;

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bytes of one scanline of `w` pixels, without the filter byte. */
static size_t row_bytes(const png_info *pi, uint32_t w)
{
    return ((size_t)w * pi->samples * pi->depth + 7) / 8;
}

/* ---------------------------------------------------------------------------
 * Chunks
 * ------------------------------------------------------------------------- */

/* Section 11.2.2: IHDR. The legal colour type / bit depth pairs are table 11.1. */
static sg_err read_ihdr(png_info *pi, const uint8_t *d, uint32_t len, const sg_image_limits *lim)
{
    if (len != 13)
        return sg_error_set(SG_ERR_FORMAT, "%s: IHDR chunk has %u bytes, expected 13", pi->name, len);
    pi->width = be32(d);
    pi->height = be32(d + 4);
    pi->depth = d[8];
    pi->color_type = d[9];
    pi->interlace = d[12];
    if (pi->width == 0 || pi->height == 0 || pi->width > 0x7FFFFFFF || pi->height > 0x7FFFFFFF)
        return sg_error_set(SG_ERR_FORMAT, "%s: IHDR size %u x %u, expected 1 .. 2^31-1 each",
                            pi->name, pi->width, pi->height);
    unsigned dp = pi->depth;
    bool ok;
    switch (pi->color_type) {
    case CT_GRAY: ok = dp == 1 || dp == 2 || dp == 4 || dp == 8 || dp == 16; pi->samples = 1; break;
    case CT_RGB: ok = dp == 8 || dp == 16; pi->samples = 3; break;
    case CT_PALETTE: ok = dp == 1 || dp == 2 || dp == 4 || dp == 8; pi->samples = 1; break;
    case CT_GRAY_ALPHA: ok = dp == 8 || dp == 16; pi->samples = 2; break;
    case CT_RGBA: ok = dp == 8 || dp == 16; pi->samples = 4; break;
    default:
        return sg_error_set(SG_ERR_FORMAT, "%s: IHDR colour type %u, expected 0, 2, 3, 4 or 6",
                            pi->name, pi->color_type);
    }
    if (!ok)
        return sg_error_set(SG_ERR_FORMAT, "%s: IHDR bit depth %u is not allowed with colour type %u",
                            pi->name, dp, pi->color_type);
    if (d[10] != 0)
        return sg_error_set(SG_ERR_FORMAT, "%s: IHDR compression method %u, expected 0 (deflate)",
                            pi->name, d[10]);
    if (d[11] != 0)
        return sg_error_set(SG_ERR_FORMAT, "%s: IHDR filter method %u, expected 0", pi->name, d[11]);
    if (pi->interlace > 1)
        return sg_error_set(SG_ERR_FORMAT, "%s: IHDR interlace method %u, expected 0 or 1",
                            pi->name, pi->interlace);
    pi->bpp = (pi->samples * dp + 7) / 8;
    pi->out_channels = pi->color_type == CT_PALETTE ? 3 : pi->samples;
    pi->out_depth = dp == 16 ? 16 : 8;

    int64_t max_pixels = lim && lim->max_pixels > 0 ? lim->max_pixels : SG_IMAGE_DEFAULT_MAX_PIXELS;
    if ((int64_t)pi->width * pi->height > max_pixels)
        return sg_error_set(SG_ERR_LIMIT, "%s: %u x %u = %lld pixels exceeds the limit of %lld",
                            pi->name, pi->width, pi->height,
                            (long long)pi->width * pi->height, (long long)max_pixels);
    return SG_OK;
}

/* Section 11.2.3: PLTE, 1-256 RGB entries. Pillow's palette starts as a gray
 * ramp (entry i = (i, i, i)); indices the file does not define keep it. */
static sg_err read_plte(png_info *pi, const uint8_t *d, uint32_t len)
{
    if (pi->color_type == CT_GRAY || pi->color_type == CT_GRAY_ALPHA)
        return sg_error_set(SG_ERR_FORMAT, "%s: PLTE chunk in a grayscale image", pi->name);
    if (pi->have_plte)
        return sg_error_set(SG_ERR_FORMAT, "%s: more than one PLTE chunk", pi->name);
    if (len == 0 || len % 3 != 0 || len > 768)
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: PLTE chunk has %u bytes, expected 3 x (1 .. 256) entries", pi->name, len);
    pi->have_plte = true;
    pi->palette_size = len / 3;
    for (unsigned i = 0; i < pi->palette_size; i++)
        memcpy(pi->palette[i], d + 3 * i, 3);
    return SG_OK;
}

/* Section 11.3.2.1: tRNS. For a palette, one alpha per entry (fewer is fine);
 * for gray and RGB a colour key, which we (like Pillow) do not apply. */
static sg_err read_trns(png_info *pi, const uint8_t *d, uint32_t len)
{
    if (pi->have_trns)
        return sg_error_set(SG_ERR_FORMAT, "%s: more than one tRNS chunk", pi->name);
    pi->have_trns = true;
    switch (pi->color_type) {
    case CT_PALETTE:
        if (!pi->have_plte)
            return sg_error_set(SG_ERR_FORMAT, "%s: tRNS chunk before PLTE", pi->name);
        if (len > pi->palette_size)
            return sg_error_set(SG_ERR_FORMAT, "%s: tRNS has %u alpha values for %u palette entries",
                                pi->name, len, pi->palette_size);
        for (unsigned i = 0; i < len; i++) pi->palette[i][3] = d[i];
        pi->out_channels = 4;
        return SG_OK;
    case CT_GRAY:
    case CT_RGB:
        if (len != (pi->color_type == CT_GRAY ? 2u : 6u))
            return sg_error_set(SG_ERR_FORMAT, "%s: tRNS chunk has %u bytes, expected %u", pi->name,
                                len, pi->color_type == CT_GRAY ? 2u : 6u);
        return SG_OK;
    default:
        return sg_error_set(SG_ERR_FORMAT, "%s: tRNS chunk in an image with an alpha channel",
                            pi->name);
    }
}

/* ---------------------------------------------------------------------------
 * Filters (section 9.2), undone in place on one scanline
 * ------------------------------------------------------------------------- */

/* The Paeth predictor (section 9.4): of a (left), b (up), c (up-left), the one
 * closest to a + b - c, ties going to a, then b. */
static inline uint8_t paeth(int a, int b, int c)
{
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    if (pa <= pb && pa <= pc) return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

/* Up, 8 bytes at a time: a bytewise add without carries between bytes
 * (add the low 7 bits, then put back the top bits with an XOR). */
static void unfilter_up(uint8_t *restrict cur, const uint8_t *restrict prev, size_t n)
{
    const uint64_t low7 = 0x7F7F7F7F7F7F7F7Full, top = ~low7;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t a, b;
        memcpy(&a, cur + i, 8);
        memcpy(&b, prev + i, 8);
        uint64_t sum = ((a & low7) + (b & low7)) ^ ((a ^ b) & top);
        memcpy(cur + i, &sum, 8);
    }
    for (; i < n; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
}

/* `bpp` is a constant at each call site below, so each loop is specialised. */
static inline __attribute__((always_inline)) void unfilter_row_bpp(unsigned type, uint8_t *restrict cur,
                                                                    const uint8_t *restrict prev,
                                                                    size_t n, unsigned bpp)
{
    size_t i;
    switch (type) {
    case 1:   /* Sub: + left */
        for (i = bpp; i < n; i++) cur[i] = (uint8_t)(cur[i] + cur[i - bpp]);
        break;
    case 2:   /* Up: + above */
        unfilter_up(cur, prev, n);
        break;
    case 3:   /* Average: + floor((left + above) / 2) */
        for (i = 0; i < bpp && i < n; i++) cur[i] = (uint8_t)(cur[i] + (prev[i] >> 1));
        for (; i < n; i++) cur[i] = (uint8_t)(cur[i] + ((cur[i - bpp] + prev[i]) >> 1));
        break;
    case 4:   /* Paeth; on the first pixel left and up-left are 0, so it predicts `above` */
        for (i = 0; i < bpp && i < n; i++) cur[i] = (uint8_t)(cur[i] + prev[i]);
        for (; i < n; i++) cur[i] = (uint8_t)(cur[i] + paeth(cur[i - bpp], prev[i], prev[i - bpp]));
        break;
    default:  /* None */
        break;
    }
}

/* Undo filter `type` on the n bytes of cur, given the unfiltered row above
 * (zeros for the first row); cur and prev never overlap. The scalar twin of
 * the kernel family png_unfilter (core/kernels/kernels.h), which the decoder
 * calls through the table: its SIMD twins (core/kernels/data_simd.h) give
 * the same bytes. */
void sg_k_png_unfilter_scalar(unsigned type, uint8_t *restrict cur, const uint8_t *restrict prev, size_t n,
                              unsigned bpp)
{
    switch (bpp) {
    case 1: unfilter_row_bpp(type, cur, prev, n, 1); break;
    case 2: unfilter_row_bpp(type, cur, prev, n, 2); break;
    case 3: unfilter_row_bpp(type, cur, prev, n, 3); break;
    case 4: unfilter_row_bpp(type, cur, prev, n, 4); break;
    case 6: unfilter_row_bpp(type, cur, prev, n, 6); break;
    default: unfilter_row_bpp(type, cur, prev, n, 8); break;
    }
}

static sg_err bad_filter(const png_info *pi, unsigned type, uint32_t y)
{
    return sg_error_set(SG_ERR_FORMAT, "%s: invalid filter type %u on scanline %u%s", pi->name, type,
                        y, pi->interlace ? " of an Adam7 pass" : "");
}

/* ---------------------------------------------------------------------------
 * Samples to output pixels
 * ------------------------------------------------------------------------- */

/* Expand one unfiltered scanline of n pixels into out (n * out_channels samples). */
static void convert_row(const png_info *pi, const uint8_t *src, uint32_t n, void *out)
{
    unsigned dp = pi->depth;
    if (pi->color_type == CT_PALETTE) {
        uint8_t *o = out;
        unsigned per_byte = 8 / dp, mask = (1u << dp) - 1, ch = pi->out_channels;
        for (uint32_t x = 0; x < n; x++, o += ch) {
            unsigned idx = dp == 8 ? src[x]
                                   : (src[x / per_byte] >> (8 - dp * (x % per_byte + 1))) & mask;
            const uint8_t *entry = pi->palette[idx];
            o[0] = entry[0], o[1] = entry[1], o[2] = entry[2];
            if (ch == 4) o[3] = entry[3];
        }
    } else if (dp == 16) {
        uint16_t *o = out;
        size_t ns = (size_t)n * pi->samples;
        for (size_t i = 0; i < ns; i++) o[i] = (uint16_t)(src[2 * i] << 8 | src[2 * i + 1]);
    } else if (dp == 8) {
        memcpy(out, src, (size_t)n * pi->samples);
    } else {   /* gray 1, 2, 4 bits: scale to 0..255 as Pillow does (0/255, x85, x17) */
        uint8_t *o = out;
        unsigned per_byte = 8 / dp, mask = (1u << dp) - 1, scale = 255 / mask;
        for (uint32_t x = 0; x < n; x++)
            o[x] = (uint8_t)(((src[x / per_byte] >> (8 - dp * (x % per_byte + 1))) & mask) * scale);
    }
}

/* Unfilter one pass (or the whole image) stored at `data` and write its pixels
 * into the image: pass pixel (x, y) goes to image pixel (x0 + x*dx, y0 + y*dy). */
static sg_err decode_pass(const png_info *pi, uint8_t *data, uint32_t pw, uint32_t ph, unsigned x0,
                          unsigned y0, unsigned dx, unsigned dy, uint8_t *zero_row, uint8_t *scratch,
                          sg_image *img)
{
    size_t rb = row_bytes(pi, pw), stride = rb + 1;
    size_t pixel_bytes = (size_t)pi->out_channels * (pi->out_depth / 8);
    size_t out_row_bytes = (size_t)img->width * pixel_bytes;
    const uint8_t *prev = zero_row;
    const sg_png_unfilter_fn unfilter = sg_kernels()->png_unfilter;
    for (uint32_t y = 0; y < ph; y++) {
        uint8_t *row = data + y * stride;
        if (row[0] > 4) return bad_filter(pi, row[0], y);
        unfilter(row[0], row + 1, prev, rb, pi->bpp);
        prev = row + 1;
        uint8_t *out_row = (uint8_t *)img->pixels + (size_t)(y0 + y * dy) * out_row_bytes;
        if (dx == 1) {
            convert_row(pi, row + 1, pw, out_row);
        } else {
            convert_row(pi, row + 1, pw, scratch);
            for (uint32_t x = 0; x < pw; x++)
                memcpy(out_row + (size_t)(x0 + x * dx) * pixel_bytes, scratch + x * pixel_bytes,
                       pixel_bytes);
        }
    }
    return SG_OK;
}

/* ---------------------------------------------------------------------------
 * The decoder
 * ------------------------------------------------------------------------- */

/* Size of the filtered image data: per pass, rows x (filter byte + row bytes).
 * 0 on overflow of size_t. */
static size_t filtered_size(const png_info *pi)
{
    size_t total = 0;
    for (int p = 0; p < (pi->interlace ? 7 : 1); p++) {
        unsigned x0 = pi->interlace ? adam7[p][0] : 0, y0 = pi->interlace ? adam7[p][1] : 0;
        unsigned dx = pi->interlace ? adam7[p][2] : 1, dy = pi->interlace ? adam7[p][3] : 1;
        uint64_t pw = pi->width > x0 ? (pi->width - x0 + dx - 1) / dx : 0;
        uint64_t ph = pi->height > y0 ? (pi->height - y0 + dy - 1) / dy : 0;
        if (pw == 0 || ph == 0) continue;   /* an empty pass has no scanlines, no filter bytes */
        uint64_t rows = ph * (1 + ((uint64_t)pw * pi->samples * pi->depth + 7) / 8);
        if (rows > SIZE_MAX - total) return 0;
        total += (size_t)rows;
    }
    return total;
}

/* Inflate the image data into `data` (exactly `need` bytes). More data than
 * the image needs is ignored, as Pillow and libpng ignore it. */
static sg_err inflate_image_data(const png_info *pi, const uint8_t *zdata, size_t zlen, uint8_t *data,
                                 size_t need)
{
    size_t got;
    sg_err err = sg_inflate(zdata, zlen, SG_INFLATE_ZLIB, data, need, &got, NULL, pi->name);
    if (err == SG_ERR_LIMIT) err = SG_OK;
    if (err) return err;
    if (got < need)
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: image data too short: %zu of the %zu bytes a %u x %u image needs",
                            pi->name, got, need, pi->width, pi->height);
    return SG_OK;
}

/* The common case, 8/16-bit gray, gray+alpha, RGB or RGBA without
 * interlacing: the unfiltered rows are the output pixels (16-bit after a byte
 * swap), so one buffer serves: inflate into it, unfilter each row in place,
 * slide it left over the filter bytes to its final place, shrink. */
static sg_err decode_in_place(png_info *pi, const uint8_t *zdata, size_t zlen, size_t need,
                              sg_image *out)
{
    size_t rb = row_bytes(pi, pi->width), h = pi->height;
    uint8_t *buf = malloc(need), *zero_row = calloc(1, rb);
    const sg_png_unfilter_fn unfilter = sg_kernels()->png_unfilter;
    sg_err err = SG_OK;
    if (!buf || !zero_row) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %zu bytes of image data", pi->name, need);
        goto fail;
    }
    if ((err = inflate_image_data(pi, zdata, zlen, buf, need))) goto fail;
    for (size_t y = 0; y < h; y++) {
        uint8_t *row = buf + y * (rb + 1), *dst = buf + y * rb;
        if (row[0] > 4) {
            err = bad_filter(pi, row[0], (uint32_t)y);
            goto fail;
        }
        /* The row above already sits at its final place, before this row's bytes. */
        unfilter(row[0], row + 1, y ? dst - rb : zero_row, rb, pi->bpp);
        memmove(dst, row + 1, rb);
        if (pi->depth == 16 && y > 0) convert_row(pi, dst - rb, pi->width, dst - rb);   /* now unneeded */
    }
    if (pi->depth == 16) convert_row(pi, buf + (h - 1) * rb, pi->width, buf + (h - 1) * rb);
    uint8_t *shrunk = realloc(buf, h * rb);
    *out = (sg_image){(int)pi->width, (int)pi->height, (int)pi->samples, (int)pi->out_depth,
                      shrunk ? shrunk : buf};
    free(zero_row);
    return SG_OK;
fail:
    free(buf);
    free(zero_row);
    return err;
}

static sg_err decode_image(png_info *pi, const uint8_t *zdata, size_t zlen, sg_image *out,
                           const sg_image_limits *lim)
{
    size_t need = filtered_size(pi);
    if (need == 0)
        return sg_error_set(SG_ERR_LIMIT, "%s: %u x %u image is too large for this machine",
                            pi->name, pi->width, pi->height);
    /* DEFLATE expands at most 1032:1 (a 258-byte match coded in 2 bits), so
     * an IHDR that claims far more than the IDAT data can hold is refused
     * before anything is allocated for it. */
    if (zlen < (SIZE_MAX - 1024) / 1032 && need > zlen * 1032 + 1024)
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: image data too short: %zu compressed bytes cannot hold the %zu bytes "
                            "a %u x %u image needs",
                            pi->name, zlen, need, pi->width, pi->height);
    if (!pi->interlace && pi->depth >= 8 && pi->color_type != CT_PALETTE)
        return decode_in_place(pi, zdata, zlen, need, out);

    sg_err err = sg_image_alloc(out, (int)pi->width, (int)pi->height, (int)pi->out_channels,
                                (int)pi->out_depth, lim, pi->name);
    if (err) return err;
    size_t max_rb = row_bytes(pi, pi->width);
    uint8_t *data = malloc(need);
    uint8_t *zero_row = calloc(1, max_rb + 1);
    uint8_t *scratch = pi->interlace ? malloc((size_t)pi->width * 8) : NULL;
    if (!data || !zero_row || (pi->interlace && !scratch)) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %zu bytes of image data", pi->name,
                           need);
        goto done;
    }
    if ((err = inflate_image_data(pi, zdata, zlen, data, need))) goto done;
    uint8_t *pass_data = data;
    for (int p = 0; p < (pi->interlace ? 7 : 1) && !err; p++) {
        unsigned x0 = pi->interlace ? adam7[p][0] : 0, y0 = pi->interlace ? adam7[p][1] : 0;
        unsigned dx = pi->interlace ? adam7[p][2] : 1, dy = pi->interlace ? adam7[p][3] : 1;
        uint32_t pw = pi->width > x0 ? (pi->width - x0 + dx - 1) / dx : 0;
        uint32_t ph = pi->height > y0 ? (pi->height - y0 + dy - 1) / dy : 0;
        if (pw == 0 || ph == 0) continue;
        err = decode_pass(pi, pass_data, pw, ph, x0, y0, dx, dy, zero_row, scratch, out);
        pass_data += (size_t)ph * (row_bytes(pi, pw) + 1);
    }
done:
    free(data);
    free(zero_row);
    free(scratch);
    if (err) sg_image_free(out);
    return err;
}

static bool is_chunk_letter(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

sg_err sg_png_decode(const uint8_t *data, size_t len, const char *name, const sg_image_limits *lim,
                     sg_image *out)
{
    *out = (sg_image){0};
    png_info *pi = calloc(1, sizeof *pi);
    if (!pi) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", name);
    pi->name = name ? name : "png";
    for (int i = 0; i < 256; i++) {
        pi->palette[i][0] = pi->palette[i][1] = pi->palette[i][2] = (uint8_t)i;
        pi->palette[i][3] = 255;
    }
    sg_err err = SG_OK;
    uint8_t *joined = NULL;
    const uint8_t *idat = NULL;     /* the single IDAT, or NULL */
    size_t idat_total = 0, idat_count = 0, pos = 8;
    bool seen_ihdr = false, seen_iend = false, idat_ended = false;

    if (len < 8 || memcmp(data, png_signature, 8) != 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: not a PNG file (%s)", pi->name,
                           len < 8 ? "shorter than the 8-byte signature" : "wrong signature");
        goto done;
    }
    /* Pass 1: walk and check the chunks, read the header chunks, measure IDAT. */
    while (!seen_iend) {
        if (len - pos < 12) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: truncated PNG: file ends at byte %zu %s",
                               pi->name, len, seen_ihdr ? "before the IEND chunk" : "inside a chunk header");
            goto done;
        }
        uint32_t clen = be32(data + pos);
        const uint8_t *type = data + pos + 4, *cdata = data + pos + 8;
        char tname[5] = {0};
        for (int i = 0; i < 4; i++) tname[i] = is_chunk_letter(type[i]) ? (char)type[i] : '?';
        if (!is_chunk_letter(type[0]) || !is_chunk_letter(type[1]) || !is_chunk_letter(type[2]) ||
            !is_chunk_letter(type[3]) || clen > 0x7FFFFFFFu) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: invalid chunk header at byte %zu (type '%s', length %u)",
                               pi->name, pos, tname, clen);
            goto done;
        }
        if (len - pos - 12 < clen) {
            err = sg_error_set(SG_ERR_FORMAT,
                               "%s: truncated PNG: chunk '%s' at byte %zu needs %u bytes, the file ends first",
                               pi->name, tname, pos, clen);
            goto done;
        }
        uint32_t crc = sg_crc32(0, type, 4 + (size_t)clen);
        if (crc != be32(cdata + clen)) {
            err = sg_error_set(SG_ERR_FORMAT,
                               "%s: CRC mismatch in chunk '%s' at byte %zu (stored %08x, computed %08x)",
                               pi->name, tname, pos, (unsigned)be32(cdata + clen), (unsigned)crc);
            goto done;
        }
        bool is_idat = memcmp(type, "IDAT", 4) == 0;
        if (!seen_ihdr && memcmp(type, "IHDR", 4) != 0) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: first chunk is '%s', expected IHDR", pi->name, tname);
            goto done;
        }
        if (idat_count > 0 && !is_idat) idat_ended = true;
        if (memcmp(type, "IHDR", 4) == 0) {
            if (seen_ihdr) {
                err = sg_error_set(SG_ERR_FORMAT, "%s: more than one IHDR chunk", pi->name);
                goto done;
            }
            seen_ihdr = true;
            if ((err = read_ihdr(pi, cdata, clen, lim))) goto done;
        } else if (memcmp(type, "PLTE", 4) == 0) {
            if (idat_count > 0) {
                err = sg_error_set(SG_ERR_FORMAT, "%s: PLTE chunk after image data", pi->name);
                goto done;
            }
            if ((err = read_plte(pi, cdata, clen))) goto done;
        } else if (memcmp(type, "tRNS", 4) == 0 && idat_count == 0) {
            if ((err = read_trns(pi, cdata, clen))) goto done;
        } else if (is_idat) {
            if (idat_ended) {
                err = sg_error_set(SG_ERR_FORMAT, "%s: IDAT chunks are not consecutive (one at byte %zu)",
                                   pi->name, pos);
                goto done;
            }
            if (pi->color_type == CT_PALETTE && !pi->have_plte) {
                err = sg_error_set(SG_ERR_FORMAT, "%s: palette image without a PLTE chunk", pi->name);
                goto done;
            }
            if (idat_count == 0) idat = cdata;
            idat_count++;
            idat_total += clen;
        } else if (memcmp(type, "IEND", 4) == 0) {
            seen_iend = true;
        } else if (!(type[0] & 0x20)) {   /* bit 5 of the first letter clear: critical */
            err = sg_error_set(SG_ERR_UNSUPPORTED, "%s: unknown critical chunk '%s'", pi->name, tname);
            goto done;
        }
        pos += 12 + (size_t)clen;
    }
    if (idat_count == 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: no IDAT chunk (no image data)", pi->name);
        goto done;
    }
    /* Pass 2: with several IDAT chunks, join their data into one zlib stream. */
    if (idat_count > 1) {
        joined = malloc(idat_total ? idat_total : 1);
        if (!joined) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", pi->name);
            goto done;
        }
        size_t at = 0;
        for (pos = (size_t)(idat - data) - 8; at < idat_total;) {
            uint32_t clen = be32(data + pos);
            memcpy(joined + at, data + pos + 8, clen);
            at += clen;
            pos += 12 + (size_t)clen;
        }
        idat = joined;
    }
    err = decode_image(pi, idat, idat_total, out, lim);
done:
    free(joined);
    free(pi);
    return err;
}
