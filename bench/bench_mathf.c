/* bench/bench_mathf.c - the time per call of our math functions (core/mathf.h)
 * next to libm's float functions, over a sample of each function's useful
 * range (1024 consecutive floats at every 65536th float of it). JSON lines:
 *   {"bench":"mathf","fn":"expf","lo":-104,"hi":89,"calls":...,"ns_ours":...,"ns_libm":...}
 * Their accuracy (max and mean ulp over every float of the range, the share
 * correctly rounded, the SIMD twins bit for bit) is `steelgrad bench ulp`
 * (cli/bench_ulp.c); tests/test_mathf.c asserts the bounds. Never pass/fail. */
#include <math.h>
#include <stdint.h>
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

static float float_of(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static float sigmoid_libm(float x) { return 1.0f / (1.0f + expf(-x)); }

typedef struct fn {
    const char *name;
    float (*ours)(float);
    float (*libm)(float);
    float lo, hi;
} fn;

int main(void)
{
    const fn fns[] = {
        {"expf", sg_expf, expf, -104.0f, 89.0f},
        {"logf", sg_logf, logf, 0x1p-149f, INFINITY},
        {"tanhf", sg_tanhf, tanhf, -9.5f, 9.5f},
        {"sigmoidf", sg_sigmoidf, sigmoid_libm, -105.0f, 17.5f},
        {"erff", sg_erff, erff, -4.5f, 4.5f},
    };
    for (size_t f = 0; f < sizeof fns / sizeof fns[0]; f++) {
        const fn *F = &fns[f];
        long long calls = 0;
        volatile float sink = 0;
        double t_ours = 0, t_libm = 0;
        /* Every 65536th float in [lo, hi]: walk the bit patterns, negatives then positives;
         * at each, one call on each of the 1024 floats that follow it. */
        for (int sign = 1; sign >= 0; sign--) {
            for (uint64_t u = sign ? 0x80000000u : 0; u <= (sign ? 0xff800000u : 0x7f800000u); u += 65536) {
                uint32_t b = (uint32_t)u;
                float x;
                memcpy(&x, &b, sizeof x);
                if (!(x >= F->lo && x <= F->hi)) continue;
                double t0 = now();
                for (uint32_t i = 0; i < 1024; i++) sink += F->ours(float_of(b + i));
                double t1 = now();
                for (uint32_t i = 0; i < 1024; i++) sink += F->libm(float_of(b + i));
                double t2 = now();
                t_ours += t1 - t0, t_libm += t2 - t1;
                calls += 1024;
            }
        }
        printf("{\"bench\":\"mathf\",\"fn\":\"%s\",\"lo\":%g,\"hi\":%g,\"calls\":%lld,\"ns_ours\":%.2f,"
               "\"ns_libm\":%.2f}\n",
               F->name, F->lo, F->hi, calls, calls ? t_ours / (double)calls * 1e9 : 0,
               calls ? t_libm / (double)calls * 1e9 : 0);
        (void)sink;
    }
    return 0;
}
