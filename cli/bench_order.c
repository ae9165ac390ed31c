/* cli/bench_order.c - `steelgrad bench order`: what the canonical order costs.
 * Issue 17 asks that the canonical order (core/sum.h's 16 double lanes and
 * fixed tree, also for softmax's sum of exps; SGEMM's one fma per k in
 * increasing k) cost no more than 3 % against the same kernels with a free
 * order. Each line times the library's kernel (the active table, one thread)
 * against a free-order variant written for speed that exists only in this
 * bench (cli/bench_order_avx512.c states each), on the sizes of real layers:
 *   sum, dot     1M floats (sums PLAIN and DOT)
 *   bn_stats     BatchNorm's batch statistics of 32x64x56x56: per channel the
 *                sum over the 32 planes, then the squared deviations
 *                (layers/norm.c's loop; sums PLAIN and SQ_DEV per plane)
 *   softmax      rows of 1000 (1000 rows) and of 256 (4096 rows), the
 *                kernel's single-row path (softmax_forward, w = 1)
 *   sgemm        C = A B, 512 x 784 x 1152 (a ResNet-50 3x3 conv's GEMM)
 * Free variants: "double" keeps the canonical terms in double and frees only
 * the order (64 chains, any final reduction); "float" also drops to float
 * accumulators. For SGEMM the one freedom a BLAS takes over our order is k
 * blocking with each block's partial sums added into C (BLIS's kc loop: for a
 * kc block, acc from 0, then C = C + acc): "kc384" runs our own driver and
 * kernels that way (three blocks of 384), so it times the order change
 * alone, not another microkernel.
 * One JSON line per kernel and free variant:
 *   {"bench":"order","kernel":"softmax","size":"1000x1000","isa":"avx512","free":"float",
 *    "canonical_ms":..,"free_ms":..,"ratio":..,"max_rel_diff":..}
 * ratio = canonical_ms / free_ms (1.03: the canonical order costs 3 %);
 * max_rel_diff: the largest relative difference of the two results (they
 * differ only by rounding; for SGEMM the largest difference over the largest
 * |C|, since elements near 0 are cancellations). Each time is the fastest of
 * runs alternated canonical / free for at least --seconds per pair, after a
 * warm-up, in the thread's CPU time (CLOCK_THREAD_CPUTIME_ID). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/gemm.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/rng.h"

bool sg_bench_free_available(void);
double sg_bench_free_sums(bool in_double, sg_sums_op op, const float *x, const float *y, double center, int64_t n);
void sg_bench_free_softmax_row(bool in_double, const float *x, float *y, int64_t D);

static const sg_cli_command order_cmd = {
    "bench order", "steelgrad bench order [--seconds X]",
    "Time the canonical-order kernels (the active table, one thread) against free-order\n"
    "variants of the same computations written for speed in the bench only (AVX-512):\n"
    "sum and dot of 1M floats, BatchNorm statistics of 32x64x56x56, softmax rows of 1000\n"
    "and 256, SGEMM 512x784x1152 (free: k blocks of 384 added into C). One JSON line per\n"
    "kernel and free variant: {\"bench\":\"order\",\"kernel\":..,\"size\":..,\"isa\":..,\"free\":..,\n"
    "\"canonical_ms\":..,\"free_ms\":..,\"ratio\":..,\"max_rel_diff\":..}; ratio = canonical / free, times\n"
    "in the thread's CPU time, the fastest of alternated repeats.\n"
    "--seconds: time per line, at least (default 0.3)."};

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
/* Timings are the calling thread's CPU time (everything runs on it: one
 * thread), which other processes on a shared machine disturb far less than
 * wall time; the --seconds budget is wall time. */
static double cpu_now(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }
static double now(void) { return clock_s(CLOCK_MONOTONIC); }

typedef enum ob_kernel { OB_SUM, OB_DOT, OB_BN, OB_SOFTMAX, OB_SGEMM } ob_kernel;

typedef struct ob_case {
    ob_kernel kernel;
    const char *name;
    int64_t a, b, c, d;       /* sizes: n; N C H W; rows D; M N K */
} ob_case;

static const ob_case CASES[] = {
    {OB_SUM, "sum", 1 << 20, 0, 0, 0},          {OB_DOT, "dot", 1 << 20, 0, 0, 0},
    {OB_BN, "bn_stats", 32, 64, 56, 56},         {OB_SOFTMAX, "softmax", 1000, 1000, 0, 0},
    {OB_SOFTMAX, "softmax", 4096, 256, 0, 0},    {OB_SGEMM, "sgemm", 512, 784, 1152, 0},
};

typedef struct ob_bufs {
    float *x, *y, *out_c, *out_f;   /* inputs; the two results */
    double *st_c, *st_f;            /* per-channel statistics */
} ob_bufs;

/* Runs the canonical (free = false) or the free computation of case k once. */
static void ob_run(const ob_case *k, const ob_bufs *B, bool free_order, bool in_double, double *scalar_out)
{
    const sg_kernel_table *t = sg_kernels();
    switch (k->kernel) {
    case OB_SUM:
    case OB_DOT: {
        const sg_sums_op op = k->kernel == OB_SUM ? SG_SUMS_PLAIN : SG_SUMS_DOT;
        *scalar_out = free_order ? sg_bench_free_sums(in_double, op, B->x, B->y, 0, k->a)
                                 : t->sums(op, B->x, B->y, 0, k->a);
        break;
    }
    case OB_BN: {   /* layers/norm.c: sum of the plane sums, mean, then the squared deviations */
        const int64_t N = k->a, C = k->b, S = k->c * k->d;
        double *st = free_order ? B->st_f : B->st_c;
        for (int64_t c = 0; c < C; c++) {
            double sum = 0, sq = 0;
            for (int64_t n = 0; n < N; n++) {
                const float *p = B->x + (n * C + c) * S;
                sum += free_order ? sg_bench_free_sums(in_double, SG_SUMS_PLAIN, p, NULL, 0, S)
                                  : t->sums(SG_SUMS_PLAIN, p, NULL, 0, S);
            }
            const double mean = sum / (double)(N * S);
            for (int64_t n = 0; n < N; n++) {
                const float *p = B->x + (n * C + c) * S;
                sq += free_order ? sg_bench_free_sums(in_double, SG_SUMS_SQ_DEV, p, NULL, mean, S)
                                 : t->sums(SG_SUMS_SQ_DEV, p, NULL, mean, S);
            }
            st[2 * c] = mean, st[2 * c + 1] = sq / (double)(N * S);
        }
        break;
    }
    case OB_SOFTMAX: {
        float *y = free_order ? B->out_f : B->out_c;
        for (int64_t r = 0; r < k->a; r++) {
            if (free_order) sg_bench_free_softmax_row(in_double, B->x + r * k->b, y + r * k->b, k->b);
            else t->softmax_forward(B->x + r * k->b, y + r * k->b, k->b, 1, 1, false);
        }
        break;
    }
    case OB_SGEMM: {   /* A: M x K at x, B: K x N at y */
        const int64_t M = k->a, N = k->b, K = k->c, kc = 384;
        if (!free_order) {
            sg_gemm(false, false, M, N, K, 1.0f, B->x, K, B->y, N, 0.0f, B->out_c, N);
            break;
        }
        for (int64_t k0 = 0; k0 < K; k0 += kc) {
            const int64_t kb = K - k0 < kc ? K - k0 : kc;
            sg_gemm(false, false, M, N, kb, 1.0f, B->x + k0, K, B->y + k0 * N, N, k0 ? 1.0f : 0.0f, B->out_f, N);
        }
        break;
    }
    }
}

static double rel_diff(double a, double b) { return a == b ? 0 : fabs(a - b) / fmax(fabs(a), fabs(b)); }

static int ob_case_run(const ob_case *k, const ob_bufs *B, double seconds)
{
    static const char *const free_names[2] = {"float", "double"};
    char size[64];
    switch (k->kernel) {
    case OB_SUM: case OB_DOT: snprintf(size, sizeof size, "%lld", (long long)k->a); break;
    case OB_BN: snprintf(size, sizeof size, "%lldx%lldx%lldx%lld", (long long)k->a, (long long)k->b, (long long)k->c, (long long)k->d); break;
    case OB_SOFTMAX: snprintf(size, sizeof size, "%lldx%lld", (long long)k->a, (long long)k->b); break;
    case OB_SGEMM: snprintf(size, sizeof size, "%lldx%lldx%lld", (long long)k->a, (long long)k->b, (long long)k->c); break;
    }
    const int variants = k->kernel == OB_SGEMM ? 1 : 2;
    for (int v = 0; v < variants; v++) {
        const bool in_double = v == 1;
        double rc = 0, rf = 0, best_c = INFINITY, best_f = INFINITY;
        ob_run(k, B, false, in_double, &rc);   /* warm-up */
        ob_run(k, B, true, in_double, &rf);
        const double t_end = now() + seconds;
        for (int rep = 0; rep < 3 || now() < t_end; rep++) {
            const double t0 = cpu_now();
            ob_run(k, B, false, in_double, &rc);
            const double t1 = cpu_now();
            ob_run(k, B, true, in_double, &rf);
            const double t2 = cpu_now();
            best_c = fmin(best_c, t1 - t0), best_f = fmin(best_f, t2 - t1);
        }
        double diff = 0;
        if (k->kernel == OB_SUM || k->kernel == OB_DOT) diff = rel_diff(rc, rf);
        if (k->kernel == OB_BN)
            for (int64_t i = 0; i < 2 * k->b; i++) diff = fmax(diff, rel_diff(B->st_c[i], B->st_f[i]));
        if (k->kernel == OB_SOFTMAX)
            for (int64_t i = 0; i < k->a * k->b; i++) diff = fmax(diff, rel_diff(B->out_c[i], B->out_f[i]));
        if (k->kernel == OB_SGEMM) {   /* relative to the largest |C|: elements near 0 are cancellations */
            double big = 0;
            for (int64_t i = 0; i < k->a * k->b; i++)
                diff = fmax(diff, fabs((double)B->out_c[i] - B->out_f[i])), big = fmax(big, fabs(B->out_c[i]));
            diff = big > 0 ? diff / big : diff;
        }
        printf("{\"bench\":\"order\",\"kernel\":\"%s\",\"size\":\"%s\",\"isa\":\"%s\",\"free\":\"%s\","
               "\"canonical_ms\":%.4f,\"free_ms\":%.4f,\"ratio\":%.3f,\"max_rel_diff\":%.3g}\n",
               k->name, size, sg_isa_name(sg_kernels()->isa), k->kernel == OB_SGEMM ? "kc384" : free_names[v],
               best_c * 1e3, best_f * 1e3, best_c / best_f, diff);
        fflush(stdout);
    }
    return SG_EXIT_OK;
}

int bench_order(int argc, char **argv)
{
    double seconds = 0.3;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "seconds", .type = SG_OPT_FLOAT, .dest = &seconds, .min = 0, .max = 3600, .above_min = true,
         .help = "time per line, at least"},
    };
    const int rc = sg_cli_parse(&order_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (!sg_bench_free_available() || !sg_kernels_for(SG_ISA_AVX512)) {
        fprintf(stderr, "steelgrad bench order: the free-order variants need AVX-512, which this %s\n",
                sg_bench_free_available() ? "CPU lacks" : "build has not compiled");
        return SG_EXIT_FAIL;
    }
    /* the largest inputs: BN's 6.4M floats; SGEMM's A and B; softmax's 1M in and out */
    const int64_t nx = 32 * 64 * 56 * 56;
    ob_bufs B = {0};
    B.x = malloc(sizeof(float) * (size_t)nx);
    B.y = malloc(sizeof(float) * (1 << 20));   /* dot's y; SGEMM's B (1152 x 784) */
    B.out_c = malloc(sizeof(float) * (1 << 20));
    B.out_f = malloc(sizeof(float) * (1 << 20));
    B.st_c = malloc(sizeof(double) * 128);
    B.st_f = malloc(sizeof(double) * 128);
    int status = SG_EXIT_OK;
    if (!B.x || !B.y || !B.out_c || !B.out_f || !B.st_c || !B.st_f) {
        fprintf(stderr, "steelgrad bench order: out of memory\n");
        status = SG_EXIT_FAIL;
    }
    const int saved = sg_threads();
    if (status == SG_EXIT_OK && sg_set_threads(1) != SG_OK) status = SG_EXIT_FAIL;
    const sg_rng_key key = {17, SG_RNG_TEST, 0};
    if (status == SG_EXIT_OK) {
        sg_rng_fill_normal(key, B.x, nx, 0.5f, 2.0f);
        sg_rng_fill_uniform((sg_rng_key){18, SG_RNG_TEST, 0}, B.y, 1 << 20, -1.0f, 1.0f);
    }
    for (size_t c = 0; c < sizeof CASES / sizeof CASES[0] && status == SG_EXIT_OK; c++)
        status = ob_case_run(&CASES[c], &B, seconds);
    sg_set_threads(saved);
    free(B.x), free(B.y), free(B.out_c), free(B.out_f), free(B.st_c), free(B.st_f);
    return status;
}
