/* cli/report.c - `steelgrad report`: RUN/report.html (train/report.h). */
#include <stdio.h>

#include "cli/cli.h"
#include "train/report.h"

static const sg_cli_command report_cmd = {
    "report", "steelgrad report RUN [-o|--out FILE.html]",
    "One self-contained HTML page about a training run (RUN/report.html unless --out): test\n"
    "accuracy, macro F1 and ROC-AUC, SVG plots of the loss, accuracy and learning rate per epoch\n"
    "(RUN/log.jsonl), the test confusion matrix and per-class table (RUN/metrics.json), and the\n"
    "run's options (RUN/config.json). No script and no external asset: it opens anywhere.\n"
    "`steelgrad train` writes it at the end of every run."};

int cmd_report(int argc, char **argv)
{
    const char *out = NULL;
    char *run[1];
    int n_run = 0;
    bool done;
    sg_cli_opt opts[] = {
        {.name = "out", .short_name = 'o', .type = SG_OPT_STRING, .dest = &out, .arg = "FILE.html",
         .help = "where to write the page (default RUN/report.html)"},
        sg_cli_threads_opt,
    };
    int rc = sg_cli_parse(&report_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], run, 1, &n_run, &done);
    if (done) return rc;
    if (n_run != 1) return sg_cli_usage("report", "expected one RUN directory (see --help)");
    if (sg_run_report(run[0], out) != SG_OK) return sg_cli_fail_err("report", SG_ERR_IO);
    printf("%s%s\n", out ? out : run[0], out ? "" : "/report.html");
    return SG_EXIT_OK;
}
