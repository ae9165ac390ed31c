/* cli/info.c - `steelgrad info`: version, compiler, CPU, ISA, threads; and
 * `info --compare A,B`: every kernel family run on the same fixed random inputs
 * under two ISAs, the first element where they differ (for a porter hunting a
 * mismatch: the family and the case that break the digest). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/compare_ew.h"
#include "core/cpu.h"
#include "core/init.h"
#include "core/kernels/kernels.h"
#include "core/kernels/conv_compare.h"
#include "core/kernels/norm_compare.h"
#include "core/pool.h"
#include "core/rng.h"
#include "data/kernel_compare.h"

static const sg_cli_command info_cmd = {
    "info", "steelgrad info [--json] [--compare ISA,ISA]",
    "Print the version, the compiler, the CPU features, the kernel ISA in use and the threads. "
    "--compare runs every kernel family (every SGEMM transpose case with tails, alpha and beta; "
    "each reduction; the optimiser updates, elementwise ops and activations on every tail with "
    "NaN, infinities and subnormals among the inputs; the math functions over a sweep of floats; "
    "the resize passes over real filter tables, PNG unfiltering, CRC-32 and the JPEG IDCT, colour "
    "conversion and upsampling) "
    "on the same fixed random inputs under two ISAs and prints, per case, "
    "'identical' or the first element that differs with both values; exit 1 if any differs."};

/* ---- --compare ------------------------------------------------------------------- */

/* The first element whose bits differ, or -1. */
static int64_t first_diff(const float *x, const float *y, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        if (memcmp(x + i, y + i, sizeof(float)) != 0) return i;
    return -1;
}

/* SGEMM: the four transpose cases on shapes with tails of every tile and a K
 * across a k-panel boundary, beta 0 (over NaN) and not. Returns the cases that differ. */
static int compare_sgemm(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static const struct { int M, N, K; float alpha, beta; } cases[] = {
        {1, 1, 1, 1.0f, 0.0f}, {4, 16, 8, 1.0f, 0.0f}, {7, 13, 29, -0.5f, 1.0f},
        {37, 47, 257, 2.5f, 0.3f}, {13, 33, 520, 1.0f, -0.75f},
    };
    enum { MAXM = 37, MAXN = 47, MAXK = 520 };
    float *A = malloc(sizeof(float) * MAXM * MAXK), *B = malloc(sizeof(float) * MAXK * MAXN);
    float *C0 = malloc(sizeof(float) * MAXM * MAXN), *Ca = malloc(sizeof(float) * MAXM * MAXN),
          *Cb = malloc(sizeof(float) * MAXM * MAXN);
    if (!A || !B || !C0 || !Ca || !Cb) {
        free(A), free(B), free(C0), free(Ca), free(Cb);
        fprintf(stderr, "steelgrad info: --compare: out of memory\n");
        return 1;
    }
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 1}, A, MAXM * MAXK, 0, 1);
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 2}, B, MAXK * MAXN, 0, 1);
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 3}, C0, MAXM * MAXN, 0, 1);
    int differ = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
        for (int tr = 0; tr < 4; tr++) {
            const int M = cases[c].M, N = cases[c].N, K = cases[c].K;
            const bool ta = tr & 1, tb = tr & 2;
            const float alpha = cases[c].alpha, beta = cases[c].beta;
            for (int64_t i = 0; i < (int64_t)M * N; i++) Ca[i] = beta == 0.0f ? NAN : C0[i];
            memcpy(Cb, Ca, sizeof(float) * (size_t)M * (size_t)N);
            a->sgemm(ta, tb, M, N, K, alpha, A, ta ? M : K, B, tb ? K : N, beta, Ca, N);
            b->sgemm(ta, tb, M, N, K, alpha, A, ta ? M : K, B, tb ? K : N, beta, Cb, N);
            const int64_t d = first_diff(Ca, Cb, (int64_t)M * N);
            printf("sgemm  %c%c M=%-2d N=%-2d K=%-3d alpha=%g beta=%g: ", ta ? 'T' : 'N', tb ? 'T' : 'N', M, N,
                   K, alpha, beta);
            if (d < 0) {
                printf("identical\n");
                continue;
            }
            differ++;
            printf("first difference at C[%ld][%ld]: %s %a (%.9g), %s %a (%.9g)\n", (long)(d / N), (long)(d % N),
                   sg_isa_name(a->sgemm_isa), Ca[d], Ca[d], sg_isa_name(b->sgemm_isa), Cb[d], Cb[d]);
        }
    free(A), free(B), free(C0), free(Ca), free(Cb);
    return differ;
}

/* The canonical reductions: each op on lengths with every tail, unaligned. */
static int compare_sums(const sg_kernel_table *a, const sg_kernel_table *b)
{
    enum { MAXN = 1000 };
    static const char *const names[] = {"plain", "sq_dev", "dot", "dot_dev"};
    static const int64_t lengths[] = {0, 1, 15, 16, 17, 100, 999};
    float x[MAXN + 1], y[MAXN + 1];
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 4}, x, MAXN + 1, 0.5f, 2);
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 5}, y, MAXN + 1, -0.25f, 1);
    int differ = 0;
    for (int op = SG_SUMS_PLAIN; op <= SG_SUMS_DOT_DEV; op++)
        for (size_t l = 0; l < sizeof lengths / sizeof lengths[0]; l++) {
            const int64_t n = lengths[l];
            /* x + 1: not 16-byte aligned */
            const double ra = a->sums((sg_sums_op)op, x + 1, y, 0.375, n);
            const double rb = b->sums((sg_sums_op)op, x + 1, y, 0.375, n);
            printf("sums   %-7s n=%-3ld: ", names[op], (long)n);
            if (memcmp(&ra, &rb, sizeof ra) == 0) {
                printf("identical\n");
                continue;
            }
            differ++;
            printf("differs: %s %a (%.17g), %s %a (%.17g)\n", sg_isa_name(a->sums_isa), ra, ra,
                   sg_isa_name(b->sums_isa), rb, rb);
        }
    return differ;
}

/* Depthwise planes: 3x3 and 5x5, stride 1 and 2, odd widths (every row tail). */
static const struct { int64_t H, W, K, stride, pad; } DW_CASES[] = {
    {19, 23, 3, 1, 1}, {17, 29, 3, 2, 1}, {21, 19, 5, 1, 2}, {23, 31, 5, 2, 2}, {7, 5, 3, 1, 0},
};
enum { DW_MAX = 31 * 31 };

static sg_dw_geom dw_geom(size_t c)
{
    const int64_t H = DW_CASES[c].H, W = DW_CASES[c].W, K = DW_CASES[c].K, s = DW_CASES[c].stride,
                  p = DW_CASES[c].pad;
    return (sg_dw_geom){H, W, (H + 2 * p - K) / s + 1, (W + 2 * p - K) / s + 1, K, K, s, s, 1, 1, p, p};
}

/* Print "identical" or the first differing element of an OH x OW (or H x W) plane. */
static int report_plane(const char *what, const sg_dw_geom *g, int64_t rows, int64_t cols, const float *ya,
                        const float *yb, sg_isa ia, sg_isa ib)
{
    printf("%-16s %2ldx%-2ld k%ld s%ld p%ld: ", what, (long)g->H, (long)g->W, (long)g->KH, (long)g->stride_h,
           (long)g->pad_top);
    const int64_t d = first_diff(ya, yb, rows * cols);
    if (d < 0) {
        printf("identical\n");
        return 0;
    }
    printf("first difference at [%ld][%ld]: %s %a (%.9g), %s %a (%.9g)\n", (long)(d / cols), (long)(d % cols),
           sg_isa_name(ia), ya[d], ya[d], sg_isa_name(ib), yb[d], yb[d]);
    return 1;
}

static int compare_dw_forward(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float x[DW_MAX], w[25], ya[DW_MAX], yb[DW_MAX];
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 6}, x, DW_MAX, 0, 1);
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 7}, w, 25, 0, 1);
    int differ = 0;
    for (size_t c = 0; c < sizeof DW_CASES / sizeof DW_CASES[0]; c++)
        for (int acc = 0; acc < 2; acc++) {
            const sg_dw_geom g = dw_geom(c);
            sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 8}, ya, DW_MAX, 0, 1);
            memcpy(yb, ya, sizeof ya);
            a->dw_forward(&g, x, w, 0.25f, acc, ya);
            b->dw_forward(&g, x, w, 0.25f, acc, yb);
            differ += report_plane(acc ? "dw_forward acc" : "dw_forward", &g, g.OH, g.OW, ya, yb,
                                   a->dw_forward_isa, b->dw_forward_isa);
        }
    return differ;
}

static int compare_dw_backward_data(const sg_kernel_table *a, const sg_kernel_table *b)
{
    static float dy[DW_MAX], w[25], da[DW_MAX], db[DW_MAX];
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 9}, dy, DW_MAX, 0, 1);
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 10}, w, 25, 0, 1);
    int differ = 0;
    for (size_t c = 0; c < sizeof DW_CASES / sizeof DW_CASES[0]; c++) {
        const sg_dw_geom g = dw_geom(c);
        sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 11}, da, DW_MAX, 0, 1);
        memcpy(db, da, sizeof da);
        a->dw_backward_data(&g, dy, w, da);
        b->dw_backward_data(&g, dy, w, db);
        differ += report_plane("dw_backward_data", &g, g.H, g.W, da, db, a->dw_backward_data_isa,
                               b->dw_backward_data_isa);
    }
    return differ;
}

/* The weight gradient over 3 images; dw starts from random values (it accumulates). */
static int compare_dw_backward_weight(const sg_kernel_table *a, const sg_kernel_table *b)
{
    enum { IMAGES = 3 };
    static float x[IMAGES * DW_MAX], dy[IMAGES * DW_MAX], da[25], db[25];
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 12}, x, IMAGES * DW_MAX, 0, 1);
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 13}, dy, IMAGES * DW_MAX, 0, 1);
    int differ = 0;
    for (size_t c = 0; c < sizeof DW_CASES / sizeof DW_CASES[0]; c++) {
        const sg_dw_geom g = dw_geom(c);
        sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 14}, da, 25, 0, 1);
        memcpy(db, da, sizeof da);
        a->dw_backward_weight(&g, IMAGES, x, DW_MAX, dy, DW_MAX, da);
        b->dw_backward_weight(&g, IMAGES, x, DW_MAX, dy, DW_MAX, db);
        differ += report_plane("dw_backward_wt", &g, g.KH, g.KW, da, db, a->dw_backward_weight_isa,
                               b->dw_backward_weight_isa);
    }
    return differ;
}

/* Normalisation, softmax and pooling families: core/kernels/norm_compare.c runs each
 * on lengths with every tail, unaligned, with and without affine/activation. */
#define COMPARE_NORM_(family, fn_type)                                                  \
    static int compare_##family(const sg_kernel_table *a, const sg_kernel_table *b) \
    {                                                                                 \
        return sg_k_norm_compare(SG_KERNEL_##family, a, b, 0, stdout);              \
    }
SG_KERNEL_FAMILIES_NORM(COMPARE_NORM_)
SG_KERNEL_FAMILIES_POOL(COMPARE_NORM_)
#undef COMPARE_NORM_
/* im2col, col2im and resizing: core/kernels/conv_compare.c over kernel shapes,
 * strides, padding, dilation, widths with every tail and chunks cut inside
 * rows; resize sizes 1:1, 2x, fractional up and down; reductions over walks
 * of 0..2 dims, run lengths with every tail, NaN and ties. */
#define COMPARE_CONV_(family, fn_type)                                              \
    static int compare_##family(const sg_kernel_table *a, const sg_kernel_table *b) \
    {                                                                               \
        return sg_k_conv_compare(SG_KERNEL_##family, a, b, 0, stdout);            \
    }
SG_KERNEL_FAMILIES_CONV(COMPARE_CONV_)
SG_KERNEL_FAMILIES_RESIZE(COMPARE_CONV_)
SG_KERNEL_FAMILIES_REDUCE(COMPARE_CONV_)
#undef COMPARE_CONV_

/* Data pipeline families (resize passes, PNG unfiltering, CRC-32, JPEG IDCT
 * and colour conversion): data/kernel_compare.c's quick set. */
#define COMPARE_DATA_(family, fn_type)                                                  \
    static int compare_##family(const sg_kernel_table *a, const sg_kernel_table *b) \
    {                                                                                 \
        return sg_data_kernel_compare(SG_KERNEL_##family, a, b, 0, stdout);         \
    }
SG_KERNEL_FAMILIES_DATA(COMPARE_DATA_)
#undef COMPARE_DATA_

/* "avx2,scalar": parse, check the machine runs both, compare every family. */
static int compare_isas(const char *spec)
{
    const char *comma = strchr(spec, ',');
    char first[32];
    sg_isa isa[2];
    if (!comma || strchr(comma + 1, ',') || (size_t)(comma - spec) >= sizeof first) {
        fprintf(stderr, "steelgrad info: --compare: expected two ISAs as A,B (e.g. avx2,scalar), got '%s'\n", spec);
        return SG_EXIT_USAGE;
    }
    memcpy(first, spec, (size_t)(comma - spec));
    first[comma - spec] = '\0';
    const char *names[2] = {first, comma + 1};
    for (int i = 0; i < 2; i++)
        if (sg_isa_parse(names[i], &isa[i]) != SG_OK) {
            fprintf(stderr, "steelgrad info: --compare: %s\n", sg_error_message());
            return SG_EXIT_USAGE;
        }
    const sg_kernel_table *t[2];
    for (int i = 0; i < 2; i++)
        if (!(t[i] = sg_kernels_for(isa[i]))) {
            fprintf(stderr, "steelgrad info: --compare: this CPU/OS cannot run %s kernels (has: %s)\n",
                    sg_isa_name(isa[i]), sg_cpu_feature_string());
            return SG_EXIT_FAIL;
        }
    printf("compare %s with %s: every kernel family on the same fixed random inputs\n", sg_isa_name(isa[0]),
           sg_isa_name(isa[1]));
    for (int k = 0; k < SG_KERNEL_FAMILY_COUNT; k++)
        printf("%-17s %s runs %s, %s runs %s\n", sg_kernel_family_name(k), sg_isa_name(isa[0]),
               sg_isa_name(sg_kernel_family_isa(t[0], k)), sg_isa_name(isa[1]),
               sg_isa_name(sg_kernel_family_isa(t[1], k)));
    int differ = 0;
    /* One function per family of SG_KERNEL_FAMILIES: a new family without one fails to build. */
#define COMPARE_(family, fn_type) differ += compare_##family(t[0], t[1]);
    SG_KERNEL_FAMILIES(COMPARE_)
#undef COMPARE_
    printf(differ ? "%d cases differ\n" : "identical in every case\n", differ);
    return differ ? SG_EXIT_FAIL : SG_EXIT_OK;
}

int cmd_info(int argc, char **argv)
{
    bool json = false, done;
    char *compare = NULL;
    sg_cli_opt opts[] = {
        {.name = "json", .type = SG_OPT_FLAG, .dest = &json, .help = "one JSON object instead of text"},
        {.name = "compare", .type = SG_OPT_STRING, .dest = &compare, .arg = "ISA,ISA",
         .help = "run every kernel family under both ISAs; print the first element that differs"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&info_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (compare) return compare_isas(compare);
    const sg_cpu_features *f = sg_cpu();
#if defined(__clang__)
    const char *compiler = "clang " __clang_version__;
#elif defined(__GNUC__)
    const char *compiler = "gcc " __VERSION__;
#else
    const char *compiler = "unknown";
#endif
#ifdef SG_OPENMP
    const char *threading = "openmp";
#else
    const char *threading = "pthreads";
#endif
    const sg_kernel_table *t = sg_kernels();
    const char *isa = sg_isa_name(t->isa);
    if (json) {
        printf("{\"version\":\"%s\",\"compiler\":\"%s\",\"cpu\":\"%s\",\"features\":\"%s\","
               "\"isa\":\"%s\",\"best_isa\":\"%s\",\"kernels\":{",
               SG_VERSION, compiler, f->brand[0] ? f->brand : f->vendor, sg_cpu_feature_string(),
               isa, sg_isa_name(sg_isa_best()));
        for (int k = 0; k < SG_KERNEL_FAMILY_COUNT; k++)
            printf("%s\"%s\":\"%s\"", k ? "," : "", sg_kernel_family_name(k),
                   sg_isa_name(sg_kernel_family_isa(t, k)));
        printf("},\"threads\":%d,\"threading\":\"%s\"}\n", sg_threads(), threading);
        return SG_EXIT_OK;
    }
    char isas[128];
    printf("steelgrad %s\n", SG_VERSION);
    printf("compiler:  %s\n", compiler);
    printf("cpu:       %s\n", f->brand[0] ? f->brand : f->vendor[0] ? f->vendor : "unknown");
    printf("features:  %s\n", sg_cpu_feature_string());
    printf("isa:       %s (best available: %s; set SG_ISA=%s to force)\n", isa,
           sg_isa_name(sg_isa_best()), sg_isa_names_joined("|", isas, sizeof isas));
    /* Per kernel family, whose implementation runs: the truth, not the ISA's name. */
    for (int k = 0; k < SG_KERNEL_FAMILY_COUNT; k++) {
        sg_isa impl = sg_kernel_family_isa(t, k);
        char label[32];
        snprintf(label, sizeof label, "%s:", sg_kernel_family_name(k));
        if (impl == t->isa)
            printf("%-10s %s\n", label, sg_isa_name(impl));
        else
            printf("%-10s %s (%s runs the %s kernel)\n", label, sg_isa_name(impl), isa, sg_isa_name(impl));
    }
    printf("threads:   %d (%s; set SG_THREADS to change)\n", sg_threads(), threading);
    return SG_EXIT_OK;
}
