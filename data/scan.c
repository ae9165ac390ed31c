/* data/scan.c - image headers without decoding, and the per-file scan of a
 * data set (see scan.h). */
#include "data/scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/pool.h"
#include "data/tiff.h"

static uint32_t le16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return le16(p) | le16(p + 2) << 16; }
static uint32_t be16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const uint8_t *p) { return be16(p) << 16 | be16(p + 2); }

/* BMP: BITMAPFILEHEADER (14 bytes, "BM") then the DIB header, whose first
 * field is its own size: 12 = BITMAPCOREHEADER (16-bit width and height),
 * 16/64 = OS/2 2.x, 40/52/56/108/124 = BITMAPINFOHEADER and its V2..V5
 * successors (32-bit signed width and height; negative height = top-down). */
static sg_err probe_bmp(const uint8_t *d, size_t len, const char *name, sg_file_info *info)
{
    if (len < 18) return sg_error_set(SG_ERR_FORMAT, "%s: BMP header truncated (%zu bytes)", name, len);
    uint32_t dib = le32(d + 14);
    int64_t w, h;
    uint32_t bpp;
    if (dib == 12) {
        if (len < 26) return sg_error_set(SG_ERR_FORMAT, "%s: BMP core header truncated", name);
        w = le16(d + 18);
        h = le16(d + 20);
        bpp = le16(d + 24);
    } else if (dib == 16 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124) {
        if (len < 30) return sg_error_set(SG_ERR_FORMAT, "%s: BMP info header truncated", name);
        w = (int32_t)le32(d + 18);
        h = (int32_t)le32(d + 22);
        if (h < 0) h = -h;  /* top-down rows */
        bpp = le16(d + 28);
    } else {
        return sg_error_set(SG_ERR_FORMAT, "%s: BMP header size %u is none of 12, 16, 40, 52, 56, 64, "
                            "108, 124", name, dib);
    }
    if (w <= 0 || h <= 0 || w > INT32_MAX || h > INT32_MAX)
        return sg_error_set(SG_ERR_FORMAT, "%s: BMP size %lld x %lld", name, (long long)w, (long long)h);
    if (bpp != 1 && bpp != 2 && bpp != 4 && bpp != 8 && bpp != 16 && bpp != 24 && bpp != 32)
        return sg_error_set(SG_ERR_FORMAT, "%s: BMP with %u bits per pixel", name, bpp);
    info->width = (int)w;
    info->height = (int)h;
    info->bits_per_pixel = (int)bpp;
    return SG_OK;
}

/* PNM (Netpbm): "P1".."P6", then width, height and (except P1/P4) maxval as
 * ASCII decimals separated by white space, with '#' comments to end of line. */
static sg_err probe_pnm(const uint8_t *d, size_t len, const char *name, sg_file_info *info)
{
    int kind = d[1] - '0';
    int n_fields = kind == 1 || kind == 4 ? 2 : 3;
    uint32_t v[3] = {0, 0, 0};
    size_t pos = 2;
    for (int f = 0; f < n_fields; f++) {
        for (;;) {  /* white space and comments */
            if (pos < len && (d[pos] == ' ' || d[pos] == '\t' || d[pos] == '\r' || d[pos] == '\n' ||
                              d[pos] == '\v' || d[pos] == '\f')) {
                pos++;
            } else if (pos < len && d[pos] == '#') {
                while (pos < len && d[pos] != '\n' && d[pos] != '\r') pos++;
            } else {
                break;
            }
        }
        size_t start = pos;
        while (pos < len && d[pos] >= '0' && d[pos] <= '9' && pos - start < 10) v[f] = v[f] * 10 + (d[pos++] - '0');
        if (pos == start || (pos < len && d[pos] >= '0' && d[pos] <= '9'))
            return sg_error_set(SG_ERR_FORMAT, "%s: PNM header: %s is missing or not a number below 10^10",
                                name, f == 0 ? "width" : f == 1 ? "height" : "maxval");
    }
    if (v[0] == 0 || v[1] == 0 || v[0] > INT32_MAX || v[1] > INT32_MAX)
        return sg_error_set(SG_ERR_FORMAT, "%s: PNM size %u x %u", name, v[0], v[1]);
    if (n_fields == 3 && (v[2] == 0 || v[2] > 65535))
        return sg_error_set(SG_ERR_FORMAT, "%s: PNM maxval %u is not in 1..65535", name, v[2]);
    int sample_bits = n_fields == 2 ? 1 : v[2] > 255 ? 16 : 8;
    info->width = (int)v[0];
    info->height = (int)v[1];
    info->bits_per_pixel = sample_bits * (kind == 3 || kind == 6 ? 3 : 1);
    return SG_OK;
}

/* PNG: the 8-byte signature, then IHDR must be the first chunk (PNG spec,
 * 11.2.2): length 13, width and height (big-endian, 1..2^31-1), bit depth,
 * colour type, with the allowed depth per colour type of table 11.1. */
static sg_err probe_png(const uint8_t *d, size_t len, const char *name, sg_file_info *info)
{
    if (len < 33) return sg_error_set(SG_ERR_FORMAT, "%s: PNG too short for its IHDR chunk (%zu bytes)", name, len);
    if (be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0)
        return sg_error_set(SG_ERR_FORMAT, "%s: PNG does not start with a 13-byte IHDR chunk", name);
    uint32_t w = be32(d + 16), h = be32(d + 20), depth = d[24], type = d[25];
    if (w == 0 || h == 0 || w > INT32_MAX || h > INT32_MAX)
        return sg_error_set(SG_ERR_FORMAT, "%s: PNG size %u x %u", name, w, h);
    static const int samples[7] = {1, 0, 3, 1, 2, 0, 4};  /* per colour type; 0 = invalid type */
    bool ok = type <= 6 && samples[type] &&
              (type == 0 ? depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16
               : type == 3 ? depth == 1 || depth == 2 || depth == 4 || depth == 8
                           : depth == 8 || depth == 16);
    if (!ok) return sg_error_set(SG_ERR_FORMAT, "%s: PNG colour type %u with bit depth %u", name, type, depth);
    info->width = (int)w;
    info->height = (int)h;
    info->bits_per_pixel = (int)depth * samples[type];
    return SG_OK;
}

/* JPEG (ITU T.81, B.1.1): markers 0xFF xx; all but SOI, EOI, RSTn and TEM
 * carry a 16-bit big-endian length. The frame header SOFn (C0-CF except C4
 * DHT, C8 JPG, CC DAC) gives precision, height, width, components (B.2.2). */
static sg_err probe_jpeg(const uint8_t *d, size_t len, const char *name, sg_file_info *info)
{
    size_t pos = 2;
    for (;;) {
        if (pos >= len || d[pos] != 0xFF)
            return sg_error_set(SG_ERR_FORMAT, "%s: JPEG: no marker at byte %zu before the frame header", name, pos);
        while (pos < len && d[pos] == 0xFF) pos++;  /* fill bytes */
        if (pos >= len) break;
        uint8_t m = d[pos++];
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;
        if (m == 0xD9 || m == 0xDA)
            return sg_error_set(SG_ERR_FORMAT, "%s: JPEG: %s before any frame header", name,
                                m == 0xD9 ? "end of image" : "scan");
        if (pos + 2 > len) break;
        uint32_t seg = be16(d + pos);
        if (seg < 2) return sg_error_set(SG_ERR_FORMAT, "%s: JPEG: segment length %u at byte %zu", name, seg, pos);
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (seg < 8 || pos + 8 > len) break;
            uint32_t precision = d[pos + 2], h = be16(d + pos + 3), w = be16(d + pos + 5), nf = d[pos + 7];
            if (h == 0)
                return sg_error_set(SG_ERR_UNSUPPORTED, "%s: JPEG height defined by a DNL marker", name);
            if (w == 0 || nf == 0 || nf > 4 || (precision != 8 && precision != 12 && precision != 16))
                return sg_error_set(SG_ERR_FORMAT, "%s: JPEG frame %u x %u, %u components, %u-bit", name, w,
                                    h, nf, precision);
            info->width = (int)w;
            info->height = (int)h;
            info->bits_per_pixel = (int)(precision * nf);
            return SG_OK;
        }
        pos += seg;
    }
    return sg_error_set(SG_ERR_FORMAT, "%s: JPEG truncated before the frame header (%zu bytes)", name, len);
}

sg_err sg_image_probe(const uint8_t *data, size_t len, const char *name, sg_file_info *info)
{
    info->format = sg_image_sniff(data, len);
    info->width = info->height = info->bits_per_pixel = 0;
    switch (info->format) {
    case SG_IMAGE_BMP: return probe_bmp(data, len, name, info);
    case SG_IMAGE_PNM: return probe_pnm(data, len, name, info);
    case SG_IMAGE_PNG: return probe_png(data, len, name, info);
    case SG_IMAGE_JPEG: return probe_jpeg(data, len, name, info);
    case SG_IMAGE_TIFF:
        return sg_tiff_probe(data, len, name, &info->width, &info->height, &info->bits_per_pixel);
    default: break;
    }
    return sg_error_set(SG_ERR_UNSUPPORTED, "%s: not a BMP, PNM, PNG, JPEG or TIFF file (unknown first bytes)", name);
}

/* ---- scanning a data set ---------------------------------------------------- */

typedef struct scan_job {
    const sg_dataset *ds;
    sg_decode_fn decode;
    const sg_image_limits *lim;
    sg_file_info *infos;
} scan_job;

static void note_problem(sg_file_info *info)
{
    snprintf(info->problem, sizeof info->problem, "%s", sg_error_message());
}

/* Sample k of an image, 8- or 16-bit. */
static uint32_t sample_at(const sg_image *img, size_t k)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[k] : ((const uint8_t *)img->pixels)[k];
}

/* The picture in its simplest lossless form, for the pixel digest: an alpha
 * channel opaque everywhere is dropped, and colour whose three samples are
 * equal in every pixel becomes gray - so one gray picture stored as a 24-bit
 * BMP and as an 8-bit PNG gets one digest. (A 4-channel JPEG is CMYK, not
 * RGBA: left as it is.) True and *out filled (free it) when simpler. */
static bool simplest_form(const sg_image *img, sg_image_format format, sg_image *out)
{
    int c = img->channels;
    if (c < 2 || (c == 4 && format == SG_IMAGE_JPEG)) return false;
    size_t n = (size_t)img->width * (size_t)img->height;
    uint32_t opaque = img->depth == 16 ? 65535u : 255u;
    bool has_alpha = c == 2 || c == 4, drop_alpha = has_alpha, gray = c >= 3;
    for (size_t p = 0; p < n && (drop_alpha || gray); p++) {
        size_t k = p * (size_t)c;
        if (has_alpha && sample_at(img, k + (size_t)c - 1) != opaque) drop_alpha = false;
        if (gray && (sample_at(img, k) != sample_at(img, k + 1) || sample_at(img, k) != sample_at(img, k + 2)))
            gray = false;
    }
    int keep = gray ? 1 : c - (has_alpha ? 1 : 0);
    if (has_alpha && !drop_alpha) keep++;
    if (keep == c) return false;
    if (sg_image_alloc(out, img->width, img->height, keep, img->depth, NULL, "pixel digest") != SG_OK)
        return false;
    for (size_t p = 0; p < n; p++)
        for (int j = 0; j < keep; j++) {
            /* gray (+alpha): sample 0 (+ the last); colour without alpha: 0..2 */
            size_t from = p * (size_t)c + (size_t)(j == keep - 1 && has_alpha && !drop_alpha ? c - 1 : j);
            size_t to = p * (size_t)keep + (size_t)j;
            if (img->depth == 16) ((uint16_t *)out->pixels)[to] = (uint16_t)sample_at(img, from);
            else ((uint8_t *)out->pixels)[to] = (uint8_t)sample_at(img, from);
        }
    return true;
}

static void scan_one(const scan_job *job, int i)
{
    const sg_sample *s = &job->ds->samples[i];
    sg_file_info *info = &job->infos[i];
    *info = (sg_file_info){0};
    char *data;
    size_t len;
    if (sg_file_read_all(s->path, SG_SCAN_MAX_BYTES, &data, &len) != SG_OK) {
        note_problem(info);
        return;
    }
    info->bytes = (int64_t)len;
    info->readable = true;
    sg_sha256_bytes(data, len, info->content);
    const uint8_t *bytes = (const uint8_t *)data;
    /* Messages name the file relative to the data set root, as listings do. */
    if (sg_image_probe(bytes, len, s->name, info) != SG_OK) {
        note_problem(info);
    } else if (job->decode) {
        sg_image img = {0};
        if (job->decode(bytes, len, s->name, job->lim, &img) != SG_OK) {
            note_problem(info);
        } else if (img.pixels) {
            info->channels = img.channels;
            info->depth = img.depth;
            sg_image simple;
            if (simplest_form(&img, info->format, &simple)) {
                sg_image_hash(&simple, info->pixels);
                sg_image_free(&simple);
            } else {
                sg_image_hash(&img, info->pixels);
            }
            info->decoded = true;
            sg_image_free(&img);
        }
    }
    free(data);
}

static void scan_range(void *ctx, int64_t begin, int64_t end)
{
    for (int64_t i = begin; i < end; i++) scan_one(ctx, (int)i);
}

void sg_dataset_scan(const sg_dataset *ds, sg_decode_fn decode, const sg_image_limits *lim,
                     sg_file_info *infos)
{
    scan_job job = {ds, decode, lim, infos};
    sg_parallel_for(ds->n_samples, 4, scan_range, &job);
}

sg_err sg_dataset_drop_unusable(sg_dataset *ds, sg_file_info *infos, int *dropped)
{
    int kept = 0;
    sg_err err = SG_OK;
    *dropped = 0;
    for (int i = 0; i < ds->n_samples; i++) {
        sg_sample *s = &ds->samples[i];
        if (!infos[i].problem[0]) {
            ds->samples[kept] = *s;
            infos[kept++] = infos[i];
            continue;
        }
        /* The problem names the file already ("cls/x.png: PNG ..."). */
        if (err == SG_OK) err = sg_notes_add(&ds->skipped, "%s", infos[i].problem);
        free(s->path);
        free(s->name);
        free(s->group);
        free(s->boxes);
        (*dropped)++;
    }
    ds->n_samples = kept;
    return err;
}
