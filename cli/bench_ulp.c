/* cli/bench_ulp.c - `steelgrad bench ulp`: the accuracy of our float math
 * functions (core/mathf.h) over EVERY float of their useful range, and the
 * SIMD twins (core/kernels/vmathf.h through each available kernel table)
 * against the scalar functions bit for bit over every finite float. One JSON
 * line per function:
 *   {"bench":"ulp","fn":"exp","lo":-104,"hi":89,"count":..,"max_ulp":..,"at":"0x..",
 *    "mean_ulp":..,"correctly_rounded":..,"near_midpoint_double":..,
 *    "unresolved":..,"tail":..,"tail_ok":true,"simd":{"avx2":0,"avx512":0},..}
 *
 * The measured range [lo, hi] is where the function is not constant in float:
 *   exp      [-104, 89]      below: 0, above: +inf (the true e^x rounds to them)
 *   tanh     [-9.5, 9.5]     beyond: -1, 1 (1 - tanh 9.5 < 2^-26, under half an ulp of 1)
 *   sigmoid  [-105, 17.5]    below: 0 (under half the least subnormal), above: 1
 *   erf      [-4.5, 4.5]     beyond: -1, 1 (1 - erf 4 < 2^-25)
 *   log      every positive finite float (there is no tail: 0, negatives and
 *            inf are specials, their values asserted by tests/test_mathf.c)
 * Outside the range ("tail": every finite float beyond, and the infinities)
 * the function must give the constant it gives at the nearer end: the true
 * function is monotone there and already rounds to that constant at the end,
 * so a constant tail is correctly rounded; tail_ok says it was.
 *
 * The reference. Each float x is evaluated by double-precision libm (glibc
 * documents at most 1-2 ulp of double for exp, log, tanh, erf; sigmoid is
 * 1 / (1 + exp(-x)), or e / (1 + e) with e = exp(x) below 0, a few roundings
 * more). Rounding that double to float gives the correctly rounded float
 * unless the double lies within its own error of a midpoint between two
 * floats: every such case (within 8 ulp of double: "near_midpoint_double") is
 * evaluated again in long double (x87 80-bit libm, 11 more bits), and the
 * few still within 8 ulp of long double of a midpoint are counted as
 * "unresolved" (their correctly rounded value is then only the long double's
 * rounding; the error is measured against the long double all the same).
 * The error of a result y is |y - f(x)| / ulp(f(x)), ulp(v) = 2^(e - 23)
 * for v in the binade [2^e, 2^(e+1)) (e >= -126), with f(x) the double (or
 * long double) reference; an infinite result counts 0 when the correctly
 * rounded value is that infinity. correctly_rounded: the share of the range
 * where y is that float, bit for bit.
 *
 * --stride K measures every K-th bit pattern only (quick looks; the numbers
 * for the documentation are from the default, K = 1). Threads split the bit
 * patterns into blocks; the figures do not depend on the thread count (the
 * mean up to its last printed digit). Never pass/fail: the bounds are
 * asserted on a strided subset by tests/test_mathf.c. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/kernels/kernels.h"
#include "core/mathf.h"
#include "core/pool.h"

static const sg_cli_command ulp_cmd = {
    "bench ulp", "steelgrad bench ulp [--fn LIST] [--stride K] [--threads N]",
    "Measure the error of our float math functions (exp, tanh, sigmoid, erf, log of\n"
    "core/mathf.h) in ulps against the correctly rounded value over every float of the\n"
    "range where each is not constant (exp [-104, 89], tanh [-9.5, 9.5], sigmoid\n"
    "[-105, 17.5], erf [-4.5, 4.5], log every positive float), check that beyond it the\n"
    "function is the constant it rounds to, and that the SIMD twins of each available\n"
    "kernel table give the scalar bits on every finite float. The reference is double\n"
    "libm, and long double libm where the double is near a midpoint of two floats. One\n"
    "JSON line per function: {\"bench\":\"ulp\",\"fn\":..,\"lo\":..,\"hi\":..,\"count\":..,\n"
    "\"max_ulp\":..,\"at\":..,\"mean_ulp\":..,\"correctly_rounded\":..,\"near_midpoint_double\":..,\n"
    "\"unresolved\":..,\"tail\":..,\"tail_ok\":..,\"simd\":{ISA: floats that differ},..}.\n"
    "--fn exp,tanh,sigmoid,erf,log (default all), --stride K: every K-th bit pattern only\n"
    "(default 1: every float: about 2^31 per function and as many beyond, some 3 CPU-minutes\n"
    "per function)."};

static double sigmoid_d(double x)
{
    if (x >= 0) return 1.0 / (1.0 + exp(-x));
    const double e = exp(x);
    return e / (1.0 + e);
}

static long double sigmoid_l(long double x)
{
    if (x >= 0) return 1.0L / (1.0L + expl(-x));
    const long double e = expl(x);
    return e / (1.0L + e);
}

typedef struct ulp_fn {
    const char *name;
    float (*ours)(float);
    double (*ref)(double);
    long double (*ref_l)(long double);
    float lo, hi;              /* the measured range, inclusive */
    bool tails;                /* constant beyond [lo, hi] (all but log) */
    int op;                    /* sg_mathf_op of the SIMD twins, or -1 (none) */
} ulp_fn;

static const ulp_fn FNS[] = {
    {"exp", sg_expf, exp, expl, -104.0f, 89.0f, true, SG_MATHF_EXP},
    {"tanh", sg_tanhf, tanh, tanhl, -9.5f, 9.5f, true, SG_MATHF_TANH},
    {"sigmoid", sg_sigmoidf, sigmoid_d, sigmoid_l, -105.0f, 17.5f, true, SG_MATHF_SIGMOID},
    {"erf", sg_erff, erf, erfl, -4.5f, 4.5f, true, SG_MATHF_ERF},
    {"log", sg_logf, log, logl, 0x1p-149f, 0x1.fffffep127f, false, -1},
};
enum { FN_COUNT = sizeof FNS / sizeof FNS[0], BLOCK = 1 << 14 };

static uint32_t bits_of(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* The bit patterns to visit, as up to four runs [first, last] walked upwards
 * in the pattern: the range's negative and positive parts, then the tails
 * (negative: below lo down to -inf; positive: above hi up to +inf). */
typedef struct run { uint32_t first, last; bool tail; } run;

static int runs_of(const ulp_fn *F, run *r)
{
    int n = 0;
    if (F->lo < 0) r[n++] = (run){0x80000000u, bits_of(F->lo), false};   /* -0 .. lo */
    r[n++] = (run){F->lo < 0 ? 0u : bits_of(F->lo), bits_of(F->hi), false};
    if (F->tails) {
        r[n++] = (run){bits_of(F->lo) + 1, 0xff800000u, true};                /* .. -inf */
        r[n++] = (run){bits_of(F->hi) + 1, 0x7f800000u, true};                /* .. +inf */
    }
    return n;
}

/* ulp(v) = 2^(e - 23) for |v| in [2^e, 2^(e+1)), e >= -126 (long double: exact for any v). */
static long double ulp_of(long double v)
{
    int e;
    frexpl(fabsl(v), &e);   /* |v| = m 2^e, m in [0.5, 1): the binade is 2^(e-1) */
    if (v == 0 || e - 1 < -126) return 0x1p-149L;
    return ldexpl(1.0L, e - 1 - 23);
}

/* Whether v lies within tol of a midpoint between two neighbouring floats
 * (the largest float <= v and the next; past FLT_MAX the next is 2^128). */
static bool near_midpoint(long double v, long double tol)
{
    float below = (float)v;
    if ((long double)below > v) below = nextafterf(below, -INFINITY);
    if (isinf(below)) return false;    /* v <= -2^128: not in our ranges */
    const float up = nextafterf(below, INFINITY);
    const long double next = isinf(up) ? 0x1p128L : (long double)up;
    return fabsl(v - ((long double)below + next) / 2) <= tol;
}

typedef struct ulp_stats {
    long long count, correct, near_mid, unresolved, tail, tail_bad;
    long long simd_differ[SG_ISA_COUNT];
    uint32_t simd_first[SG_ISA_COUNT];   /* the first pattern that differs */
    double max_ulp, sum_ulp;
    uint32_t at;                         /* pattern of the max (the lowest pattern on ties) */
} ulp_stats;

typedef struct ulp_job {
    const ulp_fn *F;
    run runs[4];
    int n_runs;
    uint64_t total;                      /* patterns over all runs */
    uint32_t stride;
    const sg_kernel_table *simd[SG_ISA_COUNT];
    int n_simd;
    float tail_lo, tail_hi;              /* the constants of the tails: f(lo), f(hi) */
    _Atomic uint64_t next;               /* next block to take */
    pthread_mutex_t lock;
    ulp_stats sum;
} ulp_job;

static void stats_merge(ulp_stats *a, const ulp_stats *b, int n_isa)
{
    a->count += b->count, a->correct += b->correct, a->near_mid += b->near_mid;
    a->unresolved += b->unresolved, a->tail += b->tail, a->tail_bad += b->tail_bad;
    a->sum_ulp += b->sum_ulp;
    if (b->max_ulp > a->max_ulp || (b->max_ulp == a->max_ulp && b->at < a->at)) a->max_ulp = b->max_ulp, a->at = b->at;
    for (int i = 0; i < n_isa; i++) {
        if (b->simd_differ[i] && (!a->simd_differ[i] || b->simd_first[i] < a->simd_first[i]))
            a->simd_first[i] = b->simd_first[i];
        a->simd_differ[i] += b->simd_differ[i];
    }
}

/* Pattern number k (counted over the runs, k < total). */
static uint32_t pattern(const ulp_job *J, uint64_t k, bool *tail)
{
    for (int r = 0;; r++) {
        const uint64_t len = (uint64_t)J->runs[r].last - J->runs[r].first + 1;
        if (k < len || r == J->n_runs - 1) {
            *tail = J->runs[r].tail;
            return J->runs[r].first + (uint32_t)k;
        }
        k -= len;
    }
}

/* The error of y at x against the reference; counts a correctly rounded y. */
static double measure(const ulp_fn *F, float x, float y, ulp_stats *s)
{
    const double d = F->ref((double)x);
    long double want = d;
    const double ulp_d = nextafter(fabs(d), INFINITY) - fabs(d);
    if (near_midpoint(d, 8.0L * ulp_d)) {
        s->near_mid++;
        want = F->ref_l((long double)x);
        const long double ulp_l = nextafterl(fabsl(want), INFINITY) - fabsl(want);
        if (near_midpoint(want, 8.0L * ulp_l)) s->unresolved++;
    }
    const float cr = (float)want;
    if (bits_of(y) == bits_of(cr)) s->correct++;
    if (isinf(cr) || isinf(y)) return bits_of(y) == bits_of(cr) ? 0 : INFINITY;
    return (double)(fabsl((long double)y - want) / ulp_of(want));
}

static void *ulp_worker(void *arg)
{
    ulp_job *J = arg;
    const ulp_fn *F = J->F;
    float *x = malloc(sizeof(float) * BLOCK * 3);
    if (!x) return (void *)1;
    float *y = x + BLOCK, *ys = y + BLOCK;
    bool *tail = malloc(BLOCK);
    if (!tail) {
        free(x);
        return (void *)1;
    }
    ulp_stats s = {0};
    const uint64_t visits = (J->total + J->stride - 1) / J->stride;
    for (;;) {
        const uint64_t b = atomic_fetch_add(&J->next, 1);
        if (b * BLOCK >= visits) break;
        int n = 0;
        for (uint64_t v = b * BLOCK; v < visits && n < BLOCK; v++, n++) {
            x[n] = float_of(pattern(J, v * J->stride, &tail[n]));
        }
        for (int i = 0; i < n; i++) y[i] = F->ours(x[i]);
        for (int i = 0; i < n; i++) {
            if (tail[i]) {
                s.tail++;
                if (bits_of(y[i]) != bits_of(x[i] < 0 ? J->tail_lo : J->tail_hi)) s.tail_bad++;
                continue;
            }
            const double e = measure(F, x[i], y[i], &s);
            s.count++;
            s.sum_ulp += e;
            if (e > s.max_ulp || (e == s.max_ulp && bits_of(x[i]) < s.at)) s.max_ulp = e, s.at = bits_of(x[i]);
        }
        for (int t = 0; t < J->n_simd; t++) {
            J->simd[t]->mathf((sg_mathf_op)F->op, x, ys, n);
            if (memcmp(y, ys, sizeof(float) * (size_t)n) == 0) continue;
            for (int i = 0; i < n; i++)
                if (bits_of(y[i]) != bits_of(ys[i]) && !(isnan(y[i]) && isnan(ys[i]))) {
                    if (!s.simd_differ[t] || bits_of(x[i]) < s.simd_first[t]) s.simd_first[t] = bits_of(x[i]);
                    s.simd_differ[t]++;
                }
        }
    }
    pthread_mutex_lock(&J->lock);
    stats_merge(&J->sum, &s, J->n_simd);
    pthread_mutex_unlock(&J->lock);
    free(x), free(tail);
    return NULL;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int run_fn(const ulp_fn *F, uint32_t stride, int threads)
{
    ulp_job *J = calloc(1, sizeof *J);
    if (!J) return SG_EXIT_FAIL;
    J->F = F;
    J->stride = stride;
    J->n_runs = runs_of(F, J->runs);
    for (int r = 0; r < J->n_runs; r++) J->total += (uint64_t)J->runs[r].last - J->runs[r].first + 1;
    if (F->op >= 0)
        for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
            const sg_kernel_table *t = isa == SG_ISA_SCALAR ? NULL : sg_kernels_for((sg_isa)isa);
            if (t && t->mathf_isa == (sg_isa)isa) J->simd[J->n_simd++] = t;
        }
    J->tail_lo = F->ours(F->lo), J->tail_hi = F->ours(F->hi);
    atomic_init(&J->next, 0);
    pthread_mutex_init(&J->lock, NULL);
    pthread_t tid[256];
    int started = 0, failed = 0;
    const double t0 = now();
    for (; started < threads; started++)
        if (pthread_create(&tid[started], NULL, ulp_worker, J) != 0) break;
    if (started == 0) failed = 1;   /* nothing ran: no line to print */
    for (int i = 0; i < started; i++) {
        void *rc;
        pthread_join(tid[i], &rc);
        failed |= rc != NULL;
    }
    const double sec = now() - t0;
    pthread_mutex_destroy(&J->lock);
    if (failed) {
        fprintf(stderr, "steelgrad bench ulp: %s: out of memory or threads\n", F->name);
        free(J);
        return SG_EXIT_FAIL;
    }
    const ulp_stats *s = &J->sum;
    const float at = float_of(s->at);
    printf("{\"bench\":\"ulp\",\"fn\":\"%s\",\"lo\":\"%a\",\"hi\":\"%a\",\"stride\":%u,\"count\":%lld,"
           "\"max_ulp\":%.4f,\"at\":\"%a\",\"at_decimal\":%.9g,\"mean_ulp\":%.5f,\"correctly_rounded\":%.6f,"
           "\"near_midpoint_double\":%lld,\"unresolved\":%lld,\"tail\":%lld,\"tail_ok\":%s,\"simd\":{",
           F->name, (double)F->lo, (double)F->hi, stride, s->count, s->max_ulp, (double)at, (double)at,
           s->count ? s->sum_ulp / (double)s->count : 0.0, s->count ? (double)s->correct / (double)s->count : 0.0,
           s->near_mid, s->unresolved, s->tail, s->tail_bad ? "false" : "true");
    for (int t = 0; t < J->n_simd; t++) printf("%s\"%s\":%lld", t ? "," : "", sg_isa_name(J->simd[t]->isa),
                                                s->simd_differ[t]);
    printf("}");
    for (int t = 0; t < J->n_simd; t++)
        if (s->simd_differ[t])
            printf(",\"%s_first_differs_at\":\"%a\"", sg_isa_name(J->simd[t]->isa), (double)float_of(s->simd_first[t]));
    printf(",\"threads\":%d,\"seconds\":%.1f}\n", started, sec);
    fflush(stdout);
    free(J);
    return SG_EXIT_OK;
}

int bench_ulp(int argc, char **argv)
{
    char *fn_arg = NULL;
    int64_t stride = 1;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "fn", .type = SG_OPT_STRING, .dest = &fn_arg, .arg = "LIST",
         .help = "functions, comma-separated: exp, tanh, sigmoid, erf, log (default all)"},
        {.name = "stride", .type = SG_OPT_INT, .dest = &stride, .min = 1, .max = 1 << 30,
         .help = "measure every K-th bit pattern (1: every float)", .arg = "K"},
        sg_cli_threads_opt,
    };
    const int rc = sg_cli_parse(&ulp_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    bool want[FN_COUNT];
    for (int f = 0; f < FN_COUNT; f++) want[f] = fn_arg == NULL;
    for (const char *s = fn_arg; s && *s;) {
        const size_t len = strcspn(s, ",");
        int f = 0;
        while (f < FN_COUNT && !(strlen(FNS[f].name) == len && strncmp(FNS[f].name, s, len) == 0)) f++;
        if (f == FN_COUNT || len == 0)
            return sg_cli_usage(ulp_cmd.name, "--fn '%s': expected exp, tanh, sigmoid, erf or log separated by commas",
                                fn_arg);
        want[f] = true;
        s += len + (s[len] == ',');
    }
    int status = SG_EXIT_OK;
    for (int f = 0; f < FN_COUNT && status == SG_EXIT_OK; f++)
        if (want[f]) status = run_fn(&FNS[f], (uint32_t)stride, sg_threads());
    return status;
}
