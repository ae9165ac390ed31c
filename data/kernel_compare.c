/* data/kernel_compare.c - runs one data pipeline kernel family under two
 * kernel tables on the same inputs and compares the outputs bit for bit.
 * `steelgrad info --compare A,B` (quick set) and tests/test_kernels_data.c
 * (full set) share it, so a porter sees the cases the suite checks:
 *   resize_h, resize_v  the real filter tables (data/resize.c) of BILINEAR_AA
 *                       and AREA for many (in, out) pairs, shrinking and
 *                       growing, over counts of rows / columns with every
 *                       tail of 4, 8 and 16 lanes, odd strides, pointers one
 *                       float off alignment; inputs at two scales and (full
 *                       set) with NaN, +-inf, -0 and subnormals among them;
 *   png_unfilter        every filter type and bytes per pixel 1, 2, 3, 4, 6,
 *                       8 over row lengths with every tail of 16, 32 and 64
 *                       bytes, rows 0-3 bytes off alignment;
 *   crc32               lengths with every tail of 8, offsets 0-7, two
 *                       running values;
 *   jpeg_idct           random blocks from small (valid files) to huge
 *                       (corrupt data: 16-bit wrap and saturation), DC-only,
 *                       flat columns, rows 1-7 zero, odd output strides;
 *   jpeg_ycc_rgb        widths with every tail of 16 and 32, offsets;
 *   jpeg_upsample       the three fancy 2:1 filters over widths with every
 *                       tail of 8 and 16 and across the 4096-sample chunks. */
#include "data/kernel_compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/jpeg_internal.h"
#include "data/transform_internal.h"

/* splitmix64: the byte and integer inputs (the float ones come from core/rng.h). */
static uint64_t kc_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void kc_fill_bytes(uint8_t *p, size_t n, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(kc_next(&s) >> 56);
}

/* The first index whose bits differ (any NaN equals any NaN), or -1. */
static int64_t kc_diff_f(const float *a, const float *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(a + i, b + i, sizeof(float)) != 0 && !(isnan(a[i]) && isnan(b[i]))) return i;
    return -1;
}
static int64_t kc_diff_u8(const uint8_t *a, const uint8_t *b, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (a[i] != b[i]) return i;
    return -1;
}

typedef struct kc_ctx {
    int family;
    const sg_kernel_table *a, *b;
    FILE *out;
    int differ;
} kc_ctx;

/* One case: print its line (stdout: always; another stream: only a difference). */
static void kc_report_f(kc_ctx *c, const char *what, int64_t d, const float *fa, const float *fb)
{
    c->differ += d >= 0;
    if (!c->out || (d < 0 && c->out != stdout)) return;
    fprintf(c->out, "%-18s %s: ", sg_kernel_family_name(c->family), what);
    if (d < 0)
        fprintf(c->out, "identical\n");
    else
        fprintf(c->out, "first difference at [%ld]: %s %a (%.9g), %s %a (%.9g)\n", (long)d,
                sg_isa_name(sg_kernel_family_isa(c->a, c->family)), fa[d], fa[d],
                sg_isa_name(sg_kernel_family_isa(c->b, c->family)), fb[d], fb[d]);
}
static void kc_report_u(kc_ctx *c, const char *what, int64_t d, uint64_t va, uint64_t vb)
{
    c->differ += d >= 0;
    if (!c->out || (d < 0 && c->out != stdout)) return;
    fprintf(c->out, "%-18s %s: ", sg_kernel_family_name(c->family), what);
    if (d < 0)
        fprintf(c->out, "identical\n");
    else
        fprintf(c->out, "first difference at [%ld]: %s %#llx, %s %#llx\n", (long)d,
                sg_isa_name(sg_kernel_family_isa(c->a, c->family)), (unsigned long long)va,
                sg_isa_name(sg_kernel_family_isa(c->b, c->family)), (unsigned long long)vb);
}

/* ---- resize passes ---------------------------------------------------------- */

/* Fill n floats: normal values at scale 1 or 300, and at level 1 specials. */
static void kc_fill_floats(float *x, int64_t n, int level, int variant)
{
    sg_rng_fill_normal((sg_rng_key){17, SG_RNG_TEST, (uint64_t)(300 + variant)}, x, n, 0.5f,
                       variant & 1 ? 300.0f : 1.0f);
    if (level > 0 && variant >= 2) {
        static const float specials[] = {NAN, INFINITY, -INFINITY, -0.0f, 1e-40f, -1e-42f, 3e38f};
        for (int64_t i = 3; i < n; i += 53) x[i] = specials[(i / 53) % (sizeof specials / sizeof specials[0])];
    }
    if (variant == 4)   /* every value -0: sums of -0 products */
        for (int64_t i = 0; i < n; i++) x[i] = -0.0f;
}

static void kc_resize(kc_ctx *c, int level)
{
    static const int quick[] = {1, 5, 16, 37, 100};
    static const int full[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 33, 50, 64, 97, 128, 200};
    static const int lines_quick[] = {1, 7, 16, 33};
    static const int lines_full[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 23, 31, 32, 33, 47, 48, 49, 70};
    const int *sizes = level ? full : quick;
    const int ns = level ? (int)(sizeof full / sizeof full[0]) : (int)(sizeof quick / sizeof quick[0]);
    const int *lines_set = level ? lines_full : lines_quick;
    const int nl = level ? (int)(sizeof lines_full / sizeof lines_full[0])
                         : (int)(sizeof lines_quick / sizeof lines_quick[0]);
    const int max_size = 200, max_lines = 70, pad = 3;
    const bool horizontal = c->family == SG_KERNEL_resize_h;
    const size_t cap = (size_t)(max_lines + pad + 1) * (max_size + pad + 1) + 16;
    float *x = malloc(cap * sizeof(float)), *ya = malloc(cap * sizeof(float)), *yb = malloc(cap * sizeof(float));
    size_t table_bytes = 0;
    for (int mi = 0; mi < 2; mi++)
        for (int i = 0; i < ns; i++)
            for (int o = 0; o < ns; o++) {
                const size_t tb = sg_resize_taps_bytes(sizes[i], sizes[o], mi ? SG_RESIZE_AREA : SG_RESIZE_BILINEAR_AA);
                if (tb > table_bytes) table_bytes = tb;
            }
    void *mem = malloc(table_bytes);
    if (!x || !ya || !yb || !mem) {
        c->differ = -1;
        goto done;
    }
    int variant = 0;
    for (int mi = 0; mi < 2; mi++) {
        const sg_resize_mode mode = mi ? SG_RESIZE_AREA : SG_RESIZE_BILINEAR_AA;
        for (int i = 0; i < ns; i++)
            for (int o = 0; o < ns; o++) {
                const int in = sizes[i], out = sizes[o];
                if (in == out && in > 1) continue;   /* resize skips an unchanged axis */
                const sg_resize_taps t = sg_resize_taps_make(in, out, mode, mem);
                const int lines = lines_set[(i * 7 + o * 3 + mi) % nl];
                const int off = (i + o) % 2;                 /* one float off alignment */
                const int64_t sp = (o + mi) % 3;             /* 0..2 extra: odd strides */
                const int v = variant++ % (level ? 5 : 2);
                kc_fill_floats(x, (int64_t)cap, level, v);
                for (size_t q = 0; q < cap; q++) ya[q] = yb[q] = -7.0f;
                char what[96];
                if (horizontal) {
                    const int64_t in_line = in + sp, out_line = out + (sp ^ 1);
                    c->a->resize_h(&t, out, lines, x + off, in_line, ya + off, out_line);
                    c->b->resize_h(&t, out, lines, x + off, in_line, yb + off, out_line);
                    snprintf(what, sizeof what, "%s %d -> %d, %d rows, strides %ld/%ld, variant %d",
                             mi ? "area" : "bilinear_aa", in, out, lines, (long)in_line, (long)out_line, v);
                    kc_report_f(c, what, kc_diff_f(ya, yb, (int64_t)(lines * out_line + off)), ya, yb);
                } else {
                    const int64_t in_step = lines + sp, out_step = lines + (sp ^ 1);
                    c->a->resize_v(&t, out, lines, x + off, in_step, ya + off, out_step);
                    c->b->resize_v(&t, out, lines, x + off, in_step, yb + off, out_step);
                    snprintf(what, sizeof what, "%s %d -> %d, %d columns, steps %ld/%ld, variant %d",
                             mi ? "area" : "bilinear_aa", in, out, lines, (long)in_step, (long)out_step, v);
                    kc_report_f(c, what, kc_diff_f(ya, yb, (int64_t)(out * out_step + off)), ya, yb);
                }
            }
    }
done:
    free(x), free(ya), free(yb), free(mem);
}

/* ---- PNG unfiltering ----------------------------------------------------------- */

static void kc_png(kc_ctx *c, int level)
{
    static const int quick[] = {1, 13, 64, 100, 1001};
    int64_t lengths[120];
    int nlen = 0;
    if (level == 0)
        for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++) lengths[nlen++] = quick[i];
    else {
        for (int i = 0; i <= 97; i++) lengths[nlen++] = i;
        static const int more[] = {127, 128, 129, 191, 192, 193, 255, 256, 257, 1000, 4099, 12289};
        for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) lengths[nlen++] = more[i];
    }
    const size_t cap = 12289 + 64;
    uint8_t *cur = malloc(cap), *prev = malloc(cap), *ra = malloc(cap), *rb = malloc(cap);
    if (!cur || !prev || !ra || !rb) {
        c->differ = -1;
        goto done;
    }
    static const unsigned bpps[] = {1, 2, 3, 4, 6, 8};
    for (unsigned type = 0; type <= 4; type++)
        for (size_t bi = 0; bi < sizeof bpps / sizeof bpps[0]; bi++)
            for (int li = 0; li < nlen; li++) {
                const size_t n = (size_t)lengths[li];
                const unsigned bpp = bpps[bi];
                if (level == 0 && bi % 2) continue;
                const size_t off = (size_t)(li + bi) % 4;
                kc_fill_bytes(cur, cap, 1000 + (uint64_t)li * 31 + type);
                kc_fill_bytes(prev, cap, 2000 + (uint64_t)li * 17 + bi);
                memcpy(ra, cur, cap);
                memcpy(rb, cur, cap);
                c->a->png_unfilter(type, ra + off, prev + (off ^ 1), n, bpp);
                c->b->png_unfilter(type, rb + off, prev + (off ^ 1), n, bpp);
                char what[64];
                snprintf(what, sizeof what, "type %u, bpp %u, %zu bytes, offset %zu", type, bpp, n, off);
                const int64_t d = kc_diff_u8(ra, rb, (int64_t)cap);
                kc_report_u(c, what, d, d >= 0 ? ra[d] : 0, d >= 0 ? rb[d] : 0);
            }
done:
    free(cur), free(prev), free(ra), free(rb);
}

/* ---- CRC-32 ---------------------------------------------------------------------- */

static void kc_crc(kc_ctx *c, int level)
{
    enum { CAP = 70000 };
    uint8_t *p = malloc(CAP);
    if (!p) {
        c->differ = -1;
        return;
    }
    kc_fill_bytes(p, CAP, 77);
    static const uint32_t starts[] = {0, 0xDEADBEEFu};
    const int max_short = level ? 70 : 9;
    for (int s = 0; s < 2; s++)
        for (int n = 0; n <= max_short + 3; n++) {
            const size_t len = n <= max_short ? (size_t)n : (size_t[]){1000, 4099, 65537}[n - max_short - 1];
            for (int off = 0; off < (level ? 8 : 2); off++) {
                const uint32_t ca = c->a->crc32(starts[s], p + off, len), cb = c->b->crc32(starts[s], p + off, len);
                char what[64];
                snprintf(what, sizeof what, "%zu bytes, offset %d, from %#x", len, off, (unsigned)starts[s]);
                kc_report_u(c, what, ca == cb ? -1 : 0, ca, cb);
            }
        }
    free(p);
}

/* ---- JPEG IDCT and colour conversion -------------------------------------------- */

/* A block of kind k: 0 typical (small AC tail), 1 dense small, 2 dense huge
 * (corrupt), 3 DC only, 4 rows 1-7 zero, 5 some columns flat, 6 extreme values. */
static void kc_block(int kind, uint64_t seed, int16_t coef[64], uint16_t quant[64], int *last)
{
    uint64_t s = seed;
    for (int i = 0; i < 64; i++) {
        quant[i] = kind == 2 || kind == 6 ? (uint16_t)(kc_next(&s) >> 48) : (uint16_t)(1 + (kc_next(&s) >> 59) * 4 + i / 4);
        const int64_t r = (int64_t)(kc_next(&s) >> 33) - (1ll << 30);
        coef[i] = kind == 2 || kind == 6 ? (int16_t)(r >> 15) : (int16_t)(r >> 24);
        if (kind == 6) coef[i] = (int16_t)((i & 1) ? 32767 : -32768);
    }
    const int zig = kind == 0 ? 10 : 63;
    for (int k = zig + 1; k < 64; k++) coef[sg_jpeg_zigzag_to_natural[k]] = 0;
    if (kind == 3)
        for (int i = 1; i < 64; i++) coef[i] = 0;
    if (kind == 4)
        for (int i = 8; i < 64; i++) coef[i] = 0;
    if (kind == 5)
        for (int x = 0; x < 8; x += 3)
            for (int y = 1; y < 8; y++) coef[y * 8 + x] = 0;
    *last = kind == 3 ? 0 : zig;
}

/* One report per kind of block: the first block that differs, or "identical". */
static void kc_idct(kc_ctx *c, int level)
{
    static const char *const kinds[] = {"typical", "dense", "corrupt", "dc-only", "rows 1-7 zero", "flat columns",
                                        "extreme"};
    const int per_kind = level ? 500 : 10;
    uint8_t oa[8 * 13 + 8], ob[8 * 13 + 8];
    for (int kind = 0; kind < 7; kind++) {
        int64_t d = -1;
        char what[96];
        snprintf(what, sizeof what, "%d %s blocks, strides 8 and 13", per_kind, kinds[kind]);
        for (int i = 0; i < per_kind && d < 0; i++) {
            int16_t coef[64];
            uint16_t quant[64];
            int last;
            kc_block(kind, 5000 + (uint64_t)(kind * 1000 + i), coef, quant, &last);
            const ptrdiff_t stride = i % 2 ? 13 : 8;
            memset(oa, 0xA5, sizeof oa);
            memset(ob, 0xA5, sizeof ob);
            c->a->jpeg_idct(coef, quant, last, oa, stride);
            c->b->jpeg_idct(coef, quant, last, ob, stride);
            d = kc_diff_u8(oa, ob, (int64_t)sizeof oa);
            if (d >= 0)
                snprintf(what, sizeof what, "%s block %d (last %d, stride %ld)", kinds[kind], i, last, (long)stride);
        }
        kc_report_u(c, what, d, d >= 0 ? oa[d] : 0, d >= 0 ? ob[d] : 0);
    }
}

static void kc_ycc(kc_ctx *c, int level)
{
    enum { MAXW = 4099 };
    uint8_t *y = malloc(3 * (MAXW + 8)), *ra = malloc(3 * MAXW + 64), *rb = malloc(3 * MAXW + 64);
    if (!y || !ra || !rb) {
        c->differ = -1;
        goto done;
    }
    uint8_t *cb = y + MAXW + 8, *cr = cb + MAXW + 8;
    kc_fill_bytes(y, 3 * (MAXW + 8), 99);
    for (int i = 0; i < 64; i++) y[i * 7] = 0, cb[i * 5] = 255, cr[i * 3] = 0, cb[i * 11 + 1] = 0, cr[i * 13 + 2] = 255;
    sg_ycc_tables t;
    sg_jpeg_color_tables_init(&t);
    static const int quick[] = {1, 17, 18, 34, 100, 1000};
    int widths[120], nw = 0;
    if (level == 0)
        for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++) widths[nw++] = quick[i];
    else {
        for (int i = 0; i <= 99; i++) widths[nw++] = i;
        widths[nw++] = 255, widths[nw++] = 1000, widths[nw++] = 4099;
    }
    for (int wi = 0; wi < nw; wi++) {
        const int w = widths[wi], off = wi % 5;
        memset(ra, 0x5A, 3 * MAXW + 64);
        memset(rb, 0x5A, 3 * MAXW + 64);
        c->a->jpeg_ycc_rgb(&t, y + off, cb + (off ^ 1), cr + (off ^ 2), ra + off, w);
        c->b->jpeg_ycc_rgb(&t, y + off, cb + (off ^ 1), cr + (off ^ 2), rb + off, w);
        char what[64];
        snprintf(what, sizeof what, "%d pixels, offset %d", w, off);
        const int64_t d = kc_diff_u8(ra, rb, 3 * MAXW + 64);
        kc_report_u(c, what, d, d >= 0 ? ra[d] : 0, d >= 0 ? rb[d] : 0);
    }
done:
    free(y), free(ra), free(rb);
}

/* Upsampling: each kind over widths with every tail of the 8- and 16-sample
 * vector steps and across the 4096-sample chunks of the padded rows. */
static void kc_upsample(kc_ctx *c, int level)
{
    enum { MAXN = 8200 };
    uint8_t *near = malloc(MAXN + 16), *far = malloc(MAXN + 16), *ra = malloc(2 * MAXN + 64),
            *rb = malloc(2 * MAXN + 64);
    if (!near || !far || !ra || !rb) {
        c->differ = -1;
        goto done;
    }
    kc_fill_bytes(near, MAXN + 16, 123);
    kc_fill_bytes(far, MAXN + 16, 456);
    for (int i = 0; i < MAXN; i += 9) near[i] = 255, far[i + 4] = 255, near[i + 2] = 0;
    static const int quick[] = {3, 17, 40, 1000};
    int widths[130], nw = 0;
    if (level == 0)
        for (size_t i = 0; i < sizeof quick / sizeof quick[0]; i++) widths[nw++] = quick[i];
    else {
        for (int i = 1; i <= 99; i++) widths[nw++] = i;
        static const int more[] = {255, 256, 1000, 4095, 4096, 4097, 4099, 8192, 8193};
        for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) widths[nw++] = more[i];
    }
    static const char *const names[] = {"h2", "v2", "h2v2"};
    for (int kind = SG_JPEG_UP_H2; kind <= SG_JPEG_UP_H2V2; kind++)
        for (int wi = 0; wi < nw; wi++) {
            const int n = widths[wi], off = wi % 3;
            if (kind != SG_JPEG_UP_V2 && n <= 2) continue;   /* the decoder replicates those */
            for (int bias = 1; bias <= (kind == SG_JPEG_UP_V2 ? 2 : 1); bias++) {
                memset(ra, 0x3C, 2 * MAXN + 64);
                memset(rb, 0x3C, 2 * MAXN + 64);
                c->a->jpeg_upsample((sg_jpeg_up_kind)kind, near + off, far + (off ^ 1), n, bias, ra + off);
                c->b->jpeg_upsample((sg_jpeg_up_kind)kind, near + off, far + (off ^ 1), n, bias, rb + off);
                char what[64];
                snprintf(what, sizeof what, "%s, %d samples, bias %d, offset %d", names[kind], n, bias, off);
                const int64_t d = kc_diff_u8(ra, rb, 2 * MAXN + 64);
                kc_report_u(c, what, d, d >= 0 ? ra[d] : 0, d >= 0 ? rb[d] : 0);
            }
        }
done:
    free(near), free(far), free(ra), free(rb);
}

int sg_data_kernel_compare(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level, FILE *out)
{
    kc_ctx c = {.family = family, .a = a, .b = b, .out = out, .differ = 0};
    switch (family) {
    case SG_KERNEL_resize_h:
    case SG_KERNEL_resize_v: kc_resize(&c, level); break;
    case SG_KERNEL_png_unfilter: kc_png(&c, level); break;
    case SG_KERNEL_crc32: kc_crc(&c, level); break;
    case SG_KERNEL_jpeg_idct: kc_idct(&c, level); break;
    case SG_KERNEL_jpeg_ycc_rgb: kc_ycc(&c, level); break;
    case SG_KERNEL_jpeg_upsample: kc_upsample(&c, level); break;
    default: break;
    }
    return c.differ;
}
