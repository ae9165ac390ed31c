/* tests/test_report.c - RUN/report.html (train/report.h) from a hand-made run
 * folder: every curve point, the confusion counts, the per-class rows, text
 * escaped, nothing external; a missing or malformed input names its file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/testfiles.h"
#include "tests/testutil.h"
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

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    SG_ADD_TEST(s, the_report_draws_every_epoch_the_confusion_and_the_classes, 30);
    SG_ADD_TEST(s, a_missing_or_malformed_input_names_its_file, 30);
    return s;
}

SG_TEST_MAIN(report_suite)
