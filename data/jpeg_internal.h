/* data/jpeg_internal.h - the pieces of the JPEG decoder that talk to each other.
 *
 * The decoder (ITU-T T.81 | ISO/IEC 10918-1, "T.81" below) is four rooms:
 *   data/jpeg.c          markers, frame and scan headers, the MCU loops, restart
 *                        intervals, and the assembly of the output image;
 *   data/jpeg_huffman.c  the entropy-coded segment: bit reader with byte
 *                        stuffing, Huffman tables (Annex C), sequential block
 *                        decoding (F.2.2) and the progressive procedures (G.1.2);
 *   data/jpeg_idct.c     dequantisation + the inverse DCT (A.3.3) in the integer
 *                        form libjpeg calls "islow";
 *   data/jpeg_color.c    chroma upsampling and colour conversion, in the integer
 *                        forms libjpeg(-turbo) uses, so our pixels match PIL's;
 *   data/jpeg_avx2.c     the x86 twins of the IDCT and colour conversion kernel
 *                        families (SSE2 code, core/kernels/kernels.h).
 * Nothing here is public API: data/image.h declares sg_jpeg_decode. */
#ifndef SG_JPEG_INTERNAL_H
#define SG_JPEG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/kernels/kernels.h"

/* zigzag_to_natural[k] = position (row * 8 + column) of the k-th coefficient
 * in zig-zag order (T.81 Figure A.6). 16 extra entries of 63 let a corrupt run
 * length that overshoots the block land harmlessly on the last coefficient. */
extern const uint8_t sg_jpeg_zigzag_to_natural[64 + 16];

/* ---- Entropy-coded data ------------------------------------------------- */

/* Bits of the entropy-coded segment, most significant first (T.81 F.2.2.5).
 * `buffer` holds `count` valid bits left-aligned. Byte stuffing (0xFF 0x00 ->
 * 0xFF, F.1.2.3) is undone as bytes are loaded. On reaching a marker (or the
 * end of the data) the reader stops in front of it and feeds zero bits, which
 * a valid stream never consumes; `fake_bits` counts them, so
 * sg_jpeg_bits_overrun() tells a truncated or corrupt segment, and at_end
 * whether the data ended (rather than meeting a marker). */
typedef struct sg_jpeg_bits {
    const uint8_t *data;
    size_t pos, len;
    uint64_t buffer;
    int count;
    int64_t fake_bits;
    bool at_marker, at_end;
} sg_jpeg_bits;

void sg_jpeg_bits_start(sg_jpeg_bits *bits, const uint8_t *data, size_t pos, size_t len);
/* Top up the buffer to at least 57 bits (never called with count > 56). */
void sg_jpeg_bits_refill(sg_jpeg_bits *bits);
/* True when bits past the end of the segment were consumed. */
static inline bool sg_jpeg_bits_overrun(const sg_jpeg_bits *bits)
{
    return bits->fake_bits > bits->count;
}

/* Width of the first-level lookup: codes up to this long decode with one
 * table read; longer codes (rare) walk the canonical code lengths. */
enum { SG_JPEG_FAST_BITS = 10 };

/* A decoding table built from a DHT segment (T.81 Annex C, F.2.2.3). */
typedef struct sg_jpeg_huffman {
    bool defined;
    /* (code length << 8) | symbol for every SG_JPEG_FAST_BITS-bit prefix
     * that starts with a code of at most that length; 0 otherwise. */
    uint16_t fast[1 << SG_JPEG_FAST_BITS];
    /* AC tables only: a prefix that holds a whole "run/size code + the
     * coefficient's extra bits" decodes in one step:
     * (value * 256) | (run << 4) | total bits; 0 when it does not fit. */
    int32_t fast_ac[1 << SG_JPEG_FAST_BITS];
    /* Canonical code: limit[l] = (largest code of length l + 1) << (16 - l),
     * i.e. every 16-bit window below limit[l] (and not below limit[l-1])
     * starts with a code of length l; limit[17] is a sentinel. */
    uint32_t limit[18];
    /* symbol index of a length-l code = (window >> (16 - l)) + offset[l] */
    int32_t offset[17];
    uint8_t symbols[256];
    int symbol_count;
} sg_jpeg_huffman;

/* Build a table from the 16 code counts and the symbols of a DHT segment.
 * Returns false (and leaves the table undefined) if the counts describe more
 * codes than fit in their lengths, or if a DC symbol exceeds 15. */
bool sg_jpeg_huffman_build(sg_jpeg_huffman *table, const uint8_t counts[16],
                           const uint8_t *symbols, bool is_dc);

/* The example tables of T.81 Annex K.3 as table `index` (0: luminance,
 * 1: chrominance), for scans that use a table no DHT defined, as libjpeg
 * does. False for other indices. */
bool sg_jpeg_huffman_build_standard(sg_jpeg_huffman *table, bool is_dc, int index);

/* Corrupt data never stops the decoding functions below: a bit pattern that
 * is no code of its table reads as symbol 0, like libjpeg. */

/* One block of a sequential (baseline/extended) scan, F.2.2.1 - F.2.2.2:
 * decodes the DC difference (adding it to *dc_predictor) and the AC
 * coefficients into coef[] (natural order; coef must be all zero on entry).
 * Returns the zig-zag index of the last coefficient written (0 when only the
 * DC is set). */
int sg_jpeg_decode_block(sg_jpeg_bits *bits, const sg_jpeg_huffman *dc,
                         const sg_jpeg_huffman *ac, int *dc_predictor, int16_t coef[64]);

/* Progressive procedures, T.81 G.1.2 (coef in natural order, accumulating
 * across scans). */
void sg_jpeg_decode_dc_first(sg_jpeg_bits *bits, const sg_jpeg_huffman *dc, int *dc_predictor,
                             int al, int16_t coef[64]);
void sg_jpeg_decode_dc_refine(sg_jpeg_bits *bits, int al, int16_t coef[64]);
void sg_jpeg_decode_ac_first(sg_jpeg_bits *bits, const sg_jpeg_huffman *ac, int ss, int se,
                             int al, int *eob_run, int16_t coef[64]);
void sg_jpeg_decode_ac_refine(sg_jpeg_bits *bits, const sg_jpeg_huffman *ac, int ss, int se,
                              int al, int *eob_run, int16_t coef[64]);

/* ---- Inverse DCT -------------------------------------------------------- */

/* Dequantise coef (natural order) with quant (natural order) and write the
 * 8 x 8 level-shifted, clamped samples at out (row stride `stride`).
 * last_zigzag: the zig-zag index of the last possibly non-zero coefficient
 * (0 = DC only, which takes a shortcut with the same result), or 63 if unknown.
 * Runs the kernel table's jpeg_idct: the scalar twin sg_k_jpeg_idct_scalar
 * (jpeg_idct.c, the reference) or the SSE2 one of jpeg_avx2.c, which gives
 * the same samples for every input. */
void sg_jpeg_idct_block(const int16_t coef[64], const uint16_t quant[64], int last_zigzag,
                        uint8_t *out, ptrdiff_t stride);

/* The IDCT's fixed-point constants, shared by the scalar and SSE2 twins. */
enum { SG_JPEG_CONST_BITS = 13, SG_JPEG_PASS1_BITS = 2 };
/* round(c * 2^13) for the cosine combinations of the LLM butterfly network. */
#define SG_JPEG_FIX(c) ((int32_t)((c) * (1 << SG_JPEG_CONST_BITS) + 0.5))
enum {
    SG_JPEG_F0298 = SG_JPEG_FIX(0.298631336), SG_JPEG_F0390 = SG_JPEG_FIX(0.390180644),
    SG_JPEG_F0541 = SG_JPEG_FIX(0.541196100), SG_JPEG_F0765 = SG_JPEG_FIX(0.765366865),
    SG_JPEG_F0899 = SG_JPEG_FIX(0.899976223), SG_JPEG_F1175 = SG_JPEG_FIX(1.175875602),
    SG_JPEG_F1501 = SG_JPEG_FIX(1.501321110), SG_JPEG_F1847 = SG_JPEG_FIX(1.847759065),
    SG_JPEG_F1961 = SG_JPEG_FIX(1.961570560), SG_JPEG_F2053 = SG_JPEG_FIX(2.053119869),
    SG_JPEG_F2562 = SG_JPEG_FIX(2.562915447), SG_JPEG_F3072 = SG_JPEG_FIX(3.072711026),
};
/* The folded pair constants (each fits in 16 bits): even3 = in2 a + in6 b, etc. */
enum {
    SG_JPEG_K_EVEN3_2 = SG_JPEG_F0541 + SG_JPEG_F0765, SG_JPEG_K_EVEN3_6 = SG_JPEG_F0541,
    SG_JPEG_K_EVEN2_2 = SG_JPEG_F0541, SG_JPEG_K_EVEN2_6 = SG_JPEG_F0541 - SG_JPEG_F1847,
    SG_JPEG_K_ZC_3 = SG_JPEG_F1175 - SG_JPEG_F1961, SG_JPEG_K_ZC_4 = SG_JPEG_F1175,
    SG_JPEG_K_ZD_3 = SG_JPEG_F1175, SG_JPEG_K_ZD_4 = SG_JPEG_F1175 - SG_JPEG_F0390,
    SG_JPEG_K_O0_7 = SG_JPEG_F0298 - SG_JPEG_F0899, SG_JPEG_K_O0_1 = -SG_JPEG_F0899,
    SG_JPEG_K_O3_7 = -SG_JPEG_F0899, SG_JPEG_K_O3_1 = SG_JPEG_F1501 - SG_JPEG_F0899,
    SG_JPEG_K_O1_5 = SG_JPEG_F2053 - SG_JPEG_F2562, SG_JPEG_K_O1_3 = -SG_JPEG_F2562,
    SG_JPEG_K_O2_5 = -SG_JPEG_F2562, SG_JPEG_K_O2_3 = SG_JPEG_F3072 - SG_JPEG_F2562,
};

/* True when rows 1-7 of the block are all zero. */
static inline bool sg_jpeg_rows_1_to_7_zero(const int16_t coef[64])
{
    for (int i = 8; i < 64; i++)
        if (coef[i]) return false;
    return true;
}

/* ---- Upsampling and colour ---------------------------------------------- */

/* One component's decoded samples. width x height are its real (downsampled)
 * dimensions, ceil(image_width * H / Hmax) x ceil(image_height * V / Vmax)
 * (T.81 A.1.1). The decoder keeps only a few bands of rows: row r lives in
 * slot (r / band_rows) % slots, at row r % band_rows of that slot. */
typedef struct sg_jpeg_plane {
    const uint8_t *samples;
    ptrdiff_t stride;
    int band_rows, slots;
    int width, height;
    int h_factor, v_factor;   /* Hmax / H and Vmax / V: whole numbers here */
} sg_jpeg_plane;

static inline const uint8_t *sg_jpeg_plane_row(const sg_jpeg_plane *p, int r)
{
    int slot = (r / p->band_rows) % p->slots;
    return p->samples + ((ptrdiff_t)slot * p->band_rows + r % p->band_rows) * p->stride;
}

/* Fixed-point YCbCr -> RGB tables (JFIF / T.871 equations, 16 fraction bits):
 * the kernel family jpeg_ycc_rgb's sg_ycc_tables. */
typedef sg_ycc_tables sg_jpeg_color_tables;

void sg_jpeg_color_tables_init(sg_jpeg_color_tables *t);

/* Samples of output row y (0 <= y < image height) of a plane at full
 * resolution: a pointer into the plane when no upsampling is needed, else
 * `scratch` (at least out_width + 16 bytes) filled by the upsampler. */
const uint8_t *sg_jpeg_upsample_row(const sg_jpeg_plane *plane, int y, int out_width,
                                    uint8_t *scratch);

/* Colour conversions of one row of `width` pixels. YCbCr -> RGB runs the
 * kernel table's jpeg_ycc_rgb: the scalar twin sg_k_jpeg_ycc_rgb_scalar
 * (jpeg_color.c, the reference) or the SSE2 one of jpeg_avx2.c. */
void sg_jpeg_ycc_to_rgb_row(const sg_jpeg_color_tables *t, const uint8_t *y, const uint8_t *cb,
                            const uint8_t *cr, uint8_t *rgb, int width);
/* Adobe YCCK: YCbCr -> RGB, then stored as PIL shows it: (R, G, B, 255 - K). */
void sg_jpeg_ycck_to_cmyk_row(const sg_jpeg_color_tables *t, const uint8_t *y, const uint8_t *cb,
                              const uint8_t *cr, const uint8_t *k, uint8_t *cmyk, int width);
/* Interleave n planes' rows; invert = 255 - sample (Adobe CMYK, as PIL). */
void sg_jpeg_interleave_row(const uint8_t *const rows[], int n, bool invert, uint8_t *out,
                            int width);

#endif
