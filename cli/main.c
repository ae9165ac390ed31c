/* cli/main.c - `steelgrad <command> ...`: the command table and dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/init.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"info", cmd_info, "version, compiler, CPU features, ISA in use, threads"},
    {"inspect", cmd_inspect, "tensors of a .safetensors or .npy file: names, dtypes, shapes"},
    {"demo", cmd_demo, "the main job on built-in synthetic data: train, evaluate, save"},
    {"data", cmd_data, "inspect a data set (counts, formats, corrupt files, duplicates) or split it"},
    {"synth", cmd_synth, "write the synthetic steel-defect data set: images, VOC boxes, masks"},
    {"train", cmd_train, "train a classifier on a class-folder tree or a CSV manifest (--resume RUN continues)"},
    {"eval", cmd_eval, "metrics of a trained checkpoint on a data set: accuracy, F1, ROC-AUC, confusion"},
    {"predict", cmd_predict, "class and class probabilities of images with a trained checkpoint"},
    {"image", cmd_image, "decode an image file (BMP, PNM, PNG, JPEG) to a uint8 .npy array"},
};
enum { N_COMMANDS = sizeof commands / sizeof commands[0] };

static void usage(FILE *out)
{
    fprintf(out, "steelgrad %s - deep learning for steel surface inspection\n\n"
                 "usage: steelgrad <command> [options]   (steelgrad <command> --help for more)\n\n"
                 "commands:\n", SG_VERSION);
    for (int i = 0; i < N_COMMANDS; i++) fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\nenvironment: SG_THREADS=N (threads), SG_ISA=scalar|avx2|avx512|neon (kernels)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return SG_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return SG_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("steelgrad %s\n", SG_VERSION);
        return SG_EXIT_OK;
    }
    sg_err err = sg_init();
    if (err != SG_OK) return sg_cli_fail_err(argv[1], err);
    for (int i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "steelgrad: unknown command '%s' (see steelgrad --help)\n", argv[1]);
    return SG_EXIT_USAGE;
}
