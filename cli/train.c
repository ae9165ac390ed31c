#define _XOPEN_SOURCE 700  /* realpath() is an XSI extension of POSIX.1-2008 */
/* cli/train.c - `steelgrad train`: glue between the command line and the
 * training engine (train/train.h). Every engine option (train/config.h) is a
 * flag here, a key in a recipe and a member of RUN/config.json; flags
 * override the recipe. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "core/fileio.h"
#include "core/pool.h"
#include "data/dataset.h"
#include "models/zoo.h"
#include "train/dist.h"
#include "train/report.h"
#include "train/train.h"

static const sg_cli_command train_cmd = {
    "train",
    "steelgrad train --data DIR | --manifest CSV --model NAME [-o|--out RUN] [--recipe FILE] [--force]\n"
    "                [--quiet] [--strict] [--ratios 70,15,15] [--seed N] [--split-seed N]\n"
    "                [--folds K --fold I] [--size S] [--channels C] [--width-mult X] [--dropout P]\n"
    "                [--head H] [--padding zeros|reflect|replicate] [--weights W] [--epochs N] [--batch B]\n"
    "                [--optimizer adam|adamw|sgd] [--lr X] [--momentum X] [--weight-decay X] [--l2 X]\n"
    "                [--clip-norm X] [--label-smoothing X] [--schedule cosine|exponential|step|constant] [--gamma X]\n"
    "                [--min-lr X] [--step-size N] [--warmup-epochs N] [--patience N] [--min-delta X]\n"
    "                [--class-weights none|balanced] [--freeze PREFIXES] [--train-last N]\n"
    "                [--phase2-epochs N] [--phase2-lr X] [--phase2-train-last N]\n"
    "                [--norm unit|symmetric|imagenet] [--hflip] [--vflip] [--rotation DEG] [--shift F]\n"
    "                [--shear DEG] [--zoom Z] [--brightness B] [--contrast C] [--workers N] [--no-cache]\n"
    "                [--keep-depth] [--shards S] [--tta none|flips]\n"
    "       steelgrad train --resume RUN",
    "Train a classifier on a class-folder tree (split 70/15/15 with the seed, written to\n"
    "RUN/split.csv) or a CSV manifest (path,label,split). Writes RUN/config.json, RUN/log.jsonl\n"
    "(one line per epoch), RUN/last.safetensors (every epoch: weights, optimiser state,\n"
    "position), RUN/best.safetensors (best val accuracy) and RUN/metrics.json (test and val\n"
    "metrics of the best weights, skipped files), and RUN/report.html (steelgrad report). A\n"
    "killed run continues bit-identically with\n"
    "--resume RUN. A recipe is a file of 'key = value' lines with the option names below;\n"
    "flags given on the command line win. Built with `make MPI=1`, `mpirun -np P steelgrad train`\n"
    "trains data-parallel, with the weights of a one-process run with --shards P\n"
    "(docs/DISTRIBUTED.md)."};

typedef struct progress_ctx {
    bool quiet, tty;
    double last_draw;
} progress_ctx;

static void on_event(void *arg, const sg_train_event *e)
{
    progress_ctx *p = arg;
    switch (e->kind) {
    case SG_TRAIN_NOTE:
        fprintf(stderr, "steelgrad train: %s\n", e->note);
        break;
    case SG_TRAIN_START:
        if (!p->quiet)
            printf("train: %lld training, %lld val, %lld test images, %d classes, %lld parameters, "
                   "%d threads%s\n", (long long)e->train_images, (long long)e->val_images,
                   (long long)e->test_images, e->classes, (long long)e->params, sg_threads(),
                   sg_dist_size() > 1 ? " per MPI rank" : "");
        break;
    case SG_TRAIN_STEP:
        if (!p->quiet && p->tty) {
            double now = sg_progress_now();
            if (now - p->last_draw < 0.1 && e->batch < e->batches) break;
            p->last_draw = now;
            char prefix[64];
            snprintf(prefix, sizeof prefix, "epoch %lld/%lld", (long long)e->epoch, (long long)e->epochs);
            sg_progress_draw(stderr, prefix, e->images_done, e->train_images, e->epoch_seconds, e->loss);
        }
        break;
    case SG_TRAIN_EPOCH:
        if (p->tty && !p->quiet) sg_progress_clear(stderr);
        if (!p->quiet) {
            printf("epoch %lld/%lld: train loss %.4f, accuracy %.4f; val loss %.4f, accuracy %.4f, "
                   "macro F1 %.4f; lr %.3g; %.1f s (%.0f images/s)%s%s\n",
                   (long long)e->epoch, (long long)e->epochs, e->loss, e->train_accuracy, e->val_loss,
                   e->val_accuracy, e->val_macro_f1, e->lr, e->epoch_seconds,
                   e->epoch_seconds > 0 ? (double)e->train_images / e->epoch_seconds : 0.0,
                   e->improved ? " *" : "", e->stopping ? " (early stop)" : "");
            fflush(stdout);
        }
        break;
    }
}

/* The value of --name in argv (either "--name V" or "--name=V"), or NULL. */
static const char *find_flag(int argc, char **argv, const char *name)
{
    size_t len = strlen(name);
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--", 2) != 0 || strncmp(argv[i] + 2, name, len) != 0) continue;
        if (argv[i][2 + len] == '=') return argv[i] + 3 + len;
        if (argv[i][2 + len] == '\0') return i + 1 < argc ? argv[i + 1] : NULL;
    }
    return NULL;
}

/* True if the directory does not exist or holds nothing. */
static bool dir_empty(const char *dir)
{
    sg_dir_listing l;
    if (sg_dir_list(dir, &l) != SG_OK) return true;
    bool empty = l.n_dirs == 0 && l.n_files == 0;
    sg_dir_listing_free(&l);
    return empty;
}

/* The outputs must not be an input: RUN is not the data folder, and no
 * output file is the manifest, the recipe or the initial weights. */
static bool clobbers_input(const char *out, const sg_train_config *cfg, const char *recipe, char *why,
                           size_t cap)
{
    char a[PATH_MAX], b[PATH_MAX];
    if (cfg->data && realpath(out, a) && realpath(cfg->data, b) && strcmp(a, b) == 0) {
        snprintf(why, cap, "--out %s is the data folder", out);
        return true;
    }
    static const char *const outputs[] = {"config.json", "split.csv", "log.jsonl", "metrics.json",
                                          "last.safetensors", "best.safetensors", "report.html"};
    const char *inputs[] = {cfg->manifest, recipe, cfg->weights};
    for (size_t o = 0; o < sizeof outputs / sizeof outputs[0]; o++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/%s", out, outputs[o]);
        if (!realpath(path, a)) continue;
        for (size_t i = 0; i < 3; i++)
            if (inputs[i] && *inputs[i] && realpath(inputs[i], b) && strcmp(a, b) == 0) {
                snprintf(why, cap, "%s is an input of this run and would be overwritten", path);
                return true;
            }
    }
    return false;
}

int cmd_train(int argc, char **argv)
{
    sg_train_config cfg;
    sg_train_config_defaults(&cfg);
    const char *out = "runs/train", *resume = NULL, *recipe = NULL;
    bool quiet = false, force = false, done;
    int rc;
    /* Under mpirun every rank runs this command (train/dist.h); rank 0
     * alone writes and reports. */
    if (sg_dist_init(NULL, NULL) != SG_OK) return sg_cli_fail("train", "%s", sg_error_message());
    const bool writer = sg_dist_rank() == 0;

    /* A recipe first, so that flags override it. */
    recipe = find_flag(argc, argv, "recipe");
    if (recipe && sg_train_config_read_recipe(&cfg, recipe) != SG_OK) {
        rc = sg_cli_fail("train", "%s", sg_error_message());
        goto out;
    }

    int n_cfg = sg_train_opt_count();
    sg_cli_opt *opts = calloc((size_t)n_cfg + 6, sizeof *opts);
    if (!opts) {
        rc = sg_cli_fail("train", "out of memory");
        goto out;
    }
    int n = 0;
    opts[n++] = (sg_cli_opt){.name = "recipe", .type = SG_OPT_STRING, .dest = &recipe,
                             .help = "key = value file of options (flags override it)"};
    opts[n++] = (sg_cli_opt){.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o',
                             .help = "run directory (default runs/train); must be new or empty"};
    opts[n++] = (sg_cli_opt){.name = "resume", .type = SG_OPT_STRING, .dest = &resume,
                             .help = "continue the run in RUN exactly where it stopped (no other flags)"};
    opts[n++] = (sg_cli_opt){.name = "force", .type = SG_OPT_FLAG, .dest = &force,
                             .help = "write into a non-empty --out (its run files are replaced)"};
    opts[n++] = (sg_cli_opt){.name = "quiet", .type = SG_OPT_FLAG, .dest = &quiet,
                             .help = "no progress output (warnings and errors still go to stderr)"};
    for (int i = 0; i < n_cfg; i++) {
        const sg_train_opt *t = sg_train_opt_at(i);
        static const sg_opt_type types[] = {[SG_TOPT_STRING] = SG_OPT_STRING, [SG_TOPT_INT] = SG_OPT_INT,
                                            [SG_TOPT_FLOAT] = SG_OPT_FLOAT, [SG_TOPT_BOOL] = SG_OPT_FLAG};
        opts[n++] = (sg_cli_opt){.name = t->name, .type = types[t->type],
                                 .dest = sg_train_opt_field(&cfg, t), .help = t->help,
                                 .min = t->min, .max = t->max, .above_min = t->above_min};
    }
    opts[n++] = sg_cli_threads_opt;
    rc = sg_cli_parse(&train_cmd, argc, argv, opts, n, NULL, 0, NULL, &done);
    free(opts);
    if (done) goto out;
    if (!writer) quiet = true;

    if (resume) {
        /* The run holds its options: any other flag would change the run
         * (--threads does not: the bits are the same at any thread count). */
        for (int i = 1; i < argc; i++)
            if (strncmp(argv[i], "--", 2) == 0 && strncmp(argv[i], "--resume", 8) != 0 &&
                strcmp(argv[i], "--quiet") != 0 && strncmp(argv[i], "--threads", 9) != 0) {
                rc = SG_EXIT_USAGE;
                fprintf(stderr, "steelgrad train: --resume takes no other options (the run's config.json "
                                "holds them), got '%s'\n", argv[i]);
                goto out;
            }
        sg_train_config_free(&cfg);
        if (sg_train_config_load(&cfg, resume) != SG_OK) {
            rc = sg_cli_fail("train", "%s", sg_error_message());
            goto out;
        }
        out = resume;
    }
    if (sg_train_config_check(&cfg) != SG_OK) {
        fprintf(stderr, "steelgrad train: %s\n", sg_error_message());
        rc = SG_EXIT_USAGE;
        goto out;
    }
    if (!sg_model_find(cfg.model)) {
        fprintf(stderr, "steelgrad train: --model: unknown model '%s' (models:", cfg.model);
        for (int i = 0; i < sg_model_count(); i++)
            fprintf(stderr, "%s %s", i ? "," : "", sg_model_def_at(i)->name);
        fprintf(stderr, ")\n");
        rc = SG_EXIT_USAGE;
        goto out;
    }
    char why[PATH_MAX + 128];
    if (writer && !resume && !force && !dir_empty(out)) {
        rc = sg_cli_fail("train", "%s exists and is not empty: use --resume %s to continue it, "
                                  "--force to overwrite, or another --out", out, out);
        goto out;
    }
    if (clobbers_input(out, &cfg, recipe, why, sizeof why)) {
        rc = sg_cli_fail("train", "%s", why);
        goto out;
    }
    /* Inputs by absolute path, so that --resume works from any directory. */
    static const char *const inputs[] = {"data", "manifest", "weights"};
    for (int i = 0; !resume && i < 3; i++) {
        const char **field = sg_train_opt_field(&cfg, sg_train_opt_find(inputs[i]));
        char abs[PATH_MAX];
        if (*field && **field && realpath(*field, abs) && sg_train_config_set(&cfg, inputs[i], abs, "") != SG_OK) {
            rc = sg_cli_fail("train", "%s", sg_error_message());
            goto out;
        }
    }
    progress_ctx pc = {.quiet = quiet, .tty = isatty(fileno(stderr))};
    sg_train_run_opts ro = {.resume = resume != NULL, .on_event = on_event, .ctx = &pc};
    sg_train_result res;
    if (sg_train_run(&cfg, out, &ro, &res) != SG_OK) {
        if (pc.tty && !quiet) sg_progress_clear(stderr);
        rc = sg_cli_fail("train", "%s", sg_error_message());
        goto out;
    }
    /* The run's page (rank 0's to write); a run is not failed by it. */
    bool report = writer && sg_run_report(out, NULL) == SG_OK;
    if (writer && !report) fprintf(stderr, "steelgrad train: no report.html: %s\n", sg_error_message());
    if (!quiet) {
        /* a part the ratios left empty has NaN figures: say so instead */
        if (res.test_accuracy == res.test_accuracy)
            printf("test accuracy %.4f, macro F1 %.4f, ROC-AUC %.4f; ", res.test_accuracy, res.test_macro_f1,
                   res.test_roc_auc);
        else
            printf("no test part; ");
        if (res.val_accuracy == res.val_accuracy) printf("val accuracy %.4f; ", res.val_accuracy);
        else printf("no val part; ");
        printf("%lld epochs%s; %.1f s%s\n", (long long)res.epochs_run, res.stopped_early ? " (stopped early)" : "",
               res.seconds, res.skipped ? "; skipped files are listed in metrics.json" : "");
        printf("wrote %s/best.safetensors, %s/last.safetensors, %s/metrics.json%s%s%s\n", out, out, out,
               report ? ", " : "", report ? out : "", report ? "/report.html" : "");
    }
    rc = SG_EXIT_OK;
out:
    sg_train_config_free(&cfg);
    /* A rank that fails stops the whole job: the others would wait for it
     * in the next collective. */
    if (rc != SG_EXIT_OK && sg_dist_size() > 1) {
        fprintf(stderr, "steelgrad train: rank %d of %d failed: stopping the job (the last checkpoint "
                        "stays as it was)\n", sg_dist_rank(), sg_dist_size());
        fflush(NULL);
        sg_dist_abort(rc);
    }
    return rc;
}
