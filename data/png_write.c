/* data/png_write.c - the PNG writer: sg_png_write (data/image.h) and
 * sg_png_encode (data/png.h).
 *
 * File layout (PNG spec sections 5 and 11): signature, IHDR, IDAT chunks
 * holding one zlib stream, IEND; each chunk's CRC-32 covers its type and data.
 * Samples are stored big-endian (16-bit) and every scanline is preceded by its
 * filter type (section 9). We try all five filters on every row and keep the
 * one whose bytes, read as signed values, have the smallest sum of absolute
 * values: the heuristic the spec recommends (section 12.8) and libpng uses.
 * Small residuals near zero are what the Huffman stage compresses best. */
#include "data/png.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "data/crc.h"
#include "data/deflate.h"

#define IDAT_CHUNK_MAX (1u << 20)

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

/* Append one chunk (length, type, data, CRC) at *pos. */
static void put_chunk(uint8_t *file, size_t *pos, const char *type, const uint8_t *data, uint32_t len)
{
    uint8_t *p = file + *pos;
    put_be32(p, len);
    memcpy(p + 4, type, 4);
    if (len) memcpy(p + 8, data, len);
    put_be32(p + 8 + len, sg_crc32(0, p + 4, 4 + (size_t)len));
    *pos += 12 + (size_t)len;
}

static inline uint8_t paeth(int a, int b, int c)
{
    int pa = abs(b - c), pb = abs(a - c), pc = abs(a + b - 2 * c);
    if (pa <= pb && pa <= pc) return (uint8_t)a;
    return (uint8_t)(pb <= pc ? b : c);
}

/* Filter `row` (with `prev` above, zeros for the first row) by `type` into
 * out (section 9.2: each byte minus its predictor); returns the sum of the
 * results read as signed bytes, |-128..127|. One loop per type, so each is a
 * straight, branch-free pass. */
static uint64_t filter_row(unsigned type, const uint8_t *restrict row, const uint8_t *restrict prev,
                           size_t n, unsigned bpp, uint8_t *restrict out)
{
    size_t i, first = bpp < n ? bpp : n;   /* bytes of the first pixel: no left neighbour */
    switch (type) {
    case 0:
        memcpy(out, row, n);
        break;
    case 1:
        for (i = 0; i < first; i++) out[i] = row[i];
        for (; i < n; i++) out[i] = (uint8_t)(row[i] - row[i - bpp]);
        break;
    case 2:
        for (i = 0; i < n; i++) out[i] = (uint8_t)(row[i] - prev[i]);
        break;
    case 3:
        for (i = 0; i < first; i++) out[i] = (uint8_t)(row[i] - (prev[i] >> 1));
        for (; i < n; i++) out[i] = (uint8_t)(row[i] - ((row[i - bpp] + prev[i]) >> 1));
        break;
    default:
        for (i = 0; i < first; i++) out[i] = (uint8_t)(row[i] - prev[i]);
        for (; i < n; i++) out[i] = (uint8_t)(row[i] - paeth(row[i - bpp], prev[i], prev[i - bpp]));
        break;
    }
    uint64_t cost = 0;
    for (i = 0; i < n; i++) cost += (unsigned)abs((int8_t)out[i]);
    return cost;
}

sg_err sg_png_encode(const sg_image *img, int level, uint8_t **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (!img || !img->pixels || img->width <= 0 || img->height <= 0 || img->channels < 1 ||
        img->channels > 4 || (img->depth != 8 && img->depth != 16))
        return sg_error_set(SG_ERR_INVALID,
                            "PNG writer: cannot store an image of %d x %d, %d channels, %d bits",
                            img ? img->width : 0, img ? img->height : 0, img ? img->channels : 0,
                            img ? img->depth : 0);
    static const uint8_t color_type[5] = {0, 0, 4, 2, 6};   /* by channel count */
    size_t w = (size_t)img->width, h = (size_t)img->height;
    unsigned bytes = (unsigned)img->depth / 8, bpp = (unsigned)img->channels * bytes;
    size_t rb = w * bpp;
    if (rb / bpp != w || (rb + 1) * h / h != rb + 1)
        return sg_error_set(SG_ERR_LIMIT, "PNG writer: %zu x %zu image is too large", w, h);

    sg_err err = SG_OK;
    uint8_t *filtered = malloc((rb + 1) * h);
    uint8_t *rows = malloc(7 * rb);   /* current (big-endian), previous, five candidates */
    uint8_t *z = NULL;
    size_t zlen = 0;
    if (!filtered || !rows) {
        err = sg_error_set(SG_ERR_NOMEM, "PNG writer: out of memory for a %zu x %zu image", w, h);
        goto done;
    }
    uint8_t *cur = rows, *prev = rows + rb, *cand = rows + 2 * rb;
    memset(prev, 0, rb);
    for (size_t y = 0; y < h; y++) {
        if (bytes == 1) {
            memcpy(cur, (const uint8_t *)img->pixels + y * rb, rb);
        } else {
            const uint16_t *src = (const uint16_t *)img->pixels + y * w * img->channels;
            for (size_t i = 0; i < rb / 2; i++) cur[2 * i] = (uint8_t)(src[i] >> 8), cur[2 * i + 1] = (uint8_t)src[i];
        }
        unsigned best = 0;
        uint64_t best_cost = UINT64_MAX;
        for (unsigned f = 0; f < 5; f++) {
            uint64_t cost = filter_row(f, cur, prev, rb, bpp, cand + f * rb);
            if (cost < best_cost) best_cost = cost, best = f;
        }
        uint8_t *dst = filtered + y * (rb + 1);
        dst[0] = (uint8_t)best;
        memcpy(dst + 1, cand + best * rb, rb);
        uint8_t *t = prev;
        prev = cur;
        cur = t;
    }
    if ((err = sg_zlib_compress(filtered, (rb + 1) * h, level, SG_DEFLATE_FILTERED, &z, &zlen))) goto done;

    size_t nidat = zlen / IDAT_CHUNK_MAX + 1;
    size_t total = 8 + (12 + 13) + zlen + 12 * nidat + 12;
    uint8_t *file = malloc(total);
    if (!file) {
        err = sg_error_set(SG_ERR_NOMEM, "PNG writer: out of memory for %zu bytes", total);
        goto done;
    }
    static const uint8_t signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    memcpy(file, signature, 8);
    size_t pos = 8;
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = (uint8_t)img->depth;
    ihdr[9] = color_type[img->channels];
    ihdr[10] = ihdr[11] = ihdr[12] = 0;   /* deflate, adaptive filtering, no interlace */
    put_chunk(file, &pos, "IHDR", ihdr, 13);
    for (size_t at = 0; at < zlen;) {
        uint32_t len = (uint32_t)(zlen - at < IDAT_CHUNK_MAX ? zlen - at : IDAT_CHUNK_MAX);
        put_chunk(file, &pos, "IDAT", z + at, len);
        at += len;
    }
    put_chunk(file, &pos, "IEND", NULL, 0);
    *out = file;
    *out_len = pos;
done:
    free(filtered);
    free(rows);
    free(z);
    return err;
}

sg_err sg_png_write(const char *path, const sg_image *img)
{
    uint8_t *data;
    size_t len;
    sg_err err = sg_png_encode(img, SG_DEFLATE_DEFAULT_LEVEL, &data, &len);
    if (err) {
        /* Name the file in the message too. */
        char msg[512];
        snprintf(msg, sizeof msg, "%s", sg_error_message());
        return sg_error_set(err, "%s: %s", path, msg);
    }
    err = sg_file_write_atomic(path, data, len);
    free(data);
    return err;
}
