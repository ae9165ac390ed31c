/* tests/test_cli.c - the steelgrad command as a user runs it: exit codes,
 * error lines, and the demo's accuracy and thread-count determinism.
 * The binary is $SG_BIN (set by `make test`), else build/steelgrad. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/json.h"
#include "core/npy.h"
#include "tests/testutil.h"

static const char *bin(void)
{
    const char *b = getenv("SG_BIN");
    return b && *b ? b : "build/steelgrad";
}

/* Run `steelgrad <args>` through the shell with stdout+stderr to `out_path`;
 * returns the exit code, or fails the test if it died of a signal. */
static int run(const char *env, const char *args, const char *out_path)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s %s > %s 2>&1", env ? env : "", bin(), args, out_path);
    int status = system(cmd);
    ck_assert_msg(status != -1 && WIFEXITED(status), "'%s' did not exit normally (status %d)", cmd, status);
    return WEXITSTATUS(status);
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    ck_assert_int_eq(sg_file_read_all(path, 1 << 24, &text, &len), SG_OK);
    return text;
}

static void expect_output(const char *path, const char *needle)
{
    char *text = slurp(path);
    ck_assert_msg(strstr(text, needle) != NULL, "output does not contain '%s':\n%s", needle, text);
    free(text);
}

static char tmpdir[64];

static void make_tmpdir(void)
{
    strcpy(tmpdir, "/tmp/sg_test_cli_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(help_and_unknown_commands_give_documented_exit_codes)
{
    make_tmpdir();
    char out[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    ck_assert_int_eq(run(NULL, "--help", out), 0);
    expect_output(out, "commands:");
    ck_assert_int_eq(run(NULL, "info --help", out), 0);
    expect_output(out, "usage: steelgrad info");
    ck_assert_int_eq(run(NULL, "frobnicate", out), 2);
    expect_output(out, "unknown command 'frobnicate'");
    ck_assert_int_eq(run(NULL, "demo --epochs", out), 2);
    expect_output(out, "--epochs needs a value");
    ck_assert_int_eq(run(NULL, "demo --epochs three", out), 2);
    expect_output(out, "expects an integer");
    ck_assert_int_eq(run(NULL, "", out), 2);
    remove_tmpdir();
}
END_TEST

START_TEST(info_reports_isa_and_forcing_a_missing_isa_is_an_error)
{
    make_tmpdir();
    char out[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    ck_assert_int_eq(run("SG_THREADS=3", "info", out), 0);
    expect_output(out, "threads:   3");
    ck_assert_int_eq(run("SG_ISA=scalar", "info", out), 0);
    expect_output(out, "isa:       scalar");
    ck_assert_int_eq(run("SG_ISA=mmx", "info", out), 1);
    expect_output(out, "unknown ISA 'mmx'");
    ck_assert_int_eq(run("SG_THREADS=0", "info", out), 1);
    expect_output(out, "SG_THREADS=0");
    remove_tmpdir();
}
END_TEST

START_TEST(inspect_reports_corrupt_and_missing_files_without_crashing)
{
    make_tmpdir();
    char out[128], path[128], args[256];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    /* A header length far beyond the file. */
    snprintf(path, sizeof path, "%s/bad.safetensors", tmpdir);
    const unsigned char bad[] = {0xff, 0xff, 0, 0, 0, 0, 0, 0, '{', '}'};
    ck_assert_int_eq(sg_file_write_atomic(path, bad, sizeof bad), SG_OK);
    snprintf(args, sizeof args, "inspect %s", path);
    ck_assert_int_eq(run(NULL, args, out), 1);
    expect_output(out, path);
    /* A truncated .npy. */
    snprintf(path, sizeof path, "%s/bad.npy", tmpdir);
    ck_assert_int_eq(sg_file_write_atomic(path, "\x93NUMPY\x01\x00\x76\x00{'descr'", 18), SG_OK);
    snprintf(args, sizeof args, "inspect %s", path);
    ck_assert_int_eq(run(NULL, args, out), 1);
    expect_output(out, path);
    snprintf(args, sizeof args, "inspect %s/missing.safetensors", tmpdir);
    ck_assert_int_eq(run(NULL, args, out), 1);
    expect_output(out, "missing.safetensors");
    remove_tmpdir();
}
END_TEST

static double metric(const char *path, const char *key)
{
    char *text = slurp(path);
    sg_json *j = NULL;
    ck_assert_int_eq(sg_json_parse(text, strlen(text), path, &j), SG_OK);
    const sg_json *v = sg_json_get(j, key);
    ck_assert_msg(v && v->type == SG_JSON_NUMBER, "%s has no number '%s'", path, key);
    double x = v->number;
    sg_json_free(j);
    free(text);
    return x;
}

/* The acceptance test: >= 95 % held-out accuracy, and the same seed
 * gives byte-identical weights on 1 and 2 threads (compared with cmp). */
START_TEST(demo_learns_the_toy_task_and_is_bit_identical_on_one_and_two_threads)
{
    make_tmpdir();
    char out[128], args[256], cmd[512];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    snprintf(args, sizeof args, "demo --seed 42 --out %s/t1", tmpdir);
    ck_assert_int_eq(run("SG_THREADS=1", args, out), 0);
    snprintf(args, sizeof args, "demo --seed 42 --out %s/t2", tmpdir);
    ck_assert_int_eq(run("SG_THREADS=2", args, out), 0);
    expect_output(out, "held-out: loss");
    snprintf(cmd, sizeof cmd, "cmp %s/t1/final.safetensors %s/t2/final.safetensors", tmpdir, tmpdir);
    ck_assert_msg(system(cmd) == 0, "final weights differ between SG_THREADS=1 and 2");
    char path[128];
    snprintf(path, sizeof path, "%s/t2/metrics.json", tmpdir);
    double acc = metric(path, "accuracy");
    printf("demo held-out accuracy %.4f (required >= 0.95)\n", acc);
    ck_assert_msg(acc >= 0.95, "held-out accuracy %.4f < 0.95", acc);
    ck_assert_double_gt(metric(path, "peak_arena_bytes"), 0);
    snprintf(args, sizeof args, "inspect %s/t1/final.safetensors", tmpdir);
    ck_assert_int_eq(run(NULL, args, out), 0);
    expect_output(out, "features.0.weight");
    remove_tmpdir();
}
END_TEST


/* `image decode` writes exactly the pixels the golden corpus holds (PIL's). */
START_TEST(image_decode_writes_the_reference_pixels_as_uint8_npy)
{
    make_tmpdir();
    char out[128], args[512], npy[128];
    snprintf(out, sizeof out, "%s/out.txt", tmpdir);
    snprintf(npy, sizeof npy, "%s/img.npy", tmpdir);
    const char *cases[][2] = {{"tests/data/png/deflate_fixed.png", "tests/data/png/deflate_fixed.npy"},
                              {"tests/data/jpeg/cmyk_33x9_q90.jpg", "tests/data/jpeg/cmyk_33x9_q90.npy"}};
    for (int c = 0; c < 2; c++) {
        snprintf(args, sizeof args, "image decode %s --output %s", cases[c][0], npy);
        ck_assert_int_eq(run(NULL, args, out), 0);
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
    ck_assert_int_eq(run(NULL, args, out), 1);
    expect_output(out, "README.md: not a BMP, PNM, PNG or JPEG");
    ck_assert_int_eq(run(NULL, "image decode", out), 2);
    remove_tmpdir();
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
    return s;
}

SG_TEST_MAIN(cli_suite)
