/* train/report.h - a run's report: one self-contained HTML page.
 *
 * RUN/report.html is built from what a run writes (log.jsonl: one line per
 * epoch; metrics.json: the test and val metrics, confusion matrices and
 * per-class figures; config.json) and holds everything inline: CSS and SVG
 * plots (loss, accuracy and learning rate per epoch, the test confusion
 * matrix), the per-class table, the run's options. No script, no external
 * asset: it opens from a USB stick on an air-gapped machine. */
#ifndef SG_TRAIN_REPORT_H
#define SG_TRAIN_REPORT_H

#include "core/error.h"

/* Write run_dir/report.html atomically (or `out` when not NULL). Errors name
 * the file that is missing or malformed (log.jsonl is required; metrics.json
 * is optional: a run killed before its end has none, and the page says so). */
sg_err sg_run_report(const char *run_dir, const char *out);

#endif
