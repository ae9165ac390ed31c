/* tests/test_report.c - RUN/report.html (train/report.h) from a hand-made run
 * folder: every curve point, the confusion counts, the per-class rows, text
 * escaped, nothing external; a missing or malformed input names its file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <math.h>

#include "core/json.h"
#include "data/image.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"
#include "train/eval.h"
#include "train/report.h"

static void write_text(const char *path, const char *text) { sg_test_write_bytes(path, text, strlen(text)); }

static const char LOG[] =
    "{\"epoch\":1,\"step\":4,\"lr\":0.01,\"train_loss\":2,\"train_accuracy\":0.5,\"val_loss\":2.5,\"val_accuracy\":0.25,\"val_macro_f1\":0.2}\n"
    "{\"epoch\":2,\"step\":8,\"lr\":0.001,\"train_loss\":1,\"train_accuracy\":0.75,\"val_loss\":1.5,\"val_accuracy\":0.5,\"val_macro_f1\":0.4}\n"
    "{\"epoch\":3,\"step\":12,\"lr\":0.0001,\"train_loss\":0.5,\"train_accuracy\":1,\"val_loss\":1,\"val_accuracy\":0.75,\"val_macro_f1\":0.7}\n";

static const char METRICS[] =
    "{\"model\":\"cnn\",\"test_accuracy\":0.75,\"val_accuracy\":0.75,\"test_macro_f1\":0.7,\"test_roc_auc\":0.9,"
    "\"classes\":[\"a<b\",\"c&d\"],\"test\":{\"images\":4,\"macro_precision\":0.8,\"macro_recall\":0.75,"
    "\"macro_f1\":0.7,\"roc_auc\":0.9,\"per_class\":[{\"class\":\"a<b\",\"precision\":1,\"recall\":0.5,\"f1\":0.6667,"
    "\"roc_auc\":0.9,\"support\":2},{\"class\":\"c&d\",\"precision\":0.6667,\"recall\":1,\"f1\":0.8,\"roc_auc\":0.9,"
    "\"support\":2}],\"confusion\":[[1,1],[0,17]]}}";

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) n++;
    return n;
}

START_TEST(the_report_draws_every_epoch_the_confusion_and_the_classes)
{
    const char *dir = sg_test_tmpdir();
    write_text(sg_test_path(dir, "log.jsonl"), LOG);
    write_text(sg_test_path(dir, "metrics.json"), METRICS);
    write_text(sg_test_path(dir, "config.json"), "{\"model\":\"cnn\",\"epochs\":3,\"hflip\":true}");
    ck_assert_int_eq(sg_run_report(dir, NULL), SG_OK);
    char *html = sg_test_slurp(sg_test_path(dir, "report.html"));
    ck_assert_int_eq(count(html, "<svg"), 4);      /* loss, accuracy, LR, confusion */
    ck_assert_int_eq(count(html, "<polyline"), 6); /* 2 + 3 + 1 series */
    /* Each polyline has one point per epoch. */
    for (const char *p = strstr(html, "points=\""); p; p = strstr(p + 1, "points=\"")) {
        const char *end = strchr(p + 8, '"');
        int points = 0;
        for (const char *q = p + 8; q < end; q++) points += *q == ',';
        ck_assert_int_eq(points, 3);
    }
    ck_assert(strstr(html, ">17</text>"));          /* a confusion count */
    ck_assert(strstr(html, "a&lt;b") && strstr(html, "c&amp;d") && !strstr(html, "a<b"));
    ck_assert(strstr(html, "<td>0.7500</td>") || strstr(html, "0.7500"));
    ck_assert(strstr(html, "<td>hflip</td><td>true</td>"));
    ck_assert(!strstr(html, "http://") && !strstr(html, "https://") && !strstr(html, "<script"));
    free(html);
    /* --out elsewhere; a run without metrics.json still has its curves. */
    remove(sg_test_path(dir, "metrics.json"));
    ck_assert_int_eq(sg_run_report(dir, sg_test_path(dir, "other.html")), SG_OK);
    html = sg_test_slurp(sg_test_path(dir, "other.html"));
    ck_assert(strstr(html, "has not finished"));
    ck_assert_int_eq(count(html, "<polyline"), 6);
    ck_assert(strstr(html, "This run has no predictions.csv"));
    ck_assert(strstr(html, "--predictions RUN/predictions.csv"));
    free(html);
    sg_test_remove_tree(dir);
}
END_TEST

START_TEST(a_missing_or_malformed_input_names_its_file)
{
    const char *dir = sg_test_tmpdir();
    sg_test_expect_code(sg_run_report(dir, NULL), SG_ERR_IO, "log.jsonl", NULL);
    write_text(sg_test_path(dir, "log.jsonl"), "{\"epoch\":1,\n");
    sg_test_expect_code(sg_run_report(dir, NULL), SG_ERR_FORMAT, "log.jsonl", NULL);
    write_text(sg_test_path(dir, "log.jsonl"), LOG);
    write_text(sg_test_path(dir, "metrics.json"), "{oops");
    sg_test_expect_code(sg_run_report(dir, NULL), SG_ERR_FORMAT, "metrics.json", NULL);
    ck_assert(!sg_test_file_exists(sg_test_path(dir, "report.html")));
    sg_test_remove_tree(dir);
}
END_TEST


/* ---- predictions.csv, ROC, gallery, Grad-CAM, PNG plots: a real tiny run ---------- */

static char *run_out(const char *dir, const char *args, int want_rc)
{
    char out[600];
    snprintf(out, sizeof out, "%s/cli.txt", dir);
    int rc = sg_test_run_cli(NULL, args, out);
    char *text = sg_test_slurp(out);
    ck_assert_msg(rc == want_rc, "steelgrad %s: exit %d, expected %d:\n%s", args, rc, want_rc, text);
    return text;
}

static double attr(const char *html, const char *name)
{
    const char *p = strstr(html, name);
    ck_assert_msg(p, "no %s in the report", name);
    return strtod(p + strlen(name) + 2, NULL);
}

static sg_json *read_json(const char *path)
{
    char *text = sg_test_slurp(path);
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse(text, strlen(text), path, &j), SG_OK);
    free(text);
    return j;
}

static void expect_png(const char *path, int w, int h)
{
    size_t n;
    unsigned char *bytes = sg_test_read_bytes(path, &n);
    ck_assert_msg(bytes, "%s is missing", path);
    sg_image img;
    ck_assert_int_eq(sg_png_decode(bytes, n, path, NULL, &img), SG_OK);
    ck_assert_msg(img.width == w && img.height == h && img.channels == 3 && img.depth == 8,
                  "%s: %d x %d x %d, expected %d x %d RGB", path, img.width, img.height, img.channels, w, h);
    /* Not blank: some pixels are not white. */
    int64_t ink = 0;
    const uint8_t *px = img.pixels;
    for (size_t i = 0; i < sg_image_bytes(&img); i++) ink += px[i] != 255;
    ck_assert_int_gt(ink, 100);
    sg_image_free(&img);
    free(bytes);
}

/* The RGB bytes of the pixel (x, y) of a PNG. */
static void png_pixel(const char *path, int x, int y, uint8_t rgb[3])
{
    size_t n;
    unsigned char *bytes = sg_test_read_bytes(path, &n);
    sg_image img;
    ck_assert_int_eq(sg_png_decode(bytes, n, path, NULL, &img), SG_OK);
    memcpy(rgb, (uint8_t *)img.pixels + ((size_t)y * img.width + x) * 3, 3);
    sg_image_free(&img);
    free(bytes);
}

START_TEST(a_trained_run_reports_roc_auc_misclassified_images_gradcam_and_png_plots)
{
    const char *dir = sg_test_tmpdir();
    char args[2048];
    snprintf(args, sizeof args, "synth --out %s/s --per-class 6 --size 32 --classes crazing,inclusion,patches", dir);
    free(run_out(dir, args, 0));
    /* The same tiny run on 1 and 2 threads: the same bits. */
    for (int t = 1; t <= 2; t++) {
        snprintf(args, sizeof args,
                 "train --quiet --data %s/s/images --model cnn --size 32 --epochs 2 --batch 8 --threads %d --out %s/run%d",
                 dir, t, dir, t);
        free(run_out(dir, args, 0));
    }
    static const char *const same[] = {"best.safetensors", "last.safetensors", "predictions.csv", "split.csv"};
    for (int i = 0; i < 4; i++) {
        char a[600], b[600];
        snprintf(a, sizeof a, "%s/run1/%s", dir, same[i]);
        snprintf(b, sizeof b, "%s/run2/%s", dir, same[i]);
        size_t na, nb;
        unsigned char *x = sg_test_read_bytes(a, &na), *y = sg_test_read_bytes(b, &nb);
        ck_assert_msg(x && y && na == nb && memcmp(x, y, na) == 0, "%s differs between --threads 1 and 2", same[i]);
        free(x);
        free(y);
    }
    char run[600], path[700];
    snprintf(run, sizeof run, "%s/run1", dir);

    /* predictions.csv: the test split, K probabilities per row, equal to predict --json's. */
    sg_predictions p;
    snprintf(path, sizeof path, "%s/predictions.csv", run);
    ck_assert_int_eq(sg_predictions_read(path, &p), SG_OK);
    ck_assert_int_eq(p.K, 3);
    ck_assert_str_eq(p.split, "test");
    snprintf(path, sizeof path, "%s/metrics.json", run);
    sg_json *metrics = read_json(path);
    const sg_json *test = sg_json_get(metrics, "test");
    ck_assert_int_eq(p.n, (int64_t)sg_json_number(sg_json_get(test, "images"), -1));
    ck_assert_int_ge(p.n, 3);
    size_t used = (size_t)snprintf(args, sizeof args, "predict --json --weights %s/best.safetensors", run);
    for (int64_t i = 0; i < p.n; i++) used += (size_t)snprintf(args + used, sizeof args - used, " '%s'", p.files[i]);
    char *lines = run_out(dir, args, 0);
    int64_t row = 0;
    for (char *line = lines, *next; line && *line; line = next, row++) {
        next = strchr(line, '\n');
        size_t len = next ? (size_t)(next - line) : strlen(line);
        if (next) next++;
        sg_json *j = NULL;
        ck_assert_int_eq(sg_json_parse(line, len, "predict --json", &j), SG_OK);
        ck_assert_int_lt(row, p.n);
        ck_assert_str_eq(sg_json_string(sg_json_get(j, "file"), ""), p.files[row]);
        ck_assert_str_eq(sg_json_string(sg_json_get(j, "class"), ""), p.class_names[p.pred[row]]);
        for (int k = 0; k < p.K; k++) {
            float want = (float)sg_json_number(sg_json_get(sg_json_get(j, "probabilities"), p.class_names[k]), NAN);
            ck_assert_msg(want == p.probs[row * p.K + k], "%s, class %s: predict says %.9g, predictions.csv %.9g",
                          p.files[row], p.class_names[k], (double)want, (double)p.probs[row * p.K + k]);
        }
        sg_json_free(j);
    }
    ck_assert_int_eq(row, p.n);
    free(lines);

    /* eval --predictions on the run's own test split: the same probabilities. */
    snprintf(args, sizeof args, "eval --weights %s/best.safetensors --manifest %s/split.csv --split test "
             "--predictions %s/eval.csv", run, run, dir);
    free(run_out(dir, args, 0));
    sg_predictions e;
    snprintf(path, sizeof path, "%s/eval.csv", dir);
    ck_assert_int_eq(sg_predictions_read(path, &e), SG_OK);
    ck_assert_int_eq(e.n, p.n);
    ck_assert_mem_eq(e.probs, p.probs, (size_t)(p.n * p.K) * sizeof(float));
    ck_assert_mem_eq(e.truth, p.truth, (size_t)p.n * sizeof(int32_t));
    sg_predictions_free(&e);
    /* ... and never over an input. */
    snprintf(args, sizeof args, "eval --weights %s/best.safetensors --manifest %s/split.csv --predictions %s/split.csv",
             run, run, run);
    free(run_out(dir, args, 2));

    /* The report train wrote: the AUCs are metrics.json's, to the last bit. */
    snprintf(path, sizeof path, "%s/report.html", run);
    char *html = sg_test_slurp(path);
    ck_assert(attr(html, "data-macro-auc") == sg_json_number(sg_json_get(test, "roc_auc"), -1));
    ck_assert(attr(html, "data-macro-auc") == sg_json_number(sg_json_get(metrics, "test_roc_auc"), -1));
    const sg_json *pc = sg_json_get(test, "per_class");
    const char *at = html;
    for (int k = 0; k < p.K; k++) {
        at = strstr(at, "data-auc=\"");
        ck_assert(at);
        double got = strtod(at + 10, NULL), want = sg_json_number(sg_json_get(sg_json_at(pc, k), "roc_auc"), NAN);
        ck_assert_msg(got == want || (isnan(got) && isnan(want)), "class %d: report AUC %.17g, metrics.json %.17g", k,
                      got, want);
        at++;
    }
    ck_assert_int_eq(count(html, "<polyline class=\"roc\""), 3);
    /* Misclassified = the confusion matrix's off-diagonal sum; one thumbnail each (<= 48). */
    const sg_json *conf = sg_json_get(test, "confusion");
    int64_t off = 0;
    for (int i = 0; i < p.K; i++)
        for (int j = 0; j < p.K; j++)
            if (i != j) off += (int64_t)sg_json_number(sg_json_at(sg_json_at(conf, i), j), 0);
    ck_assert_int_eq((int64_t)attr(html, "data-misclassified"), off);
    ck_assert_int_eq(count(html, "<img class=\"mis\" src=\"data:image/png;base64,"), off < 48 ? off : 48);
    /* Grad-CAM: 2 images of each class (the split has 1 or 2 per class). */
    int per_class[3] = {0};
    for (int64_t i = 0; i < p.n; i++) per_class[p.truth[i]]++;
    int cams = 0;
    for (int k = 0; k < 3; k++) cams += per_class[k] < 2 ? per_class[k] : 2;
    ck_assert_int_eq(count(html, "<img class=\"cam\" src=\"data:image/png;base64,"), cams);
    printf("tiny run: %lld test images, %lld misclassified, macro ROC-AUC %.6f (= metrics.json), %d Grad-CAM tiles\n",
           (long long)p.n, (long long)off, attr(html, "data-macro-auc"), cams);
    ck_assert(!strstr(html, "http://") && !strstr(html, "https://") && !strstr(html, "<script"));
    free(html);

    /* PNG copies of every plot, decoded by the project's decoder: the sizes of the SVGs. */
    const char *pngs[] = {"loss", "accuracy", "lr", "confusion", "roc"};
    const int sizes[][2] = {{420, 256}, {420, 256}, {420, 256}, {130 + 3 * 44 + 70, 120 + 3 * 44 + 30}, {520, 380}};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/plots/%s.png", run, pngs[i]);
        expect_png(path, sizes[i][0], sizes[i][1]);
    }
    /* The legend box of "train loss" is #1f6feb at (ML + 5, 32); the frame's corner #9999aa. */
    uint8_t rgb[3];
    snprintf(path, sizeof path, "%s/plots/loss.png", run);
    png_pixel(path, 56 + 5, 32, rgb);
    ck_assert(rgb[0] == 0x1f && rgb[1] == 0x6f && rgb[2] == 0xeb);
    sg_json_free(metrics);
    sg_predictions_free(&p);
    /* No test split: predictions.csv holds the val images. */
    snprintf(args, sizeof args,
             "train --quiet --data %s/s/images --model cnn --size 32 --epochs 1 --batch 8 --ratios 70,30,0 --out %s/noval",
             dir, dir);
    free(run_out(dir, args, 0));
    snprintf(path, sizeof path, "%s/noval/predictions.csv", dir);
    ck_assert_int_eq(sg_predictions_read(path, &p), SG_OK);
    ck_assert_str_eq(p.split, "val");
    snprintf(path, sizeof path, "%s/noval/metrics.json", dir);
    metrics = read_json(path);
    ck_assert_int_eq(p.n, (int64_t)sg_json_number(sg_json_get(metrics, "val_images"), -1));
    snprintf(path, sizeof path, "%s/noval/report.html", dir);
    html = sg_test_slurp(path);
    ck_assert(attr(html, "data-macro-auc") == sg_json_number(sg_json_get(sg_json_get(metrics, "val"), "roc_auc"), -1));
    free(html);
    sg_json_free(metrics);
    sg_predictions_free(&p);
    sg_test_remove_tree(dir);
}
END_TEST

/* A hand-made predictions.csv: 60 errors (48 shown, 12 left out, their files
 * missing), no checkpoint (the Grad-CAM section says so); a malformed file
 * names itself and its line. */
START_TEST(the_gallery_caps_at_48_and_missing_pieces_are_said)
{
    const char *dir = sg_test_tmpdir();
    write_text(sg_test_path(dir, "log.jsonl"), LOG);
    write_text(sg_test_path(dir, "metrics.json"), METRICS);
    char *csv = malloc(1 << 16);
    size_t used = (size_t)sprintf(csv, "file,split,true,predicted,a<b,c&d\r\n");
    for (int i = 0; i < 64; i++)
        used += (size_t)sprintf(csv + used, "/nonexistent/%d.png,test,%s,%s,%s\r\n", i, i < 60 ? "a<b" : "c&d",
                                i < 60 ? "c&d" : "c&d", i < 60 ? "0.25,0.75" : "0.1,0.9");
    write_text(sg_test_path(dir, "predictions.csv"), csv);
    ck_assert_int_eq(sg_run_report(dir, NULL), SG_OK);
    char *html = sg_test_slurp(sg_test_path(dir, "report.html"));
    ck_assert_int_eq((int)attr(html, "data-misclassified"), 60);
    ck_assert(strstr(html, "the first 48 are shown, 12 are left out"));
    ck_assert(strstr(html, "48 of these images could not be read"));
    ck_assert(strstr(html, "No Grad-CAM grid:") && strstr(html, "best.safetensors"));
    /* All positives of class 1 score 0.9 > every negative's 0.75: AUC 1 for both classes. */
    ck_assert(attr(html, "data-macro-auc") == 1.0);
    ck_assert(strstr(html, "metrics.json says 0.9000") && strstr(html, "they differ"));
    free(html);
    write_text(sg_test_path(dir, "predictions.csv"), "file,split,true,predicted,a<b,c&d\n/x.png,test,a<b,zzz,0.5,0.5\n");
    sg_test_expect_code(sg_run_report(dir, NULL), SG_ERR_FORMAT, "predictions.csv: line 2", "zzz");
    write_text(sg_test_path(dir, "predictions.csv"), "file,split,true,predicted,a<b,c&d\n/x.png,test,a<b,c&d,0.5,x\n");
    sg_test_expect_code(sg_run_report(dir, NULL), SG_ERR_FORMAT, "predictions.csv: line 2", "not a number");
    write_text(sg_test_path(dir, "predictions.csv"), "path,label\n");
    sg_test_expect_code(sg_run_report(dir, NULL), SG_ERR_FORMAT, "predictions.csv: line 1", "header");
    free(csv);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    SG_ADD_TEST(s, the_report_draws_every_epoch_the_confusion_and_the_classes, 30);
    SG_ADD_TEST(s, a_missing_or_malformed_input_names_its_file, 30);
    SG_ADD_TEST(s, a_trained_run_reports_roc_auc_misclassified_images_gradcam_and_png_plots, 240);
    SG_ADD_TEST(s, the_gallery_caps_at_48_and_missing_pieces_are_said, 30);
    return s;
}

SG_TEST_MAIN(report_suite)
