/* cli/predict.c - `steelgrad predict`: class and probabilities per image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "train/eval.h"

static const sg_cli_command predict_cmd = {
    "predict", "steelgrad predict --weights W IMAGE... [--json] [--tta none|flips]",
    "Classify images with a checkpoint written by `steelgrad train` (its metadata names the\n"
    "model, its options and the classes). Prints, per image, the predicted class and the\n"
    "probability of every class; --json prints one object per line:\n"
    "  {\"file\": ..., \"class\": ..., \"probabilities\": {class: p, ...}}\n"
    "An image that cannot be read is reported on stderr; the others are still classified and\n"
    "the exit code is 1. --tta overrides the run's test-time augmentation (flips: the mean of\n"
    "the probabilities of the 4 mirror images)."};

enum { MAX_IMAGES = 100000 };

int cmd_predict(int argc, char **argv)
{
    const char *weights = NULL, *tta = NULL;
    bool json = false, done;
    char **images = malloc(MAX_IMAGES * sizeof *images);
    int n_images = 0;
    if (!images) return sg_cli_fail("predict", "out of memory");
    sg_cli_opt opts[] = {
        {.name = "weights", .type = SG_OPT_STRING, .dest = &weights, .help = "checkpoint from steelgrad train (best.safetensors)"},
        {.name = "json", .type = SG_OPT_FLAG, .dest = &json, .help = "one JSON object per image and line"},
        {.name = "tta", .type = SG_OPT_STRING, .dest = &tta, .help = "test-time augmentation: none or flips (default: the run's)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&predict_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], images,
                          MAX_IMAGES, &n_images, &done);
    if (done) goto out;
    if (!weights || n_images == 0) {
        fprintf(stderr, "steelgrad predict: --weights W and at least one IMAGE are required\n");
        rc = SG_EXIT_USAGE;
        goto out;
    }
    if (tta && strcmp(tta, "none") != 0 && strcmp(tta, "flips") != 0) {
        fprintf(stderr, "steelgrad predict: --tta: expected none or flips, got '%s'\n", tta);
        rc = SG_EXIT_USAGE;
        goto out;
    }
    sg_run_model rm;
    if (sg_run_model_open(weights, &rm) != SG_OK) {
        rc = sg_cli_fail_err("predict", SG_ERR_FORMAT);
        goto out;
    }
    if (tta) rm.cfg.tta = tta;
    float *probs = malloc((size_t)rm.classes * sizeof *probs);
    sg_graph *g = sg_graph_new();
    rc = SG_EXIT_OK;
    if (!probs || !g) rc = sg_cli_fail("predict", "out of memory");
    for (int i = 0; i < n_images && probs && g; i++) {
        if (sg_predict_file(&rm, g, images[i], probs) != SG_OK) {
            rc = sg_cli_fail_err("predict", SG_ERR_FORMAT);
            continue;
        }
        int best = sg_argmax(probs, rm.classes);
        if (json) {
            sg_json_writer w;
            sg_json_writer_init(&w, false);
            sg_json_writer_begin_object(&w);
            sg_json_writer_kv_string(&w, "file", images[i]);
            sg_json_writer_kv_string(&w, "class", rm.class_names[best]);
            sg_json_writer_key(&w, "probabilities");
            sg_json_writer_begin_object(&w);
            for (int k = 0; k < rm.classes; k++) {
                sg_json_writer_key(&w, rm.class_names[k]);
                sg_json_writer_float(&w, probs[k]);
            }
            sg_json_writer_end_object(&w);
            sg_json_writer_end_object(&w);
            const char *text = sg_json_writer_finish(&w, NULL);
            if (text) printf("%s\n", text);
            sg_json_writer_free(&w);
        } else {
            printf("%s: %s (%.4f)", images[i], rm.class_names[best], probs[best]);
            for (int k = 0; k < rm.classes; k++) printf("%s%s %.4f", k ? ", " : "  [", rm.class_names[k], probs[k]);
            printf("]\n");
        }
        fflush(stdout);
    }
    free(probs);
    if (g) sg_graph_free(g);
    sg_run_model_close(&rm);
out:
    free(images);
    return rc;
}
