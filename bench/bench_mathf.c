/* bench/bench_mathf.c - our math functions (core/mathf.h) over every float of
 * their useful range: the largest error in ulps against double-precision libm
 * and the time per call next to libm's float function. JSON lines:
 *   {"bench":"mathf","fn":"expf","lo":-104,"hi":89,"floats":...,"max_ulp":...,"at":...,
 *    "ns_ours":...,"ns_libm":...}
 * tests/test_mathf.c asserts the bounds on a strided subset; this is the full
 * measurement behind the numbers in core/mathf.h. Never pass/fail. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mathf.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double ulp_error(float got, double want)
{
    if (isnan(want)) return isnan(got) ? 0 : INFINITY;
    float rf = (float)want;
    if (isinf(rf) || isinf(got)) return got == rf ? 0 : INFINITY;
    if (isnan(got)) return INFINITY;
    float a = fabsf(rf);
    return fabs((double)got - want) / ((double)nextafterf(a, INFINITY) - (double)a);
}

static double sigmoid_ref(double x) { return 1.0 / (1.0 + exp(-x)); }
static float sigmoid_libm(float x) { return 1.0f / (1.0f + expf(-x)); }

typedef struct fn {
    const char *name;
    float (*ours)(float);
    float (*libm)(float);
    double (*ref)(double);
    float lo, hi;
} fn;

int main(void)
{
    const fn fns[] = {
        {"expf", sg_expf, expf, exp, -104.0f, 89.0f},
        {"logf", sg_logf, logf, log, 0x1p-149f, INFINITY},
        {"tanhf", sg_tanhf, tanhf, tanh, -9.5f, 9.5f},
        {"sigmoidf", sg_sigmoidf, sigmoid_libm, sigmoid_ref, -105.0f, 105.0f},
        {"erff", sg_erff, erff, erf, -4.5f, 4.5f},
    };
    for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++) {
        const fn *F = &fns[f];
        double worst = 0;
        float at = 0;
        long long n = 0;
        volatile float sink = 0;
        double t_ours = 0, t_libm = 0;
        /* Every float in [lo, hi]: walk the bit patterns, negatives then positives. */
        for (int sign = 1; sign >= 0; sign--) {
            for (uint32_t u = sign ? 0x80000000u : 0; ; u++) {
                float x;
                memcpy(&x, &u, sizeof x);
                if (isnan(x)) break;
                if (x >= F->lo && x <= F->hi) {
                    double e = ulp_error(F->ours(x), F->ref((double)x));
                    if (e > worst) worst = e, at = x;
                    n++;
                    if ((n & 0xfff) == 0) {   /* time a sample of 4096 calls each */
                        double t0 = now();
                        for (int i = 0; i < 4096; i++) sink += F->ours(x + (float)i * 1e-6f);
                        double t1 = now();
                        for (int i = 0; i < 4096; i++) sink += F->libm(x + (float)i * 1e-6f);
                        double t2 = now();
                        t_ours += t1 - t0, t_libm += t2 - t1;
                    }
                }
                if ((u & 0x7fffffffu) == 0x7f800000u) break;   /* reached inf */
            }
        }
        double calls = (double)(n >> 12) * 4096;
        printf("{\"bench\":\"mathf\",\"fn\":\"%s\",\"lo\":%g,\"hi\":%g,\"floats\":%lld,\"max_ulp\":%.4f,"
               "\"at\":\"%a\",\"ns_ours\":%.2f,\"ns_libm\":%.2f}\n",
               F->name, F->lo, F->hi, n, worst, at, calls ? t_ours / calls * 1e9 : 0,
               calls ? t_libm / calls * 1e9 : 0);
        (void)sink;
    }
    return 0;
}
