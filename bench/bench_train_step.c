/* bench/bench_train_step.c - one training step of a zoo model: speed and memory.
 *
 * Usage: bench_train_step [MODEL [BATCH [SIZE [STEPS [THREADS]]]]]
 *        (defaults: mobilenetv2 32 224 3 = SG_THREADS or all cores)
 * Builds MODEL (models/zoo.h, 3 channels, 1000 classes as torchvision),
 * then times forward + cross-entropy + backward + Adam step (defaults) on a
 * random BATCH x 3 x SIZE x SIZE batch: one warm-up step (it sizes the arena
 * and the Adam state), then STEPS timed steps. Prints one JSON line with
 * images/s, the step arena's peak bytes (and whether it still grew after the
 * warm-up step: it should not) and the process's peak RSS
 * (VmHWM of /proc/self/status, else getrusage). bench/bench_train_step_torch.py
 * prints the same fields for PyTorch. Never pass/fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/graph.h"
#include "core/param.h"
#include "core/pool.h"
#include "layers/loss.h"
#include "models/zoo.h"
#include "optim/optim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Peak resident set in bytes: VmHWM, or ru_maxrss where /proc is missing. */
static double peak_rss_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = atof(line + 6);
    if (f) fclose(f);
    if (kb == 0) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        kb = (double)ru.ru_maxrss;
    }
    return kb * 1024.0;
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : "mobilenetv2";
    int batch = argc > 2 ? atoi(argv[2]) : 32, size = argc > 3 ? atoi(argv[3]) : 224;
    int steps = argc > 4 ? atoi(argv[4]) : 3;
    if (argc > 5 ? sg_set_threads(atoi(argv[5])) : sg_threads_from_env()) {
        fprintf(stderr, "bench_train_step: %s\n", sg_error_message());
        return 1;
    }
    const int classes = 1000;
    sg_model_options o = sg_model_options_defaults(classes);
    o.in_channels = 3;
    o.image_size = size;
    sg_model m;
    if (sg_model_build(&m, name, &o, 1) != SG_OK) {
        fprintf(stderr, "bench_train_step: %s\n", sg_error_message());
        return 1;
    }
    size_t n = (size_t)batch * 3 * size * size;
    float *images = malloc(n * sizeof(float));
    int32_t *labels = malloc((size_t)batch * sizeof(int32_t));
    if (!images || !labels) return 1;
    uint64_t s = 88172645463325252ull;   /* xorshift: fixed random batch */
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        images[i] = (float)((s >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
    }
    for (int i = 0; i < batch; i++) labels[i] = (int32_t)(i * 37 % classes);

    sg_graph *g = sg_graph_new();
    sg_optimizer *opt = sg_adam_new(NULL);
    double t_timed = 0;
    size_t forward_bytes = 0;   /* arena in use when the forward (and loss) is done */
    size_t capacity_timed_start = 0;   /* arena memory when the timed steps begin */
    for (int step = 0; step <= steps; step++) {
        double t0 = now();
        sg_graph_reset(g);
        if (step == 1) capacity_timed_start = sg_arena_capacity(sg_graph_arena(g));
        sg_graph_set_seed(g, 1, (uint64_t)step);
        sg_params_zero_grad(m.params);
        sg_tensor *x = sg_graph_view(g, images, 4, (int64_t[]){batch, 3, size, size});
        sg_tensor *loss = sg_cross_entropy(g, sg_model_forward(g, &m, x), labels, NULL);
        forward_bytes = sg_arena_used(sg_graph_arena(g));
        sg_err err = loss ? sg_graph_backward(g, loss) : sg_graph_error(g);
        if (err == SG_OK) err = sg_optimizer_step(opt, m.params);
        if (err != SG_OK) {
            fprintf(stderr, "bench_train_step: %s\n", sg_error_message());
            return 1;
        }
        if (step > 0) t_timed += now() - t0;
    }
    double load[3] = {0};
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
        fclose(la);
    }
    printf("{\"bench\":\"train_step\",\"impl\":\"steelgrad\",\"model\":\"%s\",\"threads\":%d,"
           "\"batch\":%d,\"size\":%d,\"steps\":%d,\"step_ms\":%.1f,\"images_per_s\":%.2f,"
           "\"arena_grew_in_timed_steps\":%s,\"forward_arena_bytes\":%zu,\"peak_arena_bytes\":%zu,\"peak_rss_bytes\":%.0f,\"loadavg\":%.2f}\n",
           name, sg_threads(), batch, size, steps, t_timed / steps * 1e3,
           batch * steps / t_timed,
           sg_arena_capacity(sg_graph_arena(g)) != capacity_timed_start ? "true" : "false", forward_bytes, sg_graph_peak_bytes(g), peak_rss_bytes(), load[0]);
    sg_graph_free(g);
    sg_optimizer_free(opt);
    sg_model_free(&m);
    free(images);
    free(labels);
    return 0;
}
