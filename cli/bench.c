/* cli/bench.c - `steelgrad bench sgemm`: throughput of the SGEMM driver
 * (core/gemm.h) on the active kernel table, one JSON line per shape and
 * thread count:
 *   {"bench":"sgemm","shape":"64x3136x576","M":64,"N":3136,"K":576,"transpose":"NN",
 *    "threads":1,"isa":"avx512","ms":1.23,"gflops":95.1}
 * The default shapes are 1024^3 and the GEMMs of ResNet-50's convolutions
 * (issue 9). Each line is the fastest of calls repeated for at least
 * --seconds each (after one warm-up call); nothing is allocated inside the
 * timed loop. Compare with a reference measured in the same run
 * (bench/compare_sgemm.py runs torch.matmul on the same shapes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/gemm.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/rng.h"

static const sg_cli_command sgemm_cmd = {
    "bench sgemm",
    "steelgrad bench sgemm [--threads LIST] [--shapes LIST] [--transpose NN|NT|TN|TT] [--seconds X]",
    "Time C = A B (row-major float32) through the threaded SGEMM driver with the active\n"
    "kernels (SG_ISA picks them) and print one JSON line per shape and thread count:\n"
    "{\"bench\":\"sgemm\",\"shape\":..,\"M\":..,\"N\":..,\"K\":..,\"transpose\":..,\"threads\":..,\n"
    " \"isa\":..,\"ms\":..,\"gflops\":..}. --threads 1,2 (default: 1 and all threads),\n"
    "--shapes MxNxK,... (default 1024x1024x1024,64x3136x576,256x3136x64,512x784x1152,\n"
    "2048x49x512), --seconds: time spent per line, at least (default 0.5)."};

enum { MAX_SHAPES = 16, MAX_THREADS = 16 };

static const char default_shapes[] = "1024x1024x1024,64x3136x576,256x3136x64,512x784x1152,2048x49x512";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* "1,2,4" -> counts in 1..256; false on anything else. */
static bool parse_threads(const char *s, int *out, int *n)
{
    *n = 0;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 256 || *n == MAX_THREADS || (*end && *end != ',')) return false;
        out[(*n)++] = (int)v;
        s = *end ? end + 1 : end;
        if (end[0] == ',' && !*s) return false;
    }
    return *n > 0;
}

/* "MxNxK,..." -> sizes in 1..65536; false on anything else. */
static bool parse_shapes(const char *s, int64_t (*out)[3], int *n)
{
    *n = 0;
    while (*s) {
        if (*n == MAX_SHAPES) return false;
        for (int d = 0; d < 3; d++) {
            char *end;
            long v = strtol(s, &end, 10);
            if (end == s || v < 1 || v > 65536 || *end != (d < 2 ? 'x' : *end)) return false;
            if (d == 2 && *end && *end != ',') return false;
            out[*n][d] = v;
            s = d < 2 ? end + 1 : end;
        }
        (*n)++;
        if (*s == ',') {
            s++;
            if (!*s) return false;
        }
    }
    return *n > 0;
}

static int bench_sgemm(int argc, char **argv)
{
    char *threads_arg = NULL, *shapes_arg = NULL, *trans_arg = NULL;
    double seconds = 0.5;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "threads", .type = SG_OPT_STRING, .dest = &threads_arg, .arg = "LIST",
         .help = "thread counts, comma-separated (default: 1 and all threads)"},
        {.name = "shapes", .type = SG_OPT_STRING, .dest = &shapes_arg, .arg = "LIST",
         .help = "MxNxK sizes, comma-separated (default: 1024^3 and ResNet-50's conv GEMMs)"},
        {.name = "transpose", .type = SG_OPT_STRING, .dest = &trans_arg, .arg = "NN|NT|TN|TT",
         .help = "op(A) op(B): N as stored, T transposed (default NN)"},
        {.name = "seconds", .type = SG_OPT_FLOAT, .dest = &seconds, .min = 0, .max = 3600,
         .above_min = true, .help = "time per line, at least"},
    };
    int rc = sg_cli_parse(&sgemm_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;

    int threads[MAX_THREADS], n_threads;
    if (threads_arg) {
        if (!parse_threads(threads_arg, threads, &n_threads))
            return sg_cli_usage(sgemm_cmd.name, "--threads '%s': expected counts in 1..256 separated by commas",
                                threads_arg);
    } else {
        threads[0] = 1, n_threads = 1;
        if (sg_threads() > 1) threads[n_threads++] = sg_threads();
    }
    int64_t shapes[MAX_SHAPES][3];
    int n_shapes;
    if (!parse_shapes(shapes_arg ? shapes_arg : default_shapes, shapes, &n_shapes))
        return sg_cli_usage(sgemm_cmd.name, "--shapes '%s': expected MxNxK (sizes 1..65536) separated by commas",
                            shapes_arg);
    const char *trans = trans_arg ? trans_arg : "NN";
    if (strlen(trans) != 2 || (trans[0] != 'N' && trans[0] != 'T') || (trans[1] != 'N' && trans[1] != 'T'))
        return sg_cli_usage(sgemm_cmd.name, "--transpose '%s': expected NN, NT, TN or TT", trans);
    const bool ta = trans[0] == 'T', tb = trans[1] == 'T';

    const int saved_threads = sg_threads();
    const char *isa = sg_isa_name(sg_kernels()->isa);
    for (int s = 0; s < n_shapes; s++) {
        const int64_t M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = malloc(sizeof(float) * (size_t)(M * K)), *B = malloc(sizeof(float) * (size_t)(K * N));
        float *C = malloc(sizeof(float) * (size_t)(M * N));
        if (!A || !B || !C) {
            free(A), free(B), free(C);
            sg_set_threads(saved_threads);
            return sg_cli_fail(sgemm_cmd.name, "out of memory for %lldx%lldx%lld", (long long)M,
                               (long long)N, (long long)K);
        }
        sg_rng_fill_normal((sg_rng_key){1, SG_RNG_TEST, 0}, A, M * K, 0, 1);
        sg_rng_fill_normal((sg_rng_key){2, SG_RNG_TEST, 0}, B, K * N, 0, 1);
        const int64_t lda = ta ? M : K, ldb = tb ? K : N;
        for (int t = 0; t < n_threads; t++) {
            if (sg_set_threads(threads[t]) != SG_OK) continue;
            sg_gemm(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C, N);   /* warm-up: pack buffers grow here */
            double best = 1e30, total = 0;
            int reps = 0;
            while (total < seconds || reps < 3) {
                double t0 = now();
                sg_gemm(ta, tb, M, N, K, 1, A, lda, B, ldb, 0, C, N);
                double dt = now() - t0;
                total += dt, reps++;
                if (dt < best) best = dt;
            }
            printf("{\"bench\":\"sgemm\",\"shape\":\"%lldx%lldx%lld\",\"M\":%lld,\"N\":%lld,\"K\":%lld,"
                   "\"transpose\":\"%s\",\"threads\":%d,\"isa\":\"%s\",\"ms\":%.4f,\"gflops\":%.2f}\n",
                   (long long)M, (long long)N, (long long)K, (long long)M, (long long)N, (long long)K,
                   trans, threads[t], isa, best * 1e3, 2.0 * (double)M * (double)N * (double)K / best * 1e-9);
            fflush(stdout);
        }
        free(A), free(B), free(C);
    }
    sg_set_threads(saved_threads);
    return SG_EXIT_OK;
}

bool bench_norm_known(const char *name);   /* cli/bench_norm.c: bn, layernorm, softmax, pool */
int bench_norm(int argc, char **argv);

int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "sgemm") == 0) return bench_sgemm(argc - 1, argv + 1);
    if (argc >= 2 && bench_norm_known(argv[1])) return bench_norm(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: steelgrad bench sgemm [--threads LIST] [--shapes LIST] [--transpose NN|NT|TN|TT] [--seconds X]\n"
            "       steelgrad bench bn [--threads LIST] [--seconds X]\n"
            "       steelgrad bench layernorm [--threads LIST] [--seconds X]\n"
            "       steelgrad bench softmax [--threads LIST] [--seconds X]\n"
            "       steelgrad bench pool [--threads LIST] [--seconds X]\n"
            "(steelgrad bench sgemm --help, steelgrad bench bn --help, ... for more)\n");
    if (!help && argc >= 2) fprintf(stderr, "steelgrad bench: unknown benchmark '%s'\n", argv[1]);
    return help ? SG_EXIT_OK : SG_EXIT_USAGE;
}
