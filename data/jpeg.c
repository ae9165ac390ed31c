/* data/jpeg.c - JPEG decoder: markers, frames, scans and the output image.
 *
 * Written from ITU-T T.81 | ISO/IEC 10918-1 ("T.81"), with the colour rules
 * of JFIF (ITU-T T.871) and Adobe's APP14 marker as libjpeg applies them.
 * Handled: baseline (SOF0) and extended sequential (SOF1, 8-bit) and
 * progressive (SOF2) Huffman-coded frames; 1, 3 or 4 components with any
 * whole-number sampling ratios (4:4:4, 4:2:2, 4:2:0, 4:4:0, 4:1:1, ...);
 * interleaved and non-interleaved scans; restart intervals (DRI/RSTn) with
 * resynchronisation; 8- and 16-bit quantisation tables. Arithmetic coding,
 * lossless, hierarchical and 12-bit frames give SG_ERR_UNSUPPORTED.
 *
 * Output, chosen to equal what PIL (Debian python3-pil on libjpeg-turbo) returns:
 *   1 component             -> 1 channel, gray
 *   3 components            -> 3 channels, RGB (YCbCr converted; or stored RGB
 *                              when Adobe transform = 0 or ids are 'R','G','B')
 *   4 components            -> 4 channels, **CMYK**, not RGBA: PIL opens these as
 *                              mode "CMYK" and so do we. Like PIL we assume Adobe's
 *                              inverted storage (every sample is 255 - stored) and
 *                              YCCK (Adobe transform 2) is converted to that CMYK.
 * The pixels are those of libjpeg-turbo's defaults: the "islow" integer IDCT
 * (jpeg_idct.c), "fancy" upsampling and fixed-point YCbCr -> RGB
 * (jpeg_color.c). A scan that uses Huffman table 0 or 1 without a DHT gets
 * the Annex K tables, as in libjpeg (Motion-JPEG frames omit their DHT).
 * Not done: libjpeg's block smoothing of progressive images whose
 * low-frequency AC coefficients never arrive complete (it only matters for
 * unusual scan scripts).
 *
 * Damaged files: every length is checked against the buffer, and a scan's
 * first use of memory against the bytes left (each block costs at least one
 * or two bits), so a small file cannot claim a huge image and make us fill
 * it. Beyond that we follow libjpeg, so that PIL's pixels come out even for
 * damaged files: a bit pattern that is no Huffman code reads as symbol 0;
 * entropy data that runs into a marker too early leaves the rest of its
 * restart interval empty (grey); a restart marker out of sequence is
 * resynchronised as libjpeg's default does. Two differences, both errors
 * where PIL also fails or is lenient to no purpose: data that simply ends
 * inside a scan (a cut file) is SG_ERR_FORMAT; and once a sequential image
 * is complete we stop reading, whatever follows. */
#include "data/image.h"

#include <stdlib.h>
#include <string.h>

#include "data/jpeg_internal.h"

enum { MAX_COMPONENTS = 4, MAX_BLOCKS_IN_MCU = 10 };

/* Marker codes (T.81 Table B.1), the byte after 0xFF. */
enum {
    M_SOF0 = 0xC0, M_SOF1 = 0xC1, M_SOF2 = 0xC2, M_DHT = 0xC4, M_DAC = 0xCC,
    M_RST0 = 0xD0, M_RST7 = 0xD7, M_SOI = 0xD8, M_EOI = 0xD9, M_SOS = 0xDA,
    M_DQT = 0xDB, M_DNL = 0xDC, M_DRI = 0xDD, M_DHP = 0xDE, M_EXP = 0xDF,
    M_APP0 = 0xE0, M_APP14 = 0xEE, M_APP15 = 0xEF, M_JPG0 = 0xF0, M_JPGLS = 0xF7,
    M_JPG13 = 0xFD, M_COM = 0xFE, M_TEM = 0x01
};

typedef struct component {
    int id, h, v, quant_index;    /* from the frame header (B.2.2) */
    int width, height;            /* real samples: ceil(X * H / Hmax), ceil(Y * V / Vmax) */
    int blocks_w, blocks_h;       /* blocks, padded to whole MCUs */
    uint16_t quant[64];           /* natural order; latched at the first scan */
    bool has_data;
    int dc_table, ac_table, dc_predictor;
    int band_rows;                /* sample rows per band (see decoder) */
    uint8_t *strip;               /* 3 bands of samples, blocks_w * 8 wide */
    int16_t *coefs;               /* buffered mode: every block's coefficients */
} component;

typedef enum color_space { CS_GRAY, CS_YCBCR, CS_RGB, CS_CMYK, CS_YCCK } color_space;

typedef struct decoder {
    const uint8_t *data;
    size_t len, pos;
    const char *name;
    int64_t max_pixels;

    uint16_t quant[4][64];
    bool quant_defined[4];
    sg_jpeg_huffman dc_tables[4], ac_tables[4];
    int restart_interval;
    bool saw_jfif, saw_adobe;
    int adobe_transform;

    bool have_frame, progressive;
    int width, height, ncomp, hmax, vmax, mcus_x, mcus_y;
    component comp[MAX_COMPONENTS];
    int scan_count;

    /* Output, set up at the first scan. The image is produced band by band:
     * a band is one MCU row (8 * Vmax image rows; 8 rows for a single
     * component). Streaming mode - a sequential frame whose first scan holds
     * every component, i.e. almost every baseline file - decodes a band,
     * runs the IDCT into a 3-band ring of sample rows (the band before and
     * after are what vertical upsampling needs) and converts the band before
     * it. Buffered mode (progressive, or components in separate scans) keeps
     * every coefficient until the last scan, then does the same band by band. */
    bool output_ready, streaming, done;
    int band_count, band_out_rows;
    sg_image *out;
    const sg_image_limits *lim;
    sg_jpeg_plane planes[MAX_COMPONENTS];
    uint8_t *scratch;
    color_space cs;
    sg_jpeg_color_tables tables;

    /* current scan */
    int scan_ncomp, ss, se, ah, al;
    component *scan_comp[MAX_COMPONENTS];
    sg_jpeg_bits bits;
    int eob_run, next_restart;
    /* libjpeg's "insufficient data" state, which we copy so that damaged
     * files give PIL's pixels: when the entropy-coded data runs into a
     * marker too early (or an interval's restart marker says its data is
     * missing, and the reader is left in front of that marker), the MCU that
     * ran short is finished with zero bits and every MCU after it is left
     * empty until a restart marker is read. Data that simply ends (a cut
     * file) is an error instead, as it is in PIL. */
    bool insufficient;
} decoder;

static sg_err bad(decoder *d, const char *what)
{
    return sg_error_set(SG_ERR_FORMAT, "%s: corrupt JPEG: %s", d->name, what);
}

static sg_err unsupported(decoder *d, const char *what)
{
    return sg_error_set(SG_ERR_UNSUPPORTED, "%s: unsupported JPEG: %s", d->name, what);
}

static int read_u16(const uint8_t *p)
{
    return (p[0] << 8) | p[1];
}

/* Next marker at or after p (skipping anything that is not one: entropy
 * data, stuffed 0xFF 0x00, fill bytes). Sets *start at its 0xFF and *after
 * past its code; false when the data ends first. */
static bool find_marker(const decoder *d, size_t p, int *code, size_t *start, size_t *after)
{
    const uint8_t *s = d->data;
    while (p < d->len) {
        const uint8_t *ff = memchr(s + p, 0xFF, d->len - p);
        if (!ff) return false;
        p = (size_t)(ff - s);
        size_t q = p + 1;
        while (q < d->len && s[q] == 0xFF) q++;   /* fill bytes (B.1.1.2) */
        if (q >= d->len) return false;
        if (s[q] != 0x00) {
            *code = s[q];
            *start = q - 1;
            *after = q + 1;
            return true;
        }
        p = q + 1;
    }
    return false;
}

/* ---- Marker segments ------------------------------------------------------------ */

/* DQT (B.2.4.1): tables of 64 values in zig-zag order, 8 or 16 bits each. */
static sg_err read_dqt(decoder *d, const uint8_t *s, size_t n)
{
    while (n > 0) {
        int precision = s[0] >> 4, id = s[0] & 15;
        size_t size = 1 + 64 * (precision ? 2 : 1);
        if (precision > 1) return bad(d, "DQT precision is neither 8 nor 16 bits");
        if (id > 3) return bad(d, "DQT table number above 3");
        if (n < size) return bad(d, "DQT segment shorter than its tables");
        for (int k = 0; k < 64; k++) {
            int v = precision ? read_u16(s + 1 + 2 * k) : s[1 + k];
            d->quant[id][sg_jpeg_zigzag_to_natural[k]] = (uint16_t)v;
        }
        d->quant_defined[id] = true;
        s += size;
        n -= size;
    }
    return SG_OK;
}

/* DHT (B.2.4.2): class (DC/AC), number, 16 code counts, symbols. */
static sg_err read_dht(decoder *d, const uint8_t *s, size_t n)
{
    while (n > 0) {
        if (n < 17) return bad(d, "DHT segment shorter than its code counts");
        int table_class = s[0] >> 4, id = s[0] & 15;
        if (table_class > 1 || id > 3) return bad(d, "DHT class above 1 or table number above 3");
        size_t count = 0;
        for (int l = 0; l < 16; l++) count += s[1 + l];
        if (count > 256 || n < 17 + count) return bad(d, "DHT segment shorter than its symbols");
        sg_jpeg_huffman *t = table_class == 0 ? &d->dc_tables[id] : &d->ac_tables[id];
        if (!sg_jpeg_huffman_build(t, s + 1, s + 17, table_class == 0))
            return bad(d, "DHT code counts overflow their lengths (or a DC symbol above 15)");
        s += 17 + count;
        n -= 17 + count;
    }
    return SG_OK;
}

/* APP0 "JFIF\0" (T.871) and APP14 "Adobe" (Adobe TN 5116): they decide the
 * colour space of 3- and 4-component frames. Same length rules as libjpeg. */
static void read_app(decoder *d, int marker, const uint8_t *s, size_t n)
{
    if (marker == M_APP0 && n >= 14 && memcmp(s, "JFIF\0", 5) == 0) d->saw_jfif = true;
    if (marker == M_APP14 && n >= 12 && memcmp(s, "Adobe", 5) == 0) {
        d->saw_adobe = true;
        d->adobe_transform = s[11];
    }
}

static sg_err read_sof(decoder *d, int marker, const uint8_t *s, size_t n)
{
    if (d->have_frame) return bad(d, "a second frame header (SOF)");
    if (n < 6) return bad(d, "SOF segment too short");
    int precision = s[0];
    d->height = read_u16(s + 1);
    d->width = read_u16(s + 3);
    d->ncomp = s[5];
    d->progressive = marker == M_SOF2;
    if (precision != 8) {
        if (precision == 12) return unsupported(d, "12-bit samples");
        return bad(d, "sample precision is not 8 bits");
    }
    if (d->height == 0) return unsupported(d, "height 0 (defined later by a DNL marker)");
    if (d->width == 0) return bad(d, "width 0");
    if (d->ncomp != 1 && d->ncomp != 3 && d->ncomp != 4) {
        if (d->ncomp == 0) return bad(d, "frame with no components");
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: unsupported JPEG: %d components", d->name,
                            d->ncomp);
    }
    if (n != 6 + 3 * (size_t)d->ncomp) return bad(d, "SOF length does not match its components");
    if ((int64_t)d->width * d->height > d->max_pixels)
        return sg_error_set(SG_ERR_LIMIT, "%s: %d x %d = %lld pixels exceeds the limit of %lld",
                            d->name, d->width, d->height, (long long)d->width * d->height,
                            (long long)d->max_pixels);
    d->hmax = d->vmax = 1;
    for (int c = 0; c < d->ncomp; c++) {
        component *cp = &d->comp[c];
        cp->id = s[6 + 3 * c];
        cp->h = s[7 + 3 * c] >> 4;
        cp->v = s[7 + 3 * c] & 15;
        cp->quant_index = s[8 + 3 * c];
        if (cp->h < 1 || cp->h > 4 || cp->v < 1 || cp->v > 4)
            return bad(d, "sampling factor outside 1..4");
        if (cp->quant_index > 3) return bad(d, "quantization table number above 3");
        if (cp->h > d->hmax) d->hmax = cp->h;
        if (cp->v > d->vmax) d->vmax = cp->v;
    }
    /* A.1.1 / A.2: the MCU grid, each component's real size and padded blocks. */
    d->mcus_x = (d->width + 8 * d->hmax - 1) / (8 * d->hmax);
    d->mcus_y = (d->height + 8 * d->vmax - 1) / (8 * d->vmax);
    for (int c = 0; c < d->ncomp; c++) {
        component *cp = &d->comp[c];
        if (d->hmax % cp->h || d->vmax % cp->v)
            return unsupported(d, "fractional sampling ratio (like libjpeg)");
        cp->width = (int)(((int64_t)d->width * cp->h + d->hmax - 1) / d->hmax);
        cp->height = (int)(((int64_t)d->height * cp->v + d->vmax - 1) / d->vmax);
        cp->blocks_w = d->mcus_x * cp->h;
        cp->blocks_h = d->mcus_y * cp->v;
    }
    d->have_frame = true;
    return SG_OK;
}

static color_space pick_color_space(const decoder *d);

/* The output image and the working memory, taken at the first scan once
 * its size has been checked against the data left. */
static sg_err setup_output(decoder *d)
{
    bool single = d->ncomp == 1;
    d->streaming = !d->progressive && d->scan_ncomp == d->ncomp;
    d->band_out_rows = single ? 8 : 8 * d->vmax;
    d->band_count = single ? (d->height + 7) / 8 : d->mcus_y;
    sg_err err = sg_image_alloc(d->out, d->width, d->height, d->ncomp, 8, d->lim, d->name);
    if (err != SG_OK) return err;
    d->output_ready = true;
    bool ok = (d->scratch = malloc((size_t)MAX_COMPONENTS * ((size_t)d->width + 32))) != NULL;
    for (int c = 0; c < d->ncomp && ok; c++) {
        component *cp = &d->comp[c];
        cp->band_rows = single ? 8 : 8 * cp->v;
        size_t stride = (size_t)cp->blocks_w * 8;
        ok = (cp->strip = malloc(stride * (size_t)cp->band_rows * 3)) != NULL;
        if (ok && !d->streaming)
            ok = (cp->coefs = calloc((size_t)cp->blocks_w * (size_t)cp->blocks_h * 64,
                                     sizeof(int16_t))) != NULL;
        d->planes[c] = (sg_jpeg_plane){cp->strip, (ptrdiff_t)stride, cp->band_rows, 3,
                                       cp->width, cp->height, d->hmax / cp->h, d->vmax / cp->v};
    }
    if (!ok)
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for a %d x %d JPEG", d->name,
                            d->width, d->height);
    d->cs = pick_color_space(d);
    if (d->cs == CS_YCBCR || d->cs == CS_YCCK) sg_jpeg_color_tables_init(&d->tables);
    return SG_OK;
}

/* SOS (B.2.3): the components of the scan, their tables, and the spectral
 * selection / successive approximation parameters (used by progressive). */
static sg_err read_sos(decoder *d, const uint8_t *s, size_t n)
{
    if (!d->have_frame) return bad(d, "scan (SOS) before the frame header (SOF)");
    if (n < 1) return bad(d, "SOS segment too short");
    int ns = s[0];
    if (ns < 1 || ns > d->ncomp || ns > MAX_COMPONENTS) return bad(d, "SOS component count");
    if (n != 4 + 2 * (size_t)ns) return bad(d, "SOS length does not match its components");
    d->scan_ncomp = ns;
    int blocks_in_mcu = 0;
    for (int i = 0; i < ns; i++) {
        int id = s[1 + 2 * i];
        component *found = NULL;
        /* the first frame component with this id not already in the scan */
        for (int c = 0; c < d->ncomp && !found; c++) {
            bool taken = false;
            for (int j = 0; j < i; j++) taken |= d->scan_comp[j] == &d->comp[c];
            if (d->comp[c].id == id && !taken) found = &d->comp[c];
        }
        if (!found) return bad(d, "SOS names a component that is not in the frame");
        found->dc_table = s[2 + 2 * i] >> 4;
        found->ac_table = s[2 + 2 * i] & 15;
        d->scan_comp[i] = found;
        blocks_in_mcu += found->h * found->v;
    }
    if (ns > 1 && blocks_in_mcu > MAX_BLOCKS_IN_MCU)
        return bad(d, "more than 10 blocks in an interleaved MCU");
    d->ss = s[1 + 2 * ns];
    d->se = s[2 + 2 * ns];
    d->ah = s[3 + 2 * ns] >> 4;
    d->al = s[3 + 2 * ns] & 15;

    if (d->progressive) {
        /* G.1.1.1.1: a DC band alone; AC bands of one component; refinement
         * by one bit at a time. */
        bool dc = d->ss == 0;
        if ((dc && d->se != 0) || (!dc && (d->se < d->ss || d->se > 63 || ns != 1)) ||
            (d->ah != 0 && d->al != d->ah - 1) || d->al > 13)
            return bad(d, "invalid progressive scan parameters (Ss, Se, Ah, Al)");
    }
    for (int i = 0; i < ns; i++) {
        component *cp = d->scan_comp[i];
        /* Only the tables this scan uses must exist (as libjpeg checks). */
        bool needs_dc = !d->progressive || (d->ss == 0 && d->ah == 0);
        bool needs_ac = !d->progressive || d->ss > 0;
        if ((needs_dc && cp->dc_table > 3) || (needs_ac && cp->ac_table > 3))
            return bad(d, "SOS Huffman table number above 3");
        if ((needs_dc && !d->dc_tables[cp->dc_table].defined &&
             !sg_jpeg_huffman_build_standard(&d->dc_tables[cp->dc_table], true, cp->dc_table)) ||
            (needs_ac && !d->ac_tables[cp->ac_table].defined &&
             !sg_jpeg_huffman_build_standard(&d->ac_tables[cp->ac_table], false, cp->ac_table)))
            return bad(d, "scan uses Huffman table 2 or 3, which no DHT defined");
        if (!cp->has_data) {
            /* libjpeg latches a component's quantisation table at its first scan */
            if (!d->quant_defined[cp->quant_index])
                return bad(d, "component uses a quantization table that was never defined");
            memcpy(cp->quant, d->quant[cp->quant_index], sizeof cp->quant);
            cp->has_data = true;
        }
        cp->dc_predictor = 0;
    }
    return SG_OK;
}

/* ---- Scans ------------------------------------------------------------------------ */

/* Blocks in the scan: an interleaved scan covers whole MCUs, a single
 * component only the blocks that hold its real samples (A.2.2). */
static void scan_geometry(const decoder *d, int *units_x, int *units_y)
{
    if (d->scan_ncomp == 1) {
        const component *cp = d->scan_comp[0];
        *units_x = (cp->width + 7) / 8;
        *units_y = (cp->height + 7) / 8;
    } else {
        *units_x = d->mcus_x;
        *units_y = d->mcus_y;
    }
}

/* A restart interval ends (E.2.4 / F.2.1.3): drop leftover bits, read RSTn,
 * reset the DC predictions and the EOB run. A marker out of sequence is
 * handled as libjpeg's default resync does: a marker of an earlier interval
 * is skipped; one of the next two intervals' markers, or any non-RST marker,
 * means this interval's data is missing (the marker stays unread); anything
 * else is taken as the RST. */
static sg_err process_restart(decoder *d)
{
    int expected = d->next_restart;
    d->next_restart = (expected + 1) & 7;
    size_t p = d->bits.pos;
    for (;;) {
        int code;
        size_t start, after;
        if (!find_marker(d, p, &code, &start, &after))
            return bad(d, "data ends where a restart marker (RSTn) was expected");
        bool missing;
        if (code == M_RST0 + expected) {
            missing = false;
        } else if (code < M_SOF0) {
            p = after;                 /* not a valid marker: keep looking */
            continue;
        } else if (code < M_RST0 || code > M_RST7) {
            missing = true;            /* a real marker: the rest of the scan is missing */
        } else {
            int got = code - M_RST0;
            if (got == ((expected + 1) & 7) || got == ((expected + 2) & 7)) {
                missing = true;        /* this interval is missing */
            } else if (got == ((expected + 7) & 7) || got == ((expected + 6) & 7)) {
                p = after;             /* an old marker: look further */
                continue;
            } else {
                missing = false;       /* too far off to tell: take it */
            }
        }
        sg_jpeg_bits_start(&d->bits, d->data, missing ? start : after, d->len);
        d->bits.at_marker = missing;
        if (!missing) d->insufficient = false;
        for (int i = 0; i < d->scan_ncomp; i++) d->scan_comp[i]->dc_predictor = 0;
        d->eob_run = 0;
        return SG_OK;
    }
}

/* Where the IDCT of block (bx, by) of band `band` goes in the ring. */
static uint8_t *strip_block(component *cp, int bx, int by, int band)
{
    ptrdiff_t stride = (ptrdiff_t)cp->blocks_w * 8;
    int blocks_per_band = cp->band_rows / 8;
    int row = (band % 3) * cp->band_rows + (by - band * blocks_per_band) * 8;
    return cp->strip + row * stride + bx * 8;
}

/* Decode one block of the current scan: block (bx, by) of component cp,
 * in band `band` (used when streaming). skip: no data, the block stays
 * empty (all-zero coefficients when streaming, unchanged when buffered). */
static void decode_unit(decoder *d, component *cp, int bx, int by, int band, bool skip)
{
    const sg_jpeg_huffman *dc = &d->dc_tables[cp->dc_table & 3];
    const sg_jpeg_huffman *ac = &d->ac_tables[cp->ac_table & 3];
    if (d->streaming) {
        int16_t coef[64];
        memset(coef, 0, sizeof coef);
        int last = skip ? 0 : sg_jpeg_decode_block(&d->bits, dc, ac, &cp->dc_predictor, coef);
        sg_jpeg_idct_block(coef, cp->quant, last, strip_block(cp, bx, by, band),
                           (ptrdiff_t)cp->blocks_w * 8);
        return;
    }
    if (skip) return;
    int16_t *coef = cp->coefs + ((size_t)by * (size_t)cp->blocks_w + (size_t)bx) * 64;
    if (!d->progressive) {
        memset(coef, 0, 64 * sizeof *coef);
        sg_jpeg_decode_block(&d->bits, dc, ac, &cp->dc_predictor, coef);
    } else if (d->ss == 0 && d->ah == 0) {
        sg_jpeg_decode_dc_first(&d->bits, dc, &cp->dc_predictor, d->al, coef);
    } else if (d->ss == 0) {
        sg_jpeg_decode_dc_refine(&d->bits, d->al, coef);
    } else if (d->ah == 0) {
        sg_jpeg_decode_ac_first(&d->bits, ac, d->ss, d->se, d->al, &d->eob_run, coef);
    } else {
        sg_jpeg_decode_ac_refine(&d->bits, ac, d->ss, d->se, d->al, &d->eob_run, coef);
    }
}

/* Upsample and colour-convert the image rows of band b (whose neighbour
 * bands, where they exist, are in the ring too). */
static void emit_band(decoder *d, int b)
{
    int y0 = b * d->band_out_rows;
    int y1 = y0 + d->band_out_rows < d->height ? y0 + d->band_out_rows : d->height;
    size_t row_bytes = (size_t)d->width * (size_t)d->ncomp;
    for (int y = y0; y < y1; y++) {
        const uint8_t *rows[MAX_COMPONENTS];
        for (int c = 0; c < d->ncomp; c++)
            rows[c] = sg_jpeg_upsample_row(&d->planes[c], y, d->width,
                                           d->scratch + (size_t)c * ((size_t)d->width + 32));
        uint8_t *dst = (uint8_t *)d->out->pixels + (size_t)y * row_bytes;
        switch (d->cs) {
        case CS_GRAY: memcpy(dst, rows[0], (size_t)d->width); break;
        case CS_YCBCR:
            sg_jpeg_ycc_to_rgb_row(&d->tables, rows[0], rows[1], rows[2], dst, d->width);
            break;
        case CS_RGB: sg_jpeg_interleave_row(rows, 3, false, dst, d->width); break;
        case CS_CMYK: sg_jpeg_interleave_row(rows, 4, true, dst, d->width); break;
        case CS_YCCK:
            sg_jpeg_ycck_to_cmyk_row(&d->tables, rows[0], rows[1], rows[2], rows[3], dst, d->width);
            break;
        }
    }
}

/* The entropy-coded segment after an SOS header: MCU after MCU (A.2), with
 * restart intervals. On return d->pos is where marker parsing resumes. */
static sg_err decode_scan(decoder *d)
{
    int units_x, units_y;
    scan_geometry(d, &units_x, &units_y);
    int64_t units = (int64_t)units_x * units_y, blocks = 0;
    for (int i = 0; i < d->scan_ncomp; i++)
        blocks += d->scan_ncomp == 1 ? units : units * d->scan_comp[i]->h * d->scan_comp[i]->v;

    /* Every block of a sequential scan costs at least 2 bits (a DC and an
     * EOB code), of a DC scan at least 1: refuse a scan that cannot fit in
     * what is left before allocating anything for it. */
    int64_t min_bits = !d->progressive ? 2 * blocks : d->ss == 0 ? blocks : 0;
    if ((int64_t)(d->len - d->pos) * 8 < min_bits)
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: truncated JPEG: a scan of %lld blocks needs at least %lld bytes, "
                            "%zu are left", d->name, (long long)blocks,
                            (long long)((min_bits + 7) / 8), d->len - d->pos);
    if (!d->output_ready) {
        sg_err err = setup_output(d);
        if (err != SG_OK) return err;
    }

    sg_jpeg_bits_start(&d->bits, d->data, d->pos, d->len);
    d->eob_run = 0;
    d->next_restart = 0;
    d->insufficient = false;
    int64_t done = 0;
    for (int uy = 0; uy < units_y; uy++) {
        for (int ux = 0; ux < units_x; ux++, done++) {
            if (d->restart_interval && done > 0 && done % d->restart_interval == 0) {
                sg_err err = process_restart(d);
                if (err != SG_OK) return err;
            }
            bool skip = d->insufficient;
            if (d->scan_ncomp == 1) {
                decode_unit(d, d->scan_comp[0], ux, uy, uy, skip);
            } else {
                for (int i = 0; i < d->scan_ncomp; i++) {
                    component *cp = d->scan_comp[i];
                    for (int v = 0; v < cp->v; v++)
                        for (int h = 0; h < cp->h; h++)
                            decode_unit(d, cp, ux * cp->h + h, uy * cp->v + v, uy, skip);
                }
            }
            if (!skip && sg_jpeg_bits_overrun(&d->bits)) {
                if (d->bits.at_end)
                    return sg_error_set(SG_ERR_FORMAT,
                                        "%s: truncated JPEG: the data ends inside MCU %lld of %lld "
                                        "of scan %d", d->name, (long long)done, (long long)units,
                                        d->scan_count + 1);
                d->insufficient = true;
            }
        }
        if (d->streaming && uy > 0) emit_band(d, uy - 1);
    }
    if (d->streaming) {
        emit_band(d, units_y - 1);
        d->done = true;
    }
    d->pos = d->bits.pos;
    d->scan_count++;
    return SG_OK;
}

/* ---- Output --------------------------------------------------------------------------- */

/* libjpeg's rules (jdapimin.c default_decompress_parms), which PIL inherits. */
static color_space pick_color_space(const decoder *d)
{
    if (d->ncomp == 1) return CS_GRAY;
    if (d->ncomp == 3) {
        if (d->saw_jfif) return CS_YCBCR;
        if (d->saw_adobe) return d->adobe_transform == 0 ? CS_RGB : CS_YCBCR;
        if (d->comp[0].id == 'R' && d->comp[1].id == 'G' && d->comp[2].id == 'B') return CS_RGB;
        return CS_YCBCR;
    }
    if (d->saw_adobe) return d->adobe_transform == 0 ? CS_CMYK : CS_YCCK;
    return CS_CMYK;
}

/* Buffered mode, after the last scan: IDCT band by band into the ring,
 * emitting each band once the one below it is ready. */
static void finish_buffered(decoder *d)
{
    for (int b = 0; b < d->band_count; b++) {
        for (int c = 0; c < d->ncomp; c++) {
            component *cp = &d->comp[c];
            int per_band = cp->band_rows / 8;
            for (int by = b * per_band; by < (b + 1) * per_band && by < cp->blocks_h; by++)
                for (int bx = 0; bx < cp->blocks_w; bx++)
                    sg_jpeg_idct_block(cp->coefs + ((size_t)by * cp->blocks_w + bx) * 64, cp->quant,
                                       63, strip_block(cp, bx, by, b), (ptrdiff_t)cp->blocks_w * 8);
        }
        if (b > 0) emit_band(d, b - 1);
    }
    emit_band(d, d->band_count - 1);
}

/* ---- The marker loop (B.2, B.6) ----------------------------------------------------- */

static sg_err decode_markers(decoder *d)
{
    if (d->len < 2 || d->data[0] != 0xFF || d->data[1] != M_SOI)
        return bad(d, "does not start with SOI (FF D8)");
    d->pos = 2;
    for (;;) {
        int code;
        size_t start, after;
        if (!find_marker(d, d->pos, &code, &start, &after)) break;   /* no EOI: end of data */
        d->pos = after;
        if (code == M_EOI) break;
        if ((code >= M_RST0 && code <= M_RST7) || code == M_TEM) continue;   /* no payload */
        if (code == M_SOI) return bad(d, "a second SOI marker");

        /* Every other marker has a segment: 2-byte length, then payload. */
        if (d->len - d->pos < 2) return bad(d, "truncated marker segment");
        size_t seg_len = (size_t)read_u16(d->data + d->pos);
        if (seg_len < 2 || d->len - d->pos < seg_len) return bad(d, "truncated marker segment");
        const uint8_t *s = d->data + d->pos + 2;
        size_t n = seg_len - 2;
        d->pos += seg_len;

        sg_err err = SG_OK;
        if (code == M_SOF0 || code == M_SOF1 || code == M_SOF2) {
            err = read_sof(d, code, s, n);
        } else if (code == 0xC3 || code == 0xCB) {
            err = unsupported(d, "lossless coding");
        } else if ((code >= 0xC5 && code <= 0xC7) || (code >= 0xCD && code <= 0xCF) ||
                   code == M_DHP || code == M_EXP) {
            err = unsupported(d, "hierarchical (differential) coding");
        } else if (code == 0xC9 || code == 0xCA || code == M_DAC) {
            err = unsupported(d, "arithmetic coding");
        } else if (code == 0xC8 || code == M_JPGLS) {
            err = unsupported(d, "JPEG extension (JPG / JPEG-LS) frame");
        } else if (code == M_DHT) {
            err = read_dht(d, s, n);
        } else if (code == M_DQT) {
            err = read_dqt(d, s, n);
        } else if (code == M_DRI) {
            if (n != 2) return bad(d, "DRI segment length is not 4");
            d->restart_interval = read_u16(s);
        } else if (code == M_SOS) {
            err = read_sos(d, s, n);
            if (err == SG_OK) err = decode_scan(d);
            if (err == SG_OK && d->done) return SG_OK;   /* the image is complete */
        } else if ((code >= M_APP0 && code <= M_APP15) || code == M_COM || code == M_DNL ||
                   (code >= M_JPG0 && code <= M_JPG13)) {
            read_app(d, code, s, n);   /* comments, metadata, extensions: skipped */
        } else {
            err = sg_error_set(SG_ERR_FORMAT, "%s: corrupt JPEG: unknown marker FF %02X", d->name,
                               code);
        }
        if (err != SG_OK) return err;
    }
    if (!d->have_frame) return bad(d, "no frame header (SOF) before the end of the data");
    if (d->scan_count == 0) return bad(d, "no scan (SOS) before the end of the data");
    for (int c = 0; c < d->ncomp; c++)
        if (!d->comp[c].has_data)
            return sg_error_set(SG_ERR_FORMAT, "%s: truncated JPEG: component %d never appears in a scan",
                                d->name, c + 1);
    finish_buffered(d);
    return SG_OK;
}

sg_err sg_jpeg_decode(const uint8_t *data, size_t len, const char *name,
                      const sg_image_limits *lim, sg_image *out)
{
    *out = (sg_image){0};
    decoder *d = calloc(1, sizeof *d);
    if (!d) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", name ? name : "JPEG");
    d->data = data;
    d->len = data ? len : 0;
    d->name = name ? name : "<memory>";
    d->max_pixels = lim && lim->max_pixels > 0 ? lim->max_pixels : SG_IMAGE_DEFAULT_MAX_PIXELS;
    d->lim = lim;
    d->out = out;
    sg_err err = decode_markers(d);
    if (err != SG_OK) sg_image_free(out);
    for (int c = 0; c < MAX_COMPONENTS; c++) {
        free(d->comp[c].strip);
        free(d->comp[c].coefs);
    }
    free(d->scratch);
    free(d);
    return err;
}
