/* cli/main.c - `steelgrad <command> ...`: the command table and dispatch.
 *
 * `help`, `version` and the top-level --help / -h / --version / -v need no
 * environment: SG_THREADS and SG_ISA are applied by each command's option
 * parser, after its --help (cli/cli.h). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/cpu.h"
#include "core/init.h"

static const sg_cli_entry commands[] = {
    {"info", cmd_info, "version, compiler, CPU features, ISA in use, threads"},
    {"inspect", cmd_inspect, "tensors of a .safetensors or .npy file: names, dtypes, shapes"},
    {"demo", cmd_demo, "the main job on built-in synthetic data: train, evaluate, save"},
    {"data", cmd_data, "inspect a data set (counts, formats, corrupt files, duplicates), split it, or draw it"},
    {"synth", cmd_synth, "write the synthetic steel-defect data set: images, VOC boxes, masks"},
    {"train", cmd_train, "train a classifier on a class-folder tree or a CSV manifest (--resume RUN continues)"},
    {"eval", cmd_eval, "metrics of a trained checkpoint on a data set: accuracy, F1, ROC-AUC, confusion"},
    {"predict", cmd_predict, "class and class probabilities of images with a trained checkpoint"},
    {"explain", cmd_explain, "heatmaps of a prediction (Grad-CAM(++), SVM weights, reconstruction, attention), drawn or judged"},
    {"image", cmd_image, "decode an image file (BMP, PNM, PNG, JPEG, TIFF) to a .npy array"},
    {"model", cmd_model, "the model zoo: list the models, or a layer table of one (summary)"},
    {"forward", cmd_forward, "eval-mode logits of a model with given weights on a .npy batch"},
    {"features", cmd_features, "pooled backbone features of images with a trained checkpoint, as .npy"},
    {"svm", cmd_svm, "a linear SVM on feature arrays: train, predict (decision values), eval"},
    {"anomaly", cmd_anomaly, "autoencoder anomaly detection: train on a healthy class, score images"},
    {"report", cmd_report, "a training run as one self-contained HTML page with plots (RUN/report.html)"},
    {"serve", cmd_serve, "the inspection station: a web page and JSON API around a checkpoint"},
    {"bench", cmd_bench, "benchmarks as JSON lines: bench sgemm|conv|depthwise|attention (GFLOP/s), triad|adam|elementwise|gelu|bn|layernorm|softmax|pool (GB/s), train and infer (ms, images/s, peak memory), ulp (our math functions' error), order (the canonical order's cost), gradcam (ms against forward + backward)"},
    {"detect", cmd_detect, "paper 002's box heads on a VOC set (NEU-DET) on any backbone, scored by VOC mAP"},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

/* Commands whose next word selects an option table (and a --help) of its own. */
static const char *const subcommands[] = {"data inspect", "data split", "data sheet", "image decode",
                                             "model list", "model summary",
                                             "svm train", "svm predict", "svm eval",
                                             "anomaly train", "anomaly score",
                                             "bench sgemm", "bench train", "bench infer", "bench gradcam",
                                             "bench triad", "bench adam", "bench elementwise", "bench gelu",
                                             "bench bn", "bench layernorm", "bench softmax", "bench pool",
                                             "bench conv", "bench depthwise",
                                             "bench attention",
                                             "bench ulp", "bench order",
                                             "detect predict"};
enum { N_SUBCOMMANDS = sizeof subcommands / sizeof subcommands[0] };

static void usage(FILE *out)
{
    char cell[64];
    fprintf(out, "steelgrad %s - deep learning for steel surface inspection\n\n"
                 "usage: steelgrad <command> [options]   (steelgrad <command> --help for more)\n\n"
                 "commands:\n", SG_VERSION);
    for (int i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %s %s\n", sg_cli_pad(cell, sizeof cell, commands[i].name, 10), commands[i].summary);
    fprintf(out, "  %s %s\n", sg_cli_pad(cell, sizeof cell, "help", 10), "help CMD [SUB]: the same as CMD [SUB] --help");
    fprintf(out, "  %s %s\n", sg_cli_pad(cell, sizeof cell, "version", 10), "the version (also --version, -v)");
    char isas[128];   /* the ISA registry's names (core/isa.h) */
    fprintf(out, "\nenvironment: SG_THREADS=N (threads, 1..256), SG_ISA=%s (kernels)\n"
                 "exit codes: 0 success, 1 the work failed (bad file, divergence, full disk),\n"
                 "            2 usage error (bad option or value, bad SG_THREADS / SG_ISA)\n",
            sg_isa_names_joined("|", isas, sizeof isas));
}

static const sg_cli_entry *find(const char *name)
{
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(name, commands[i].name) == 0) return &commands[i];
    return NULL;
}

/* `steelgrad help CMD [SUB]` runs `CMD [SUB] --help`: the same text by construction. */
static int help(int argc, char **argv)
{
    if (argc < 3) {
        usage(stdout);
        return SG_EXIT_OK;
    }
    const sg_cli_entry *e = find(argv[2]);
    if (!e || argc > 4 || (argc == 4 && !sg_cli_is_subcommand(e->name, argv[3]))) {
        fprintf(stderr, "steelgrad help: unknown command '%s%s%s' (see steelgrad --help)\n", argv[2],
                argc > 3 ? " " : "", argc > 3 ? argv[3] : "");
        return SG_EXIT_USAGE;
    }
    char help_flag[] = "--help";
    char *args[4] = {argv[2], argc == 4 ? argv[3] : help_flag, help_flag, NULL};
    return e->run(argc == 4 ? 3 : 2, args);
}

int main(int argc, char **argv)
{
    sg_cli_set_commands(commands, N_COMMANDS, subcommands, N_SUBCOMMANDS);
    if (argc < 2) {
        usage(stderr);
        return SG_EXIT_USAGE;
    }
    const char *a = argv[1];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        usage(stdout);
        return SG_EXIT_OK;
    }
    if (strcmp(a, "help") == 0) return help(argc, argv);
    if (strcmp(a, "--version") == 0 || strcmp(a, "-v") == 0 || strcmp(a, "version") == 0) {
        if (argc > 2) {
            fprintf(stderr, "steelgrad: %s takes no arguments, got '%s'\n", a, argv[2]);
            return SG_EXIT_USAGE;
        }
        printf("steelgrad %s\n", SG_VERSION);
        return SG_EXIT_OK;
    }
    const sg_cli_entry *e = find(a);
    if (e) return e->run(argc - 1, argv + 1);
    fprintf(stderr, "steelgrad: unknown command '%s' (see steelgrad --help)\n", a);
    return SG_EXIT_USAGE;
}
