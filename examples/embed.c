/* examples/embed.c - steelgrad inside another program: load a checkpoint of
 * `steelgrad train` and classify image files through the public API.
 *
 *   make install PREFIX=$HOME/.local
 *   cc examples/embed.c $(pkg-config --cflags --libs steelgrad) -o embed
 *   ./embed runs/mine/best.safetensors image.png ...
 *
 * (With PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig and, for the shared
 * library, LD_LIBRARY_PATH=$HOME/.local/lib; add -static for no runtime
 * dependency.) Prints "file: class probability" per image. */
#include <stdio.h>
#include <stdlib.h>

#include "core/init.h"
#include "data/image.h"
#include "interp/metrics.h"
#include "train/eval.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CHECKPOINT IMAGE...\n", argv[0]);
        return 2;
    }
    if (sg_init() != SG_OK) {  /* kernels for this CPU, threads from SG_THREADS */
        fprintf(stderr, "%s\n", sg_error_message());
        return 1;
    }
    sg_run_model rm;  /* the model, its weights, its class names and input pipeline */
    if (sg_run_model_open(argv[1], &rm) != SG_OK) {
        fprintf(stderr, "%s\n", sg_error_message());
        return 1;
    }
    const int C = rm.model.opts.in_channels, S = rm.model.opts.image_size;
    float *x = malloc((size_t)C * S * S * sizeof *x), *probs = malloc((size_t)rm.classes * sizeof *probs);
    sg_graph *g = sg_graph_new();
    int rc = x && probs && g ? 0 : 1;
    for (int i = 2; i < argc && rc == 0; i++) {
        sg_image img;
        if (sg_image_read(argv[i], NULL, &img) != SG_OK ||
            sg_predict_image(&rm, g, &img, argv[i], x, probs) != SG_OK) {
            fprintf(stderr, "%s\n", sg_error_message());
            rc = 1;
            break;
        }
        sg_image_free(&img);
        int k = sg_argmax(probs, rm.classes);
        printf("%s: %s %.4f\n", argv[i], rm.class_names[k], probs[k]);
    }
    if (g) sg_graph_free(g);
    free(x);
    free(probs);
    sg_run_model_close(&rm);
    return rc;
}
