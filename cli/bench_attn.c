/* cli/bench_attn.c - `steelgrad bench attention`: the attention core of a
 * transformer block in training, q, k, v [B, H, T, Dh] -> [B, H, T, Dh],
 * forward and backward, one JSON line per path, pass and thread count:
 *   {"bench":"attention","path":"train","shape":"32x4x256x16","dropout":0.1,
 *    "pass":"forward","threads":1,"isa":"avx512","ms":1.23,"gflops":20.1,"peak_bytes":..}
 * Paths:
 *   train  sg_attention_dropout, what CCT and ViT train with (one T x T kept per head)
 *   chain  the same computation as separate ops (matmul_t, mul_scalar, softmax,
 *          dropout, bmm), the path it replaced: the reference measured in the same run
 *   sdpa   the fused scaled dot-product attention (no dropout), what eval runs
 * gflops counts the two products, 4 B H T^2 Dh flops forward and twice that
 * backward (four products). peak_bytes: the graph arena's peak over the step.
 * Each line is the fastest of repeats for at least --seconds, after a warm-up
 * step that grows the arena; nothing is allocated in the timed loop. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/graph.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"
#include "core/rng.h"
#include "layers/activation.h"
#include "layers/attention.h"
#include "layers/dropout.h"
#include "layers/elementwise.h"
#include "layers/matmul.h"

enum { BA_PATHS = 3 };

static const sg_cli_command BA_CMD = {
    "bench attention",
    "steelgrad bench attention [--threads LIST] [--seconds X] [--batch B] [--heads H] [--tokens T]\n"
    "                          [--dim E] [--dropout P]",
    "Time the attention core of a transformer block in training mode, q, k, v [B, H, T, E/H],\n"
    "forward and backward (defaults: 32 x 4 heads x 256 tokens, width 64, dropout 0.1), on three\n"
    "paths: train (the fused training op CCT and ViT use, one T x T kept per head), chain (the\n"
    "same as separate matmul, scale, softmax, dropout, matmul ops) and sdpa (the fused eval op,\n"
    "no dropout). One JSON line per path, pass and thread count: {\"bench\":\"attention\",\n"
    "\"path\":..,\"shape\":\"BxHxTxDh\",\"dropout\":..,\"pass\":..,\"threads\":..,\"isa\":..,\"ms\":..,\n"
    "\"gflops\":..,\"peak_bytes\":..} (flops of the products only: 4 B H T^2 Dh forward, twice that\n"
    "backward; peak_bytes: the arena's peak over forward and backward)."};

static double ba_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One forward of `path` on views of q, k, v; NULL on error. */
static sg_tensor *ba_forward(sg_graph *g, int path, const int64_t shape[4], float *qd, float *kd, float *vd,
                             float p)
{
    sg_tensor *q = sg_graph_view(g, qd, 4, shape), *k = sg_graph_view(g, kd, 4, shape);
    sg_tensor *v = sg_graph_view(g, vd, 4, shape);
    if (!q || !k || !v) return NULL;
    sg_graph_retain_grad(g, q), sg_graph_retain_grad(g, k), sg_graph_retain_grad(g, v);
    const float scale = 1.0f / sqrtf((float)shape[3]);
    switch (path) {
    case 0: return sg_attention_dropout(g, q, k, v, scale, p, NULL);
    case 1: {
        sg_tensor *P = sg_softmax(g, sg_mul_scalar(g, sg_matmul_t(g, q, k, false, true), scale), -1);
        return sg_bmm(g, sg_dropout(g, P, p), v);
    }
    default: return sg_scaled_dot_product_attention(g, q, k, v, NULL, false, scale);
    }
}

/* Times one path at one thread count; prints its two lines. */
static int ba_run(const int64_t shape[4], float p, int path, int threads, double seconds, float *qd,
                  float *kd, float *vd, float *seed)
{
    static const char *const paths[BA_PATHS] = {"train", "chain", "sdpa"};
    sg_graph *g = sg_graph_new();
    if (!g) return sg_cli_fail(BA_CMD.name, "out of memory");
    sg_graph_set_training(g, true);
    double best[2] = {1e30, 1e30}, spent = 0;
    for (int step = 0; step < 3 || spent < seconds; step++) {   /* step 0 warms up (the arena grows) */
        sg_graph_reset(g);
        sg_graph_set_seed(g, 1, (uint64_t)step);
        const double t0 = ba_now();
        sg_tensor *y = ba_forward(g, path, shape, qd, kd, vd, p);
        const double t1 = ba_now();
        if (!y || sg_graph_backward_from(g, y, seed) != SG_OK) {
            const int rc = sg_cli_fail(BA_CMD.name, "%s: %s", paths[path], sg_graph_error_message(g));
            sg_graph_free(g);
            return rc;
        }
        const double t2 = ba_now();
        if (step == 0) continue;
        if (t1 - t0 < best[0]) best[0] = t1 - t0;
        if (t2 - t1 < best[1]) best[1] = t2 - t1;
        spent += t2 - t0;
    }
    const double flops = 4.0 * (double)shape[0] * (double)shape[1] * (double)shape[2] * (double)shape[2] *
                         (double)shape[3];
    const size_t peak = sg_graph_peak_bytes(g);
    sg_graph_free(g);
    static const char *const passes[2] = {"forward", "backward"};
    for (int i = 0; i < 2; i++)
        printf("{\"bench\":\"attention\",\"path\":\"%s\",\"shape\":\"%lldx%lldx%lldx%lld\",\"dropout\":%g,"
               "\"pass\":\"%s\",\"threads\":%d,\"isa\":\"%s\",\"ms\":%.4f,\"gflops\":%.2f,\"peak_bytes\":%zu}\n",
               paths[path], (long long)shape[0], (long long)shape[1], (long long)shape[2], (long long)shape[3],
               (double)(path == 2 ? 0.0f : p), passes[i], threads, sg_isa_name(sg_kernels()->isa),
               best[i] * 1e3, flops * (i + 1) / best[i] * 1e-9, peak);
    fflush(stdout);
    return SG_EXIT_OK;
}

int bench_attention(int argc, char **argv)
{
    char *threads_arg = NULL;
    double seconds = 0.5, dropout = 0.1;
    int64_t B = 32, H = 4, T = 256, E = 64;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "threads", .type = SG_OPT_STRING, .dest = &threads_arg, .arg = "LIST",
         .help = "thread counts, comma-separated (default: 1 and all threads)"},
        {.name = "seconds", .type = SG_OPT_FLOAT, .dest = &seconds, .min = 0, .max = 3600, .above_min = true,
         .help = "time per line, at least"},
        {.name = "batch", .type = SG_OPT_INT, .dest = &B, .min = 1, .max = 4096, .arg = "B",
         .help = "batch (default 32)"},
        {.name = "heads", .type = SG_OPT_INT, .dest = &H, .min = 1, .max = 256, .arg = "H",
         .help = "heads (default 4)"},
        {.name = "tokens", .type = SG_OPT_INT, .dest = &T, .min = 1, .max = 16384, .arg = "T",
         .help = "tokens (default 256)"},
        {.name = "dim", .type = SG_OPT_INT, .dest = &E, .min = 1, .max = 65536, .arg = "E",
         .help = "width, a multiple of the heads (default 64)"},
        {.name = "dropout", .type = SG_OPT_FLOAT, .dest = &dropout, .min = 0, .max = 0.99, .arg = "P",
         .help = "dropout on the probabilities (default 0.1)"},
    };
    const int rc = sg_cli_parse(&BA_CMD, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (E % H) return sg_cli_usage(BA_CMD.name, "--dim %lld is not a multiple of --heads %lld", (long long)E,
                                   (long long)H);
    int threads[SG_BENCH_MAX_THREADS];
    const int n_threads = sg_bench_threads(BA_CMD.name, threads_arg, threads);
    if (!n_threads) return SG_EXIT_USAGE;
    const int64_t shape[4] = {B, H, T, E / H}, n = B * T * E;
    float *q = malloc(sizeof(float) * (size_t)n), *k = malloc(sizeof(float) * (size_t)n);
    float *v = malloc(sizeof(float) * (size_t)n), *seed = malloc(sizeof(float) * (size_t)n);
    int status = SG_EXIT_OK;
    if (!q || !k || !v || !seed) {
        status = sg_cli_fail(BA_CMD.name, "out of memory for 4 x %lld values", (long long)n);
    } else {
        float *bufs[4] = {q, k, v, seed};
        for (int i = 0; i < 4; i++) sg_rng_fill_normal((sg_rng_key){5 + (uint64_t)i, SG_RNG_TEST, 0}, bufs[i], n, 0, 1);
    }
    const int saved = sg_threads();
    for (int path = 0; path < BA_PATHS && status == SG_EXIT_OK; path++)
        for (int t = 0; t < n_threads && status == SG_EXIT_OK; t++) {
            if (sg_set_threads(threads[t]) != SG_OK) continue;
            status = ba_run(shape, (float)dropout, path, threads[t], seconds, q, k, v, seed);
        }
    sg_set_threads(saved);
    free(q), free(k), free(v), free(seed);
    return status;
}
