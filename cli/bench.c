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
#include "interp/gradcam.h"
#include "models/zoo.h"
#include "train/bench.h"

static const sg_cli_command sgemm_cmd = {
    "bench sgemm",
    "steelgrad bench sgemm [--threads LIST] [--shapes LIST] [--transpose NN|NT|TN|TT] [--seconds X]",
    "Time C = A B (row-major float32) through the threaded SGEMM driver with the active\n"
    "kernels (SG_ISA picks them) and print one JSON line per shape and thread count:\n"
    "{\"bench\":\"sgemm\",\"shape\":..,\"M\":..,\"N\":..,\"K\":..,\"transpose\":..,\"threads\":..,\n"
    " \"isa\":..,\"ms\":..,\"gflops\":..}. --threads 1,2 (default: 1 and all threads),\n"
    "--shapes MxNxK,... (default 1024x1024x1024,64x3136x576,256x3136x64,512x784x1152,\n"
    "2048x49x512), --seconds: time spent per line, at least (default 0.5)."};

enum { MAX_SHAPES = 16 };

static const char default_shapes[] = "1024x1024x1024,64x3136x576,256x3136x64,512x784x1152,2048x49x512";

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int sg_bench_threads(const char *cmd, const char *arg, int threads[SG_BENCH_MAX_THREADS])
{
    int n = 0;
    if (!arg) {
        threads[n++] = 1;
        if (sg_threads() > 1) threads[n++] = sg_threads();
        return n;
    }
    for (const char *s = arg; *s;) {
        char *end;
        const long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 256 || n == SG_BENCH_MAX_THREADS || (*end && *end != ',') ||
            (*end == ',' && !end[1])) {
            n = 0;
            break;
        }
        threads[n++] = (int)v;
        s = *end ? end + 1 : end;
    }
    if (n == 0) sg_cli_usage(cmd, "--threads '%s': expected counts in 1..256 separated by commas", arg);
    return n;
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

    int threads[SG_BENCH_MAX_THREADS];
    const int n_threads = sg_bench_threads(sgemm_cmd.name, threads_arg, threads);
    if (!n_threads) return SG_EXIT_USAGE;
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

/* ---- memory-bound kernels against the triad bandwidth ----------------------------- */

/* `steelgrad bench triad|adam|elementwise|gelu`: GB/s of the elementwise kernel
 * families on arrays far beyond the caches (default 32M floats each), through
 * the thread pool in the chunks the layers use, and that rate as a fraction of
 * the STREAM triad's (a[i] = b[i] + s * c[i]) measured in the same run at the
 * same thread count. Bytes are what the kernel must read plus what it writes
 * (STREAM's convention: write-allocate traffic is not counted). One line per
 * kernel and thread count:
 *   {"bench":"adam","op":"adamw","n":33554432,"threads":1,"isa":"avx512","ms":..,
 *    "gbytes_s":..,"triad_fraction":..} */
static const char bench_ew_help[] =
    "Time the memory-bound kernels with the active kernel table (SG_ISA picks it) on\n"
    "arrays of --n floats (default 33554432, far beyond the caches) and print one JSON\n"
    "line per kernel and thread count: {\"bench\":..,\"op\":..,\"n\":..,\"threads\":..,\"isa\":..,\n"
    "\"ms\":..,\"gbytes_s\":..,\"triad_fraction\":..}: bytes read + written per second, and\n"
    "that over the triad's (a = b + s c, measured first, same threads). triad: the triad\n"
    "alone; adam: AdamW and SGD with momentum; elementwise: add, relu forward and\n"
    "backward; gelu: GELU forward and backward. --threads 1,2 (default: 1 and all\n"
    "threads), --seconds: time per line, at least (default 0.5).";
static const sg_cli_command bench_ew_cmds[] = {
    {"bench triad", "steelgrad bench triad [--threads LIST] [--n N] [--seconds X]", bench_ew_help},
    {"bench adam", "steelgrad bench adam [--threads LIST] [--n N] [--seconds X]", bench_ew_help},
    {"bench elementwise", "steelgrad bench elementwise [--threads LIST] [--n N] [--seconds X]", bench_ew_help},
    {"bench gelu", "steelgrad bench gelu [--threads LIST] [--n N] [--seconds X]", bench_ew_help},
};
enum { EW_BENCH_COUNT = sizeof bench_ew_cmds / sizeof bench_ew_cmds[0] };

typedef enum ew_kernel {
    EWB_TRIAD, EWB_ADAMW, EWB_SGD, EWB_ADD, EWB_RELU, EWB_RELU_BACKWARD, EWB_GELU, EWB_GELU_BACKWARD
} ew_kernel;
static const struct {
    const char *bench, *op;
    int arrays;     /* arrays of n floats it touches */
    int moved;      /* floats read + written per element */
} ew_kernels[] = {
    [EWB_TRIAD] = {"triad", "triad", 3, 3},          [EWB_ADAMW] = {"adam", "adamw", 4, 7},
    [EWB_SGD] = {"adam", "sgd_momentum", 3, 5},      [EWB_ADD] = {"elementwise", "add", 3, 3},
    [EWB_RELU] = {"elementwise", "relu", 2, 2},      [EWB_RELU_BACKWARD] = {"elementwise", "relu_backward", 3, 4},
    [EWB_GELU] = {"gelu", "gelu", 2, 2},             [EWB_GELU_BACKWARD] = {"gelu", "gelu_backward", 3, 4},
};

typedef struct ew_job {
    ew_kernel k;
    float *a[4];
    const sg_kernel_table *t;
} ew_job;

/* Chunks of 16384 elements, as the layers and the optimiser cut them. */
enum { EW_GRAIN = 16384 };

static void ew_range(void *ctx, int64_t i0, int64_t i1)
{
    const ew_job *J = ctx;
    float *const *a = J->a;
    const int64_t n = i1 - i0;
    static const sg_sgd_hp sgd = {-0.01f, 5e-4f, 0.9f, 1.0f, false, false};
    static const sg_adam_hp adamw = {.decay_scale = 0.99999f, .decoupled = true, .beta1 = 0.9f,
                                     .one_minus_beta1 = 0.1f, .beta2 = 0.999f, .one_minus_beta2 = 0.001f,
                                     .bias2_sqrt = 0.5f, .eps = 1e-8f, .neg_step_size = -1e-3f};
    switch (J->k) {
    case EWB_TRIAD: {
        float *x = a[0] + i0;
        const float *b = a[1] + i0, *c = a[2] + i0;
        for (int64_t i = 0; i < n; i++) x[i] = b[i] + 3.0f * c[i];
        break;
    }
    case EWB_ADAMW: J->t->adam(&adamw, a[0] + i0, a[1] + i0, a[2] + i0, a[3] + i0, NULL, n); break;
    case EWB_SGD: J->t->sgd(&sgd, a[0] + i0, a[1] + i0, a[2] + i0, n); break;
    case EWB_ADD: J->t->ew_binary(SG_EW_ADD, a[1] + i0, 1, a[2] + i0, 1, a[0] + i0, n); break;
    case EWB_RELU: J->t->act_forward(SG_ACT_RELU, 0, 0, a[1] + i0, a[0] + i0, n); break;
    case EWB_RELU_BACKWARD:
        J->t->act_backward(SG_ACT_RELU, 0, 0, a[1] + i0, a[1] + i0, a[2] + i0, a[0] + i0, n);
        break;
    case EWB_GELU: J->t->act_forward(SG_ACT_GELU, 0, 0, a[1] + i0, a[0] + i0, n); break;
    case EWB_GELU_BACKWARD:
        J->t->act_backward(SG_ACT_GELU, 0, 0, a[1] + i0, a[1] + i0, a[2] + i0, a[0] + i0, n);
        break;
    }
}

/* The fastest of calls repeated for at least `seconds` (after a warm-up call), in seconds. */
static double ew_time(ew_job *J, int64_t n, double seconds)
{
    sg_parallel_for(n, EW_GRAIN, ew_range, J);
    double best = 1e30, total = 0;
    int reps = 0;
    while (total < seconds || reps < 3) {
        const double t0 = now();
        sg_parallel_for(n, EW_GRAIN, ew_range, J);
        const double dt = now() - t0;
        total += dt, reps++;
        if (dt < best) best = dt;
    }
    return best;
}

static void ew_print(ew_kernel k, int64_t n, int threads, const char *isa, double sec, double triad_gbs)
{
    const double gbs = (double)ew_kernels[k].moved * sizeof(float) * (double)n / sec * 1e-9;
    printf("{\"bench\":\"%s\",\"op\":\"%s\",\"n\":%lld,\"threads\":%d,\"isa\":\"%s\",\"ms\":%.4f,"
           "\"gbytes_s\":%.3f",
           ew_kernels[k].bench, ew_kernels[k].op, (long long)n, threads, isa, sec * 1e3, gbs);
    if (k != EWB_TRIAD) printf(",\"triad_fraction\":%.3f", gbs / triad_gbs);
    printf("}\n");
    fflush(stdout);
}

static int bench_ew(int which, int argc, char **argv)
{
    const sg_cli_command *cmd = &bench_ew_cmds[which];
    char *threads_arg = NULL;
    double seconds = 0.5;
    int64_t n = 33554432;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "threads", .type = SG_OPT_STRING, .dest = &threads_arg, .arg = "LIST",
         .help = "thread counts, comma-separated (default: 1 and all threads)"},
        {.name = "n", .type = SG_OPT_INT, .dest = &n, .arg = "N", .min = 1, .max = 1073741824,
         .help = "floats per array (default 33554432)"},
        {.name = "seconds", .type = SG_OPT_FLOAT, .dest = &seconds, .min = 0, .max = 3600,
         .above_min = true, .help = "time per line, at least"},
    };
    int rc = sg_cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    int threads[SG_BENCH_MAX_THREADS];
    const int n_threads = sg_bench_threads(cmd->name, threads_arg, threads);
    if (!n_threads) return SG_EXIT_USAGE;
    const char *bench = cmd->name + strlen("bench ");
    ew_job J = {.t = sg_kernels()};
    for (int k = 0; k < 4; k++) {
        J.a[k] = malloc(sizeof(float) * (size_t)n);
        if (!J.a[k]) {
            for (int f = 0; f < k; f++) free(J.a[f]);
            return sg_cli_fail(cmd->name, "out of memory for 4 arrays of %lld floats", (long long)n);
        }
    }
    /* p, g, m, v for Adam (v >= 0); the others read a[1], a[2] and write a[0]; values
     * normal(0, 1) so relu and gelu take every branch */
    for (int k = 0; k < 4; k++) sg_rng_fill_normal((sg_rng_key){3, SG_RNG_TEST, (uint64_t)k}, J.a[k], n, 0, 1);
    for (int64_t i = 0; i < n; i++) J.a[3][i] *= J.a[3][i];
    const int saved_threads = sg_threads();
    const char *isa = sg_isa_name(J.t->isa);
    for (int t = 0; t < n_threads; t++) {
        if (sg_set_threads(threads[t]) != SG_OK) continue;
        J.k = EWB_TRIAD;
        const double triad = ew_time(&J, n, seconds);
        const double triad_gbs = 3.0 * sizeof(float) * (double)n / triad * 1e-9;
        ew_print(EWB_TRIAD, n, threads[t], isa, triad, triad_gbs);
        for (int k = EWB_TRIAD + 1; k <= EWB_GELU_BACKWARD; k++) {
            if (strcmp(ew_kernels[k].bench, bench) != 0) continue;
            J.k = (ew_kernel)k;
            ew_print((ew_kernel)k, n, threads[t], isa, ew_time(&J, n, seconds), triad_gbs);
        }
    }
    sg_set_threads(saved_threads);
    for (int k = 0; k < 4; k++) free(J.a[k]);
    return SG_EXIT_OK;
}

/* `bench train` and `bench infer`: whole training steps or eval forwards of a
 * zoo model (train/bench.h), one JSON line per thread count. */
static const sg_cli_command train_cmd = {
    "bench train",
    "steelgrad bench train --model NAME [--batch B] [--size S] [--classes K] [--threads LIST] [--steps N]",
    "Time whole training steps of a model (forward + cross-entropy + backward + Adam step)\n"
    "on a fixed random batch of B x 3 x S x S (defaults 32, 224; K = 1000 classes): one\n"
    "warm-up step, then N timed steps (default 3), for each thread count (default: 1 and\n"
    "all threads). One JSON line each: {\"bench\":\"train\",\"model\":..,\"batch\":..,\n"
    "\"size\":..,\"threads\":..,\"isa\":..,\"ms\":..,\"img_s\":..,\"peak_bytes\":..,\"peak_rss_kb\":..}\n"
    "(ms per step; peak_bytes: the step arena's high-water mark; peak_rss_kb: the process's\n"
    "peak resident memory so far, getrusage)."};

static const sg_cli_command infer_cmd = {
    "bench infer",
    "steelgrad bench infer --model NAME [--batch B] [--size S] [--classes K] [--threads LIST] [--steps N]",
    "Time eval-mode forwards of a model with no gradient (as forward, predict, eval and\n"
    "serve run them: dead activations are freed as the forward goes) on a fixed random\n"
    "batch of B x 3 x S x S (defaults 1, 224; K = 1000 classes): one warm-up forward, then\n"
    "N timed ones (default 10), for each thread count (default: 1 and all threads). One\n"
    "JSON line each: {\"bench\":\"infer\",\"model\":..,\"batch\":..,\"size\":..,\"threads\":..,\n"
    "\"isa\":..,\"ms\":..,\"img_s\":..,\"peak_bytes\":..,\"peak_rss_kb\":..} (ms per forward)."};

static int bench_model(int argc, char **argv, bool train)
{
    const sg_cli_command *cmd = train ? &train_cmd : &infer_cmd;
    char *model = NULL, *threads_arg = NULL;
    int64_t batch = train ? 32 : 1, size = 224, classes = 1000, steps = train ? 3 : 10;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "model", .type = SG_OPT_STRING, .dest = &model, .arg = "NAME",
         .help = "a model of `steelgrad model list` (required)"},
        {.name = "batch", .type = SG_OPT_INT, .dest = &batch, .min = 1, .max = 4096, .arg = "B",
         .help = train ? "images per step (default 32)" : "images per forward (default 1)"},
        {.name = "size", .type = SG_OPT_INT, .dest = &size, .min = 8, .max = 4096, .arg = "S",
         .help = "input side in pixels (default 224)"},
        {.name = "classes", .type = SG_OPT_INT, .dest = &classes, .min = 2, .max = 1000000, .arg = "K",
         .help = "outputs of the classifier (default 1000)"},
        {.name = "threads", .type = SG_OPT_STRING, .dest = &threads_arg, .arg = "LIST",
         .help = "thread counts, comma-separated (default: 1 and all threads)"},
        {.name = "steps", .type = SG_OPT_INT, .dest = &steps, .min = 1, .max = 100000, .arg = "N",
         .help = train ? "timed steps after the warm-up (default 3)"
                       : "timed forwards after the warm-up (default 10)"},
    };
    int rc = sg_cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (!model) return sg_cli_usage(cmd->name, "--model NAME is required (steelgrad model list)");
    int threads[SG_BENCH_MAX_THREADS];
    const int n_threads = sg_bench_threads(cmd->name, threads_arg, threads);
    if (!n_threads) return SG_EXIT_USAGE;
    const int saved_threads = sg_threads();
    const char *isa = sg_isa_name(sg_kernels()->isa);
    sg_bench_model_opts o = {model, train, (int)batch, (int)size, (int)classes, (int)steps};
    for (int t = 0; t < n_threads; t++) {
        if (sg_set_threads(threads[t]) != SG_OK) continue;
        sg_bench_model_result r;
        if (sg_bench_model(&o, &r) != SG_OK) {
            sg_set_threads(saved_threads);
            return sg_cli_fail(cmd->name, "%s", sg_error_message());
        }
        printf("{\"bench\":\"%s\",\"model\":\"%s\",\"batch\":%d,\"size\":%d,\"threads\":%d,"
               "\"isa\":\"%s\",\"ms\":%.3f,\"img_s\":%.2f,\"peak_bytes\":%zu,\"peak_rss_kb\":%ld}\n",
               train ? "train" : "infer", model, o.batch, o.size, threads[t], isa, r.ms, r.img_s,
               r.peak_bytes, r.peak_rss_kb);
        fflush(stdout);
    }
    sg_set_threads(saved_threads);
    return SG_EXIT_OK;
}

/* `bench gradcam`: one Grad-CAM against one forward + backward (train/bench.h). */
static const sg_cli_command gradcam_cmd = {
    "bench gradcam",
    "steelgrad bench gradcam --model NAME [--size S] [--classes K] [--layer NAME] [--method M] [--threads LIST] [--repeats N]",
    "Time one Grad-CAM (steelgrad explain's map: a forward with a tap on the layer, the\n"
    "backward of the predicted class's logit from that layer on, the weighted sum,\n"
    "resize) of one random 3 x S x S image (default 224; K = 1000 classes) against one\n"
    "eval-mode forward + full backward (every weight gradient) of the same image: one\n"
    "warm-up, then the best of N repeats of each (default 3), for each thread count\n"
    "(default: 1 and all threads). --layer: default the model's last block (layer4,\n"
    "features.18, ...); --method gradcam (default) or gradcam++. One JSON line each:\n"
    "{\"bench\":\"gradcam\",\"model\":..,\"size\":..,\"layer\":..,\"method\":..,\"threads\":..,\n"
    "\"isa\":..,\"gradcam_ms\":..,\"forward_backward_ms\":..,\"ratio\":..,\"target\":2}\n"
    "(ratio = gradcam_ms / forward_backward_ms; the issue's target is <= 2 for resnet50)."};

static int bench_gradcam(int argc, char **argv)
{
    const sg_cli_command *cmd = &gradcam_cmd;
    char *model = NULL, *threads_arg = NULL, *layer = NULL, *method = NULL;
    int64_t size = 224, classes = 1000, repeats = 3;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "model", .type = SG_OPT_STRING, .dest = &model, .arg = "NAME",
         .help = "a model of `steelgrad model list` (required)"},
        {.name = "size", .type = SG_OPT_INT, .dest = &size, .min = 8, .max = 4096, .arg = "S",
         .help = "input side in pixels (default 224)"},
        {.name = "classes", .type = SG_OPT_INT, .dest = &classes, .min = 2, .max = 1000000, .arg = "K",
         .help = "outputs of the classifier (default 1000)"},
        {.name = "layer", .type = SG_OPT_STRING, .dest = &layer, .arg = "NAME",
         .help = "the layer explained (default: the model's last block)"},
        {.name = "method", .type = SG_OPT_STRING, .dest = &method, .arg = "M",
         .help = "gradcam (default) or gradcam++"},
        {.name = "threads", .type = SG_OPT_STRING, .dest = &threads_arg, .arg = "LIST",
         .help = "thread counts, comma-separated (default: 1 and all threads)"},
        {.name = "repeats", .type = SG_OPT_INT, .dest = &repeats, .min = 1, .max = 100000, .arg = "N",
         .help = "timed repeats after the warm-up; the best counts (default 3)"},
    };
    int rc = sg_cli_parse(cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (!model) return sg_cli_usage(cmd->name, "--model NAME is required (steelgrad model list)");
    int cam = method ? sg_cam_method_from_name(method) : SG_CAM_GRADCAM;
    if (cam < 0) return sg_cli_usage(cmd->name, "--method '%s': expected gradcam or gradcam++", method);
    int threads[SG_BENCH_MAX_THREADS];
    const int n_threads = sg_bench_threads(cmd->name, threads_arg, threads);
    if (!n_threads) return SG_EXIT_USAGE;
    const int saved_threads = sg_threads();
    const char *isa = sg_isa_name(sg_kernels()->isa);
    sg_bench_gradcam_opts o = {model, layer, cam, (int)size, (int)classes, (int)repeats};
    for (int t = 0; t < n_threads; t++) {
        if (sg_set_threads(threads[t]) != SG_OK) continue;
        sg_bench_gradcam_result r;
        if (sg_bench_gradcam(&o, &r) != SG_OK) {
            sg_set_threads(saved_threads);
            return sg_cli_fail(cmd->name, "%s", sg_error_message());
        }
        printf("{\"bench\":\"gradcam\",\"model\":\"%s\",\"size\":%d,\"layer\":\"%s\",\"method\":\"%s\","
               "\"threads\":%d,\"isa\":\"%s\",\"gradcam_ms\":%.3f,\"forward_backward_ms\":%.3f,"
               "\"ratio\":%.3f,\"target\":2}\n",
               model, o.size, layer && *layer ? layer : sg_model_find(model)->default_layer,
               sg_cam_method_name((sg_cam_method)cam),
               threads[t], isa, r.gradcam_ms, r.forward_backward_ms, r.ratio);
        fflush(stdout);
    }
    sg_set_threads(saved_threads);
    return SG_EXIT_OK;
}


int bench_attention(int argc, char **argv);   /* cli/bench_attn.c */
bool bench_norm_known(const char *name);   /* cli/bench_norm.c: bn, layernorm, softmax, pool, conv, depthwise */
int bench_norm(int argc, char **argv);
int bench_ulp(int argc, char **argv);       /* cli/bench_ulp.c */
int bench_order(int argc, char **argv);     /* cli/bench_order.c */

int cmd_bench(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "sgemm") == 0) return bench_sgemm(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "train") == 0) return bench_model(argc - 1, argv + 1, true);
    if (argc >= 2 && strcmp(argv[1], "infer") == 0) return bench_model(argc - 1, argv + 1, false);
    if (argc >= 2 && strcmp(argv[1], "gradcam") == 0) return bench_gradcam(argc - 1, argv + 1);
    for (int k = 0; k < EW_BENCH_COUNT; k++)
        if (argc >= 2 && strcmp(argv[1], bench_ew_cmds[k].name + strlen("bench ")) == 0)
            return bench_ew(k, argc - 1, argv + 1);
    if (argc >= 2 && bench_norm_known(argv[1])) return bench_norm(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "attention") == 0) return bench_attention(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "ulp") == 0) return bench_ulp(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "order") == 0) return bench_order(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: steelgrad bench sgemm [--threads LIST] [--shapes LIST] [--transpose NN|NT|TN|TT] [--seconds X]\n"
            "       steelgrad bench train --model NAME [--batch B] [--size S] [--classes K] [--threads LIST] [--steps N]\n"
            "       steelgrad bench infer --model NAME [--batch B] [--size S] [--classes K] [--threads LIST] [--steps N]\n"
            "       steelgrad bench gradcam --model NAME [--size S] [--classes K] [--layer NAME] [--method M] [--threads LIST] [--repeats N]\n"
            "       steelgrad bench triad [--threads LIST] [--n N] [--seconds X]\n"
            "       steelgrad bench adam [--threads LIST] [--n N] [--seconds X]\n"
            "       steelgrad bench elementwise [--threads LIST] [--n N] [--seconds X]\n"
            "       steelgrad bench gelu [--threads LIST] [--n N] [--seconds X]\n"
            "       steelgrad bench bn [--threads LIST] [--seconds X]\n"
            "       steelgrad bench layernorm [--threads LIST] [--seconds X]\n"
            "       steelgrad bench softmax [--threads LIST] [--seconds X]\n"
            "       steelgrad bench pool [--threads LIST] [--seconds X]\n"
            "       steelgrad bench conv [--threads LIST] [--seconds X] [--batch N]\n"
            "       steelgrad bench depthwise [--threads LIST] [--seconds X] [--batch N]\n"
            "       steelgrad bench attention [--threads LIST] [--seconds X] [--batch B] [--heads H] [--tokens T] [--dim E] [--dropout P]\n"
            "       steelgrad bench ulp [--fn LIST] [--stride K] [--threads N]\n"
            "       steelgrad bench order [--seconds X]\n"
            "(steelgrad bench NAME --help for more)\n");
    if (!help && argc >= 2) fprintf(stderr, "steelgrad bench: unknown benchmark '%s'\n", argv[1]);
    return help ? SG_EXIT_OK : SG_EXIT_USAGE;
}
