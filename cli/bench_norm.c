/* cli/bench_norm.c - `steelgrad bench bn|layernorm|softmax|pool|conv|depthwise`:
 * the memory-bound layers whose loops are the normalisation, softmax and
 * pooling kernel families (core/kernels/norm_*.c, pool_*.c), and the
 * convolutions of issue 9's targets, timed through the layer ops themselves
 * (threads, graph and all), one JSON line per shape, pass and thread count:
 *   {"bench":"bn","shape":"32x64x56x56","pass":"forward","threads":1,"isa":"avx512",
 *    "ms":1.23,"gbytes_s":20.1}
 * gbytes_s counts the bytes the pass must move at least, once each: forward
 * reads x and writes y (LayerNorm and BatchNorm also read their per-channel or
 * per-position weight, negligible); backward reads x (or y) and dy and reads
 * and writes dx (it accumulates). Passes that read x more than once (BatchNorm
 * statistics, the backward's sums) count it once: the figure is the
 * fraction of a streaming pass the layer reaches, comparable with the
 * machine's triad bandwidth. Each line is the fastest of repeats for at least
 * --seconds (after a warm-up run that grows the arena); nothing is allocated
 * in the timed loop.
 * conv and depthwise print "gflops" instead of "gbytes_s": the forward's
 * 2 N O OH OW (C / groups) KH KW flops, twice that for the backward (input
 * and weight gradients; no bias), and a third line "forward+backward" with
 * the sum of the two best times (bench/compare_layers.py times PyTorch's
 * nn.Conv2d the same way). */
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
#include "layers/conv.h"
#include "layers/norm.h"
#include "layers/pool.h"

typedef enum nb_kind { NB_BN, NB_LN, NB_SOFTMAX, NB_MAXPOOL, NB_MAXPOOL3, NB_GAP, NB_CONV } nb_kind;

typedef struct nb_case {
    nb_kind kind;
    int ndim;
    int64_t shape[4];
    int out_ch, ksize, stride, groups;   /* NB_CONV: O, a square kernel, padding ksize / 2 */
} nb_case;

static const nb_case BN_CASES[] = {{NB_BN, 4, {32, 64, 56, 56}, 0, 0, 0, 0},
                                   {NB_BN, 4, {32, 32, 112, 112}, 0, 0, 0, 0},
                                   {NB_BN, 4, {32, 1280, 7, 7}, 0, 0, 0, 0}};
static const nb_case LN_CASES[] = {{NB_LN, 2, {8192, 64}, 0, 0, 0, 0},
                                   {NB_LN, 2, {8192, 384}, 0, 0, 0, 0},
                                   {NB_LN, 2, {2048, 768}, 0, 0, 0, 0}};
static const nb_case SOFTMAX_CASES[] = {{NB_SOFTMAX, 2, {32768, 256}, 0, 0, 0, 0},
                                        {NB_SOFTMAX, 2, {4096, 1000}, 0, 0, 0, 0},
                                        {NB_SOFTMAX, 4, {32, 64, 56, 56}, 0, 0, 0, 0}};
static const nb_case POOL_CASES[] = {{NB_MAXPOOL, 4, {32, 64, 56, 56}, 0, 0, 0, 0},
                                     {NB_MAXPOOL3, 4, {8, 64, 112, 112}, 0, 0, 0, 0},
                                     {NB_GAP, 4, {32, 1280, 7, 7}, 0, 0, 0, 0},
                                     {NB_GAP, 4, {32, 2048, 7, 7}, 0, 0, 0, 0}};
/* Issue 9's conv (3x3 64->64 at 56x56, batch 32) and depthwise (3x3, 96
 * channels at 112x112, batch 32) targets first, then ResNet-50's and
 * MobileNetV2's other typical shapes. */
static const nb_case CONV_CASES[] = {{NB_CONV, 4, {32, 64, 56, 56}, 64, 3, 1, 1},
                                     {NB_CONV, 4, {32, 256, 14, 14}, 256, 3, 1, 1},
                                     {NB_CONV, 4, {32, 256, 56, 56}, 64, 1, 1, 1},
                                     {NB_CONV, 4, {32, 64, 56, 56}, 256, 1, 1, 1}};
static const nb_case DW_CASES[] = {{NB_CONV, 4, {32, 96, 112, 112}, 96, 3, 1, 96},
                                   {NB_CONV, 4, {32, 144, 56, 56}, 144, 3, 1, 144},
                                   {NB_CONV, 4, {32, 144, 56, 56}, 144, 3, 2, 144},
                                   {NB_CONV, 4, {32, 960, 7, 7}, 960, 3, 1, 960}};

static const sg_cli_command NB_CMDS[] = {
    {"bench bn", "steelgrad bench bn [--threads LIST] [--seconds X] [--batch N]",
     "Time BatchNorm2d in training mode (batch statistics, affine), forward and backward, through\n"
     "the layer with the active kernels (SG_ISA picks them); one JSON line per shape, pass and\n"
     "thread count: {\"bench\":\"bn\",\"shape\":..,\"pass\":..,\"threads\":..,\"isa\":..,\"ms\":..,\n"
     "\"gbytes_s\":..} (bytes: x and y forward; x, dy and dx read+write backward)."},
    {"bench layernorm", "steelgrad bench layernorm [--threads LIST] [--seconds X] [--batch N]",
     "Time LayerNorm over the last dim (affine), forward and backward, through the layer with the\n"
     "active kernels; one JSON line per shape, pass and thread count (fields as bench bn)."},
    {"bench softmax", "steelgrad bench softmax [--threads LIST] [--seconds X] [--batch N]",
     "Time softmax (rows of the last dim, and dim 1 of an NCHW tensor), forward and backward,\n"
     "through the layer with the active kernels; one JSON line per shape, pass and thread count\n"
     "(fields as bench bn)."},
    {"bench pool", "steelgrad bench pool [--threads LIST] [--seconds X] [--batch N]",
     "Time max pooling (2x2 stride 2; 3x3 stride 2 pad 1) and global average pooling, forward and\n"
     "backward, through the layers with the active kernels; one JSON line per shape, pass and\n"
     "thread count (fields as bench bn; shape names the op: maxpool2, maxpool3, gap)."},
    {"bench conv", "steelgrad bench conv [--threads LIST] [--seconds X] [--batch N]",
     "Time nn.Conv2d-like convolutions (no bias) forward and backward (input and weight\n"
     "gradients) through the layer with the active kernels: issue 9's 3x3 64->64 at 56x56, then\n"
     "ResNet-50's 3x3 256 at 14x14 and its 1x1 reductions; one JSON line per shape, pass\n"
     "(forward, backward, forward+backward) and thread count with ms and gflops."},
    {"bench depthwise", "steelgrad bench depthwise [--threads LIST] [--seconds X] [--batch N]",
     "Time depthwise 3x3 convolutions (MobileNetV2's) forward and backward through the layer with\n"
     "the active kernels: issue 9's 96 channels at 112x112, then 144 at 56x56 (stride 1 and 2)\n"
     "and 960 at 7x7; fields as bench conv."},
};

static double nb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One forward of the case on views of the buffers; NULL on error. */
static sg_tensor *nb_forward(sg_graph *g, const nb_case *c, float *xd, float *wd, float *bd, float *rm, float *rv)
{
    sg_tensor *x = sg_graph_view(g, xd, c->ndim, c->shape);
    if (!x) return NULL;
    sg_graph_retain_grad(g, x);
    const int64_t C = c->shape[1], D = c->shape[c->ndim - 1];
    switch (c->kind) {
    case NB_BN: {
        sg_tensor *w = sg_graph_view(g, wd, 1, &C), *b = sg_graph_view(g, bd, 1, &C);
        sg_tensor *m = sg_graph_view(g, rm, 1, &C), *v = sg_graph_view(g, rv, 1, &C);
        if (!w || !b || !m || !v) return NULL;
        sg_graph_retain_grad(g, w), sg_graph_retain_grad(g, b);
        return sg_batchnorm2d(g, x, w, b, m, v, 0.1f, 1e-5f);
    }
    case NB_LN: {
        sg_tensor *w = sg_graph_view(g, wd, 1, &D), *b = sg_graph_view(g, bd, 1, &D);
        if (!w || !b) return NULL;
        sg_graph_retain_grad(g, w), sg_graph_retain_grad(g, b);
        return sg_layernorm(g, x, 1, w, b, 1e-5f);
    }
    case NB_SOFTMAX: return sg_softmax(g, x, c->ndim == 4 ? 1 : -1);
    case NB_MAXPOOL: {
        const sg_pool2d_opts o = sg_pool2d_opts_make(2, 2, 0);
        return sg_max_pool2d(g, x, &o);
    }
    case NB_MAXPOOL3: {
        const sg_pool2d_opts o = sg_pool2d_opts_make(3, 2, 1);
        return sg_max_pool2d(g, x, &o);
    }
    case NB_GAP: return sg_global_avg_pool2d(g, x);
    case NB_CONV: {
        const int64_t ws[4] = {c->out_ch, C / c->groups, c->ksize, c->ksize};
        sg_tensor *w = sg_graph_view(g, wd, 4, ws);
        if (!w) return NULL;
        sg_graph_retain_grad(g, w);
        const sg_conv2d_opts o = sg_conv2d_opts_make(c->stride, c->ksize / 2, 1, c->groups);
        return sg_conv2d(g, x, w, NULL, &o);
    }
    }
    return NULL;
}

static const char *nb_name(nb_kind k)
{
    static const char *const names[] = {"bn", "layernorm", "softmax", "pool", "pool", "pool", "conv"};
    return names[k];
}

/* Times one case at one thread count; prints its lines. */
static int nb_run(const char *cmd, const nb_case *c, int threads, double seconds)
{
    int64_t n = 1;
    for (int d = 0; d < c->ndim; d++) n *= c->shape[d];
    const int64_t C = c->kind == NB_LN ? c->shape[c->ndim - 1] : c->shape[1];
    const bool conv = c->kind == NB_CONV;
    int64_t OH = c->shape[2], OW = c->shape[3], n_par = 4 * C;
    if (conv) {
        OH = (c->shape[2] + 2 * (c->ksize / 2) - c->ksize) / c->stride + 1;
        OW = (c->shape[3] + 2 * (c->ksize / 2) - c->ksize) / c->stride + 1;
        n_par = (int64_t)c->out_ch * (C / c->groups) * c->ksize * c->ksize;
    }
    /* the seed gradient has the output's size: a convolution may grow the channels */
    const int64_t n_seed = conv ? c->shape[0] * c->out_ch * OH * OW : n;
    float *xd = malloc(sizeof(float) * (size_t)n), *seed = malloc(sizeof(float) * (size_t)n_seed);
    float *par = malloc(sizeof(float) * (size_t)n_par);
    sg_graph *g = sg_graph_new();
    if (!xd || !seed || !par || !g) {
        free(xd), free(seed), free(par), sg_graph_free(g);
        return sg_cli_fail(cmd, "out of memory for %lld values", (long long)n);
    }
    sg_rng_fill_normal((sg_rng_key){3, SG_RNG_TEST, 0}, xd, n, 0, 1);
    sg_rng_fill_normal((sg_rng_key){4, SG_RNG_TEST, 0}, seed, n_seed, 0, 1);
    if (conv)
        sg_rng_fill_normal((sg_rng_key){5, SG_RNG_TEST, 0}, par, n_par, 0, 0.05f);
    else
        for (int64_t i = 0; i < C; i++) par[i] = 1.0f, par[C + i] = 0.0f, par[2 * C + i] = 0.0f, par[3 * C + i] = 1.0f;
    sg_graph_set_training(g, true);
    char shape[64];
    int len = 0;
    static const char *const op[] = {"", "", "", "maxpool2 ", "maxpool3 ", "gap ", ""};
    len += snprintf(shape + len, sizeof shape - (size_t)len, "%s", op[c->kind]);
    for (int d = 0; d < c->ndim; d++)
        len += snprintf(shape + len, sizeof shape - (size_t)len, d ? "x%lld" : "%lld", (long long)c->shape[d]);
    if (conv)   /* "32x64x56x56 k3 s1 o64 g1" */
        snprintf(shape + len, sizeof shape - (size_t)len, " k%d s%d o%d g%d", c->ksize, c->stride, c->out_ch,
                 c->groups);
    double best[2] = {1e30, 1e30};
    int64_t out_n = 0;
    double spent = 0;
    for (int step = 0; step < 4 || spent < seconds; step++) {   /* step 0 warms up (the arena grows) */
        sg_graph_reset(g);
        const double t0 = nb_now();
        sg_tensor *y = nb_forward(g, c, xd, par, par + C, par + 2 * C, par + 3 * C);
        const double t1 = nb_now();
        if (!y || sg_graph_backward_from(g, y, seed) != SG_OK) {
            const int rc = sg_cli_fail(cmd, "%s: %s", shape, sg_graph_error_message(g));
            free(xd), free(seed), free(par), sg_graph_free(g);
            return rc;
        }
        const double t2 = nb_now();
        out_n = y->numel;
        if (step == 0) continue;
        if (t1 - t0 < best[0]) best[0] = t1 - t0;
        if (t2 - t1 < best[1]) best[1] = t2 - t1;
        spent += t2 - t0;
    }
    const char *isa = sg_isa_name(sg_kernels()->isa);
    if (conv) {
        const double flops = 2.0 * (double)out_n * (double)(C / c->groups) * c->ksize * c->ksize;
        const double work[3] = {flops, 2 * flops, 3 * flops}, t[3] = {best[0], best[1], best[0] + best[1]};
        static const char *const cpass[] = {"forward", "backward", "forward+backward"};
        for (int p = 0; p < 3; p++)
            printf("{\"bench\":\"%s\",\"shape\":\"%s\",\"pass\":\"%s\",\"threads\":%d,\"isa\":\"%s\","
                   "\"ms\":%.4f,\"gflops\":%.2f}\n",
                   c->groups > 1 ? "depthwise" : "conv", shape, cpass[p], threads, isa, t[p] * 1e3,
                   work[p] / t[p] * 1e-9);
        fflush(stdout);
        free(xd), free(seed), free(par), sg_graph_free(g);
        return SG_EXIT_OK;
    }
    /* bytes: forward x + y; backward (x or y) + dy + dx read and written */
    const double bytes[2] = {4.0 * (double)(n + out_n), 4.0 * (double)(out_n + 3 * n)};
    static const char *const passes[] = {"forward", "backward"};
    for (int p = 0; p < 2; p++)
        printf("{\"bench\":\"%s\",\"shape\":\"%s\",\"pass\":\"%s\",\"threads\":%d,\"isa\":\"%s\",\"ms\":%.4f,"
               "\"gbytes_s\":%.2f}\n",
               nb_name(c->kind), shape, passes[p], threads, isa, best[p] * 1e3, bytes[p] / best[p] * 1e-9);
    fflush(stdout);
    free(xd), free(seed), free(par), sg_graph_free(g);
    return SG_EXIT_OK;
}

bool bench_norm_known(const char *name)
{
    for (size_t i = 0; i < sizeof NB_CMDS / sizeof NB_CMDS[0]; i++)
        if (strcmp(NB_CMDS[i].name + 6, name) == 0) return true;
    return false;
}

int bench_norm(int argc, char **argv)
{
    size_t which = 0;
    while (strcmp(NB_CMDS[which].name + 6, argv[0]) != 0) which++;
    const sg_cli_command *cmd = &NB_CMDS[which];
    char *threads_arg = NULL;
    double seconds = 0.3;
    int64_t batch = 0;   /* 0: the shapes as listed */
    bool done;
    sg_cli_opt opts[] = {
        {.name = "threads", .type = SG_OPT_STRING, .dest = &threads_arg, .arg = "LIST",
         .help = "thread counts, comma-separated (default: 1 and all threads)"},
        {.name = "seconds", .type = SG_OPT_FLOAT, .dest = &seconds, .min = 0, .max = 3600, .above_min = true,
         .help = "time per line, at least"},
        {.name = "batch", .type = SG_OPT_INT, .dest = &batch, .arg = "N", .min = 1, .max = 4096,
         .help = "the shapes' first dimension: images, or rows of the 2-D shapes (default: as listed)"},
    };
    const int rc = sg_cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    int threads[SG_BENCH_MAX_THREADS];
    const int n_threads = sg_bench_threads(cmd->name, threads_arg, threads);
    if (!n_threads) return SG_EXIT_USAGE;
    const nb_case *cases[] = {BN_CASES, LN_CASES, SOFTMAX_CASES, POOL_CASES, CONV_CASES, DW_CASES};
    const size_t counts[] = {sizeof BN_CASES / sizeof BN_CASES[0], sizeof LN_CASES / sizeof LN_CASES[0],
                             sizeof SOFTMAX_CASES / sizeof SOFTMAX_CASES[0], sizeof POOL_CASES / sizeof POOL_CASES[0],
                             sizeof CONV_CASES / sizeof CONV_CASES[0], sizeof DW_CASES / sizeof DW_CASES[0]};
    const int saved = sg_threads();
    int status = SG_EXIT_OK;
    for (size_t c = 0; c < counts[which] && status == SG_EXIT_OK; c++)
        for (int t = 0; t < n_threads && status == SG_EXIT_OK; t++) {
            if (sg_set_threads(threads[t]) != SG_OK) continue;
            nb_case one = cases[which][c];
            if (batch) one.shape[0] = batch;
            status = nb_run(cmd->name, &one, threads[t], seconds);
        }
    sg_set_threads(saved);
    return status;
}
