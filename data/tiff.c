/* data/tiff.c - TIFF decoder (baseline TIFF 6.0 plus the extensions cameras
 * write), after the TIFF 6.0 specification (Adobe, 1992).
 *
 * The file:
 *   header (8 bytes)   "II" (little-endian) or "MM" (big-endian), 42 as a
 *                      u16, the offset of the first IFD as a u32
 *   IFD                a u16 entry count, that many 12-byte entries (tag u16,
 *                      type u16, count u32, the value itself when it fits in
 *                      4 bytes, else the offset of the values), then the
 *                      offset of the next IFD (0 = none): one IFD per page
 *   image data         strips (StripOffsets / StripByteCounts, RowsPerStrip
 *                      rows each, the last one shorter) or tiles (TileOffsets /
 *                      TileByteCounts, TileWidth x TileLength each, row-major,
 *                      the edge tiles padded to full size), each compressed on
 *                      its own
 *
 * What we decode, and how (each other variant is SG_ERR_UNSUPPORTED with the
 * tag and its value in the message):
 *   - BitsPerSample 8 or 16 for every sample, SampleFormat 1 (unsigned);
 *   - Photometric 1 (BlackIsZero) and 0 (WhiteIsZero, inverted on output:
 *     v -> 2^bits - 1 - v, as PIL shows it) with 1 sample, or 2 with an extra
 *     sample (gray + alpha); Photometric 2 (RGB) with 3 samples, or 4 (RGBA).
 *     The extra sample is kept as stored, associated (premultiplied) or not;
 *     without a Photometric tag, 1-2 samples read as BlackIsZero, 3-4 as RGB;
 *   - PlanarConfiguration 1 (chunky), or 2 with a single sample (the same);
 *   - Compression 1 (none), 5 (LZW, MSB-first codes with the "early change"
 *     of TIFF 6.0 section 13), 8 and 32946 (Deflate: a zlib stream per
 *     chunk, data/inflate.c), 32773 (PackBits, section 9);
 *   - Predictor 1 (none) or 2 (horizontal differencing, section 14), on 8-
 *     and 16-bit samples;
 *   - the first page only; sg_image_warning() then names the page count.
 * Output: the file's channels (1, 2, 3 or 4) at its depth, 16-bit samples in
 * native byte order. Every offset and byte count is checked against the file
 * size with 64-bit arithmetic, the image goes through sg_image_alloc (the
 * pixel limit) before anything else is allocated, and the padded area of all
 * tiles is held to the same limit (a tile far larger than the image would
 * otherwise be a decompression bomb). A compressed chunk must give at least
 * the bytes its rows need (more is ignored, as libtiff does). */
#include <limits.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/image.h"
#include "data/inflate.h"
#include "data/tiff.h"

enum {
    TAG_WIDTH = 256, TAG_HEIGHT = 257, TAG_BITS = 258, TAG_COMPRESSION = 259,
    TAG_PHOTOMETRIC = 262, TAG_FILL_ORDER = 266, TAG_STRIP_OFFSETS = 273, TAG_SAMPLES = 277,
    TAG_ROWS_PER_STRIP = 278, TAG_STRIP_BYTES = 279, TAG_PLANAR = 284, TAG_PREDICTOR = 317,
    TAG_TILE_WIDTH = 322, TAG_TILE_LENGTH = 323, TAG_TILE_OFFSETS = 324, TAG_TILE_BYTES = 325,
    TAG_EXTRA_SAMPLES = 338, TAG_SAMPLE_FORMAT = 339
};
enum { COMP_NONE = 1, COMP_LZW = 5, COMP_DEFLATE = 8, COMP_ADOBE_DEFLATE = 32946, COMP_PACKBITS = 32773 };

/* The tags we read, in one table: index = position in tiff_ifd.entries. */
static const struct { uint16_t tag; const char *name; } known_tags[] = {
    {TAG_WIDTH, "ImageWidth"}, {TAG_HEIGHT, "ImageLength"}, {TAG_BITS, "BitsPerSample"},
    {TAG_COMPRESSION, "Compression"}, {TAG_PHOTOMETRIC, "PhotometricInterpretation"},
    {TAG_FILL_ORDER, "FillOrder"}, {TAG_STRIP_OFFSETS, "StripOffsets"},
    {TAG_SAMPLES, "SamplesPerPixel"}, {TAG_ROWS_PER_STRIP, "RowsPerStrip"},
    {TAG_STRIP_BYTES, "StripByteCounts"}, {TAG_PLANAR, "PlanarConfiguration"},
    {TAG_PREDICTOR, "Predictor"}, {TAG_TILE_WIDTH, "TileWidth"}, {TAG_TILE_LENGTH, "TileLength"},
    {TAG_TILE_OFFSETS, "TileOffsets"}, {TAG_TILE_BYTES, "TileByteCounts"},
    {TAG_EXTRA_SAMPLES, "ExtraSamples"}, {TAG_SAMPLE_FORMAT, "SampleFormat"},
};
#define N_KNOWN (sizeof known_tags / sizeof known_tags[0])

/* One IFD entry: where its values are in the file. */
typedef struct tiff_entry {
    bool present;
    uint16_t type;
    uint32_t count;
    size_t at;             /* file offset of the first value */
} tiff_entry;

typedef struct tiff_file {
    const uint8_t *d;
    size_t len;
    bool big_endian;
    const char *name;
} tiff_file;

/* Everything the first IFD says, checked. */
typedef struct tiff_ifd {
    tiff_entry entries[N_KNOWN];
    uint32_t width, height, samples, bits, compression, photometric, predictor;
    int channels;
    bool tiled;
    uint32_t chunk_w, chunk_h;          /* tile size, or width x RowsPerStrip */
    uint64_t chunks_across, chunks_down;
    int pages;
} tiff_ifd;

static uint32_t rd16(const tiff_file *t, size_t at)
{
    const uint8_t *p = t->d + at;
    return t->big_endian ? (uint32_t)p[0] << 8 | p[1] : (uint32_t)p[1] << 8 | p[0];
}

static uint32_t rd32(const tiff_file *t, size_t at)
{
    return t->big_endian ? rd16(t, at) << 16 | rd16(t, at + 2) : rd16(t, at + 2) << 16 | rd16(t, at);
}

static const char *tag_name(int k) { return known_tags[k].name; }

static int tag_index(uint16_t tag)
{
    for (size_t k = 0; k < N_KNOWN; k++)
        if (known_tags[k].tag == tag) return (int)k;
    return -1;
}

/* Bytes of one value of a TIFF field type; 0 for a type we never read. */
static unsigned type_size(uint16_t type)
{
    switch (type) {
    case 1: case 2: case 6: case 7: return 1;   /* BYTE ASCII SBYTE UNDEFINED */
    case 3: case 8: return 2;                   /* SHORT SSHORT */
    case 4: case 9: case 11: case 13: return 4; /* LONG SLONG FLOAT IFD */
    case 5: case 10: case 12: return 8;         /* RATIONAL SRATIONAL DOUBLE */
    default: return 0;
    }
}

/* Value i of an entry of type BYTE, SHORT or LONG (checked by the caller). */
static uint32_t entry_value(const tiff_file *t, const tiff_entry *e, uint32_t i)
{
    switch (e->type) {
    case 1: return t->d[e->at + i];
    case 3: return rd16(t, e->at + (size_t)i * 2);
    default: return rd32(t, e->at + (size_t)i * 4);
    }
}

/* A tag whose values must be unsigned integers (BYTE, SHORT, LONG). */
static sg_err check_integer_tag(const tiff_file *t, const tiff_ifd *ifd, int k)
{
    const tiff_entry *e = &ifd->entries[k];
    if (e->present && e->type != 1 && e->type != 3 && e->type != 4)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF tag %u (%s) has field type %u, expected BYTE, "
                            "SHORT or LONG", t->name, known_tags[k].tag, tag_name(k), e->type);
    if (e->present && e->count == 0)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF tag %u (%s) has no values", t->name,
                            known_tags[k].tag, tag_name(k));
    return SG_OK;
}

/* The first value of tag k, or `fallback` when the tag is absent. */
static uint32_t tag_value(const tiff_file *t, const tiff_ifd *ifd, int k, uint32_t fallback)
{
    return ifd->entries[k].present ? entry_value(t, &ifd->entries[k], 0) : fallback;
}

#define K(tag) tag_index(tag)

/* ---- the header and the IFD chain ---------------------------------------- */

static sg_err read_header(tiff_file *t, uint32_t *first_ifd)
{
    if (t->len < 8)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF header truncated (%zu bytes, expected 8)", t->name, t->len);
    if (!(t->d[0] == 'I' && t->d[1] == 'I') && !(t->d[0] == 'M' && t->d[1] == 'M'))
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF byte order mark is neither II nor MM", t->name);
    t->big_endian = t->d[0] == 'M';
    uint32_t magic = rd16(t, 2);
    if (magic == 43)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: BigTIFF (version 43) unsupported", t->name);
    if (magic != 42)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF version %u, expected 42", t->name, magic);
    *first_ifd = rd32(t, 4);
    return SG_OK;
}

/* Where IFD number `page` (1-based, for messages) at `offset` holds n entries. */
static sg_err ifd_bounds(const tiff_file *t, uint64_t offset, int page, uint32_t *n)
{
    if (offset < 8 || offset + 2 > t->len)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF IFD %d at offset %llu is outside the file (%zu bytes)",
                            t->name, page, (unsigned long long)offset, t->len);
    *n = rd16(t, (size_t)offset);
    if (offset + 2 + 12 * (uint64_t)*n + 4 > t->len)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF IFD %d at offset %llu: %u entries run past the end "
                            "of the file (%zu bytes)", t->name, page, (unsigned long long)offset, *n, t->len);
    return SG_OK;
}

/* Read the entries of the first IFD and count the pages. */
static sg_err read_ifd(const tiff_file *t, uint32_t offset, tiff_ifd *ifd)
{
    uint32_t n;
    sg_err err = ifd_bounds(t, offset, 1, &n);
    if (err) return err;
    for (uint32_t i = 0; i < n; i++) {
        size_t at = (size_t)offset + 2 + 12 * (size_t)i;
        int k = tag_index((uint16_t)rd16(t, at));
        if (k < 0) continue;
        tiff_entry *e = &ifd->entries[k];
        e->present = true;
        e->type = (uint16_t)rd16(t, at + 2);
        e->count = rd32(t, at + 4);
        unsigned size = type_size(e->type);
        if (size == 0)
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF tag %u (%s) has unknown field type %u", t->name,
                                known_tags[k].tag, tag_name(k), e->type);
        uint64_t bytes = (uint64_t)size * e->count;
        e->at = at + 8;
        if (bytes > 4) {
            uint64_t where = rd32(t, at + 8);
            if (where + bytes > t->len)
                return sg_error_set(SG_ERR_FORMAT, "%s: TIFF tag %u (%s): %u values at offset %llu run "
                                    "past the end of the file (%zu bytes)", t->name, known_tags[k].tag,
                                    tag_name(k), e->count, (unsigned long long)where, t->len);
            e->at = (size_t)where;
        }
    }
    /* Count the pages. Distinct IFDs occupy distinct offsets of at least 6
     * bytes each, so more hops than len / 6 means the chain loops. */
    ifd->pages = 1;
    uint64_t next = rd32(t, (size_t)offset + 2 + 12 * (size_t)n);
    while (next != 0) {
        if ((uint64_t)ifd->pages > t->len / 6)
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF IFD chain loops (more than %zu pages in %zu bytes)",
                                t->name, t->len / 6, t->len);
        ifd->pages++;
        if ((err = ifd_bounds(t, next, ifd->pages, &n))) return err;
        next = rd32(t, (size_t)next + 2 + 12 * (size_t)n);
    }
    return SG_OK;
}

/* ---- what the IFD describes ---------------------------------------------- */

static const char *compression_name(uint32_t c)
{
    switch (c) {
    case 2: return "CCITT modified Huffman";
    case 3: return "CCITT Group 3 fax";
    case 4: return "CCITT Group 4 fax";
    case 6: return "old-style JPEG";
    case 7: return "JPEG";
    case 34712: return "JPEG 2000";
    case 50000: return "Zstandard";
    case 34925: return "LZMA";
    case 50001: return "WebP";
    default: return "unknown";
    }
}

static const char *photometric_name(uint32_t p)
{
    switch (p) {
    case 3: return "palette";
    case 4: return "transparency mask";
    case 5: return "separated (CMYK)";
    case 6: return "YCbCr";
    case 8: return "CIE L*a*b*";
    default: return "unknown";
    }
}

/* Sample layout, compression and geometry from the entries. */
static sg_err describe(const tiff_file *t, tiff_ifd *ifd, const sg_image_limits *lim)
{
    const char *name = t->name;
    for (size_t k = 0; k < N_KNOWN; k++) {
        sg_err err = check_integer_tag(t, ifd, (int)k);
        if (err) return err;
    }
    if (!ifd->entries[K(TAG_WIDTH)].present || !ifd->entries[K(TAG_HEIGHT)].present)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF without ImageWidth or ImageLength (tags 256, 257)", name);
    ifd->width = tag_value(t, ifd, K(TAG_WIDTH), 0);
    ifd->height = tag_value(t, ifd, K(TAG_HEIGHT), 0);
    if (ifd->width == 0 || ifd->height == 0 || ifd->width > INT_MAX || ifd->height > INT_MAX)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF size %u x %u", name, ifd->width, ifd->height);
    ifd->samples = tag_value(t, ifd, K(TAG_SAMPLES), 1);
    if (ifd->samples == 0 || ifd->samples > 64)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF SamplesPerPixel (tag 277) is %u", name, ifd->samples);

    ifd->compression = tag_value(t, ifd, K(TAG_COMPRESSION), COMP_NONE);
    uint32_t c = ifd->compression;
    if (c != COMP_NONE && c != COMP_LZW && c != COMP_DEFLATE && c != COMP_ADOBE_DEFLATE && c != COMP_PACKBITS)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF Compression (tag 259) %u (%s) unsupported: "
                            "decoded are 1 (none), 5 (LZW), 8/32946 (Deflate), 32773 (PackBits)",
                            name, c, compression_name(c));

    uint32_t format = tag_value(t, ifd, K(TAG_SAMPLE_FORMAT), 1);
    if (format != 1)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF SampleFormat (tag 339) %u (%s) unsupported: "
                            "decoded is 1 (unsigned integer)", name, format,
                            format == 2 ? "signed integer" : format == 3 ? "IEEE float" : "other");
    const tiff_entry *bits = &ifd->entries[K(TAG_BITS)];
    ifd->bits = tag_value(t, ifd, K(TAG_BITS), 1);
    for (uint32_t i = 1; bits->present && i < bits->count && i < ifd->samples; i++)
        if (entry_value(t, bits, i) != ifd->bits)
            return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF BitsPerSample (tag 258) differs between "
                                "samples (%u, then %u) unsupported", name, ifd->bits, entry_value(t, bits, i));
    if (ifd->bits != 8 && ifd->bits != 16)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF BitsPerSample (tag 258) %u unsupported: "
                            "decoded are 8 and 16", name, ifd->bits);
    uint32_t fill = tag_value(t, ifd, K(TAG_FILL_ORDER), 1);
    if (fill != 1)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF FillOrder (tag 266) %u unsupported", name, fill);

    uint32_t fallback = ifd->samples >= 3 ? 2 : 1;
    ifd->photometric = tag_value(t, ifd, K(TAG_PHOTOMETRIC), fallback);
    uint32_t p = ifd->photometric, colour;
    if (p == 0 || p == 1) colour = 1;
    else if (p == 2) colour = 3;
    else
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF PhotometricInterpretation (tag 262) %u (%s) "
                            "unsupported: decoded are 0/1 (gray) and 2 (RGB)", name, p, photometric_name(p));
    if (ifd->samples < colour)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF PhotometricInterpretation %u needs %u samples per "
                            "pixel, SamplesPerPixel is %u", name, p, colour, ifd->samples);
    if (ifd->samples > colour + 1)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF with %u extra samples per pixel unsupported "
                            "(at most one: alpha)", name, ifd->samples - colour);
    ifd->channels = (int)ifd->samples;

    uint32_t planar = tag_value(t, ifd, K(TAG_PLANAR), 1);
    if (planar != 1 && !(planar == 2 && ifd->samples == 1))
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF PlanarConfiguration (tag 284) %u unsupported: "
                            "decoded is 1 (chunky)", name, planar);
    ifd->predictor = tag_value(t, ifd, K(TAG_PREDICTOR), 1);
    if (ifd->predictor != 1 && ifd->predictor != 2)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF Predictor (tag 317) %u unsupported: decoded "
                            "are 1 (none) and 2 (horizontal)", name, ifd->predictor);

    /* Geometry: tiles or strips. */
    int k_off, k_bytes;
    ifd->tiled = ifd->entries[K(TAG_TILE_WIDTH)].present || ifd->entries[K(TAG_TILE_OFFSETS)].present;
    if (ifd->tiled) {
        ifd->chunk_w = tag_value(t, ifd, K(TAG_TILE_WIDTH), 0);
        ifd->chunk_h = tag_value(t, ifd, K(TAG_TILE_LENGTH), 0);
        if (ifd->chunk_w == 0 || ifd->chunk_h == 0)
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF tile size %u x %u (TileWidth, TileLength: tags "
                                "322, 323)", name, ifd->chunk_w, ifd->chunk_h);
        k_off = K(TAG_TILE_OFFSETS), k_bytes = K(TAG_TILE_BYTES);
    } else {
        uint32_t rows = tag_value(t, ifd, K(TAG_ROWS_PER_STRIP), UINT32_MAX);
        if (rows == 0) return sg_error_set(SG_ERR_FORMAT, "%s: TIFF RowsPerStrip (tag 278) is 0", name);
        ifd->chunk_w = ifd->width;
        ifd->chunk_h = rows < ifd->height ? rows : ifd->height;
        k_off = K(TAG_STRIP_OFFSETS), k_bytes = K(TAG_STRIP_BYTES);
    }
    ifd->chunks_across = (ifd->width + (uint64_t)ifd->chunk_w - 1) / ifd->chunk_w;
    ifd->chunks_down = (ifd->height + (uint64_t)ifd->chunk_h - 1) / ifd->chunk_h;
    uint64_t n_chunks = ifd->chunks_across * ifd->chunks_down;
    const char *what = ifd->tiled ? "tile" : "strip";
    for (int pass = 0; pass < 2; pass++) {
        int k = pass ? k_bytes : k_off;
        if (!ifd->entries[k].present)
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF without %s (tag %u)", name, tag_name(k), known_tags[k].tag);
        if (ifd->entries[k].count < n_chunks)
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF %s (tag %u) has %u values, the %u x %u image "
                                "needs %llu %ss", name, tag_name(k), known_tags[k].tag,
                                ifd->entries[k].count, ifd->width, ifd->height,
                                (unsigned long long)n_chunks, what);
    }
    /* The padded area of the tiles is held to the pixel limit too (strips
     * hold only the image's rows: the image's own limit covers them). */
    int64_t max_pixels = lim && lim->max_pixels > 0 ? lim->max_pixels : SG_IMAGE_DEFAULT_MAX_PIXELS;
    uint64_t covered_w = ifd->chunks_across * ifd->chunk_w, covered_h = ifd->chunks_down * ifd->chunk_h;
    if ((uint64_t)ifd->chunk_w * ifd->chunk_h > SIZE_MAX / 16)
        return sg_error_set(SG_ERR_LIMIT, "%s: TIFF %s of %u x %u pixels is too large for this machine",
                            name, what, ifd->chunk_w, ifd->chunk_h);
    if (ifd->tiled && covered_w > (uint64_t)max_pixels / covered_h)   /* w * h > max, without overflow */
        return sg_error_set(SG_ERR_LIMIT, "%s: TIFF tiles of %u x %u cover %llu x %llu pixels, over the limit "
                            "of %lld", name, ifd->chunk_w, ifd->chunk_h, (unsigned long long)covered_w,
                            (unsigned long long)covered_h, (long long)max_pixels);
    return SG_OK;
}

static sg_err parse(tiff_file *t, const sg_image_limits *lim, tiff_ifd *ifd)
{
    uint32_t first = 0;
    *ifd = (tiff_ifd){0};
    sg_err err = read_header(t, &first);
    if (err == SG_OK) err = read_ifd(t, first, ifd);
    if (err == SG_OK) err = describe(t, ifd, lim);
    return err;
}

/* ---- decompression: one chunk into out[0..need) ---------------------------- */

/* PackBits (section 9): a header byte n, then n + 1 literal bytes (0..127),
 * or one byte repeated 1 - n times (-127..-1); -128 is skipped. */
static bool unpack_bits(const uint8_t *in, size_t len, uint8_t *out, size_t need)
{
    size_t i = 0, o = 0;
    while (o < need && i < len) {
        int n = (int8_t)in[i++];
        if (n >= 0) {
            size_t run = (size_t)n + 1;
            if (run > len - i) return false;
            if (run > need - o) run = need - o;
            memcpy(out + o, in + i, run);
            o += run;
            i += (size_t)n + 1;
        } else if (n != -128) {
            if (i >= len) return false;
            size_t run = (size_t)(1 - n);
            if (run > need - o) run = need - o;
            memset(out + o, in[i++], run);
            o += run;
        }
    }
    return o == need;
}

/* LZW (section 13): codes of 9 to 12 bits, most significant bit first;
 * 256 clears the table, 257 ends the data; the code width grows one code
 * early (after entry 510, 1022, 2046 is added). Each table entry is a
 * previous entry plus one byte; strings are written back to front. */
enum { LZW_CLEAR = 256, LZW_END = 257, LZW_FIRST = 258, LZW_SIZE = 4096 };

typedef struct lzw_table {
    uint16_t prefix[LZW_SIZE];
    uint16_t length[LZW_SIZE];
    uint8_t suffix[LZW_SIZE], first[LZW_SIZE];
} lzw_table;

static sg_err unlzw(const tiff_file *t, uint64_t chunk, const uint8_t *in, size_t len, uint8_t *out,
                    size_t need)
{
    lzw_table *tab = malloc(sizeof *tab);
    if (!tab) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for the LZW table", t->name);
    for (int c = 0; c < 256; c++) {
        tab->prefix[c] = 0;
        tab->length[c] = 1;
        tab->suffix[c] = tab->first[c] = (uint8_t)c;
    }
    if (len >= 2 && in[0] == 0 && (in[1] & 1))  /* libtiff's test for the pre-6.0 bit order */
        goto old_style;
    size_t o = 0;
    uint64_t bitpos = 0, total_bits = (uint64_t)len * 8;
    unsigned width = 9, next = LZW_FIRST;
    int prev = -1;
    sg_err err = SG_OK;
    while (o < need && bitpos + width <= total_bits) {
        /* The code lies in the 3 bytes from bitpos / 8 (7 + 12 bits at most). */
        size_t byte = (size_t)(bitpos >> 3);
        uint32_t window = (uint32_t)in[byte] << 16;
        if (byte + 1 < len) window |= (uint32_t)in[byte + 1] << 8;
        if (byte + 2 < len) window |= in[byte + 2];
        unsigned code = (window >> (24 - (unsigned)(bitpos & 7) - width)) & ((1u << width) - 1);
        bitpos += width;
        if (code == LZW_CLEAR) {
            width = 9, next = LZW_FIRST, prev = -1;
            continue;
        }
        if (code == LZW_END) break;
        unsigned string;   /* the entry whose string is written */
        if (prev < 0) {
            if (code > 255) {
                err = sg_error_set(SG_ERR_FORMAT, "%s: TIFF LZW chunk %llu: code %u right after a clear, "
                                   "expected a byte (0..255)", t->name, (unsigned long long)chunk, code);
                break;
            }
            string = code;
        } else {
            if (code > next || (code == next && next >= LZW_SIZE)) {
                err = sg_error_set(SG_ERR_FORMAT, "%s: TIFF LZW chunk %llu: code %u beyond the table "
                                   "(%u entries)", t->name, (unsigned long long)chunk, code, next);
                break;
            }
            if (next < LZW_SIZE) {
                /* The new entry: prev's string + the first byte of code's
                 * (of prev's own when code is the entry being made). */
                tab->prefix[next] = (uint16_t)prev;
                tab->suffix[next] = code == next ? tab->first[prev] : tab->first[code];
                tab->first[next] = tab->first[prev];
                tab->length[next] = (uint16_t)(tab->length[prev] + 1);
                next++;
            }
            string = code;
            if (next + 1 >= 1u << width && width < 12) width++;
        }
        /* Write the string back to front, cut at `need`. */
        size_t n = tab->length[string], end = o + n;
        unsigned e = string;
        for (size_t i = n; i-- > 0;) {
            if (o + i < need) out[o + i] = tab->suffix[e];
            e = tab->prefix[e];
        }
        o = end < need ? end : need;
        prev = (int)string;
    }
    free(tab);
    if (err) return err;
    if (o < need)
        return sg_error_set(SG_ERR_FORMAT, "%s: TIFF LZW chunk %llu gives %zu of the %zu bytes its rows "
                            "need", t->name, (unsigned long long)chunk, o, need);
    return SG_OK;
old_style:
    free(tab);
    return sg_error_set(SG_ERR_UNSUPPORTED, "%s: TIFF LZW chunk %llu in the pre-TIFF 6.0 bit order "
                        "unsupported", t->name, (unsigned long long)chunk);
}

static sg_err decompress(const tiff_file *t, const tiff_ifd *ifd, uint64_t chunk, const uint8_t *in,
                         size_t len, uint8_t *out, size_t need)
{
    const char *what = ifd->tiled ? "tile" : "strip";
    switch (ifd->compression) {
    case COMP_NONE:
        if (len < need)
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF %s %llu has %zu bytes, its rows need %zu", t->name,
                                what, (unsigned long long)chunk, len, need);
        memcpy(out, in, need);
        return SG_OK;
    case COMP_PACKBITS:
        if (!unpack_bits(in, len, out, need))
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF PackBits %s %llu ends before the %zu bytes its "
                                "rows need", t->name, what, (unsigned long long)chunk, need);
        return SG_OK;
    case COMP_LZW:
        return unlzw(t, chunk, in, len, out, need);
    default: {   /* Deflate */
        size_t got = 0;
        sg_err err = sg_inflate(in, len, SG_INFLATE_ZLIB, out, need, &got, NULL, t->name);
        if (err == SG_ERR_LIMIT) err = SG_OK;   /* more than the rows need: ignored */
        if (err) {
            char message[768];
            snprintf(message, sizeof message, "%s", sg_error_message());
            return sg_error_set(err, "%s (TIFF Deflate %s %llu)", message, what, (unsigned long long)chunk);
        }
        if (got < need)
            return sg_error_set(SG_ERR_FORMAT, "%s: TIFF Deflate %s %llu gives %zu of the %zu bytes its "
                                "rows need", t->name, what, (unsigned long long)chunk, got, need);
        return SG_OK;
    }
    }
}

/* ---- samples --------------------------------------------------------------- */

/* 16-bit samples from the file's byte order to native, in place. */
static void samples_to_native(const tiff_file *t, uint8_t *buf, size_t n_samples)
{
    for (size_t i = 0; i < n_samples; i++) {
        const uint8_t *p = buf + 2 * i;
        uint16_t v = t->big_endian ? (uint16_t)(p[0] << 8 | p[1]) : (uint16_t)(p[1] << 8 | p[0]);
        memcpy(buf + 2 * i, &v, 2);
    }
}

/* Horizontal differencing (section 14): each sample is stored as the
 * difference from the same sample of the pixel to its left, modulo 2^bits. */
static void undo_predictor(uint8_t *buf, int bits, size_t rows, size_t row_samples, size_t spp)
{
    for (size_t r = 0; r < rows; r++) {
        if (bits == 8) {
            uint8_t *s = buf + r * row_samples;
            for (size_t i = spp; i < row_samples; i++) s[i] = (uint8_t)(s[i] + s[i - spp]);
        } else {
            uint16_t *s = (uint16_t *)(void *)buf + r * row_samples;
            for (size_t i = spp; i < row_samples; i++) s[i] = (uint16_t)(s[i] + s[i - spp]);
        }
    }
}

static sg_err decode_chunks(const tiff_file *t, const tiff_ifd *ifd, sg_image *img)
{
    const size_t spp = ifd->samples, bytes_per_sample = ifd->bits / 8;
    const size_t pixel_bytes = spp * bytes_per_sample;
    const size_t chunk_row_bytes = (size_t)ifd->chunk_w * pixel_bytes;
    const size_t image_row_bytes = (size_t)ifd->width * pixel_bytes;
    uint8_t *buf = malloc(chunk_row_bytes * ifd->chunk_h);
    if (!buf)
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for a %u x %u TIFF %s", t->name, ifd->chunk_w,
                            ifd->chunk_h, ifd->tiled ? "tile" : "strip");
    const tiff_entry *offsets = &ifd->entries[ifd->tiled ? K(TAG_TILE_OFFSETS) : K(TAG_STRIP_OFFSETS)];
    const tiff_entry *counts = &ifd->entries[ifd->tiled ? K(TAG_TILE_BYTES) : K(TAG_STRIP_BYTES)];
    sg_err err = SG_OK;
    uint64_t n_chunks = ifd->chunks_across * ifd->chunks_down;
    for (uint64_t k = 0; k < n_chunks && err == SG_OK; k++) {
        uint64_t x0 = (k % ifd->chunks_across) * ifd->chunk_w, y0 = (k / ifd->chunks_across) * ifd->chunk_h;
        /* A strip holds only the image's rows; a tile is always whole. */
        size_t rows = ifd->tiled || y0 + ifd->chunk_h <= ifd->height ? ifd->chunk_h : (size_t)(ifd->height - y0);
        uint64_t at = entry_value(t, offsets, (uint32_t)k), n = entry_value(t, counts, (uint32_t)k);
        if (at + n > t->len) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: TIFF %s %llu: %llu bytes at offset %llu run past the end "
                               "of the file (%zu bytes)", t->name, ifd->tiled ? "tile" : "strip",
                               (unsigned long long)k, (unsigned long long)n, (unsigned long long)at, t->len);
            break;
        }
        size_t need = chunk_row_bytes * rows;
        err = decompress(t, ifd, k, t->d + at, (size_t)n, buf, need);
        if (err) break;
        if (ifd->bits == 16) samples_to_native(t, buf, need / 2);
        if (ifd->predictor == 2) undo_predictor(buf, (int)ifd->bits, rows, (size_t)ifd->chunk_w * spp, spp);
        size_t copy_rows = y0 + rows <= ifd->height ? rows : (size_t)(ifd->height - y0);
        size_t copy_bytes = (x0 + ifd->chunk_w <= ifd->width ? ifd->chunk_w : (size_t)(ifd->width - x0)) * pixel_bytes;
        for (size_t r = 0; r < copy_rows; r++)
            memcpy((uint8_t *)img->pixels + (y0 + r) * image_row_bytes + x0 * pixel_bytes,
                   buf + r * chunk_row_bytes, copy_bytes);
    }
    free(buf);
    return err;
}

/* WhiteIsZero: the gray sample (not alpha) becomes 2^bits - 1 - v. */
static void invert_gray(sg_image *img)
{
    size_t n = (size_t)img->width * img->height, C = (size_t)img->channels;
    for (size_t i = 0; i < n; i++) {
        if (img->depth == 16) {
            uint16_t *s = (uint16_t *)img->pixels + i * C;
            *s = (uint16_t)(65535u - *s);
        } else {
            uint8_t *s = (uint8_t *)img->pixels + i * C;
            *s = (uint8_t)(255u - *s);
        }
    }
}

sg_err sg_tiff_decode(const uint8_t *data, size_t len, const char *name, const sg_image_limits *lim,
                      sg_image *out)
{
    *out = (sg_image){0};
    sg_image_warning_set("%s", "");
    tiff_file t = {data, len, false, name};
    tiff_ifd ifd;
    sg_err err = parse(&t, lim, &ifd);
    if (err) return err;
    sg_image img;
    err = sg_image_alloc(&img, (int)ifd.width, (int)ifd.height, ifd.channels, (int)ifd.bits, lim, name);
    if (err) return err;
    if ((err = decode_chunks(&t, &ifd, &img))) {
        sg_image_free(&img);
        return err;
    }
    if (ifd.photometric == 0) invert_gray(&img);
    if (ifd.pages > 1)
        sg_image_warning_set("%s: TIFF with %d pages: only the first was decoded", name, ifd.pages);
    *out = img;
    return SG_OK;
}

sg_err sg_tiff_probe(const uint8_t *data, size_t len, const char *name, int *width, int *height,
                     int *bits_per_pixel)
{
    tiff_file t = {data, len, false, name};
    tiff_ifd ifd;
    sg_err err = parse(&t, NULL, &ifd);
    if (err == SG_ERR_LIMIT) err = SG_OK;  /* the header is fine; decoding will say more */
    if (err) return err;
    *width = (int)ifd.width;
    *height = (int)ifd.height;
    *bits_per_pixel = (int)(ifd.bits * ifd.samples);
    return SG_OK;
}
