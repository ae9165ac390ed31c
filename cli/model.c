/* cli/model.c - `steelgrad model list` and `steelgrad model summary NAME`:
 * the zoo (models/zoo.h) as a user sees it.
 *
 * The summary builds the model, runs one forward of a [1, C, S, S] image on a
 * recording graph and reads the tape: every op that uses parameters is a row
 * named after them ("layer1.0.conv1"), pools and concatenations are rows of
 * their own, each with its output shape and its trainable parameter count.
 * The last line is one JSON object (model, options, params, tensors) for
 * scripts and tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/graph.h"
#include "core/json.h"
#include "models/zoo.h"

static const sg_cli_command list_cmd = {
    "model list", "steelgrad model list",
    "List the models of the zoo (the names --model takes), their default input and the\n"
    "heads that can replace a model's classifier (--head)."};

static const sg_cli_command summary_cmd = {
    "model summary",
    "steelgrad model summary NAME [--classes K] [--channels C] [--size S] [--head H]\n"
    "                        [--width X] [--aux-logits]",
    "Build model NAME and print its layers (name, output shape for one S x S image,\n"
    "trainable parameters), the total, and as the last line one JSON object:\n"
    "{\"model\": NAME, \"classes\": K, \"channels\": C, \"size\": S, \"head\": H,\n"
    " \"params\": N, \"tensors\": T} (T counts the state_dict entries, buffers included)."};

/* Options shared by summary and forward: the zoo's sg_model_options. */
typedef struct model_args {
    int64_t classes, channels, size;
    double width;
    char *head;
    bool aux;
} model_args;

static int model_list(int argc, char **argv)
{
    bool done;
    int rc = sg_cli_parse(&list_cmd, argc, argv, NULL, 0, NULL, 0, NULL, &done);
    if (done) return rc;
    printf("%-14s %-9s %s\n", "model", "input", "what");
    for (int i = 0; i < sg_model_count(); i++) {
        const sg_model_def *d = sg_model_def_at(i);
        char input[32];
        snprintf(input, sizeof input, "%dx%dx%d", d->default_channels, d->default_size,
                 d->default_size);
        printf("%-14s %-9s %s\n", d->name, input, d->summary);
    }
    printf("\nheads (--head): %s\n", sg_model_head_names());
    return SG_EXIT_OK;
}

/* The parameter whose tensor is t, or NULL. */
static const sg_param *param_of(const sg_params *ps, const sg_tensor *t)
{
    if (!t || !t->is_param) return NULL;
    for (int i = 0; i < ps->count; i++)
        if (&ps->items[i]->t == t) return ps->items[i];
    return NULL;
}

static void shape_text(const sg_tensor *t, char *buf, size_t size)
{
    sg_shape_str(t, buf, size);
}

/* One row per tape node that has parameters, pools or concatenates. */
static void print_layers(const sg_model *m, const sg_graph *g)
{
    printf("%-44s %-20s %12s\n", "layer", "output", "params");
    for (int i = 0; i < sg_graph_tape_length(g); i++) {
        const sg_node *n = sg_graph_tape_node(g, i);
        char name[SG_PARAM_NAME_MAX + 16] = "", shape[64];
        int64_t count = 0;
        for (int k = 0; k < n->n_in; k++) {
            const sg_param *p = param_of(m->params, n->in[k]);
            if (!p) continue;
            if (!p->buffer) count += p->t.numel;
            if (!*name) {
                snprintf(name, sizeof name, "%s", p->name);
                char *dot = strrchr(name, '.');
                if (dot) *dot = '\0';
            }
        }
        if (!*name) {
            if (!strstr(n->op, "pool") && strcmp(n->op, "concat") != 0) continue;
            snprintf(name, sizeof name, "  (%s)", n->op);
        }
        shape_text(n->out, shape, sizeof shape);
        printf("%-44s %-20s %12lld\n", name, shape, (long long)count);
    }
}

static int model_summary(int argc, char **argv)
{
    model_args a = {.classes = 1000};
    const sg_cli_opt opts[] = {
        {.name = "classes", .type = SG_OPT_INT, .dest = &a.classes,
         .help = "outputs K of the classifier (default 1000)", .min = 2, .max = 100000},
        {.name = "channels", .type = SG_OPT_INT, .dest = &a.channels,
         .help = "input channels: 1 gray, 3 RGB (default: the model's)", .min = 1, .max = 3},
        {.name = "size", .type = SG_OPT_INT, .dest = &a.size,
         .help = "input side S in pixels (default: the model's)", .min = 1, .max = 4096},
        {.name = "head", .type = SG_OPT_STRING, .dest = &a.head,
         .help = "replace the classifier: gap256, gap512 or alt001"},
        {.name = "width", .type = SG_OPT_FLOAT, .dest = &a.width,
         .help = "width multiplier (mobilenetv2; default 1)", .min = 0, .max = 4, .above_min = true},
        {.name = "aux-logits", .type = SG_OPT_FLAG, .dest = &a.aux,
         .help = "inceptionv3: build the auxiliary classifier"},
    };
    char *pos[1];
    int n_pos;
    bool done;
    int rc = sg_cli_parse(&summary_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], pos, 1,
                          &n_pos, &done);
    if (done) return rc;
    if (n_pos != 1) {
        fprintf(stderr, "steelgrad model summary: expected one model NAME (see steelgrad model list)\n");
        return SG_EXIT_USAGE;
    }
    sg_model_options o = sg_model_options_defaults((int)a.classes);
    o.in_channels = (int)a.channels;
    o.image_size = (int)a.size;
    o.width_mult = a.width;
    o.head = a.head;
    o.aux_logits = a.aux;
    sg_model m;
    sg_err err = sg_model_build(&m, pos[0], &o, 0);
    if (err != SG_OK)
        return sg_model_find(pos[0]) ? sg_cli_fail_err("model summary", err)
                                     : (sg_cli_fail_err("model summary", err), SG_EXIT_USAGE);
    int S = m.opts.image_size, C = m.opts.in_channels;
    sg_graph *g = sg_graph_new();
    if (!g) {
        sg_model_free(&m);
        return sg_cli_fail("model summary", "out of memory");
    }
    sg_graph_set_training(g, false);   /* BN running statistics stay as they are */
    sg_tensor *x = sg_graph_zeros(g, 4, (int64_t[]){1, C, S, S});
    sg_tensor *y = x ? sg_model_forward(g, &m, x) : NULL;
    if (!y) {
        rc = sg_cli_fail("model summary", "%s with a %dx%dx%d input: %s", m.def->name, C, S, S,
                         sg_graph_error_message(g));
    } else {
        print_layers(&m, g);
        char shape[64];
        shape_text(y, shape, sizeof shape);
        long long params = (long long)sg_params_count(m.params);
        printf("output %s; %lld trainable parameters in %d tensors (buffers included)\n", shape,
               params, m.params->count);
        sg_json_writer w;
        sg_json_writer_init(&w, false);
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_string(&w, "model", m.def->name);
        sg_json_writer_kv_int64(&w, "classes", m.opts.classes);
        sg_json_writer_kv_int64(&w, "channels", C);
        sg_json_writer_kv_int64(&w, "size", S);
        sg_json_writer_key(&w, "head");
        if (m.opts.head && *m.opts.head) sg_json_writer_string(&w, m.opts.head);
        else sg_json_writer_null(&w);
        sg_json_writer_kv_int64(&w, "params", params);
        sg_json_writer_kv_int64(&w, "tensors", m.params->count);
        sg_json_writer_end_object(&w);
        const char *json = sg_json_writer_finish(&w, NULL);
        printf("%s\n", json ? json : "{}");
        sg_json_writer_free(&w);
        rc = SG_EXIT_OK;
    }
    sg_graph_free(g);
    sg_model_free(&m);
    return rc;
}

int cmd_model(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "list") == 0) return model_list(argc - 1, argv + 1);
    if (argc >= 2 && strcmp(argv[1], "summary") == 0) return model_summary(argc - 1, argv + 1);
    bool help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    fprintf(help ? stdout : stderr,
            "usage: steelgrad model list\n"
            "       steelgrad model summary NAME [--classes K] [--channels C] [--size S] [--head H]\n"
            "(steelgrad model summary --help for more)\n");
    if (!help && argc >= 2) fprintf(stderr, "steelgrad model: unknown subcommand '%s'\n", argv[1]);
    return help ? SG_EXIT_OK : SG_EXIT_USAGE;
}
