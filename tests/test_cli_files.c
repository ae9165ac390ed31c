/* tests/test_cli_files.c - the steelgrad commands on a plant's files: a FIFO
 * or a folder where a file is expected is refused at once (never waited on),
 * an output that is one of the inputs is refused with exit 2 and left as it
 * was, and errors name the user's paths, never a temporary one.
 * The binary is $SG_BIN (set by `make test`), else build/steelgrad. Every
 * command runs under `timeout`, so a regression that blocks fails the test
 * (exit 124) instead of hanging the suite. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "data/image.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define PROMPTLY "timeout 20"

START_TEST(a_fifo_named_like_an_image_is_refused_promptly_by_every_reader)
{
    const char *tmp = sg_test_tmpdir();
    char out[512], fifo[512], args[2048], set[512];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(fifo, sizeof fifo, "%s/x.png", tmp);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    /* image decode and inspect read the FIFO itself. */
    snprintf(args, sizeof args, "image decode %s --output %s/x.npy", fifo, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 1);
    sg_test_expect_file_contains(out, "x.png: not a regular file");
    snprintf(args, sizeof args, "inspect %s", fifo);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 1);
    sg_test_expect_file_contains(out, "x.png: not a regular file");
    /* data inspect and data split: the FIFO as the data set, and inside a class folder. */
    snprintf(args, sizeof args, "data inspect %s", fifo);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 1);
    sg_test_expect_file_contains(out, "x.png: not a regular file");
    snprintf(set, sizeof set, "%s/set", tmp);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(set, "cls")), SG_OK);
    uint8_t pixels[4] = {1, 2, 3, 4};
    sg_image img = {2, 2, 1, 8, pixels};
    ck_assert_int_eq(sg_png_write(sg_test_path(set, "cls/a.png"), &img), SG_OK);
    ck_assert_int_eq(mkfifo(sg_test_path(set, "cls/x.png"), 0600), 0);
    snprintf(args, sizeof args, "data inspect %s", set);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 0);
    sg_test_expect_file_contains(out, "cls/x.png: not a regular file");
    snprintf(args, sizeof args, "data split %s --out %s/split.csv", set, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 0);
    sg_test_expect_file_contains(out, "cls/x.png: not a regular file");
    char *manifest = sg_test_slurp(sg_test_path(tmp, "split.csv"));
    ck_assert_msg(strstr(manifest, "cls/a.png") && !strstr(manifest, "x.png"), "%s", manifest);
    free(manifest);
    snprintf(args, sizeof args, "data split %s --out %s/split.csv", fifo, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 1);
    sg_test_expect_file_contains(out, "x.png: not a regular file");
    /* A folder where a file is expected. */
    snprintf(args, sizeof args, "image decode %s --output %s/x.npy", set, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 1);
    sg_test_expect_file_contains(out, "set: not a regular file");
    sg_test_remove_tree(tmp);
}
END_TEST

START_TEST(image_decode_refuses_to_overwrite_its_input_and_names_the_users_path)
{
    const char *tmp = sg_test_tmpdir();
    char out[512], png[512], args[2048];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(png, sizeof png, "%s/a.png", tmp);
    uint8_t pixels[6] = {1, 2, 3, 4, 5, 6};
    sg_image img = {3, 2, 1, 8, pixels};
    ck_assert_int_eq(sg_png_write(png, &img), SG_OK);
    size_t n0, n1;
    unsigned char *before = sg_test_read_bytes(png, &n0);
    /* The same file by its name, by another spelling and through a link. */
    snprintf(args, sizeof args, "image decode %s --output %s", png, png);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 2);
    sg_test_expect_file_contains(out, "refusing to write");
    snprintf(args, sizeof args, "image decode %s --output %s/./a.png", png, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 2);
    ck_assert_int_eq(symlink(png, sg_test_path(tmp, "link.npy")), 0);
    snprintf(args, sizeof args, "image decode %s --output %s/link.npy", png, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 2);
    sg_test_expect_file_contains(out, "it is the input");
    unsigned char *after = sg_test_read_bytes(png, &n1);
    ck_assert(n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    /* A write that fails names the user's path, not the temporary file. */
    snprintf(args, sizeof args, "image decode %s --output %s/no/such/x.npy", png, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 1);
    sg_test_expect_file_contains(out, "no/such/x.npy");
    char *text = sg_test_slurp(out);
    ck_assert_msg(!strstr(text, ".tmp."), "the error names the temporary file: %s", text);
    free(text);
    /* A different output still works. */
    snprintf(args, sizeof args, "image decode %s --output %s/a.npy", png, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 0);
    sg_test_remove_tree(tmp);
}
END_TEST

/* Before, a broken symbolic link aborted data split and a link loop inflated
 * the counts of data inspect; now both are listed as skipped with the reason. */
START_TEST(data_commands_list_broken_links_and_loops_and_count_each_file_once)
{
    const char *tmp = sg_test_tmpdir();
    char out[512], set[512], args[2048];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(set, sizeof set, "%s/set", tmp);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(set, "a")), SG_OK);
    ck_assert_int_eq(sg_mkdir_p(sg_test_path(set, "b")), SG_OK);
    uint8_t pixels[4] = {1, 2, 3, 4};
    sg_image img = {2, 2, 1, 8, pixels};
    ck_assert_int_eq(sg_png_write(sg_test_path(set, "a/1.png"), &img), SG_OK);
    pixels[0] = 9;
    ck_assert_int_eq(sg_png_write(sg_test_path(set, "b/2.png"), &img), SG_OK);
    ck_assert_int_eq(symlink("missing.png", sg_test_path(set, "a/broken.png")), 0);
    ck_assert_int_eq(symlink(".", sg_test_path(set, "a/loop")), 0);
    snprintf(args, sizeof args, "data inspect %s", set);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 0);
    sg_test_expect_file_contains(out, "class folders, 2 classes, 2 images");
    sg_test_expect_file_contains(out, "a/broken.png: broken symbolic link");
    sg_test_expect_file_contains(out, "a/loop/: folder already listed");
    snprintf(args, sizeof args, "data split %s --out %s/split.csv --ratios 50,50,0", set, tmp);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, args, out), 0);
    sg_test_expect_file_contains(out, "2 images in 2 classes");
    sg_test_expect_file_contains(out, "a/broken.png: broken symbolic link");
    sg_test_remove_tree(tmp);
}
END_TEST

/* A VOC set's annotation files are inputs of data split too. */
START_TEST(data_split_refuses_to_overwrite_an_annotation)
{
    const char *tmp = sg_test_tmpdir();
    char out[512];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    size_t n0, n1;
    unsigned char *before = sg_test_read_bytes("tests/data/datasets/voc/annotations/a.xml", &n0);
    ck_assert_int_eq(sg_test_run_cli(PROMPTLY, "data split tests/data/datasets/voc --out "
                                     "tests/data/datasets/voc/annotations/a.xml", out), 2);
    sg_test_expect_file_contains(out, "refusing to write");
    unsigned char *after = sg_test_read_bytes("tests/data/datasets/voc/annotations/a.xml", &n1);
    ck_assert(n0 == n1 && memcmp(before, after, n0) == 0);
    free(before);
    free(after);
    sg_test_remove_tree(tmp);
}
END_TEST

static Suite *cli_files_suite(void)
{
    Suite *s = suite_create("cli_files");
    SG_ADD_TEST(s, a_fifo_named_like_an_image_is_refused_promptly_by_every_reader, 120);
    SG_ADD_TEST(s, image_decode_refuses_to_overwrite_its_input_and_names_the_users_path, 60);
    SG_ADD_TEST(s, data_commands_list_broken_links_and_loops_and_count_each_file_once, 60);
    SG_ADD_TEST(s, data_split_refuses_to_overwrite_an_annotation, 60);
    return s;
}

SG_TEST_MAIN(cli_files_suite)
