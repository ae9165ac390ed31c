/* train/bench.c - training-step, inference and Grad-CAM timing of a zoo model (see bench.h). */
#include "train/bench.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "core/graph.h"
#include "core/param.h"
#include "interp/gradcam.h"
#include "layers/reduce.h"
#include "layers/loss.h"
#include "models/zoo.h"
#include "optim/optim.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One step (train) or forward (infer) on the fixed batch. */
static sg_err run_once(const sg_bench_model_opts *o, sg_graph *g, sg_model *m, sg_optimizer *opt,
                       float *images, const int32_t *labels, int step, size_t *forward_bytes)
{
    sg_graph_reset(g);
    sg_graph_set_seed(g, 1, (uint64_t)step);
    sg_tensor *x = sg_graph_view(g, images, 4, (int64_t[]){o->batch, 3, o->size, o->size});
    if (!o->train) {
        sg_tensor *y = x ? sg_model_forward(g, m, x) : NULL;
        *forward_bytes = sg_arena_used(sg_graph_arena(g));
        return y ? SG_OK : sg_graph_error(g);
    }
    sg_params_zero_grad(m->params);
    sg_tensor *loss = sg_cross_entropy(g, x ? sg_model_forward(g, m, x) : NULL, labels, NULL);
    *forward_bytes = sg_arena_used(sg_graph_arena(g));
    sg_err err = loss ? sg_graph_backward(g, loss) : sg_graph_error(g);
    return err == SG_OK ? sg_optimizer_step(opt, m->params) : err;
}

sg_err sg_bench_model(const sg_bench_model_opts *o, sg_bench_model_result *r)
{
    *r = (sg_bench_model_result){0};
    if (o->batch < 1 || o->size < 1 || o->steps < 1 || o->classes < 2)
        return sg_error_set(SG_ERR_INVALID, "bench %s: batch %d, size %d, steps %d, classes %d: "
                            "expected batch, size, steps >= 1 and classes >= 2",
                            o->train ? "train" : "infer", o->batch, o->size, o->steps, o->classes);
    sg_model_options mo = sg_model_options_defaults(o->classes);
    mo.in_channels = 3;
    mo.image_size = o->size;
    sg_model m;
    sg_err err = sg_model_build(&m, o->model, &mo, 1);
    if (err != SG_OK) return err;
    size_t n = (size_t)o->batch * 3 * (size_t)o->size * (size_t)o->size;
    float *images = malloc(n * sizeof(float));
    int32_t *labels = malloc((size_t)o->batch * sizeof(int32_t));
    sg_graph *g = sg_graph_new();
    sg_optimizer *opt = o->train ? sg_adam_new(NULL) : NULL;
    if (!images || !labels || !g || (o->train && !opt)) {
        err = sg_error_set(SG_ERR_NOMEM, "bench: out of memory for a batch of %d", o->batch);
        goto done;
    }
    uint64_t s = 88172645463325252ull;   /* xorshift: a fixed random batch */
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        images[i] = (float)((double)(s >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
    }
    for (int i = 0; i < o->batch; i++) labels[i] = (int32_t)(i * 37 % o->classes);
    sg_graph_set_grad_enabled(g, o->train);
    sg_graph_set_training(g, o->train);
    double timed = 0;
    size_t capacity = 0;
    for (int step = 0; step <= o->steps && err == SG_OK; step++) {
        double t0 = now();
        if (step == 1) {   /* after the warm-up's reset, which merges its chunks */
            sg_graph_reset(g);
            capacity = sg_arena_capacity(sg_graph_arena(g));
        }
        err = run_once(o, g, &m, opt, images, labels, step, &r->forward_bytes);
        if (step > 0) timed += now() - t0;
    }
    if (err != SG_OK) goto done;
    /* the reset a next step would do, so a growth in the last step shows too */
    sg_graph_reset(g);
    r->ms = timed / o->steps * 1e3;
    r->img_s = (double)o->batch * o->steps / timed;
    r->peak_bytes = sg_graph_peak_bytes(g);
    r->arena_grew = sg_arena_capacity(sg_graph_arena(g)) != capacity;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) r->peak_rss_kb = ru.ru_maxrss;
done:
    sg_graph_free(g);
    sg_optimizer_free(opt);
    sg_model_free(&m);
    free(images);
    free(labels);
    return err;
}

/* One eval-mode forward with gradients and the backward of sum(logits). */
static sg_err forward_backward(sg_graph *g, sg_model *m, float *image, int size)
{
    sg_graph_reset(g);
    sg_graph_set_training(g, false);
    sg_params_zero_grad(m->params);
    sg_tensor *x = sg_graph_view(g, image, 4, (int64_t[]){1, 3, size, size});
    sg_tensor *y = x ? sg_model_forward(g, m, x) : NULL;
    sg_err err = y ? sg_graph_backward(g, sg_sum_all(g, y)) : sg_graph_error(g);
    if (err != SG_OK) sg_error_set(err, "bench gradcam: %s", sg_graph_error_message(g));
    sg_graph_reset(g);
    return err;
}

sg_err sg_bench_gradcam(const sg_bench_gradcam_opts *o, sg_bench_gradcam_result *r)
{
    *r = (sg_bench_gradcam_result){0};
    if (o->size < 1 || o->repeats < 1 || o->classes < 2 ||
        (o->method != SG_CAM_GRADCAM && o->method != SG_CAM_GRADCAM_PP))
        return sg_error_set(SG_ERR_INVALID, "bench gradcam: size %d, repeats %d, classes %d, method "
                            "%d: expected size, repeats >= 1, classes >= 2, gradcam or gradcam++",
                            o->size, o->repeats, o->classes, o->method);
    sg_model_options mo = sg_model_options_defaults(o->classes);
    mo.in_channels = 3;
    mo.image_size = o->size;
    sg_model m;
    sg_err err = sg_model_build(&m, o->model, &mo, 1);
    if (err != SG_OK) return err;
    size_t n = 3 * (size_t)o->size * (size_t)o->size;
    float *image = malloc(n * sizeof(float)), *map = malloc(n / 3 * sizeof(float));
    sg_graph *g = sg_graph_new();
    if (!image || !map || !g) {
        err = sg_error_set(SG_ERR_NOMEM, "bench gradcam: out of memory for a %d px image", o->size);
        goto done;
    }
    uint64_t s = 88172645463325252ull;   /* xorshift: a fixed random image */
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        image[i] = (float)((double)(s >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
    }
    double best_fb = 1e300, best_cam = 1e300;
    for (int rep = 0; rep <= o->repeats && err == SG_OK; rep++) {   /* rep 0: warm-up */
        double t0 = now();
        err = forward_backward(g, &m, image, o->size);
        double t1 = now();
        if (err == SG_OK)
            err = sg_gradcam(g, &m, image, 3, o->size, o->size, (sg_cam_method)o->method, -1,
                             o->layer, map, NULL);
        double t2 = now();
        if (rep > 0 && t1 - t0 < best_fb) best_fb = t1 - t0;
        if (rep > 0 && t2 - t1 < best_cam) best_cam = t2 - t1;
    }
    if (err != SG_OK) goto done;
    r->forward_backward_ms = best_fb * 1e3;
    r->gradcam_ms = best_cam * 1e3;
    r->ratio = best_cam / best_fb;
done:
    sg_graph_free(g);
    sg_model_free(&m);
    free(image);
    free(map);
    return err;
}
