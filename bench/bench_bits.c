/* bench/bench_bits.c - what the same-bits contract costs. JSON lines:
 *   {"bench":"sgemm_transposes","isa":"avx2","ta":0,"tb":1,"n":256,"gflops":...}
 *     every kernel table on all four transpose cases: op(B) = B^T transposes
 *     panels of B so that each element still sums in increasing k (the old
 *     kernel summed 8 k-lanes at the end, faster and width-dependent);
 *   {"bench":"sum","shape":"canonical"|"sequential","n":...,"gbytes":...}
 *     core/sum.h's 16-lane canonical reduction against one running double.
 * Never pass/fail; run it on an idle machine (`make bench`). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/init.h"
#include "core/kernels/kernels.h"
#include "core/rng.h"
#include "core/sum.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double sequential_sum(const float *x, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += x[i];
    return s;
}

int main(void)
{
    sg_init();
    enum { N = 256 };
    float *A = malloc(sizeof(float) * N * N), *B = malloc(sizeof(float) * N * N), *C = malloc(sizeof(float) * N * N);
    sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 0}, A, (int64_t)N * N, 0, 1);
    sg_rng_fill_normal((sg_rng_key){2, SG_RNG_TEST, 0}, B, (int64_t)N * N, 0, 1);
    for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
        const sg_kernel_table *t = sg_kernels_for((sg_isa)isa);
        if (!t) continue;
        for (int tr = 0; tr < 4; tr++) {
            const bool ta = tr & 1, tb = tr & 2;
            int reps = 0;
            double t0 = now(), dt;
            do {
                t->sgemm(ta, tb, N, N, N, 1, A, N, B, N, 0, C, N);
                reps++;
                dt = now() - t0;
            } while (dt < 0.2);
            printf("{\"bench\":\"sgemm_transposes\",\"isa\":\"%s\",\"ta\":%d,\"tb\":%d,\"n\":%d,\"gflops\":%.2f}\n",
                   sg_isa_name((sg_isa)isa), ta, tb, N, 2.0 * N * N * N * reps / dt * 1e-9);
        }
    }
    const int64_t n = (int64_t)N * N;
    for (int shape = 0; shape < 2; shape++) {
        volatile double sink = 0;
        int reps = 0;
        double t0 = now(), dt;
        do {
            sink += shape ? sequential_sum(A, n) : sg_sum_f32(A, n);
            reps++;
            dt = now() - t0;
        } while (dt < 0.2);
        printf("{\"bench\":\"sum\",\"shape\":\"%s\",\"n\":%ld,\"gbytes\":%.2f}\n",
               shape ? "sequential" : "canonical", (long)n, 4.0 * n * reps / dt * 1e-9);
        (void)sink;
    }
    free(A), free(B), free(C);
    return 0;
}
