/* tests/test_cli.c - the steelgrad command as a user runs it: exit codes,
 * error lines, and the demo's accuracy and thread-count determinism.
 * The binary is $SG_BIN (set by `make test`), else build/steelgrad. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/json.h"
#include "core/npy.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

START_TEST(help_and_unknown_commands_give_documented_exit_codes)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, "--help", out), 0);
    sg_test_expect_file_contains(out, "commands:");
    ck_assert_int_eq(sg_test_run_cli(NULL, "info --help", out), 0);
    sg_test_expect_file_contains(out, "usage: steelgrad info");
    ck_assert_int_eq(sg_test_run_cli(NULL, "frobnicate", out), 2);
    sg_test_expect_file_contains(out, "unknown command 'frobnicate'");
    ck_assert_int_eq(sg_test_run_cli(NULL, "demo --epochs", out), 2);
    sg_test_expect_file_contains(out, "steelgrad demo: --epochs: missing value (expected an integer in 1..100000)");
    ck_assert_int_eq(sg_test_run_cli(NULL, "demo --epochs three", out), 2);
    sg_test_expect_file_contains(out, "steelgrad demo: --epochs: expected an integer in 1..100000, got 'three'");
    ck_assert_int_eq(sg_test_run_cli(NULL, "", out), 2);
    sg_test_remove_tree(tmpdir);
}
END_TEST

START_TEST(info_reports_isa_and_forcing_a_missing_isa_is_an_error)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    ck_assert_int_eq(sg_test_run_cli("SG_THREADS=3", "info", out), 0);
    sg_test_expect_file_contains(out, "threads:   3");
    ck_assert_int_eq(sg_test_run_cli("SG_ISA=scalar", "info", out), 0);
    sg_test_expect_file_contains(out, "isa:       scalar");
    sg_test_expect_file_contains(out, "sgemm:     scalar");   /* per kernel family, what runs */
    /* A bad environment is a usage error (exit 2) naming the variable and what it accepts. */
    ck_assert_int_eq(sg_test_run_cli("SG_ISA=mmx", "info", out), 2);
    sg_test_expect_file_contains(out, "SG_ISA=mmx: unknown ISA (expected one of scalar, avx2, avx512, neon)");
    ck_assert_int_eq(sg_test_run_cli("SG_THREADS=0", "info", out), 2);
    sg_test_expect_file_contains(out, "SG_THREADS=0: expected an integer in 1..256");
    sg_test_remove_tree(tmpdir);
}
END_TEST

START_TEST(inspect_reports_corrupt_and_missing_files_without_crashing)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128], path[128], args[256];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    /* A header length far beyond the file. */
    snprintf(path, sizeof path, "%s/bad.safetensors", tmpdir);
    const unsigned char bad[] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    ck_assert_int_eq(sg_file_write_atomic(path, bad, sizeof bad), SG_OK);
    snprintf(args, sizeof args, "inspect %s", path);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, path);
    /* A truncated .npy. */
    snprintf(path, sizeof path, "%s/bad.npy", tmpdir);
    ck_assert_int_eq(sg_file_write_atomic(path, "\x93NUMPY\x01\x00\x76\x00{'descr'", 18), SG_OK);
    snprintf(args, sizeof args, "inspect %s", path);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, path);
    snprintf(args, sizeof args, "inspect %s/missing.safetensors", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "missing.safetensors");
    sg_test_remove_tree(tmpdir);
}
END_TEST

static double metric(const char *path, const char *key)
{
    char *text = sg_test_slurp(path);
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse(text, strlen(text), path, &j), SG_OK);
    const sg_json *v = sg_json_get(j, key);
    ck_assert_msg(v && v->type == SG_JSON_NUMBER, "%s has no number '%s'", path, key);
    double x = v->number;
    sg_json_free(j);
    free(text);
    return x;
}

/* Run `demo <options> --out <tmpdir>/tK` with SG_THREADS=K for K = 1, 2 (the
 * output of the last run in `out`) and expect byte-identical final weights
 * (compared with cmp). */
static void run_demo_on_1_and_2_threads(const char *tmpdir, const char *options, const char *out)
{
    char args[256], cmd[512];
    for (int t = 1; t <= 2; t++) {
        char env[32];
        snprintf(env, sizeof env, "SG_THREADS=%d", t);
        snprintf(args, sizeof args, "demo %s --out %s/t%d", options, tmpdir, t);
        ck_assert_int_eq(sg_test_run_cli(env, args, out), 0);
    }
    snprintf(cmd, sizeof cmd, "cmp %s/t1/final.safetensors %s/t2/final.safetensors", tmpdir, tmpdir);
    ck_assert_msg(system(cmd) == 0, "final weights differ between SG_THREADS=1 and 2");
}

/* `demo --task toy`: >= 95 % held-out accuracy, and the same seed gives
 * byte-identical weights on 1 and 2 threads (compared with cmp). */
START_TEST(demo_learns_the_toy_task_and_is_bit_identical_on_one_and_two_threads)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128], args[256];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    run_demo_on_1_and_2_threads(tmpdir, "--task toy --seed 42", out);
    sg_test_expect_file_contains(out, "held-out: loss");
    char path[128];
    snprintf(path, sizeof path, "%s/t2/metrics.json", tmpdir);
    double acc = metric(path, "accuracy");
    printf("toy demo held-out accuracy %.4f (required >= 0.95)\n", acc);
    ck_assert_msg(acc >= 0.95, "held-out accuracy %.4f < 0.95", acc);
    ck_assert_double_gt(metric(path, "peak_arena_bytes"), 0);
    snprintf(args, sizeof args, "inspect %s/t1/final.safetensors", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "features.0.weight");
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* The default demo (what `make demo` runs) on the synthetic steel set:
 * overall and per-class held-out accuracy from the confusion matrix in
 * metrics.json, whose rows must hold every held-out image of their class. */
START_TEST(default_demo_learns_the_synthetic_steel_defects)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128], args[256], path[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    snprintf(args, sizeof args, "demo --out %s/d", tmpdir);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "task synth");
    snprintf(path, sizeof path, "%s/d/metrics.json", tmpdir);
    double acc = metric(path, "accuracy");
    printf("synthetic-steel demo held-out accuracy %.4f (required >= 0.93; chance 0.14)\n", acc);
    ck_assert_msg(acc >= 0.93, "held-out accuracy %.4f < 0.93", acc);

    char *text = sg_test_slurp(path);
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse(text, strlen(text), path, &j), SG_OK);
    const sg_json *conf = sg_json_get(j, "confusion"), *classes = sg_json_get(j, "classes");
    ck_assert(conf && classes && sg_json_count(conf) == 7 && sg_json_count(classes) == 7);
    int64_t diagonal = 0;
    for (int r = 0; r < 7; r++) {
        const sg_json *row = sg_json_at(conf, r);
        ck_assert_int_eq(sg_json_count(row), 7);
        int64_t sum = 0, v;
        for (int c = 0; c < 7; c++) {
            ck_assert(sg_json_int64(sg_json_at(row, c), &v) && v >= 0);
            sum += v;
            if (c == r) diagonal += v;
        }
        /* 700 held-out images, class = index mod 7: 100 per class. */
        ck_assert_int_eq(sum, 100);
        ck_assert(sg_json_int64(sg_json_at(row, r), &v));
        printf("  %-16s %.2f\n", sg_json_string(sg_json_at(classes, r), "?"), v / 100.0);
        ck_assert_msg(v >= 75, "class %d recall %.2f < 0.75", r, v / 100.0);
    }
    ck_assert_msg(diagonal == (int64_t)(acc * 700 + 0.5), "confusion diagonal %lld vs accuracy %.4f",
                  (long long)diagonal, acc);
    sg_json_free(j);
    free(text);
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* The synthetic task (image generation in parallel, flips, the 4-block CNN)
 * gives byte-identical weights and metrics on 1 and 2 threads. */
START_TEST(synthetic_demo_is_bit_identical_on_one_and_two_threads)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    run_demo_on_1_and_2_threads(tmpdir, "--seed 7 --train 300 --test 70 --epochs 2", out);
    char p1[128], p2[128];
    snprintf(p1, sizeof p1, "%s/t1/metrics.json", tmpdir);
    snprintf(p2, sizeof p2, "%s/t2/metrics.json", tmpdir);
    ck_assert(metric(p1, "loss") == metric(p2, "loss"));
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* `image decode` writes exactly the pixels the golden corpus holds (PIL's). */
START_TEST(image_decode_writes_the_reference_pixels_as_uint8_npy)
{
    const char *tmpdir = sg_test_tmpdir();
    char out[128], args[512], npy[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    snprintf(npy, sizeof npy, "%s/img.npy", tmpdir);
    const char *cases[][2] = {{"tests/data/png/deflate_fixed.png", "tests/data/png/deflate_fixed.npy"},
                              {"tests/data/jpeg/cmyk_33x9_q90.jpg", "tests/data/jpeg/cmyk_33x9_q90.npy"}};
    for (int c = 0; c < 2; c++) {
        snprintf(args, sizeof args, "image decode %s --output %s", cases[c][0], npy);
        ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
        sg_npy got, want;
        ck_assert_int_eq(sg_npy_read(npy, &got), SG_OK);
        ck_assert_int_eq(sg_npy_read(cases[c][1], &want), SG_OK);
        ck_assert_int_eq(got.dtype, SG_DTYPE_U8);
        ck_assert_int_eq(got.numel, want.numel);
        for (int d = 0; d < want.ndim; d++) ck_assert_int_eq(got.shape[d], want.shape[d]);
        SG_ASSERT_CLOSE(cases[c][0], want.data, got.data, want.numel, 0, 0);
        sg_npy_free(&got);
        sg_npy_free(&want);
    }
    snprintf(args, sizeof args, "image decode README.md --output %s", npy);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "README.md: not a BMP, PNM, PNG or JPEG");
    ck_assert_int_eq(sg_test_run_cli(NULL, "image decode", out), 2);
    sg_test_remove_tree(tmpdir);
}
END_TEST

static Suite *cli_suite(void)
{
    Suite *s = suite_create("cli");
    SG_ADD_TEST(s, help_and_unknown_commands_give_documented_exit_codes, 30);
    SG_ADD_TEST(s, info_reports_isa_and_forcing_a_missing_isa_is_an_error, 30);
    SG_ADD_TEST(s, inspect_reports_corrupt_and_missing_files_without_crashing, 30);
    SG_ADD_TEST(s, image_decode_writes_the_reference_pixels_as_uint8_npy, 30);
    SG_ADD_TEST(s, demo_learns_the_toy_task_and_is_bit_identical_on_one_and_two_threads, 600);
    SG_ADD_TEST(s, default_demo_learns_the_synthetic_steel_defects, 600);
    SG_ADD_TEST(s, synthetic_demo_is_bit_identical_on_one_and_two_threads, 600);
    return s;
}

SG_TEST_MAIN(cli_suite)
