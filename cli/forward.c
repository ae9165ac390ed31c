/* cli/forward.c - `steelgrad forward`: a raw eval-mode forward of a zoo model
 * on a .npy batch, logits out as .npy.
 *
 * The input is an N x C x H x W float32 (or any numeric) array, already
 * preprocessed as the weights expect (no resizing, no normalisation here). The
 * model runs in eval mode (BatchNorm uses its running statistics, dropout is
 * off) with no tape, a few images at a time so memory stays bounded; the
 * logits [N, K] are written to a temporary file and renamed into place. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "core/graph.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "models/zoo.h"

static const sg_cli_command forward_cmd = {
    "forward",
    "steelgrad forward --model NAME --weights W.safetensors --input x.npy -o|--output y.npy\n"
    "                  [--classes K] [--channels C] [--size S] [--head H] [--width X]\n"
    "                  [--aux-logits] [--batch B]",
    "Run model NAME with the weights of W (parameter names as the reference's, e.g. a\n"
    "torchvision state dict saved with safetensors) in eval mode on the N x C x H x W\n"
    "array of x.npy and write the logits, N x K float32, to y.npy. K defaults to the\n"
    "file's \"classes\" metadata; C and S default to the input's. An RGB stem in W is summed\n"
    "over its channels for a 1-channel model. Tensors of W the model does not have are\n"
    "ignored with a warning; a parameter W lacks, or one of another shape, is an error."};

/* K from the checkpoint's "classes" metadata, or 0. */
static int64_t classes_of(const char *weights)
{
    sg_safetensors f;
    if (sg_safetensors_read_header(weights, &f) != SG_OK) return 0;
    const char *v = sg_safetensors_meta(&f, "classes");
    int64_t k = v ? strtoll(v, NULL, 10) : 0;
    sg_safetensors_free(&f);
    return k >= 2 ? k : 0;
}

/* Logits of x [N, C, H, W] into out [N, K], `batch` images per graph step. */
static int run(sg_model *m, const sg_npy *x, int64_t batch, float *out)
{
    sg_graph *g = sg_graph_new();
    if (!g) return sg_cli_fail("forward", "out of memory");
    sg_graph_set_training(g, false);
    sg_graph_set_grad_enabled(g, false);
    int64_t N = x->shape[0], per_image = x->numel / N, K = m->opts.classes;
    int rc = SG_EXIT_OK;
    for (int64_t n0 = 0; n0 < N && rc == SG_EXIT_OK; n0 += batch) {
        int64_t nb = N - n0 < batch ? N - n0 : batch;
        int64_t shape[4] = {nb, x->shape[1], x->shape[2], x->shape[3]};
        sg_tensor *in = sg_graph_view(g, x->data + n0 * per_image, 4, shape);
        sg_tensor *y = in ? sg_model_forward(g, m, in) : NULL;
        if (!y)
            rc = sg_cli_fail("forward", "%s: %s", m->def->name, sg_graph_error_message(g));
        else if (y->ndim != 2 || y->shape[0] != nb || y->shape[1] != K)
            rc = sg_cli_fail("forward", "%s: unexpected output shape", m->def->name);
        else
            memcpy(out + n0 * K, y->data, (size_t)(nb * K) * sizeof *out);
        sg_graph_reset(g);
    }
    sg_graph_free(g);
    return rc;
}

int cmd_forward(int argc, char **argv)
{
    char *model = NULL, *weights = NULL, *input = NULL, *output = NULL, *head = NULL;
    int64_t classes = 0, channels = 0, size = 0, batch = 8;
    double width = 0;
    bool aux = false;
    const sg_cli_opt opts[] = {
        {.name = "model", .type = SG_OPT_STRING, .dest = &model, .help = "model name (steelgrad model list)"},
        {.name = "weights", .type = SG_OPT_STRING, .dest = &weights, .help = "weights, .safetensors"},
        {.name = "input", .type = SG_OPT_STRING, .dest = &input, .help = "images N x C x H x W, .npy"},
        {.name = "output", .type = SG_OPT_STRING, .dest = &output, .short_name = 'o',
         .help = "logits N x K, .npy (written atomically)"},
        {.name = "classes", .type = SG_OPT_INT, .dest = &classes,
         .help = "outputs K (default: the weights' \"classes\" metadata)", .min = 2, .max = 100000},
        {.name = "channels", .type = SG_OPT_INT, .dest = &channels,
         .help = "model input channels, 1 or 3 (default: the input's C)", .min = 1, .max = 3},
        {.name = "size", .type = SG_OPT_INT, .dest = &size,
         .help = "model input side (default: the input's H; cnn and cnn002 depend on it)",
         .min = 1, .max = 4096},
        {.name = "head", .type = SG_OPT_STRING, .dest = &head, .help = "gap256, gap512 or alt001"},
        {.name = "width", .type = SG_OPT_FLOAT, .dest = &width,
         .help = "width multiplier (mobilenetv2)", .min = 0, .max = 4, .above_min = true},
        {.name = "aux-logits", .type = SG_OPT_FLAG, .dest = &aux,
         .help = "inceptionv3: the weights include AuxLogits (not run in eval mode)"},
        {.name = "batch", .type = SG_OPT_INT, .dest = &batch,
         .help = "images per step (default 8; memory grows with it)", .min = 1, .max = 4096},
        sg_cli_threads_opt,
    };
    bool done;
    int rc = sg_cli_parse(&forward_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0,
                          NULL, &done);
    if (done) return rc;
    const char *missing = !model ? "--model" : !weights ? "--weights" : !input ? "--input"
                          : !output ? "--output" : NULL;
    if (missing) {
        fprintf(stderr, "steelgrad forward: %s is required (see --help)\n", missing);
        return SG_EXIT_USAGE;
    }
    if (!sg_model_find(model)) {
        sg_model m;
        sg_model_options o = sg_model_options_defaults(2);
        sg_model_build(&m, model, &o, 0);   /* only for its message listing the models */
        fprintf(stderr, "steelgrad forward: --model: %s\n", sg_error_message());
        return SG_EXIT_USAGE;
    }
    const char *inputs[2] = {input, weights};
    if (sg_output_check(output, inputs, 2) != SG_OK)
        return sg_cli_usage("forward", "--output: %s", sg_error_message());
    if (!classes) classes = classes_of(weights);
    if (!classes) {
        fprintf(stderr, "steelgrad forward: --classes is required (%s has no \"classes\" metadata)\n",
                weights);
        return SG_EXIT_USAGE;
    }

    sg_npy x;
    sg_err err = sg_npy_read(input, &x);
    if (err != SG_OK) return sg_cli_fail_err("forward", err);
    if (x.ndim != 4 || x.numel == 0) {
        char buf[96] = "";
        for (int d = 0; d < x.ndim; d++)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), d ? ", %lld" : "%lld",
                     (long long)x.shape[d]);
        sg_npy_free(&x);
        return sg_cli_fail("forward", "%s: expected a non-empty N x C x H x W array, found shape [%s]",
                           input, buf);
    }
    sg_model_options o = sg_model_options_defaults((int)classes);
    o.in_channels = channels ? (int)channels : (int)x.shape[1];
    o.image_size = size ? (int)size : (int)x.shape[2];
    o.head = head;
    o.width_mult = width;
    o.aux_logits = aux;
    sg_model m;
    err = sg_model_build(&m, model, &o, 0);
    if (err != SG_OK) {
        sg_npy_free(&x);
        return sg_cli_fail_err("forward", err);
    }
    sg_model_load_report r;
    err = sg_model_load_weights(&m, weights, false, &r);
    if (err == SG_OK && (r.missing || r.mismatched))
        err = sg_error_set(SG_ERR_FORMAT, "%s: %d parameters of %s missing (%s), %d of another "
                           "shape (%s)", weights, r.missing, model, r.missing_names, r.mismatched,
                           r.mismatched_names);
    if (err == SG_OK && r.unexpected)
        fprintf(stderr, "steelgrad forward: warning: ignored %d tensors of %s that %s does not "
                        "have (%s)\n", r.unexpected, weights, model, r.unexpected_names);
    if (err == SG_OK && r.stem_summed)
        fprintf(stderr, "steelgrad forward: %s summed over its input channels for a 1-channel "
                        "model\n", m.def->stem_weight);
    float *logits = err == SG_OK ? malloc((size_t)(x.shape[0] * classes) * sizeof *logits) : NULL;
    if (err != SG_OK) rc = sg_cli_fail_err("forward", err);
    else if (!logits) rc = sg_cli_fail("forward", "out of memory for %lld logits",
                                       (long long)(x.shape[0] * classes));
    else rc = run(&m, &x, batch, logits);
    if (rc == SG_EXIT_OK) {
        err = sg_npy_write_f32(output, 2, (int64_t[]){x.shape[0], classes}, logits);
        if (err != SG_OK) rc = sg_cli_fail_err("forward", err);
        else printf("wrote %s: %lld x %lld logits of %s\n", output, (long long)x.shape[0],
                    (long long)classes, m.def->name);
    }
    free(logits);
    sg_model_free(&m);
    sg_npy_free(&x);
    return rc;
}
