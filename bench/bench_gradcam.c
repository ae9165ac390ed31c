/* bench/bench_gradcam.c - the cost of one Grad-CAM of a 224 x 224 image with
 * ResNet-50 (layer4), against one eval-mode forward + full backward (every
 * weight gradient) of the same image, measured in the same run. Prints JSON
 * lines:
 *   {"bench":"gradcam","model":"resnet50","size":224,"what":"forward_backward","seconds":...}
 *   {"bench":"gradcam","model":"resnet50","size":224,"what":"gradcam","seconds":...}
 *   {"bench":"gradcam","model":"resnet50","size":224,"ratio":...}   (gradcam / forward+backward; target <= 2)
 * Best of REPEATS runs each (default 3; SG_BENCH_REPEATS overrides).
 * Grad-CAM records a tape only from layer4 on (the parameters need no
 * gradient), so it usually costs about one forward. Never pass/fail. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/graph.h"
#include "core/init.h"
#include "interp/gradcam.h"
#include "layers/reduce.h"
#include "models/zoo.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(void)
{
    enum { S = 224, C = 3, K = 1000 };
    sg_init();
    const char *r = getenv("SG_BENCH_REPEATS");
    int repeats = r ? atoi(r) : 3;
    if (repeats < 1) repeats = 1;
    sg_model m;
    sg_model_options o = sg_model_options_defaults(K);
    if (sg_model_build(&m, "resnet50", &o, 1) != SG_OK) {
        fprintf(stderr, "bench_gradcam: %s\n", sg_error_message());
        return 1;
    }
    float *x = malloc(sizeof(float) * C * S * S), *map = malloc(sizeof(float) * S * S);
    for (int i = 0; i < C * S * S; i++) x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    sg_graph *g = sg_graph_new();
    double best_fb = 1e30, best_cam = 1e30;
    for (int rep = 0; rep < repeats; rep++) {
        double t0 = now();
        sg_graph_set_training(g, false);
        int64_t shape[4] = {1, C, S, S};
        sg_tensor *in = sg_graph_tensor_from(g, 4, shape, x);
        sg_tensor *y = sg_model_forward(g, &m, in);
        if (!y || sg_graph_backward(g, sg_sum_all(g, y)) != SG_OK) {
            fprintf(stderr, "bench_gradcam: %s\n", sg_graph_error_message(g));
            return 1;
        }
        sg_graph_reset(g);
        double t1 = now();
        if (sg_gradcam(g, &m, x, C, S, S, SG_CAM_GRADCAM, -1, "layer4", map, NULL) != SG_OK) {
            fprintf(stderr, "bench_gradcam: %s\n", sg_error_message());
            return 1;
        }
        double t2 = now();
        best_fb = t1 - t0 < best_fb ? t1 - t0 : best_fb;
        best_cam = t2 - t1 < best_cam ? t2 - t1 : best_cam;
    }
    printf("{\"bench\":\"gradcam\",\"model\":\"resnet50\",\"size\":%d,\"what\":\"forward_backward\",\"seconds\":%.4f}\n", S, best_fb);
    printf("{\"bench\":\"gradcam\",\"model\":\"resnet50\",\"size\":%d,\"what\":\"gradcam\",\"seconds\":%.4f}\n", S, best_cam);
    printf("{\"bench\":\"gradcam\",\"model\":\"resnet50\",\"size\":%d,\"ratio\":%.3f,\"target\":2}\n", S, best_cam / best_fb);
    sg_graph_free(g);
    sg_model_free(&m);
    free(x);
    free(map);
    return 0;
}
