/* cli/eval.c - `steelgrad eval`: a trained checkpoint's metrics on a data set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/json.h"
#include "train/eval.h"

static const sg_cli_command eval_cmd = {
    "eval", "steelgrad eval --weights W (--data DIR | --manifest CSV [--split test]) [--json] [--strict]\n"
    "                     [--tta none|flips] [--predictions FILE.csv]",
    "Evaluate a checkpoint written by `steelgrad train` (its metadata names the model, its\n"
    "options and classes) on a class-folder tree (every image) or a manifest (the rows of\n"
    "--split, or all): accuracy, per-class and macro precision / recall / F1, macro one-vs-rest\n"
    "ROC-AUC and the confusion matrix, as a table, or as JSON with --json. A corrupt image is\n"
    "skipped with a warning (--strict: an error). --tta overrides the run's test-time\n"
    "augmentation (flips: the mean of the probabilities of the 4 mirror images). --predictions\n"
    "writes every image's row file,split,true,predicted,<probability of each class> (as\n"
    "RUN/predictions.csv of train)."};

static void print_table(const sg_run_model *rm, const sg_eval_result *r)
{
    const sg_metrics *m = &r->metrics;
    int width = 5;
    for (int k = 0; k < rm->classes; k++)
        if ((int)strlen(rm->class_names[k]) > width) width = (int)strlen(rm->class_names[k]);
    printf("%-*s  precision  recall     f1  roc_auc  support\n", width, "class");
    for (int k = 0; k < rm->classes; k++) {
        const sg_class_metrics *c = &m->per_class[k];
        printf("%-*s  %9.4f  %6.4f  %.4f  %7.4f  %7lld\n", width, rm->class_names[k], c->precision,
               c->recall, c->f1, c->roc_auc, (long long)c->support);
    }
    printf("%-*s  %9.4f  %6.4f  %.4f  %7.4f  %7lld\n", width, "macro", m->macro_precision,
           m->macro_recall, m->macro_f1, m->roc_auc, (long long)m->n);
    printf("accuracy %.4f (%lld images), loss %.4f\n", m->accuracy, (long long)m->n, m->loss);
    printf("confusion (row = true class, column = predicted):\n");
    for (int t = 0; t < rm->classes; t++) {
        printf("  %-*s", width, rm->class_names[t]);
        for (int p = 0; p < rm->classes; p++) printf(" %5lld", (long long)m->confusion[t * rm->classes + p]);
        printf("\n");
    }
}

int cmd_eval(int argc, char **argv)
{
    const char *weights = NULL, *data = NULL, *manifest = NULL, *split = NULL, *tta = NULL, *predictions = NULL;
    bool json = false, strict = false, done;
    sg_cli_opt opts[] = {
        {.name = "weights", .type = SG_OPT_STRING, .dest = &weights, .help = "checkpoint from steelgrad train (best.safetensors)"},
        {.name = "data", .type = SG_OPT_STRING, .dest = &data, .help = "class-folder tree: every image is evaluated"},
        {.name = "manifest", .type = SG_OPT_STRING, .dest = &manifest, .help = "CSV path,label[,split]"},
        {.name = "split", .type = SG_OPT_STRING, .dest = &split, .help = "only the manifest rows of this split (train, val, test)"},
        {.name = "json", .type = SG_OPT_FLAG, .dest = &json, .help = "print the metrics as JSON instead of a table"},
        {.name = "strict", .type = SG_OPT_FLAG, .dest = &strict, .help = "stop at a corrupt image instead of skipping it"},
        {.name = "tta", .type = SG_OPT_STRING, .dest = &tta, .help = "test-time augmentation: none or flips (default: the run's)"},
        {.name = "predictions", .type = SG_OPT_STRING, .dest = &predictions, .arg = "FILE.csv",
         .help = "also write every image's class probabilities as CSV"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&eval_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (!weights || (!data) == (!manifest)) {
        fprintf(stderr, "steelgrad eval: --weights and exactly one of --data or --manifest are required\n");
        return SG_EXIT_USAGE;
    }
    if (split && data) {
        fprintf(stderr, "steelgrad eval: --split applies to --manifest (a folder is evaluated whole)\n");
        return SG_EXIT_USAGE;
    }
    if (tta && strcmp(tta, "none") != 0 && strcmp(tta, "flips") != 0) {
        fprintf(stderr, "steelgrad eval: --tta: expected none or flips, got '%s'\n", tta);
        return SG_EXIT_USAGE;
    }
    sg_run_model rm;
    if (sg_run_model_open(weights, &rm) != SG_OK) return sg_cli_fail_err("eval", SG_ERR_FORMAT);
    if (tta) rm.cfg.tta = tta;
    sg_eval_result r;
    if (sg_eval_run_predictions(&rm, data, manifest, split, strict, predictions, &r) != SG_OK) {
        rc = strstr(sg_error_message(), "refusing to write") ? sg_cli_usage("eval", "%s", sg_error_message())
                                                              : sg_cli_fail_err("eval", SG_ERR_FORMAT);
        sg_run_model_close(&rm);
        return rc;
    }
    for (int i = 0; i < r.skipped.count; i++)
        fprintf(stderr, "steelgrad eval: warning: skipped %s\n", r.skipped.items[i]);
    if (json) {
        sg_json_writer w;
        sg_json_writer_init(&w, true);
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_string(&w, "weights", weights);
        sg_metrics_write_json(&w, &r.metrics, (const char *const *)rm.class_names);
        sg_json_writer_key(&w, "skipped");
        sg_json_writer_begin_array(&w);
        for (int i = 0; i < r.skipped.count; i++) sg_json_writer_string(&w, r.skipped.items[i]);
        sg_json_writer_end_array(&w);
        sg_json_writer_end_object(&w);
        const char *text = sg_json_writer_finish(&w, NULL);
        if (text) printf("%s\n", text);
        rc = text ? SG_EXIT_OK : sg_cli_fail("eval", "out of memory");
        sg_json_writer_free(&w);
    } else {
        print_table(&rm, &r);
        rc = SG_EXIT_OK;
    }
    sg_eval_result_free(&r);
    sg_run_model_close(&rm);
    return rc;
}
