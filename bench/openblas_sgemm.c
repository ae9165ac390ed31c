/* bench/openblas_sgemm.c - OpenBLAS's cblas_sgemm on the shapes of `steelgrad
 * bench sgemm`, for bench/compare_openblas.sh only (never part of the build or
 * of `make test`: steelgrad links nothing but libc, libm and pthreads).
 *
 *     openblas_sgemm MxNxK[,MxNxK...] SECONDS LABEL
 *
 * Row-major C = A * B (NN), A and B uniform in [-1, 1); the best of calls
 * repeated for at least SECONDS after a warm-up call; one JSON line per shape:
 * {"bench":"sgemm_openblas","shape":..,"coretype":LABEL,"threads":..,"ms":..,"gflops":..}
 * Threads: OPENBLAS_NUM_THREADS, as OpenBLAS reads it. */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: openblas_sgemm MxNxK[,MxNxK...] SECONDS LABEL\n");
        return 2;
    }
    const double seconds = atof(argv[2]);
    const char *threads = getenv("OPENBLAS_NUM_THREADS");
    unsigned long long rng = 88172645463325252ull;
    for (char *s = strtok(argv[1], ","); s; s = strtok(NULL, ",")) {
        long M, N, K;
        if (sscanf(s, "%ldx%ldx%ld", &M, &N, &K) != 3 || M < 1 || N < 1 || K < 1) {
            fprintf(stderr, "openblas_sgemm: bad shape '%s'\n", s);
            return 2;
        }
        float *A = malloc(sizeof(float) * (size_t)(M * K)), *B = malloc(sizeof(float) * (size_t)(K * N));
        float *C = malloc(sizeof(float) * (size_t)(M * N));
        if (!A || !B || !C) {
            fprintf(stderr, "openblas_sgemm: out of memory for %s\n", s);
            return 1;
        }
        for (long i = 0; i < M * K + K * N; i++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            const float v = (float)((double)(rng >> 40) / 16777216.0) * 2.0f - 1.0f;
            if (i < M * K) A[i] = v;
            else B[i - M * K] = v;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
        double best = 1e30, total = 0;
        int reps = 0;
        while (total < seconds || reps < 3) {
            const double t0 = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
            const double dt = now() - t0;
            total += dt, reps++;
            if (dt < best) best = dt;
        }
        printf("{\"bench\":\"sgemm_openblas\",\"shape\":\"%s\",\"coretype\":\"%s\",\"threads\":%s,\"ms\":%.4f,"
               "\"gflops\":%.2f}\n",
               s, argv[3], threads ? threads : "0", best * 1e3, 2.0 * (double)M * (double)N * (double)K / best * 1e-9);
        fflush(stdout);
        free(A), free(B), free(C);
    }
    return 0;
}
