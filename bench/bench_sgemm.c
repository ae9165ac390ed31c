/* bench/bench_sgemm.c - SGEMM throughput of every kernel table this machine
 * can run, single call and through the threaded driver. Prints JSON lines:
 *   {"bench":"sgemm","isa":"scalar","threads":1,"m":256,"n":256,"k":256,"gflops":...}
 * Never pass/fail: compare ratios against peers measured in the same run
 * (../shared/peers/run_sgemm.sh for OpenBLAS). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/gemm.h"
#include "core/init.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/rng.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    sg_init();
    int sizes[] = {64, 256, 512};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        int n = sizes[s];
        float *A = malloc(sizeof(float) * n * n), *B = malloc(sizeof(float) * n * n);
        float *C = malloc(sizeof(float) * n * n);
        sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 0}, A, (int64_t)n * n, 0, 1);
        sg_rng_fill_normal((sg_rng_key){2, SG_RNG_TEST, 0}, B, (int64_t)n * n, 0, 1);
        for (int isa = 0; isa < SG_ISA_COUNT; isa++) {
            if (!sg_kernels_for((sg_isa)isa)) continue;
            sg_kernels_select((sg_isa)isa);
            for (int threads = 1; threads <= 2; threads++) {
                sg_set_threads(threads);
                sg_gemm(false, false, n, n, n, 1, A, n, B, n, 0, C, n); /* warm-up */
                int reps = 0;
                double t0 = now(), t;
                do {
                    sg_gemm(false, false, n, n, n, 1, A, n, B, n, 0, C, n);
                    reps++;
                    t = now() - t0;
                } while (t < 0.2);
                printf("{\"bench\":\"sgemm\",\"isa\":\"%s\",\"threads\":%d,\"m\":%d,\"n\":%d,"
                       "\"k\":%d,\"seconds\":%.6f,\"gflops\":%.2f}\n",
                       sg_isa_name((sg_isa)isa), threads, n, n, n, t / reps,
                       2.0 * n * n * n * reps / t * 1e-9);
            }
        }
        free(A); free(B); free(C);
    }
    return 0;
}
