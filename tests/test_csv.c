/* tests/test_csv.c - the RFC 4180 reader and writer and the data set manifest. */
#define _XOPEN_SOURCE 700  /* realpath */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/rng.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/split.h"
#include "data/voc.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define FIXTURES "tests/data/datasets"

static void expect_row(const sg_csv *c, int row, int n, const char *const *fields)
{
    ck_assert_msg(sg_csv_row_length(c, row) == n, "row %d: %d fields, expected %d", row, sg_csv_row_length(c, row), n);
    for (int k = 0; k < n; k++)
        ck_assert_msg(strcmp(sg_csv_field(c, row, k), fields[k]) == 0, "row %d field %d: '%s', expected '%s'", row,
                      k, sg_csv_field(c, row, k), fields[k]);
}

START_TEST(csv_reads_quotes_escapes_and_every_line_ending)
{
    const char text[] = "\xEF\xBB\xBF" "a,b,c\r\n"
                        "\"x,1\",\"say \"\"hi\"\"\",\r\n"    /* comma, escaped quotes, empty last field */
                        "\n"                                 /* blank line: skipped */
                        "\"multi\r\nline\",\"\",plain\"quote\n" /* CRLF inside quotes, empty quoted field */
                        "lone,cr\r"                          /* a lone CR ends a record */
                        "last,no newline";
    sg_csv c;
    ck_assert_msg(sg_csv_parse(text, sizeof text - 1, "t.csv", &c) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(c.n_rows, 5);
    expect_row(&c, 0, 3, (const char *[]){"a", "b", "c"});
    expect_row(&c, 1, 3, (const char *[]){"x,1", "say \"hi\"", ""});
    expect_row(&c, 2, 3, (const char *[]){"multi\r\nline", "", "plain\"quote"});
    expect_row(&c, 3, 2, (const char *[]){"lone", "cr"});
    expect_row(&c, 4, 2, (const char *[]){"last", "no newline"});
    const int lines[5] = {1, 2, 4, 6, 7};
    for (int r = 0; r < 5; r++) ck_assert_int_eq(c.row_line[r], lines[r]);
    ck_assert_ptr_null(sg_csv_field(&c, 3, 2));
    ck_assert_ptr_null(sg_csv_field(&c, 5, 0));
    sg_csv_free(&c);
    /* Empty input, a lone comma, a lone quoted empty field. */
    ck_assert_int_eq(sg_csv_parse("", 0, "t.csv", &c), SG_OK);
    ck_assert_int_eq(c.n_rows, 0);
    sg_csv_free(&c);
    ck_assert_int_eq(sg_csv_parse(",", 1, "t.csv", &c), SG_OK);
    expect_row(&c, 0, 2, (const char *[]){"", ""});
    sg_csv_free(&c);
    ck_assert_int_eq(sg_csv_parse("\"\"", 2, "t.csv", &c), SG_OK);
    expect_row(&c, 0, 1, (const char *[]){""});
    sg_csv_free(&c);
}
END_TEST

START_TEST(csv_errors_name_the_file_and_line)
{
    sg_csv c;
    const char *t1 = "a,b\n\"open,\nstill open";
    sg_test_expect_code(sg_csv_parse(t1, strlen(t1), "t.csv", &c), SG_ERR_FORMAT, "t.csv: line 2: quoted field 1 never ends", NULL);
    const char *t2 = "a,b\nc,\"q\"x\n";
    sg_test_expect_code(sg_csv_parse(t2, strlen(t2), "t.csv", &c), SG_ERR_FORMAT,
                        "t.csv: line 2: 'x' after the closing quote of field 2", NULL);
    sg_test_expect_code(sg_csv_parse("a,b\0c", 5, "t.csv", &c), SG_ERR_FORMAT, "line 1: NUL byte in field 2", NULL);
    sg_test_expect_code(sg_csv_read("/nonexistent/x.csv", &c), SG_ERR_IO, "/nonexistent/x.csv", NULL);
}
END_TEST

START_TEST(csv_writer_round_trips_any_field)
{
    const char *tmp = sg_test_tmpdir();
    const char *path = sg_test_path(tmp, "w.csv");
    const char *fields[6] = {"plain", "with,comma", "say \"x\"", "two\nlines", "", "cr\ronly"};
    sg_atomic_file af;
    ck_assert_int_eq(sg_atomic_open(&af, path), SG_OK);
    for (int k = 0; k < 6; k++) ck_assert_int_eq(sg_csv_write_field(&af, fields[k], k == 5), SG_OK);
    ck_assert_int_eq(sg_atomic_commit(&af), SG_OK);
    size_t n;
    char *text = (char *)sg_test_read_bytes(path, &n);
    ck_assert_str_eq(text, "plain,\"with,comma\",\"say \"\"x\"\"\",\"two\nlines\",,\"cr\ronly\"\r\n");
    free(text);
    sg_csv c;
    ck_assert_int_eq(sg_csv_read(path, &c), SG_OK);
    ck_assert_int_eq(c.n_rows, 1);
    expect_row(&c, 0, 6, fields);
    sg_csv_free(&c);
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(manifest_resolves_paths_next_to_it_and_ignores_extra_columns)
{
    sg_dataset m;
    ck_assert_msg(sg_manifest_read(FIXTURES "/manifest.csv", NULL, 0, &m) == SG_OK, "%s", sg_error_message());
    ck_assert_str_eq(m.root, FIXTURES);
    ck_assert_int_eq(m.n_classes, 3);
    ck_assert_str_eq(m.class_names[0], "Z_upper");
    ck_assert_str_eq(m.class_names[1], "a_crack");
    ck_assert_str_eq(m.class_names[2], "b_scratch");
    ck_assert_int_eq(m.n_samples, 4);
    const char *names[4] = {"folders/Z_upper/a.bmp", "folders/Z_upper/with,comma.bmp", "folders/a_crack/x1.bmp",
                            "folders/b_scratch/dup1.bmp"};
    const int labels[4] = {0, 0, 1, 2};
    const int splits[4] = {SG_SPLIT_TRAIN, SG_SPLIT_VAL, SG_SPLIT_TEST, SG_SPLIT_NONE};
    for (int i = 0; i < 4; i++) {
        ck_assert_str_eq(m.samples[i].name, names[i]);
        ck_assert_int_eq(m.samples[i].label, labels[i]);
        ck_assert_int_eq(m.samples[i].split, splits[i]);
        char path[256];
        snprintf(path, sizeof path, FIXTURES "/%s", names[i]);
        ck_assert_str_eq(m.samples[i].path, path);
    }
    sg_dataset_free(&m);
    /* A fixed class list: a label outside it is an "unknown class folder". */
    const char *classes[2] = {"Z_upper", "a_crack"};
    sg_test_expect_code(sg_manifest_read(FIXTURES "/manifest.csv", classes, 2, &m), SG_ERR_INVALID,
                        "manifest.csv: line 6: unknown class folder 'b_scratch'", "Z_upper, a_crack");
}
END_TEST

START_TEST(manifest_box_rows_group_by_image)
{
    sg_dataset m;
    ck_assert_msg(sg_manifest_read(FIXTURES "/boxes.csv", NULL, 0, &m) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(m.n_classes, 3);  /* good, inclusion, scratch */
    ck_assert_str_eq(m.class_names[0], "good");
    ck_assert_int_eq(m.n_samples, 3);
    ck_assert_str_eq(m.samples[0].name, "voc/images/a.png");
    ck_assert_int_eq(m.samples[0].label, 2);
    ck_assert_int_eq(m.samples[0].n_boxes, 2);
    ck_assert(m.samples[0].boxes[1].label == 1 && m.samples[0].boxes[1].xmin == 2.5f &&
              m.samples[0].boxes[1].xmax == 19.75f && m.samples[0].boxes[1].ymax == 10);
    ck_assert_int_eq(m.samples[1].label, 0);
    ck_assert_int_eq(m.samples[1].n_boxes, 0);
    ck_assert_int_eq(m.samples[1].split, SG_SPLIT_VAL);
    ck_assert_int_eq(m.samples[2].n_boxes, 1);
    sg_dataset_free(&m);
}
END_TEST

/* Manifests that are wrong in one way each. */
START_TEST(manifest_errors_name_the_line_and_the_problem)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"", "empty file"},
        {"file,class\nx.png,a\n", "line 1: the header must name the columns 'path' and 'label'"},
        {"path,label,path\n", "column 'path' appears twice"},
        {"path,label,xmin,ymin\n", "box columns need all four"},
        {"path,label,split\na.png,x\n", "line 2: 2 fields, but the header has 3"},
        {"path,label\na.png,x\nb.png,y\na.png,x\n", "line 4: 'a.png' is listed twice (first on line 2)"},
        {"path,label,split\na.png,x,training\n", "line 2: split 'training' is not train, val, test or empty"},
        {"path,label\na.png,\n", "line 2: empty label"},
        {"path,label\n,x\n", "line 2: empty path"},
        {"path,label,xmin,ymin,xmax,ymax\na.png,x,1,2,,4\n", "line 2: a box needs all of xmin"},
        {"path,label,xmin,ymin,xmax,ymax\na.png,x,1,2,3e,4\n", "line 2: xmax '3e' is not a number"},
        {"path,label,xmin,ymin,xmax,ymax\na.png,x,5,2,3,4\n", "line 2: empty box"},
        {"path,label,split,xmin,ymin,xmax,ymax\na.png,x,train,1,1,2,2\na.png,x,test,1,1,3,3\n",
         "line 3: 'a.png' is in split 'test' here but 'train' on line 2"},
    };
    const char *tmp = sg_test_tmpdir();
    const char *path = sg_test_path(tmp, "m.csv");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sg_test_write_bytes(path, cases[i].text, strlen(cases[i].text));
        sg_dataset m;
        sg_err err = sg_manifest_read(path, NULL, 0, &m);
        ck_assert_msg(err == SG_ERR_FORMAT && strstr(sg_error_message(), cases[i].needle) &&
                      strstr(sg_error_message(), "m.csv"),
                      "case %zu: got %s \"%s\", expected \"%s\"", i, sg_err_name(err), sg_error_message(), cases[i].needle);
    }
    sg_test_remove_tree(tmp);
}
END_TEST

/* Write a manifest of a folder data set in two places and read it back. */
START_TEST(manifest_write_then_read_round_trips_with_relative_paths)
{
    const char *tmp = sg_test_tmpdir();
    char tmpdir[256], ds_dir[300], out_dir[300];
    snprintf(tmpdir, sizeof tmpdir, "%s", tmp);
    snprintf(ds_dir, sizeof ds_dir, "%s/ds", tmpdir);
    snprintf(out_dir, sizeof out_dir, "%s/out", tmpdir);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(ds_dir, "good")), SG_OK);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(ds_dir, "bad, \"really\"")), SG_OK);
    ck_assert_int_eq(sg_mkdir_p(out_dir), SG_OK);
    sg_test_write_bytes(sg_test_path(ds_dir, "good/1.png"), "1", 1);
    sg_test_write_bytes(sg_test_path(ds_dir, "good/2.png"), "2", 1);
    sg_test_write_bytes(sg_test_path(ds_dir, "bad, \"really\"/3.png"), "3", 1);
    sg_dataset ds;
    ck_assert_int_eq(sg_dataset_from_folders(ds_dir, NULL, &ds), SG_OK);
    ds.samples[0].split = SG_SPLIT_TEST;
    ds.samples[1].split = SG_SPLIT_TRAIN;
    ds.samples[2].split = SG_SPLIT_VAL;
    for (int where = 0; where < 2; where++) {
        char manifest[400];
        snprintf(manifest, sizeof manifest, "%s/m.csv", where ? out_dir : ds_dir);
        ck_assert_int_eq(sg_manifest_write(manifest, &ds, true), SG_OK);
        size_t n;
        char *text = (char *)sg_test_read_bytes(manifest, &n);
        const char *want = where ? "path,label,split\r\n\"../ds/bad, \"\"really\"\"/3.png\",\"bad, \"\"really\"\"\",test\r\n"
                                   "../ds/good/1.png,good,train\r\n../ds/good/2.png,good,val\r\n"
                                 : "path,label,split\r\n\"bad, \"\"really\"\"/3.png\",\"bad, \"\"really\"\"\",test\r\n"
                                   "good/1.png,good,train\r\ngood/2.png,good,val\r\n";
        ck_assert_msg(strcmp(text, want) == 0, "manifest:\n%s\nexpected:\n%s", text, want);
        free(text);
        sg_dataset m;
        ck_assert_int_eq(sg_manifest_read(manifest, NULL, 0, &m), SG_OK);
        ck_assert_int_eq(m.n_samples, 3);
        for (int i = 0; i < 3; i++) {
            char *a = realpath(m.samples[i].path, NULL), *b = realpath(ds.samples[i].path, NULL);
            ck_assert_msg(a && b && strcmp(a, b) == 0, "%s vs %s", m.samples[i].path, ds.samples[i].path);
            free(a);
            free(b);
            ck_assert_int_eq(m.samples[i].split, ds.samples[i].split);
            ck_assert_str_eq(m.class_names[m.samples[i].label], ds.class_names[ds.samples[i].label]);
        }
        sg_dataset_free(&m);
    }
    sg_dataset_free(&ds);
    /* Boxes: VOC -> manifest -> the same boxes; a first box of another class
     * than the image gets a box-less row first so the image label survives. */
    ck_assert_int_eq(sg_dataset_from_voc(FIXTURES "/voc", NULL, &ds), SG_OK);
    ds.samples[0].label = 0;  /* a.png: label "inclusion", boxes scratch + rolled-in */
    char manifest[400];
    snprintf(manifest, sizeof manifest, "%s/boxes.csv", out_dir);
    ck_assert_int_eq(sg_manifest_write(manifest, &ds, true), SG_OK);
    sg_dataset m;
    ck_assert_int_eq(sg_manifest_read(manifest, (const char *const *)ds.class_names, ds.n_classes, &m), SG_OK);
    ck_assert_int_eq(m.n_samples, ds.n_samples);
    for (int i = 0; i < ds.n_samples; i++) {
        ck_assert_int_eq(m.samples[i].label, ds.samples[i].label);
        ck_assert_int_eq(m.samples[i].n_boxes, ds.samples[i].n_boxes);
        for (int b = 0; b < ds.samples[i].n_boxes; b++) {
            const sg_box *x = &m.samples[i].boxes[b], *y = &ds.samples[i].boxes[b];
            ck_assert(x->label == y->label && x->xmin == y->xmin && x->ymin == y->ymin && x->xmax == y->xmax &&
                      x->ymax == y->ymax);
        }
    }
    sg_dataset_free(&m);
    /* Without boxes: three columns only. */
    ck_assert_int_eq(sg_manifest_write(manifest, &ds, false), SG_OK);
    size_t n;
    char *text = (char *)sg_test_read_bytes(manifest, &n);
    ck_assert_msg(strncmp(text, "path,label,split\r\n", 18) == 0 && !strstr(text, "19.75"), "%s", text);
    free(text);
    sg_dataset_free(&ds);
    sg_test_remove_tree(tmpdir);
}
END_TEST

START_TEST(manifest_apply_sets_splits_and_rejects_unknown_classes_and_files)
{
    sg_dataset ds;
    ck_assert_int_eq(sg_dataset_from_folders(FIXTURES "/folders", NULL, &ds), SG_OK);
    int unlisted = -1;
    ck_assert_msg(sg_manifest_apply(FIXTURES "/manifest.csv", &ds, &unlisted) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(unlisted, ds.n_samples - 4);
    for (int i = 0; i < ds.n_samples; i++) {
        const char *n = ds.samples[i].name;
        int want = strcmp(n, "Z_upper/a.bmp") == 0 ? SG_SPLIT_TRAIN
                   : strcmp(n, "Z_upper/with,comma.bmp") == 0 ? SG_SPLIT_VAL
                   : strcmp(n, "a_crack/x1.bmp") == 0 ? SG_SPLIT_TEST : SG_SPLIT_NONE;
        ck_assert_msg(ds.samples[i].split == want, "%s: split %d, expected %d", n, ds.samples[i].split, want);
    }
    const char *tmp = sg_test_tmpdir();
    char path[512];
    char *root = realpath(FIXTURES, NULL);  /* absolute rows: paths need not be relative */
    ck_assert_ptr_nonnull(root);
    static const struct {
        const char *rows, *needle;
    } cases[] = {
        {"folders/Z_upper/a.bmp,scratches\n", "unknown class folder 'scratches'"},
        {"folders/Z_upper/a.bmp,a_crack\n", "has label 'a_crack' in the manifest but the data set says 'Z_upper'"},
        {"folders/README.txt,a_crack\n", "folders/README.txt' is not part of the data set"},
        {"folders/nothing.png,a_crack\n", "folders/nothing.png' does not exist"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char text[2048];
        snprintf(text, sizeof text, "path,label\n%s/%s", root, cases[k].rows);
        snprintf(path, sizeof path, "%s/m.csv", tmp);
        sg_test_write_bytes(path, text, strlen(text));
        sg_err err = sg_manifest_apply(path, &ds, NULL);
        ck_assert_msg(err != SG_OK && strstr(sg_error_message(), cases[k].needle) && strstr(sg_error_message(), "m.csv"),
                      "case %zu: \"%s\" lacks \"%s\"", k, sg_error_message(), cases[k].needle);
    }
    free(root);
    sg_test_remove_tree(tmp);
    sg_dataset_free(&ds);
}
END_TEST

/* Every truncation and 500 RNG-keyed mutations of each fixture CSV through
 * the parser, and 150 mutations each through the whole manifest reader. */
START_TEST(csv_and_manifest_survive_truncation_and_bit_flips)
{
    const char *files[2] = {FIXTURES "/manifest.csv", FIXTURES "/boxes.csv"};
    const char *tmp = sg_test_tmpdir();
    char mpath[300];
    snprintf(mpath, sizeof mpath, "%s/m.csv", tmp);
    int runs = 0, ok = 0;
    for (int f = 0; f < 2; f++) {
        size_t len;
        unsigned char *orig = sg_test_read_bytes(files[f], &len);
        for (size_t cut = 0; cut <= len; cut++) {
            char *exact = malloc(cut ? cut : 1);
            memcpy(exact, orig, cut);
            sg_csv c;
            sg_err err = sg_csv_parse(exact, cut, "cut.csv", &c);
            ck_assert_msg(err == SG_OK || (err == SG_ERR_FORMAT && strstr(sg_error_message(), "cut.csv")), "%s",
                          sg_error_message());
            if (err == SG_OK) {
                for (int r = 0; r < c.n_rows; r++)
                    for (int k = 0; k < sg_csv_row_length(&c, r); k++) ck_assert_ptr_nonnull(sg_csv_field(&c, r, k));
                sg_csv_free(&c);
                ok++;
            }
            free(exact);
            runs++;
        }
        static const char specials[] = ",\"\r\n\0x";
        for (int k = 0; k < 650; k++) {
            char *buf = malloc(len);
            memcpy(buf, orig, len);
            sg_rng_key key = {(uint64_t)f, SG_RNG_TEST, 5};
            uint32_t r = sg_rng_u32(key, (uint64_t)k);
            size_t at = sg_rng_below(key, (uint64_t)k + 5000, (uint32_t)len);
            if (k % 2) buf[at] ^= (char)(1 << (r & 7));
            else buf[at] = specials[r % (sizeof specials - 1)];
            if (k < 500) {
                sg_csv c;
                sg_err err = sg_csv_parse(buf, len, "flip.csv", &c);
                ck_assert(err == SG_OK || (err == SG_ERR_FORMAT && strstr(sg_error_message(), "flip.csv")));
                if (err == SG_OK) {
                    sg_csv_free(&c);
                    ok++;
                }
            } else {
                sg_test_write_bytes(mpath, buf, len);
                sg_dataset m;
                sg_err err = sg_manifest_read(mpath, NULL, 0, &m);
                ck_assert_msg(err == SG_OK || strstr(sg_error_message(), "m.csv"), "%s", sg_error_message());
                if (err == SG_OK) {
                    sg_dataset_free(&m);
                    ok++;
                }
            }
            free(buf);
            runs++;
        }
        free(orig);
    }
    printf("csv: %d truncated or mutated inputs (%d read), every failure a clean error naming the file\n", runs, ok);
    sg_test_remove_tree(tmp);
}
END_TEST

static Suite *csv_suite(void)
{
    Suite *s = suite_create("csv");
    SG_ADD_TEST(s, csv_reads_quotes_escapes_and_every_line_ending, 10);
    SG_ADD_TEST(s, csv_errors_name_the_file_and_line, 10);
    SG_ADD_TEST(s, csv_writer_round_trips_any_field, 10);
    SG_ADD_TEST(s, manifest_resolves_paths_next_to_it_and_ignores_extra_columns, 10);
    SG_ADD_TEST(s, manifest_box_rows_group_by_image, 10);
    SG_ADD_TEST(s, manifest_errors_name_the_line_and_the_problem, 10);
    SG_ADD_TEST(s, manifest_write_then_read_round_trips_with_relative_paths, 10);
    SG_ADD_TEST(s, manifest_apply_sets_splits_and_rejects_unknown_classes_and_files, 10);
    SG_ADD_TEST(s, csv_and_manifest_survive_truncation_and_bit_flips, 30);
    return s;
}

SG_TEST_MAIN(csv_suite)
