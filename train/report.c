/* train/report.c - RUN/report.html (see report.h). */
#include "train/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/json.h"

typedef struct buf {
    char *p;
    size_t n, cap;
    bool oom;
} buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if (b->p && b->n + (size_t)n < b->cap) {
            b->n += (size_t)n;
            return;
        }
        size_t cap = b->cap ? b->cap * 2 : 1 << 16;
        while (cap < b->n + (size_t)n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
}

/* Text with &, <, >, " escaped. */
static void put_text(buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': put(b, "&amp;"); break;
        case '<': put(b, "&lt;"); break;
        case '>': put(b, "&gt;"); break;
        case '"': put(b, "&quot;"); break;
        default: put(b, "%c", *s);
        }
    }
}

/* ---- line charts ---------------------------------------------------------- */

typedef struct series {
    const char *name, *color;
    const double *y;               /* NAN = no value at that epoch */
} series;

enum { CW = 420, CH = 256, ML = 56, MR = 12, MT = 44, MB = 36 };

/* A chart of up to 3 series over epochs x[0..n). */
static void chart(buf *b, const char *title, const double *x, int n, const series *s, int ns, bool log_y)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int k = 0; k < ns; k++)
        for (int i = 0; i < n; i++) {
            double v = s[k].y[i];
            if (isnan(v) || (log_y && v <= 0)) continue;
            v = log_y ? log10(v) : v;
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    put(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\"><title>", CW, CH, CW, CH);
    put_text(b, title);
    put(b, "</title><text x=\"%d\" y=\"18\" class=\"t\">", ML);
    put_text(b, title);
    put(b, "</text>");
    if (!(lo <= hi) || n == 0) {
        put(b, "<text x=\"%d\" y=\"%d\">no values</text></svg>", ML, CH / 2);
        return;
    }
    if (hi - lo < 1e-12) {
        hi += 0.5;
        lo -= 0.5;
    }
    double x0 = x[0], x1 = n > 1 ? x[n - 1] : x[0] + 1;
    const int pw = CW - ML - MR, ph = CH - MT - MB;
#define PX(v) (ML + ((v) - x0) / (x1 - x0) * pw)
#define PY(v) (MT + ph - ((v) - lo) / (hi - lo) * ph)
    put(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"frame\"/>", ML, MT, pw, ph);
    for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4;
        double shown = log_y ? pow(10, v) : v;
        put(b, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", ML, ML + pw, PY(v), PY(v));
        put(b, "<text x=\"%d\" y=\"%.1f\" class=\"yl\">%.3g</text>", ML - 4, PY(v) + 4, shown);
    }
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">%g</text><text x=\"%d\" y=\"%d\" class=\"xl\">%g</text>", ML,
        CH - MB + 16, x0, ML + pw, CH - MB + 16, x1);
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">epoch</text>", ML + pw / 2, CH - 6);
    for (int k = 0; k < ns; k++) {
        put(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", s[k].color);
        for (int i = 0; i < n; i++) {
            double v = s[k].y[i];
            if (isnan(v) || (log_y && v <= 0)) continue;
            put(b, "%.1f,%.1f ", PX(x[i]), PY(log_y ? log10(v) : v));
        }
        put(b, "\"/>");
        if (n == 1)
            put(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>", PX(x[0]),
                PY(log_y ? log10(s[k].y[0]) : s[k].y[0]), s[k].color);
        /* The legend: one row between the title and the plot. */
        put(b, "<rect x=\"%d\" y=\"27\" width=\"10\" height=\"10\" fill=\"%s\"/><text x=\"%d\" y=\"36\">",
            ML + 120 * k, s[k].color, ML + 14 + 120 * k);
        put_text(b, s[k].name);
        put(b, "</text>");
    }
#undef PX
#undef PY
    put(b, "</svg>\n");
}

/* ---- confusion matrix -------------------------------------------------------- */

static void confusion(buf *b, const sg_json *conf, const sg_json *classes)
{
    int K = sg_json_count(conf);
    if (K == 0 || sg_json_count(classes) != K) return;
    enum { CELL = 44, LEFT = 130, TOP = 120 };
    double most = 1;
    for (int i = 0; i < K; i++)
        for (int j = 0; j < K; j++) {
            double v = sg_json_number(sg_json_at(sg_json_at(conf, i), j), 0);
            most = v > most ? v : most;
        }
    int W = LEFT + K * CELL + 70, H = TOP + K * CELL + 30;
    put(b, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\">"
           "<title>confusion matrix</title>", W, H, W, H);
    for (int i = 0; i < K; i++) {
        const char *name = sg_json_string(sg_json_at(classes, i), "?");
        put(b, "<text x=\"%d\" y=\"%d\" class=\"yl\">", LEFT - 6, TOP + i * CELL + CELL / 2 + 4);
        put_text(b, name);
        put(b, "</text><text transform=\"translate(%d,%d) rotate(-45)\">", LEFT + i * CELL + CELL / 2, TOP - 6);
        put_text(b, name);
        put(b, "</text>");
        for (int j = 0; j < K; j++) {
            double v = sg_json_number(sg_json_at(sg_json_at(conf, i), j), 0);
            double a = v / most;
            put(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" fill-opacity=\"%.3f\" "
                   "stroke=\"#ccd\"/><text x=\"%d\" y=\"%d\" class=\"c%s\">%g</text>",
                LEFT + j * CELL, TOP + i * CELL, CELL, CELL, i == j ? "#1f6feb" : "#d1242f", v > 0 ? 0.15 + 0.85 * a : 0,
                LEFT + j * CELL + CELL / 2, TOP + i * CELL + CELL / 2 + 4, a > 0.6 ? " w" : "", v);
        }
    }
    put(b, "<text x=\"%d\" y=\"%d\" class=\"xl\">predicted</text>", LEFT + K * CELL / 2, H - 8);
    put(b, "<text transform=\"translate(14,%d) rotate(-90)\" class=\"xl\">true</text></svg>\n", TOP + K * CELL / 2);
}

static void per_class(buf *b, const sg_json *split)
{
    const sg_json *pc = sg_json_get(split, "per_class");
    if (!sg_json_count(pc)) return;
    put(b, "<table><tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>ROC-AUC</th><th>support</th></tr>\n");
    for (int i = 0; i < sg_json_count(pc); i++) {
        const sg_json *c = sg_json_at(pc, i);
        put(b, "<tr><td>");
        put_text(b, sg_json_string(sg_json_get(c, "class"), "?"));
        put(b, "</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%g</td></tr>\n",
            sg_json_number(sg_json_get(c, "precision"), NAN), sg_json_number(sg_json_get(c, "recall"), NAN),
            sg_json_number(sg_json_get(c, "f1"), NAN), sg_json_number(sg_json_get(c, "roc_auc"), NAN),
            sg_json_number(sg_json_get(c, "support"), NAN));
    }
    put(b, "<tr class=\"m\"><td>macro</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%.4f</td><td>%g</td></tr></table>\n",
        sg_json_number(sg_json_get(split, "macro_precision"), NAN), sg_json_number(sg_json_get(split, "macro_recall"), NAN),
        sg_json_number(sg_json_get(split, "macro_f1"), NAN), sg_json_number(sg_json_get(split, "roc_auc"), NAN),
        sg_json_number(sg_json_get(split, "images"), NAN));
}

static const char style[] =
    "<style>body{font:14px/1.45 system-ui,sans-serif;color:#1d2330;background:#f4f5f7;margin:0}"
    "header{background:#1d2330;color:#fff;padding:.8em 1.4em}h1{font-size:1.2em;margin:0}"
    "header span{color:#aeb6c6}main{max-width:1100px;margin:auto;padding:1em}"
    "section{background:#fff;border:1px solid #dde1e8;border-radius:10px;padding:1em;margin:0 0 1em}"
    "h2{font-size:1.05em;margin:.1em 0 .6em}.charts{display:flex;flex-wrap:wrap;gap:1em}"
    ".chart{background:#fff;font-size:11px}.chart .t{font-size:13px;font-weight:600}.chart .yl{text-anchor:end}"
    ".chart .xl{text-anchor:middle}.chart .c{text-anchor:middle}.chart .c.w{fill:#fff}"
    ".frame{fill:none;stroke:#99a}.grid{stroke:#e3e6ec}"
    "table{border-collapse:collapse}td,th{padding:.25em .7em;border-bottom:1px solid #e3e6ec;text-align:right}"
    "td:first-child,th:first-child{text-align:left}tr.m td{font-weight:600}"
    ".kpi{display:flex;gap:2em;flex-wrap:wrap}.kpi b{display:block;font-size:1.5em}pre{white-space:pre-wrap}</style>";

sg_err sg_run_report(const char *run_dir, const char *out)
{
    char path[4096], out_path[4096];
    char *log_text = NULL, *metrics_text = NULL, *config_text = NULL;
    size_t log_len = 0, metrics_len = 0, config_len = 0;
    sg_json *metrics = NULL, *config = NULL;
    double *col = NULL;
    buf b = {0};
    snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
    sg_err err = sg_file_read_all(path, (size_t)1 << 28, &log_text, &log_len);
    if (err != SG_OK) return err;
    snprintf(path, sizeof path, "%s/metrics.json", run_dir);
    if (sg_file_read_all(path, (size_t)1 << 26, &metrics_text, &metrics_len) == SG_OK &&
        (err = sg_json_parse(metrics_text, metrics_len, path, &metrics)) != SG_OK)
        goto done;
    snprintf(path, sizeof path, "%s/config.json", run_dir);
    if (sg_file_read_all(path, (size_t)1 << 24, &config_text, &config_len) == SG_OK &&
        (err = sg_json_parse(config_text, config_len, path, &config)) != SG_OK)
        goto done;
    /* The epochs: 7 columns of n values. */
    int n = 0, cap = 0;
    enum { EPOCH, TRAIN_LOSS, VAL_LOSS, TRAIN_ACC, VAL_ACC, VAL_F1, LR, NCOL };
    static const char *const keys[NCOL] = {"epoch", "train_loss", "val_loss", "train_accuracy", "val_accuracy",
                                           "val_macro_f1", "lr"};
    double *cols[NCOL] = {0};
    snprintf(path, sizeof path, "%s/log.jsonl", run_dir);
    for (char *line = log_text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        size_t len = next ? (size_t)(next - line) : strlen(line);
        if (next) next++;
        if (len == 0) continue;
        sg_json *j = NULL;
        if ((err = sg_json_parse(line, len, path, &j)) != SG_OK) goto done;
        if (!sg_json_get(j, "epoch")) {  /* other kinds of lines (a phase, a note) */
            sg_json_free(j);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            double *grown = realloc(col, (size_t)cap * NCOL * sizeof *col);
            if (!grown) {
                sg_json_free(j);
                err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
                goto done;
            }
            col = grown;
        }
        for (int k = 0; k < NCOL; k++) col[(size_t)n * NCOL + k] = sg_json_number(sg_json_get(j, keys[k]), NAN);
        n++;
        sg_json_free(j);
    }
    /* Column-major copies for the charts. */
    double *by_col = malloc((size_t)(n ? n : 1) * NCOL * sizeof *by_col);
    if (!by_col) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory");
        goto done;
    }
    for (int k = 0; k < NCOL; k++) {
        cols[k] = by_col + (size_t)k * (n ? n : 1);
        for (int i = 0; i < n; i++) cols[k][i] = col[(size_t)i * NCOL + k];
    }
    free(col);
    col = by_col;

    const char *model = sg_json_string(sg_json_get(metrics, "model"), sg_json_string(sg_json_get(config, "model"), "?"));
    put(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>steelgrad run ");
    put_text(&b, run_dir);
    put(&b, "</title>%s</head><body><header><h1>steelgrad run report</h1><span>", style);
    put_text(&b, run_dir);
    put(&b, " &middot; model ");
    put_text(&b, model);
    put(&b, " &middot; %d epochs logged</span></header><main>\n", n);
    const sg_json *test = sg_json_get(metrics, "test");
    put(&b, "<section><h2>Result</h2>");
    if (metrics) {
        put(&b, "<div class=\"kpi\"><div>test accuracy<b>%.4f</b></div><div>test macro F1<b>%.4f</b></div>"
                "<div>test ROC-AUC<b>%.4f</b></div><div>val accuracy<b>%.4f</b></div><div>test images<b>%g</b></div></div>",
            sg_json_number(sg_json_get(metrics, "test_accuracy"), NAN),
            sg_json_number(sg_json_get(metrics, "test_macro_f1"), NAN),
            sg_json_number(sg_json_get(metrics, "test_roc_auc"), NAN),
            sg_json_number(sg_json_get(metrics, "val_accuracy"), NAN), sg_json_number(sg_json_get(test, "images"), NAN));
    } else {
        put(&b, "<p>No metrics.json: the run has not finished (the curves below are what it logged).</p>");
    }
    put(&b, "</section>\n<section><h2>Training curves</h2><div class=\"charts\">");
    series loss[] = {{"train loss", "#1f6feb", cols[TRAIN_LOSS]}, {"val loss", "#d1242f", cols[VAL_LOSS]}};
    series acc[] = {{"train accuracy", "#1f6feb", cols[TRAIN_ACC]}, {"val accuracy", "#d1242f", cols[VAL_ACC]},
                    {"val macro F1", "#2da44e", cols[VAL_F1]}};
    series lr[] = {{"learning rate", "#8250df", cols[LR]}};
    chart(&b, "loss", cols[EPOCH], n, loss, 2, false);
    chart(&b, "accuracy", cols[EPOCH], n, acc, 3, false);
    chart(&b, "learning rate (log scale)", cols[EPOCH], n, lr, 1, true);
    put(&b, "</div></section>\n");
    if (test) {
        put(&b, "<section><h2>Test confusion matrix</h2>");
        confusion(&b, sg_json_get(test, "confusion"), sg_json_get(metrics, "classes"));
        put(&b, "</section>\n<section><h2>Per class (test)</h2>");
        per_class(&b, test);
        put(&b, "</section>\n");
    }
    if (config) {
        put(&b, "<section><h2>Options (config.json)</h2><table>");
        for (int i = 0; i < sg_json_count(config); i++) {
            const sg_json *v = sg_json_at(config, i);
            put(&b, "<tr><td>");
            put_text(&b, sg_json_key(config, i));
            put(&b, "</td><td>");
            if (v->type == SG_JSON_STRING) put_text(&b, v->string);
            else if (v->type == SG_JSON_NUMBER) put(&b, "%.10g", v->number);
            else if (v->type == SG_JSON_BOOL) put(&b, "%s", v->boolean ? "true" : "false");
            else if (v->type == SG_JSON_NULL) put(&b, "null");
            else put(&b, "(%d values)", sg_json_count(v));
            put(&b, "</td></tr>");
        }
        put(&b, "</table></section>\n");
    }
    put(&b, "</main></body></html>\n");
    if (b.oom) {
        err = sg_error_set(SG_ERR_NOMEM, "report: out of memory");
        goto done;
    }
    if (!out) {
        snprintf(out_path, sizeof out_path, "%s/report.html", run_dir);
        out = out_path;
    }
    err = sg_file_write_atomic(out, b.p, b.n);
done:
    free(b.p);
    free(col);
    free(log_text);
    free(metrics_text);
    free(config_text);
    sg_json_free(metrics);
    sg_json_free(config);
    return err;
}
