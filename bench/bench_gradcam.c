/* bench/bench_gradcam.c - the cost of one Grad-CAM of a 224 x 224 image with
 * ResNet-50 (layer4), against one eval-mode forward + full backward (every
 * weight gradient) of the same image, measured in the same run
 * (sg_bench_gradcam, train/bench.h; `steelgrad bench gradcam --model
 * resnet50` is the same measurement for any model, layer and thread count).
 * Prints JSON lines:
 *   {"bench":"gradcam","model":"resnet50","size":224,"what":"forward_backward","seconds":...}
 *   {"bench":"gradcam","model":"resnet50","size":224,"what":"gradcam","seconds":...}
 *   {"bench":"gradcam","model":"resnet50","size":224,"ratio":...}   (gradcam / forward+backward; target <= 2)
 * Best of REPEATS runs each after a warm-up (default 3; SG_BENCH_REPEATS
 * overrides). Grad-CAM records a tape only from layer4 on (the parameters
 * need no gradient), so it usually costs about one forward. Never pass/fail. */
#include <stdio.h>
#include <stdlib.h>

#include "core/init.h"
#include "interp/gradcam.h"
#include "train/bench.h"

int main(void)
{
    enum { S = 224, K = 1000 };
    sg_init();
    const char *r = getenv("SG_BENCH_REPEATS");
    int repeats = r ? atoi(r) : 3;
    if (repeats < 1) repeats = 1;
    sg_bench_gradcam_opts o = {"resnet50", "layer4", SG_CAM_GRADCAM, S, K, repeats};
    sg_bench_gradcam_result res;
    if (sg_bench_gradcam(&o, &res) != SG_OK) {
        fprintf(stderr, "bench_gradcam: %s\n", sg_error_message());
        return 1;
    }
    printf("{\"bench\":\"gradcam\",\"model\":\"resnet50\",\"size\":%d,\"what\":\"forward_backward\",\"seconds\":%.4f}\n", S, res.forward_backward_ms / 1e3);
    printf("{\"bench\":\"gradcam\",\"model\":\"resnet50\",\"size\":%d,\"what\":\"gradcam\",\"seconds\":%.4f}\n", S, res.gradcam_ms / 1e3);
    printf("{\"bench\":\"gradcam\",\"model\":\"resnet50\",\"size\":%d,\"ratio\":%.3f,\"target\":2}\n", S, res.ratio);
    return 0;
}
