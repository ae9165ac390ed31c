/* bench/bench_train_step.c - one training step of a zoo model: speed and memory.
 *
 * Usage: bench_train_step [MODEL [BATCH [SIZE [STEPS [THREADS]]]]]
 *        (defaults: mobilenetv2 32 224 3 = SG_THREADS or all cores)
 * Builds MODEL (models/zoo.h, 3 channels, 1000 classes as torchvision),
 * then times forward + cross-entropy + backward + Adam step (defaults) on a
 * random BATCH x 3 x SIZE x SIZE batch: one warm-up step (it sizes the arena
 * and the Adam state), then STEPS timed steps. Prints one JSON line with
 * images/s, the step arena's peak bytes (and whether it still grew after the
 * warm-up step: it should not) and the process's peak RSS (getrusage).
 * The work is train/bench.c's sg_bench_model, which `steelgrad bench train`
 * runs too; bench/bench_train_step_torch.py prints the same fields for
 * PyTorch. Never pass/fail. */
#include <stdio.h>
#include <stdlib.h>

#include "core/pool.h"
#include "train/bench.h"

int main(int argc, char **argv)
{
    sg_bench_model_opts o = {
        .model = argc > 1 ? argv[1] : "mobilenetv2",
        .train = true,
        .batch = argc > 2 ? atoi(argv[2]) : 32,
        .size = argc > 3 ? atoi(argv[3]) : 224,
        .steps = argc > 4 ? atoi(argv[4]) : 3,
        .classes = 1000,
    };
    if (argc > 5 ? sg_set_threads(atoi(argv[5])) : sg_threads_from_env()) {
        fprintf(stderr, "bench_train_step: %s\n", sg_error_message());
        return 1;
    }
    sg_bench_model_result r;
    if (sg_bench_model(&o, &r) != SG_OK) {
        fprintf(stderr, "bench_train_step: %s\n", sg_error_message());
        return 1;
    }
    double load[3] = {0};
    FILE *la = fopen("/proc/loadavg", "r");
    if (la) {
        if (fscanf(la, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
        fclose(la);
    }
    printf("{\"bench\":\"train_step\",\"impl\":\"steelgrad\",\"model\":\"%s\",\"threads\":%d,"
           "\"batch\":%d,\"size\":%d,\"steps\":%d,\"step_ms\":%.1f,\"images_per_s\":%.2f,"
           "\"arena_grew_in_timed_steps\":%s,\"forward_arena_bytes\":%zu,\"peak_arena_bytes\":%zu,"
           "\"peak_rss_bytes\":%.0f,\"loadavg\":%.2f}\n",
           o.model, sg_threads(), o.batch, o.size, o.steps, r.ms, r.img_s,
           r.arena_grew ? "true" : "false", r.forward_bytes, r.peak_bytes,
           (double)r.peak_rss_kb * 1024.0, load[0]);
    return 0;
}
