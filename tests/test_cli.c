/* tests/test_cli.c - the steelgrad command as a user runs it: exit codes,
 * error lines, and the demo's accuracy and thread-count determinism.
 * The binary is $SG_BIN (set by `make test`), else build/steelgrad. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/json.h"
#include "core/npy.h"
#include "core/rng.h"
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
    /* Measured 0.9971 (every class >= 0.99) with the NEU-like generator of
     * issue 16; the floors leave room for another compiler or ISA. */
    printf("synthetic-steel demo held-out accuracy %.4f (required >= 0.97; chance 0.14)\n", acc);
    ck_assert_msg(acc >= 0.97, "held-out accuracy %.4f < 0.97", acc);

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
        ck_assert_msg(v >= 90, "class %d recall %.2f < 0.90", r, v / 100.0);
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
    sg_test_expect_file_contains(out, "README.md: not a BMP, PNM, PNG, JPEG or TIFF");
    ck_assert_int_eq(sg_test_run_cli(NULL, "image decode", out), 2);
    sg_test_remove_tree(tmpdir);
}
END_TEST

/* A parsed JSON file (freed by the caller). */
static sg_json *read_json(const char *path)
{
    char *text = sg_test_slurp(path);
    sg_json *j = NULL;
    ck_assert_msg(sg_json_parse(text, strlen(text), path, &j) == SG_OK, "%s", sg_error_message());
    free(text);
    return j;
}

static const char TRAIN_ARGS[] = "--model cnn --size 32 --epochs 20 --batch 16 --lr 0.01 --hflip --vflip";

/* `synth` writes a tiny set, `train` learns it, `eval` on the test split of
 * the run's split.csv gives metrics.json's test accuracy, `predict` gives a
 * class and the probabilities of every class. */
START_TEST(train_eval_predict_on_a_synthetic_class_folder)
{
    const char *tmp = sg_test_tmpdir();
    char out[256], args[1024], path[512];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 30 --size 32", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    snprintf(args, sizeof args, "train --data %s/synth/images %s --out %s/run", tmp, TRAIN_ARGS, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "epoch 20/20");
    sg_test_expect_file_contains(out, "test accuracy");
    snprintf(path, sizeof path, "%s/run/metrics.json", tmp);
    sg_json *m = read_json(path);
    double test_acc = sg_json_number(sg_json_get(m, "test_accuracy"), -1);
    double val_acc = sg_json_number(sg_json_get(m, "val_accuracy"), -1);
    printf("train on 210 synthetic images (7 classes, 32x32): test accuracy %.3f, val accuracy %.3f, "
           "%.2f s\n", test_acc, val_acc, sg_json_number(sg_json_get(m, "seconds"), -1));
    ck_assert_msg(test_acc >= 0.5, "test accuracy %.3f < 0.5 (chance 0.14)", test_acc);
    ck_assert(val_acc >= 0 && val_acc <= 1);
    ck_assert_int_eq(sg_json_count(sg_json_get(sg_json_get(m, "test"), "confusion")), 7);
    ck_assert_int_eq(sg_json_count(sg_json_get(sg_json_get(m, "test"), "per_class")), 7);
    ck_assert_int_eq(sg_json_get(m, "skipped")->type, SG_JSON_ARRAY);
    ck_assert_double_gt(sg_json_number(sg_json_get(m, "seconds"), -1), 0);
    sg_json_free(m);
    snprintf(path, sizeof path, "%s/run/log.jsonl", tmp);
    sg_test_expect_file_contains(path, "\"epoch\":20,");
    /* eval on the test rows of the run's manifest = the run's own test figure. */
    snprintf(args, sizeof args, "eval --weights %s/run/best.safetensors --manifest %s/run/split.csv --split test --json",
             tmp, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_json *e = read_json(out);
    ck_assert_double_eq_tol(sg_json_number(sg_json_get(e, "accuracy"), -1), test_acc, 1e-12);
    sg_json_free(e);
    snprintf(args, sizeof args, "eval --weights %s/run/best.safetensors --data %s/synth/images", tmp, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "macro");
    sg_test_expect_file_contains(out, "rolled-in_scale");
    /* predict: one JSON object per image, probabilities of every class. */
    snprintf(args, sizeof args, "predict --json --weights %s/run/best.safetensors %s/synth/images/patches/patches_0.png "
             "%s/synth/images/good/good_1.png", tmp, tmp, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    char *text = sg_test_slurp(out);
    int lines = 0;
    for (char *line = text, *next; line && *line; line = next, lines++) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        sg_json *j;
        ck_assert_msg(sg_json_parse(line, strlen(line), "predict", &j) == SG_OK, "%s", sg_error_message());
        const sg_json *probs = sg_json_get(j, "probabilities");
        ck_assert_int_eq(sg_json_count(probs), 7);
        double sum = 0;
        for (int k = 0; k < 7; k++) sum += sg_json_number(sg_json_at(probs, k), -1);
        ck_assert_double_eq_tol(sum, 1.0, 1e-5);
        ck_assert_ptr_nonnull(strstr(sg_json_string(sg_json_get(j, "file"), ""), lines ? "good_1" : "patches_0"));
        ck_assert_ptr_nonnull(sg_json_string(sg_json_get(j, "class"), NULL));
        sg_json_free(j);
    }
    free(text);
    ck_assert_int_eq(lines, 2);
    sg_test_remove_tree(tmp);
}
END_TEST

/* Start `env steelgrad <args>` in the background (output discarded). */
static pid_t spawn_cli(const char *env, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "exec env %s %s %s > /dev/null 2>&1", env, sg_test_bin(), args);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    return pid;
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Run it and SIGKILL it after `seconds`, or - with `watch_dir` - as soon as
 * a temporary file (a checkpoint being written) shows up there, unless it
 * ended first; true if killed. */
static bool run_and_kill(const char *env, const char *args, double seconds, const char *watch_dir,
                         int *exit_code)
{
    pid_t pid = spawn_cli(env, args);
    double end = now_seconds() + seconds;
    int status;
    while (now_seconds() < end && !(watch_dir && sg_test_count_names(watch_dir, ".tmp.") > 0)) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            return false;
        }
        if (!watch_dir) nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return WIFSIGNALED(status);
}

/* The fault test of the issue: a run killed with SIGKILL at random moments
 * (mid-epoch, mid-checkpoint write: whatever the clock hits) and resumed
 * with `train --resume RUN` each time - alternating 1 and 2 threads - ends
 * with last.safetensors and best.safetensors byte for byte those of an
 * uninterrupted run. */
START_TEST(train_killed_at_random_points_resumes_bit_identically)
{
    const char *tmp = sg_test_tmpdir();
    char out[256], args[1024], ref[512], run[512], a[1200], b[1200];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 16 --size 32", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    snprintf(ref, sizeof ref, "%s/ref", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    double t0 = now_seconds();
    snprintf(args, sizeof args, "train --quiet --data %s/synth/images %s --rotation 10 --out %s", tmp, TRAIN_ARGS, ref);
    ck_assert_int_eq(sg_test_run_cli("SG_THREADS=2", args, out), 0);
    double full = now_seconds() - t0;
    int kills = 0, attempts = 0, code = -1, with_temporaries = 0;
    bool finished = false;
    sg_rng_key key = {2024, SG_RNG_TEST, 0};
    snprintf(args, sizeof args, "train --quiet --data %s/synth/images %s --rotation 10 --out %s", tmp, TRAIN_ARGS, run);
    while (!finished && attempts < 12) {
        /* Attempts 0, 2, 4: killed at a random moment in the first 40 % of a
         * whole run's time; 1, 3, 5: killed the moment a checkpoint's
         * temporary file appears (mid-write); then runs to the end. */
        double when = attempts < 6 ? (0.02 + 0.38 * sg_rng_uniform(key, (uint64_t)attempts)) * full : 1e9;
        bool mid_write = attempts < 6 && attempts % 2 == 1;
        const char *env = attempts % 2 ? "SG_THREADS=1" : "SG_THREADS=2";
        bool started = sg_test_file_exists(sg_test_path(run, "config.json"));
        char resume[600];
        snprintf(resume, sizeof resume, "train --resume %s", run);
        bool killed = run_and_kill(env, started ? resume : args, mid_write ? 30 : when,
                                   mid_write && started ? run : NULL, &code);
        printf("  attempt %d (%s, %s): %s\n", attempts, started ? "resume" : "fresh",
               mid_write ? "kill mid-write" : "kill at a random time", killed ? "killed" : "finished");
        attempts++;
        if (killed) {
            kills++;
            with_temporaries += sg_test_count_names(run, ".tmp.") > 0;
            /* Killed before config.json was in place: start again from nothing. */
            if (!sg_test_file_exists(sg_test_path(run, "config.json"))) sg_test_remove_tree(run);
            continue;
        }
        ck_assert_msg(code == 0, "attempt %d exited with %d", attempts, code);
        if (kills == 0 && attempts < 6) {
            /* It ended before its kill: this run was much faster than the
             * reference (a loaded machine's timings vary): start over from
             * nothing with a window half as long. */
            full *= 0.5;
            sg_test_remove_tree(run);
            continue;
        }
        finished = true;
    }
    printf("SIGKILL test: %d kills (%d left a temporary file behind), %d runs, uninterrupted run %.2f s\n",
           kills, with_temporaries, attempts, full);
    ck_assert(finished);
    ck_assert_int_ge(kills, 1);
    for (int f = 0; f < 2; f++) {
        const char *name = f ? "best.safetensors" : "last.safetensors";
        snprintf(a, sizeof a, "cmp %s/%s %s/%s", ref, name, run, name);
        ck_assert_msg(system(a) == 0, "%s of the killed and resumed run differs from the uninterrupted run's", name);
    }
    snprintf(a, sizeof a, "%s/metrics.json", ref);
    snprintf(b, sizeof b, "%s/metrics.json", run);
    ck_assert_double_eq(metric(a, "test_accuracy"), metric(b, "test_accuracy"));
    ck_assert_int_eq(sg_test_count_names(run, ".tmp."), 0);
    sg_test_remove_tree(tmp);
}
END_TEST

/* Bad input: one line naming the file or option, exit 2 for usage, 1 when
 * the run cannot go on; a corrupt image is skipped with a warning naming it. */
START_TEST(train_bad_input_gives_one_clear_line_and_the_documented_exit_code)
{
    const char *tmp = sg_test_tmpdir();
    char out[256], args[1024], data[256];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(data, sizeof data, "%s/synth/images", tmp);
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 4 --size 32", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    snprintf(args, sizeof args, "train --data %s --model resnet9000 --out %s/r0", data, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "unknown model 'resnet9000' (models: cnn");
    ck_assert_int_eq(sg_test_run_cli(NULL, "train --model cnn", out), 2);
    sg_test_expect_file_contains(out, "--data DIR or --manifest CSV");
    snprintf(args, sizeof args, "train --data %s --model cnn --lr 0 --out %s/r0", data, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "--lr");
    /* A corrupt image among good ones: skipped, named, listed in metrics.json. */
    sg_test_write_bytes(sg_test_path(data, "good/corrupt image.jpg"), "\xff\xd8\xff\xe0garbage", 12);
    snprintf(args, sizeof args, "train --data %s --model cnn --size 32 --epochs 1 --out %s/r1", data, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "warning: skipped");
    sg_test_expect_file_contains(out, "corrupt image.jpg");
    char path[512];
    snprintf(path, sizeof path, "%s/r1/metrics.json", tmp);
    sg_test_expect_file_contains(path, "corrupt image.jpg");
    /* eval skips it the same way (or stops with --strict). */
    snprintf(args, sizeof args, "eval --weights %s/r1/best.safetensors --data %s", tmp, data);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    sg_test_expect_file_contains(out, "warning: skipped");
    sg_test_expect_file_contains(out, "corrupt image.jpg");
    snprintf(args, sizeof args, "eval --weights %s/r1/best.safetensors --data %s --strict", tmp, data);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "corrupt image.jpg");
    /* ... and train --strict stops there. */
    snprintf(args, sizeof args, "train --data %s --model cnn --size 32 --epochs 1 --strict --out %s/r2", data, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "corrupt image.jpg");
    /* An existing run is not overwritten; --resume takes no other options. */
    snprintf(args, sizeof args, "train --data %s --model cnn --size 32 --epochs 1 --out %s/r1", data, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "is not empty");
    snprintf(args, sizeof args, "train --resume %s/r1 --epochs 3", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 2);
    sg_test_expect_file_contains(out, "--resume takes no other options");
    snprintf(args, sizeof args, "train --resume %s/synth", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "config.json");
    /* The data folder itself is never an output. */
    snprintf(args, sizeof args, "train --data %s --model cnn --size 32 --out %s --force", data, data);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "is the data folder");
    /* A folder with one class, and an empty class folder. */
    char one[256];
    snprintf(one, sizeof one, "%s/one", tmp);
    snprintf(args, sizeof args, "mkdir -p '%s/only class' && cp %s/crazing/*.png '%s/only class/'", one, data, one);
    ck_assert_int_eq(system(args), 0);
    snprintf(args, sizeof args, "train --data %s --model cnn --out %s/r3", one, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "only one class ('only class')");
    snprintf(args, sizeof args, "mkdir -p '%s/empty'", one);
    ck_assert_int_eq(system(args), 0);
    snprintf(args, sizeof args, "train --data %s --model cnn --out %s/r4", one, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "empty: class folder has no image files");
    /* eval / predict: a checkpoint that is not one. */
    snprintf(args, sizeof args, "predict --weights %s/out.txt %s/good/good_0.png", tmp, data);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "out.txt");
    ck_assert_int_eq(sg_test_run_cli(NULL, "eval --weights x.safetensors", out), 2);
    sg_test_remove_tree(tmp);
}
END_TEST

/* examples/fast.conf on a small synthetic set: the recipe is read, flags
 * override it (config.json records both), and the run learns. */
START_TEST(fast_recipe_trains_on_a_synthetic_folder_and_flags_override_it)
{
    const char *tmp = sg_test_tmpdir();
    char out[256], args[1024], path[512];
    snprintf(out, sizeof out, "%s/out.txt", tmp);
    snprintf(args, sizeof args, "synth --out %s/synth --per-class 30 --size 32", tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    snprintf(args, sizeof args, "train --data %s/synth/images --recipe examples/fast.conf --size 32 --epochs 30 "
             "--batch 16 --out %s/run", tmp, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 0);
    snprintf(path, sizeof path, "%s/run/config.json", tmp);
    sg_json *c = read_json(path);
    ck_assert_int_eq((int)sg_json_number(sg_json_get(c, "size"), -1), 32);      /* flag */
    ck_assert_int_eq((int)sg_json_number(sg_json_get(c, "epochs"), -1), 30);    /* flag */
    ck_assert_double_eq(sg_json_number(sg_json_get(c, "lr"), -1), 0.008);       /* recipe */
    ck_assert_str_eq(sg_json_string(sg_json_get(c, "class-weights"), ""), "balanced");
    sg_json_free(c);
    snprintf(path, sizeof path, "%s/run/metrics.json", tmp);
    double acc = metric(path, "test_accuracy");
    printf("fast recipe, 210 synthetic images at 32x32, 30 epochs of batch 16: test accuracy %.3f\n", acc);
    ck_assert_msg(acc >= 0.6, "test accuracy %.3f < 0.6 (chance 0.14)", acc);
    /* A bad recipe line is named. */
    snprintf(path, sizeof path, "%s/bad.conf", tmp);
    sg_test_write_bytes(path, "model = cnn\nepochs = many\n", 26);
    snprintf(args, sizeof args, "train --data %s/synth/images --recipe %s --out %s/run2", tmp, path, tmp);
    ck_assert_int_eq(sg_test_run_cli(NULL, args, out), 1);
    sg_test_expect_file_contains(out, "bad.conf:2: epochs: expected an integer");
    sg_test_remove_tree(tmp);
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
    SG_ADD_TEST(s, train_eval_predict_on_a_synthetic_class_folder, 120);
    SG_ADD_TEST(s, train_killed_at_random_points_resumes_bit_identically, 300);
    SG_ADD_TEST(s, train_bad_input_gives_one_clear_line_and_the_documented_exit_code, 120);
    SG_ADD_TEST(s, fast_recipe_trains_on_a_synthetic_folder_and_flags_override_it, 120);
    return s;
}

SG_TEST_MAIN(cli_suite)
