/* tests/test_jpeg.c - the JPEG decoder (data/jpeg*.c) against Pillow.
 *
 * The golden corpus tests/data/jpeg/ (tests/golden/gen_jpeg.py) holds small
 * files of every variant the decoder handles - baseline, extended (16-bit
 * quantisation tables), progressive, 4:4:4 / 4:2:2 / 4:2:0 / 4:1:1 / 4:4:0
 * and other sampling factors, gray, YCbCr, RGB, CMYK, YCCK, restart
 * intervals, damaged restart markers, missing DHT - with the pixels Pillow
 * 9.4 (libjpeg-turbo 2.1) decodes. We match every one of them bit for bit,
 * so the tests demand exact equality, and print the largest difference when
 * they fail. Refused files must fail with the stated error class and name
 * the file. Every file is then truncated and bit-flipped: decoding must end
 * in an image or a clean error (run this suite under ASan: make sanitize).
 * The SIMD kernels are checked against their scalar twins, and the pieces
 * (IDCT, upsampling, colour) against the textbook formulas. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "core/rng.h"
#include "data/image.h"
#include "data/jpeg_internal.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define CORPUS "tests/data/jpeg"

static const double PI = 3.14159265358979323846;

typedef struct corpus_case {
    char name[128];
    bool ok;
    sg_err expected;   /* for refusals */
} corpus_case;

/* The manifest's cases; *n their count. */
static corpus_case *read_manifest(int *n)
{
    FILE *f = fopen(CORPUS "/manifest.txt", "r");
    ck_assert_msg(f != NULL, "cannot open %s/manifest.txt (run from the repository root)", CORPUS);
    corpus_case *cases = calloc(256, sizeof *cases);
    ck_assert(cases != NULL);
    char line[512];
    int count = 0;
    while (fgets(line, sizeof line, f) && count < 256) {
        char kind[16], name[128], cls[32] = "";
        if (line[0] == '#' || sscanf(line, "%15s %127s %31s", kind, name, cls) < 2) continue;
        corpus_case *c = &cases[count++];
        snprintf(c->name, sizeof c->name, "%s", name);
        c->ok = strcmp(kind, "ok") == 0;
        c->expected = strcmp(cls, "unsupported") == 0 ? SG_ERR_UNSUPPORTED : SG_ERR_FORMAT;
    }
    fclose(f);
    ck_assert_msg(count > 40, "%s/manifest.txt lists only %d cases", CORPUS, count);
    *n = count;
    return cases;
}

static uint8_t *read_case(const corpus_case *c, size_t *len, char *path, size_t path_size)
{
    snprintf(path, path_size, CORPUS "/%s.jpg", c->name);
    return sg_test_read_bytes(path, len);
}

/* Exact comparison with the .npy; prints the largest difference. */
static bool matches_npy(const sg_image *img, const char *name)
{
    char path[256];
    snprintf(path, sizeof path, CORPUS "/%s.npy", name);
    sg_npy a;
    ck_assert_msg(sg_npy_read(path, &a) == SG_OK, "%s", sg_error_message());
    bool same_shape = a.ndim == 3 && a.shape[0] == img->height && a.shape[1] == img->width &&
                      a.shape[2] == img->channels && img->depth == 8;
    if (!same_shape) {
        printf("  %s: expected %lld x %lld x %lld, decoded %d x %d x %d\n", name,
               (long long)a.shape[0], (long long)a.shape[1], (long long)a.shape[2], img->height,
               img->width, img->channels);
        sg_npy_free(&a);
        return false;
    }
    const uint8_t *px = img->pixels;
    double max_diff = 0, sum = 0;
    int64_t worst = 0;
    for (int64_t i = 0; i < a.numel; i++) {
        double d = fabs(px[i] - a.data[i]);
        sum += d;
        if (d > max_diff) max_diff = d, worst = i;
    }
    printf("  %-28s %3d x %3d x %d  max abs diff %g, mean %.4f\n", name, img->height, img->width,
           img->channels, max_diff, sum / (double)a.numel);
    if (max_diff > 0)
        printf("  %s: first worst sample %lld: expected %g, found %d\n", name, (long long)worst,
               a.data[worst], px[worst]);
    sg_npy_free(&a);
    return max_diff == 0;
}

START_TEST(corpus_decodes_exactly_like_pillow)
{
    int n, wrong = 0, checked = 0;
    corpus_case *cases = read_manifest(&n);
    for (int i = 0; i < n; i++) {
        if (!cases[i].ok) continue;
        char path[256];
        size_t len;
        uint8_t *data = read_case(&cases[i], &len, path, sizeof path);
        sg_image img;
        sg_err err = sg_jpeg_decode(data, len, path, NULL, &img);
        free(data);
        if (err != SG_OK) {
            printf("  FAILED %s: %s\n", path, sg_error_message());
            wrong++;
            continue;
        }
        wrong += !matches_npy(&img, cases[i].name);
        checked++;
        sg_image_free(&img);
    }
    free(cases);
    ck_assert_msg(wrong == 0, "%d corpus files differ from Pillow's pixels (see above)", wrong);
    printf("corpus: %d files decode bit-exactly like Pillow\n", checked);
}
END_TEST

START_TEST(unsupported_and_broken_files_are_refused_with_the_right_error)
{
    int n, refused = 0;
    corpus_case *cases = read_manifest(&n);
    for (int i = 0; i < n; i++) {
        if (cases[i].ok) continue;
        char path[256];
        size_t len;
        uint8_t *data = read_case(&cases[i], &len, path, sizeof path);
        sg_image img;
        sg_err err = sg_jpeg_decode(data, len, path, NULL, &img);
        free(data);
        printf("  %-28s -> %s: %s\n", cases[i].name, sg_err_name(err), sg_error_message());
        ck_assert_msg(err == cases[i].expected, "%s: expected %s, got %s", path,
                      sg_err_name(cases[i].expected), sg_err_name(err));
        ck_assert_msg(strstr(sg_error_message(), path) != NULL, "message does not name %s", path);
        ck_assert(img.pixels == NULL);
        refused++;
    }
    free(cases);
    ck_assert_int_ge(refused, 7);
}
END_TEST

/* A gray JPEG: SOI, DQT (all 1), SOF0 w x h, DHT with one 1-bit code in
 * each table (DC: category 0, AC: EOB), SOS, then `data_bytes` zero bytes of
 * entropy data (each block costs 2 bits: DC difference 0, EOB), EOI. */
static uint8_t *tiny_header(int w, int h, size_t data_bytes, size_t *len)
{
    uint8_t *p = calloc(1, 512 + data_bytes);
    ck_assert(p != NULL);
    size_t n = 0;
#define PUT(...)                                                   \
    do {                                                           \
        const uint8_t bytes_[] = {__VA_ARGS__};                    \
        memcpy(p + n, bytes_, sizeof bytes_);                      \
        n += sizeof bytes_;                                        \
    } while (0)
    PUT(0xFF, 0xD8);
    PUT(0xFF, 0xDB, 0x00, 67, 0x00);
    for (int i = 0; i < 64; i++) p[n++] = 1;
    PUT(0xFF, 0xC0, 0x00, 11, 8, (uint8_t)(h >> 8), (uint8_t)h, (uint8_t)(w >> 8), (uint8_t)w, 1,
        1, 0x11, 0);
    for (int table_class = 0; table_class < 2; table_class++) {
        PUT(0xFF, 0xC4, 0x00, 2 + 17 + 1, (uint8_t)(table_class << 4), 1);
        n += 15;        /* no codes of lengths 2..16 (zeros) */
        p[n++] = 0x00;  /* the symbol: DC category 0 / AC EOB */
    }
    PUT(0xFF, 0xDA, 0x00, 8, 1, 1, 0x00, 0, 63, 0);
#undef PUT
    n += data_bytes;    /* zeros */
    p[n++] = 0xFF;
    p[n++] = 0xD9;
    *len = n;
    return p;
}

START_TEST(pixel_limit_and_impossible_sizes_stop_before_allocating)
{
    size_t len;
    sg_image img;
    /* 40000 x 40000 exceeds a 1 M pixel limit: refused from the header. */
    uint8_t *data = tiny_header(40000, 40000, 16, &len);
    sg_image_limits lim = {1 << 20};
    sg_err err = sg_jpeg_decode(data, len, "huge.jpg", &lim, &img);
    ck_assert_msg(err == SG_ERR_LIMIT, "expected limit, got %s: %s", sg_err_name(err),
                  sg_error_message());
    ck_assert(strstr(sg_error_message(), "huge.jpg") != NULL);
    free(data);
    /* 8000 x 8000 is within the default limit, but its 1,000,000 blocks
     * need at least 250,000 bytes of entropy data: 16 bytes cannot be it. */
    data = tiny_header(8000, 8000, 16, &len);
    err = sg_jpeg_decode(data, len, "bomb.jpg", NULL, &img);
    ck_assert_msg(err == SG_ERR_FORMAT && strstr(sg_error_message(), "needs at least"),
                  "expected a truncation error, got %s: %s", sg_err_name(err), sg_error_message());
    free(data);
    /* The same header with enough (all-zero, i.e. flat grey) data decodes:
     * every block is DC 0, so every sample is the level shift, 128. */
    data = tiny_header(64, 40, 64 * 40 / 64 * 2 / 8, &len);
    err = sg_jpeg_decode(data, len, "flat.jpg", NULL, &img);
    ck_assert_msg(err == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(img.width, 64);
    ck_assert_int_eq(img.height, 40);
    ck_assert_int_eq(img.channels, 1);
    for (int i = 0; i < 64 * 40; i++) ck_assert_int_eq(((uint8_t *)img.pixels)[i], 128);
    sg_image_free(&img);
    free(data);
}
END_TEST

/* Decode a private copy of exactly len bytes: an image or a clean error. */
static void decode_damaged(const uint8_t *bytes, size_t len, const char *name, int *ok, int *err)
{
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert(copy != NULL);
    memcpy(copy, bytes, len);
    sg_image_limits lim = {1 << 20};
    sg_image img;
    sg_err e = sg_jpeg_decode(copy, len, name, &lim, &img);
    free(copy);
    if (e == SG_OK) {
        ck_assert(img.pixels && img.width > 0 && img.height > 0 && img.channels >= 1 &&
                  img.channels <= 4);
        sg_image_free(&img);
        (*ok)++;
        return;
    }
    ck_assert_msg(e == SG_ERR_FORMAT || e == SG_ERR_UNSUPPORTED || e == SG_ERR_LIMIT,
                  "%s: unexpected error %s: %s", name, sg_err_name(e), sg_error_message());
    ck_assert_msg(strstr(sg_error_message(), name) != NULL, "%s: message does not name it: %s",
                  name, sg_error_message());
    ck_assert(img.pixels == NULL);
    (*err)++;
}

START_TEST(truncated_and_bit_flipped_files_give_an_image_or_a_clean_error)
{
    int n, ok = 0, err = 0;
    corpus_case *cases = read_manifest(&n);
    for (int i = 0; i < n; i++) {
        char path[256];
        size_t len;
        uint8_t *data = read_case(&cases[i], &len, path, sizeof path);
        /* every length for small files, 300 spread ones for larger */
        size_t cuts = len < 300 ? len : 300;
        for (size_t k = 0; k < cuts; k++)
            decode_damaged(data, cuts == len ? k : k * len / cuts, path, &ok, &err);
        uint8_t *flipped = malloc(len);
        ck_assert(flipped != NULL);
        for (int f = 0; f < 150; f++) {
            sg_rng_key key = {(uint64_t)i, SG_RNG_TEST, (uint64_t)f};
            memcpy(flipped, data, len);
            flipped[sg_rng_u32(key, 0) % len] ^= (uint8_t)(1u << (sg_rng_u32(key, 1) % 8));
            decode_damaged(flipped, len, path, &ok, &err);
        }
        free(flipped);
        free(data);
    }
    free(cases);
    printf("damaged copies: %d decoded, %d refused cleanly\n", ok, err);
    ck_assert_int_gt(ok, 0);
    ck_assert_int_gt(err, 0);
}
END_TEST

/* Random coefficient blocks, from typical to absurd magnitudes. */
static void random_block(uint64_t seed, int index, int16_t coef[64], uint16_t quant[64])
{
    sg_rng_key key = {seed, SG_RNG_TEST, (uint64_t)index};
    int kind = index % 4;   /* 0: sparse small, 1: dense small, 2: DC only, 3: huge */
    for (int k = 0; k < 64; k++) {
        uint32_t r = sg_rng_u32(key, (uint64_t)k);
        int v = (int)(r % 64) - 32;
        if (kind == 0 && (r >> 8) % 4) v = 0;
        if (kind == 2 && k) v = 0;
        if (kind == 3) v = (int)(int16_t)(r >> 8);
        coef[k] = (int16_t)v;
        quant[k] = (uint16_t)(kind == 3 ? 1 + (r >> 24) : 1 + (r >> 26));
    }
    if (kind == 2) coef[0] = (int16_t)((int)(sg_rng_u32(key, 99) % 4096) - 2048);
}

START_TEST(simd_idct_matches_the_scalar_reference_on_every_input)
{
    int16_t coef[64];
    uint16_t quant[64];
    uint8_t a[64], b[64];
    for (int i = 0; i < 20000; i++) {
        random_block(7, i, coef, quant);
        int last = i % 4 == 2 ? 0 : 63;
        sg_jpeg_idct_block(coef, quant, last, a, 8);
        sg_k_jpeg_idct_scalar(coef, quant, last, b, 8);
        for (int k = 0; k < 64; k++)
            ck_assert_msg(a[k] == b[k], "block %d sample %d: %d (dispatch) vs %d (scalar)", i, k,
                          a[k], b[k]);
    }
}
END_TEST

START_TEST(integer_idct_is_within_one_level_of_the_cosine_formula)
{
    /* T.81 A.3.3 in double precision, for blocks a real encoder produces. */
    int16_t coef[64];
    uint16_t quant[64];
    uint8_t got[64];
    double worst = 0;
    for (int i = 0; i < 2000; i++) {
        random_block(11, i * 4, coef, quant);   /* kind 0: sparse, small */
        sg_k_jpeg_idct_scalar(coef, quant, 63, got, 8);
        for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++) {
                double s = 0;
                for (int v = 0; v < 8; v++)
                    for (int u = 0; u < 8; u++) {
                        double cu = u ? 1 : sqrt(0.5), cv = v ? 1 : sqrt(0.5);
                        s += cu * cv * coef[v * 8 + u] * quant[v * 8 + u] *
                             cos((2 * x + 1) * u * PI / 16) * cos((2 * y + 1) * v * PI / 16);
                    }
                double want = fmin(255, fmax(0, s / 4 + 128));
                double d = fabs(want - got[y * 8 + x]);
                if (d > worst) worst = d;
            }
    }
    printf("islow IDCT vs the cosine formula: max abs diff %.3f\n", worst);
    ck_assert_msg(worst < 1.5, "integer IDCT off by %.3f levels", worst);
}
END_TEST

START_TEST(simd_colour_conversion_matches_the_tables_for_all_16m_inputs)
{
    sg_jpeg_color_tables t;
    sg_jpeg_color_tables_init(&t);
    enum { W = 256 * 256 };
    uint8_t *y = malloc(W), *cb = malloc(W), *cr = malloc(W);
    uint8_t *a = malloc(3 * W), *b = malloc(3 * W);
    ck_assert(y && cb && cr && a && b);
    for (int luma = 0; luma < 256; luma++) {
        for (int i = 0; i < W; i++) {
            y[i] = (uint8_t)luma;
            cb[i] = (uint8_t)(i >> 8);
            cr[i] = (uint8_t)i;
        }
        sg_jpeg_ycc_to_rgb_row(&t, y, cb, cr, a, W);
        sg_k_jpeg_ycc_rgb_scalar(&t, y, cb, cr, b, W);
        ck_assert_msg(memcmp(a, b, 3 * W) == 0, "Y = %d: SIMD and table results differ", luma);
    }
    /* odd widths exercise the scalar tail after the 16-pixel steps */
    for (int w = 1; w < 40; w++) {
        memset(a, 0xAA, 3 * 64);
        sg_jpeg_ycc_to_rgb_row(&t, y + 1000, cb + 1000, cr + 1000, a, w);
        sg_k_jpeg_ycc_rgb_scalar(&t, y + 1000, cb + 1000, cr + 1000, b, w);
        ck_assert_msg(memcmp(a, b, 3 * (size_t)w) == 0 && a[3 * w] == 0xAA,
                      "width %d: wrong pixels or a write past the row", w);
    }
    /* and the tables are the JFIF equations, rounded (the 16-bit fixed-point
     * constants may tip an exact half the other way) */
    for (int v = 0; v < 256; v++) {
        ck_assert_msg(fabs(t.cr_to_r[v] - 1.402 * (v - 128)) <= 0.501, "Cr->R at %d", v);
        ck_assert_msg(fabs(t.cb_to_b[v] - 1.772 * (v - 128)) <= 0.501, "Cb->B at %d", v);
        double g = (t.cb_to_g[v] + t.cr_to_g[128]) / 65536.0;
        ck_assert_msg(fabs(g + 0.34414 * (v - 128) - 0.5) <= 0.01, "Cb->G at %d", v);
    }
    free(y), free(cb), free(cr), free(a), free(b);
}
END_TEST

/* libjpeg's upsampling written out directly (the edge cases as special
 * cases, no padding): the reference for sg_jpeg_upsample_row. */
static int ref_upsample(const uint8_t *plane, int stride, int w, int h, int hf, int vf, int x,
                        int y)
{
    int iy = y / vf, ix = x / hf;
    const uint8_t *row = plane + iy * stride;
    if (hf == 2 && vf == 1 && w > 2) {
        int near = row[ix];
        if (x % 2 == 0) return ix == 0 ? near : (3 * near + row[ix - 1] + 1) >> 2;
        return ix == w - 1 ? near : (3 * near + row[ix + 1] + 2) >> 2;
    }
    if (vf == 2 && (hf == 1 || (hf == 2 && w > 2))) {
        int fy = y % 2 ? (iy + 1 < h ? iy + 1 : iy) : (iy > 0 ? iy - 1 : 0);
        const uint8_t *far = plane + fy * stride;
        if (hf == 1) return (3 * row[ix] + far[ix] + (y % 2 ? 2 : 1)) >> 2;
        int c = 3 * row[ix] + far[ix];
        if (x % 2 == 0)
            return ix == 0 ? (4 * c + 8) >> 4 : (3 * c + 3 * row[ix - 1] + far[ix - 1] + 8) >> 4;
        return ix == w - 1 ? (4 * c + 7) >> 4 : (3 * c + 3 * row[ix + 1] + far[ix + 1] + 7) >> 4;
    }
    return row[ix];
}

START_TEST(upsampling_matches_libjpegs_formulas_for_every_ratio_and_width)
{
    static const int ratios[][2] = {{1, 1}, {2, 1}, {1, 2}, {2, 2}, {4, 1}, {3, 1}, {1, 4}, {4, 4}, {2, 4}};
    enum { STRIDE = 96, ROWS = 24 };
    uint8_t plane[STRIDE * ROWS], scratch[4 * STRIDE + 64];
    for (int i = 0; i < STRIDE * ROWS; i++) plane[i] = (uint8_t)sg_rng_u32((sg_rng_key){3, SG_RNG_TEST, 0}, (uint64_t)i);
    for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++) {
        int hf = ratios[r][0], vf = ratios[r][1];
        for (int out_w = 1; out_w <= 70; out_w++) {
            int w = (out_w + hf - 1) / hf, out_h = 3 * vf + 1, h = (out_h + vf - 1) / vf;
            /* one slot holding the whole plane */
            sg_jpeg_plane p = {plane, STRIDE, ROWS, 1, w, h, hf, vf};
            for (int y = 0; y < out_h; y++) {
                const uint8_t *got = sg_jpeg_upsample_row(&p, y, out_w, scratch);
                for (int x = 0; x < out_w; x++) {
                    int want = ref_upsample(plane, STRIDE, w, h, hf, vf, x, y);
                    ck_assert_msg(got[x] == want, "ratio %dx%d, width %d: (%d, %d) = %d, want %d",
                                  hf, vf, out_w, y, x, got[x], want);
                }
            }
        }
    }
    /* rows wider than the filters' 4096-sample chunks */
    enum { WIDE = 9001 };
    uint8_t *wide = malloc(2 * WIDE), *out = malloc(2 * WIDE + 64);
    ck_assert(wide && out);
    for (int i = 0; i < 2 * WIDE; i++) wide[i] = (uint8_t)sg_rng_u32((sg_rng_key){4, SG_RNG_TEST, 0}, (uint64_t)i);
    for (int vf = 1; vf <= 2; vf++) {
        int out_h = 2 * vf;
        sg_jpeg_plane p = {wide, WIDE, 2, 1, WIDE, 2, 2, vf};
        for (int y = 0; y < out_h; y++) {
            const uint8_t *got = sg_jpeg_upsample_row(&p, y, 2 * WIDE, out);
            for (int x = 0; x < 2 * WIDE; x++)
                ck_assert_msg(got[x] == ref_upsample(wide, WIDE, WIDE, 2, 2, vf, x, y),
                              "wide row, ratio 2x%d: (%d, %d)", vf, y, x);
        }
    }
    free(wide);
    free(out);
}
END_TEST

START_TEST(huffman_codes_follow_annex_c_and_bad_codes_read_as_symbol_0)
{
    /* Three codes: lengths 1, 2, 3 -> 0, 10, 110 (C.2); 111 is no code. */
    const uint8_t counts[16] = {1, 1, 1};
    const uint8_t symbols[3] = {0x01, 0x12, 0x00};
    static sg_jpeg_huffman t;
    ck_assert(sg_jpeg_huffman_build(&t, counts, symbols, false));
    /* One block: DC "0" (category 0: difference 0); AC "0" = 0x01 (run 0,
     * size 1) + extra bit "1" -> +1 at zig-zag 1; "10" = 0x12 (run 1,
     * size 2) + "00" -> -3 at zig-zag 3 (F.2.2.1 EXTEND); "110" = EOB.
     * 0 0 1 10 00 110 + padding ones = 0011 0001 1011 1111. */
    static sg_jpeg_huffman dc;
    const uint8_t dc_counts[16] = {1};
    const uint8_t dc_symbols[1] = {0};
    ck_assert(sg_jpeg_huffman_build(&dc, dc_counts, dc_symbols, true));
    const uint8_t stream[] = {0x31, 0xBF, 0xFF, 0xD9};
    sg_jpeg_bits bits;
    sg_jpeg_bits_start(&bits, stream, 0, sizeof stream);
    int16_t coef[64] = {0};
    int pred = 5;
    int last = sg_jpeg_decode_block(&bits, &dc, &t, &pred, coef);
    ck_assert_int_eq(pred, 5);                       /* DC difference 0 */
    ck_assert_int_eq(coef[0], 5);
    ck_assert_int_eq(coef[sg_jpeg_zigzag_to_natural[1]], 1);
    ck_assert_int_eq(coef[sg_jpeg_zigzag_to_natural[3]], -3);
    ck_assert_int_eq(last, 3);
    ck_assert(!sg_jpeg_bits_overrun(&bits));
    /* counts that overflow their lengths are refused */
    const uint8_t too_many[16] = {3};
    const uint8_t any[3] = {0, 1, 2};
    ck_assert(!sg_jpeg_huffman_build(&t, too_many, any, false));
    /* a DC category above 15 is refused */
    const uint8_t big[1] = {16};
    ck_assert(!sg_jpeg_huffman_build(&t, dc_counts, big, true));
    /* 111... is no code of the 3-code table: read as symbol 0 (EOB) */
    ck_assert(sg_jpeg_huffman_build(&t, counts, symbols, false));
    const uint8_t ones[] = {0x7F, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00};   /* DC "0", then ones */
    sg_jpeg_bits_start(&bits, ones, 0, sizeof ones);
    memset(coef, 0, sizeof coef);
    ck_assert_int_eq(sg_jpeg_decode_block(&bits, &dc, &t, &pred, coef), 0);
}
END_TEST

START_TEST(byte_stuffing_and_markers_in_the_bit_reader)
{
    /* FF 00 is a data byte FF; a marker stops the reader, which then feeds
     * zero bits and counts them. */
    const uint8_t data[] = {0xAB, 0xFF, 0x00, 0x12, 0xFF, 0xFF, 0xD0, 0x34};
    sg_jpeg_bits bits;
    sg_jpeg_bits_start(&bits, data, 0, sizeof data);
    sg_jpeg_bits_refill(&bits);
    ck_assert_int_ge(bits.count, 57);
    ck_assert_uint_eq(bits.buffer >> 40, 0xABFF12u);
    ck_assert(bits.at_marker && !bits.at_end);
    ck_assert_uint_eq(bits.pos, 4);                  /* in front of the fill byte + RST0 */
    ck_assert(!sg_jpeg_bits_overrun(&bits));
    bits.buffer <<= 30;                              /* consume 30 bits: 24 real + 6 fake */
    bits.count -= 30;
    ck_assert(sg_jpeg_bits_overrun(&bits));
}
END_TEST

static Suite *jpeg_suite(void)
{
    Suite *s = suite_create("jpeg");
    SG_ADD_TEST(s, corpus_decodes_exactly_like_pillow, 30);
    SG_ADD_TEST(s, unsupported_and_broken_files_are_refused_with_the_right_error, 30);
    SG_ADD_TEST(s, pixel_limit_and_impossible_sizes_stop_before_allocating, 30);
    SG_ADD_TEST(s, truncated_and_bit_flipped_files_give_an_image_or_a_clean_error, 120);
    SG_ADD_TEST(s, simd_idct_matches_the_scalar_reference_on_every_input, 30);
    SG_ADD_TEST(s, integer_idct_is_within_one_level_of_the_cosine_formula, 30);
    SG_ADD_TEST(s, simd_colour_conversion_matches_the_tables_for_all_16m_inputs, 60);
    SG_ADD_TEST(s, upsampling_matches_libjpegs_formulas_for_every_ratio_and_width, 30);
    SG_ADD_TEST(s, huffman_codes_follow_annex_c_and_bad_codes_read_as_symbol_0, 30);
    SG_ADD_TEST(s, byte_stuffing_and_markers_in_the_bit_reader, 30);
    return s;
}

SG_TEST_MAIN(jpeg_suite)
