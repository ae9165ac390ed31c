/* tests/test_cli_options.c - the command line's promises, checked on the
 * built binary ($SG_BIN, else build/steelgrad):
 *   - every numeric option of every command refuses nan, -1, 1e400, '' and 3x
 *     with exit 2 and one line naming the command and the option;
 *   - repeated options, options of another command, missing values,
 *     --fold without --folds and --ratios that do not sum to 100 are usage
 *     errors (exit 2);
 *   - a bad SG_THREADS / SG_ISA is a usage error, and help works anyway;
 *   - `help CMD` prints exactly `CMD --help`; --version, -v and version;
 *   - the README's synopsis of each command lists exactly the options its
 *     --help lists;
 *   - tables pad by display width (UTF-8 code points).
 *
 * A NEW COMMAND OR OPTION JOINS `commands[]` BELOW: a test fails when --help
 * shows an option (or the top-level help a command) that the table lacks. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/init.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

/* The display-width helpers are CLI code, not library code: compile them in. */
#include "cli/cli.c"

/* One command (or subcommand) of `steelgrad`. `base` is a complete, valid and
 * quick call (options as name/value pairs, value NULL for a flag, "@" in a
 * value is the test's scratch folder): the bad-value test drops the option
 * under test from it and adds the bad one, so an accepted bad value would
 * show as an exit code other than 2. */
enum { SET_MAX = 128, MAX_NUMERIC = 40, MAX_OTHER = 28 };

typedef struct cli_case {
    const char *command;         /* "data split" */
    const char *positional;      /* arguments after the command words */
    const char *base[8][2];      /* options of a valid call */
    const char *numeric[MAX_NUMERIC];     /* every option that takes a number */
    const char *other[MAX_OTHER];       /* every other option (strings, flags); not --help */
} cli_case;

static const cli_case commands[] = {
    {"info", "", {{0}}, {"threads"}, {"json", "compare"}},
    {"inspect", "/nonexistent/x.npy", {{0}}, {0}, {0}},
    {"demo", "",
     {{"task", "toy"}, {"epochs", "1"}, {"train", "64"}, {"test", "32"}, {"batch", "32"}, {"out", "@/demo"}},
     {"seed", "epochs", "train", "test", "batch", "lr", "threads"},
     {"task", "out", "log"}},
    {"synth", "",
     {{"out", "@/synth"}, {"per-class", "1"}, {"size", "32"}, {"classes", "crazing"}},
     {"per-class", "size", "seed", "threads"},
     {"out", "classes", "horizontal-rolling", "force"}},
    {"data inspect", "/nonexistent/dir", {{0}}, {"threads"}, {"all"}},
    {"data split", "/nonexistent/dir", {{"out", "@/split.csv"}}, {"seed", "folds", "fold"}, {"out", "ratios", "group"}},
    {"data sheet", "/nonexistent/dir", {{"out", "@/sheet.png"}}, {"per-class", "size", "threads"}, {"out"}},
    {"image decode", "/nonexistent/x.png", {{"output", "@/x.npy"}}, {"max-pixels"}, {"output", "keep-depth"}},
    {"model list", "", {{0}}, {0}, {0}},
    {"model summary", "cnn", {{"classes", "3"}, {"size", "32"}}, {"classes", "channels", "size", "width"},
     {"head", "aux-logits"}},
    {"forward", "",
     {{"model", "cnn"}, {"weights", "/nonexistent/w.safetensors"}, {"input", "/nonexistent/x.npy"},
      {"output", "@/y.npy"}, {"classes", "3"}},
     {"classes", "channels", "size", "width", "batch", "threads"},
     {"model", "weights", "input", "output", "head", "aux-logits"}},
    /* train's --split-seed and --dropout document -1 as "not given": they are
     * range-checked like the others but cannot be fed -1 here. */
    {"train", "",
     {{"data", "/nonexistent/dir"}, {"model", "cnn"}, {"out", "@/run"}, {"epochs", "1"}},
     {"seed", "folds", "fold", "size", "channels", "width-mult", "epochs", "batch", "lr", "momentum",
      "weight-decay", "l2", "clip-norm", "label-smoothing", "gamma", "min-lr", "step-size",
      "warmup-epochs", "patience", "min-delta", "train-last", "phase2-epochs", "phase2-lr",
      "phase2-train-last", "rotation", "shift", "shear", "zoom", "brightness", "contrast", "workers",
      "shards", "threads"},
     {"recipe", "out", "resume", "force", "quiet", "data", "manifest", "ratios", "split-seed", "strict",
      "model", "dropout", "head", "padding", "weights", "optimizer", "schedule", "class-weights", "freeze", "norm",
      "hflip", "vflip", "no-cache", "keep-depth", "tta"}},
    {"eval", "", {{"weights", "/nonexistent/w.safetensors"}, {"data", "/nonexistent/dir"}}, {"threads"},
     {"weights", "data", "manifest", "split", "json", "strict", "tta", "predictions"}},
    {"predict", "/nonexistent/x.png", {{"weights", "/nonexistent/w.safetensors"}}, {"threads"}, {"weights", "json", "tta"}},
    {"features", "/nonexistent/x.png", {{"weights", "/nonexistent/w.safetensors"}, {"output", "@/X.npy"}},
     {"classes", "size", "channels", "threads"},
     {"weights", "data", "output", "labels", "standardize", "layer", "model"}},
    {"svm train", "",
     {{"features", "/nonexistent/X.npy"}, {"labels", "/nonexistent/y.npy"}, {"out", "@/svm.safetensors"}},
     {"C", "seed", "tol", "max-iter", "threads"},
     {"features", "labels", "out", "loss", "class-weight", "classes"}},
    {"svm predict", "",
     {{"svm", "/nonexistent/s.safetensors"}, {"features", "/nonexistent/X.npy"}, {"output", "@/s.npy"}}, {"threads"},
     {"svm", "features", "output"}},
    {"svm eval", "",
     {{"svm", "/nonexistent/s.safetensors"}, {"features", "/nonexistent/X.npy"}, {"labels", "/nonexistent/y.npy"}},
     {"threads"}, {"svm", "features", "labels"}},
    {"anomaly train", "",
     {{"data", "/nonexistent/dir"}, {"healthy", "patches"}, {"out", "@/run"}, {"size", "32"}},
     {"size", "epochs", "batch", "lr", "seed", "latent-l2", "threads"},
     {"data", "healthy", "out", "model", "clahe", "loss"}},
    {"anomaly score", "", {{"run", "/nonexistent/run"}, {"data", "/nonexistent/dir"}},
     {"spc-c", "components", "threads"},
     {"run", "data", "score", "clahe", "covariance", "maps"}},
    {"explain", "/nonexistent/x.png", {{"weights", "/nonexistent/w.safetensors"}, {"out", "@/explain"}},
     {"classes", "class", "alpha", "threads"},
     {"weights", "model", "method", "out", "layer", "input", "colormap", "evaluate", "data", "svm", "autoencoder", "grid"}},
    {"report", "/nonexistent/run", {{0}}, {"threads"}, {"out"}},
    {"serve", "", {{"weights", "/nonexistent/w.safetensors"}, {"port", "0"}}, {"port", "workers", "max-body", "threads"},
     {"weights", "host"}},
    {"bench sgemm", "", {{"shapes", "8x8x8"}, {"threads", "1"}, {"seconds", "0.001"}}, {"seconds"},
     {"threads", "shapes", "transpose"}},
    {"bench triad", "", {{"n", "1000"}, {"threads", "1"}, {"seconds", "0.001"}}, {"n", "seconds"}, {"threads"}},
    {"bench adam", "", {{"n", "1000"}, {"threads", "1"}, {"seconds", "0.001"}}, {"n", "seconds"}, {"threads"}},
    {"bench elementwise", "", {{"n", "1000"}, {"threads", "1"}, {"seconds", "0.001"}}, {"n", "seconds"},
     {"threads"}},
    {"bench gelu", "", {{"n", "1000"}, {"threads", "1"}, {"seconds", "0.001"}}, {"n", "seconds"}, {"threads"}},
    {"bench train", "", {{"model", "cnn"}, {"batch", "2"}, {"size", "16"}, {"steps", "1"}, {"threads", "1"}},
     {"batch", "size", "classes", "steps"}, {"model", "threads"}},
    {"bench infer", "", {{"model", "cnn"}, {"size", "16"}, {"steps", "1"}, {"threads", "1"}},
     {"batch", "size", "classes", "steps"}, {"model", "threads"}},
    {"bench gradcam", "", {{"model", "cnn"}, {"size", "16"}, {"classes", "3"}, {"repeats", "1"}, {"threads", "1"}},
     {"size", "classes", "repeats"}, {"model", "layer", "method", "threads"}},
    {"bench bn", "", {{"threads", "1"}, {"seconds", "0.001"}, {"batch", "2"}}, {"seconds", "batch"}, {"threads"}},
    {"bench layernorm", "", {{"threads", "1"}, {"seconds", "0.001"}, {"batch", "2"}}, {"seconds", "batch"}, {"threads"}},
    {"bench softmax", "", {{"threads", "1"}, {"seconds", "0.001"}, {"batch", "2"}}, {"seconds", "batch"}, {"threads"}},
    {"bench pool", "", {{"threads", "1"}, {"seconds", "0.001"}, {"batch", "2"}}, {"seconds", "batch"}, {"threads"}},
    {"bench attention", "", {{"threads", "1"}, {"seconds", "0.001"}, {"batch", "1"}, {"tokens", "8"}},
     {"seconds", "batch", "heads", "tokens", "dim", "dropout"}, {"threads"}},
    {"bench ulp", "", {{"fn", "exp"}, {"stride", "1000000"}, {"threads", "1"}}, {"stride", "threads"}, {"fn"}},
    {"bench order", "", {{"seconds", "0.001"}}, {"seconds"}, {0}},
    {"detect", "", {{"data", "/nonexistent/dir"}, {"model", "cnn"}, {"out", "@/detect"}},
     {"slots", "size", "channels", "epochs", "batch", "lr", "seed", "width-mult", "threads"},
     {"data", "model", "out", "quiet", "head", "hflip", "schedule"}},
    {"detect predict", "/nonexistent/x.png", {{"weights", "/nonexistent/w.safetensors"}, {"out", "@/boxes"}},
     {"threshold", "threads"}, {"weights", "out"}},
};
enum { N_CASES = sizeof commands / sizeof commands[0] };

static const char *const bad_numbers[] = {"nan", "-1", "1e400", "", "3x"};

/* ---- running the binary ------------------------------------------------------------ */

static char scratch[256];

/* Run `[env] steelgrad <printf args>`; returns the exit code, *text = stdout + stderr. */
static int run(const char *env, char **text, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int run(const char *env, char **text, const char *fmt, ...)
{
    char args[2048], out[300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(out, sizeof out, "%s/out.txt", scratch);
    int rc = sg_test_run_cli(env, args, out);
    *text = sg_test_slurp(out);
    return rc;
}

static int count_lines(const char *text)
{
    int n = 0;
    for (; *text; text++) n += *text == '\n';
    return n;
}

/* Expect exit code `want`, and (if given) the needles in the output. */
static void expect_run(int rc, char *text, int want, const char *needle1, const char *needle2, const char *what)
{
    ck_assert_msg(rc == want, "%s: exit code %d, expected %d; output:\n%s", what, rc, want, text);
    ck_assert_msg(!needle1 || strstr(text, needle1), "%s: output lacks '%s':\n%s", what, needle1, text);
    ck_assert_msg(!needle2 || strstr(text, needle2), "%s: output lacks '%s':\n%s", what, needle2, text);
}

/* A usage error: exit 2, exactly one line, containing both needles. */
static void expect_usage(const char *what, const char *needle1, const char *needle2, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void expect_usage(const char *what, const char *needle1, const char *needle2, const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    char *text;
    int rc = run(NULL, &text, "%s", args);
    expect_run(rc, text, 2, needle1, needle2, args);
    ck_assert_msg(count_lines(text) == 1, "%s (%s): expected one line, found %d:\n%s", what, args,
                  count_lines(text), text);
    free(text);
}

/* "@/x" -> "<scratch>/x". */
static void expand(const char *value, char *buf, size_t cap)
{
    if (value[0] == '@') snprintf(buf, cap, "%s%s", scratch, value + 1);
    else snprintf(buf, cap, "%s", value);
}

/* "<command> <positional> --base options... " leaving out option `skip`. */
static void base_call(const cli_case *c, const char *skip, char *buf, size_t cap)
{
    size_t used = (size_t)snprintf(buf, cap, "%s %s", c->command, c->positional);
    for (int i = 0; i < 8 && c->base[i][0]; i++) {
        if (skip && strcmp(c->base[i][0], skip) == 0) continue;
        char value[512] = "";
        if (c->base[i][1]) expand(c->base[i][1], value, sizeof value);
        used += (size_t)snprintf(buf + used, cap - used, " --%s%s%s%s", c->base[i][0], c->base[i][1] ? " '" : "",
                                 value, c->base[i][1] ? "'" : "");
    }
}

/* ---- parsing help texts and the README ------------------------------------------------ */

typedef struct name_set {
    char names[SET_MAX][40];
    int n;
} name_set;

static bool set_has(const name_set *s, const char *name)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) return true;
    return false;
}

static void set_add(name_set *s, const char *name, size_t len)
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "%.*s", (int)(len < sizeof tmp ? len : sizeof tmp - 1), name);
    if (!set_has(s, tmp) && s->n < SET_MAX) snprintf(s->names[s->n++], sizeof s->names[0], "%s", tmp);
}

/* Every "--name" in text[0..len) (not "--help", not a bare "--"). */
static void long_options_in(const char *text, size_t len, name_set *s)
{
    for (size_t i = 0; i + 2 < len; i++) {
        if (text[i] != '-' || text[i + 1] != '-' || (i > 0 && text[i - 1] != ' ' && text[i - 1] != '[' &&
                                                     text[i - 1] != '|' && text[i - 1] != '`' && text[i - 1] != '('))
            continue;
        size_t j = i + 2;
        while (j < len && (text[j] == '-' || (text[j] >= 'a' && text[j] <= 'z') || (text[j] >= 'A' && text[j] <= 'Z') ||
                           (text[j] >= '0' && text[j] <= '9')))
            j++;
        if (j > i + 2 && !(j - i - 2 == 4 && strncmp(text + i + 2, "help", 4) == 0)) set_add(s, text + i + 2, j - i - 2);
        i = j;
    }
}

/* The options listed under "options:" in a --help text, and the ones named in its usage lines. */
static void help_options(const char *help, name_set *listed, name_set *usage)
{
    const char *opts = strstr(help, "\noptions:\n");
    ck_assert_msg(opts, "no 'options:' section in:\n%s", help);
    const char *usage_end = strstr(help, "\n\n");
    ck_assert_msg(usage_end && strncmp(help, "usage: ", 7) == 0, "help does not start with a usage:\n%s", help);
    long_options_in(help, (size_t)(usage_end - help), usage);
    for (const char *line = opts + 10; *line; ) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        const char *dash = strstr(line, "--");
        if (dash && dash < line + len) {
            size_t n = 0;
            while (dash[2 + n] && dash[2 + n] != ' ' && dash[2 + n] != '\n') n++;
            if (!(n == 4 && strncmp(dash + 2, "help", 4) == 0)) set_add(listed, dash + 2, n);
        }
        line = end ? end + 1 : line + len;
    }
}

/* The README's entry for `command` in the block under "## The command line": the
 * line starting "steelgrad <command> " and the indented lines after it. */
static bool readme_options(const char *readme, const char *command, name_set *s)
{
    const char *section = strstr(readme, "## The command line");
    ck_assert_msg(section, "README.md has no '## The command line' section");
    const char *block = strstr(section, "```\n");
    ck_assert(block);
    block += 4;
    const char *block_end = strstr(block, "```");
    ck_assert(block_end);
    char head[64];
    snprintf(head, sizeof head, "steelgrad %s ", command);
    for (const char *line = block; line < block_end; line = strchr(line, '\n') + 1) {
        if (strncmp(line, head, strlen(head)) != 0) continue;
        const char *end = strchr(line, '\n');
        while (end + 1 < block_end && end[1] == ' ') end = strchr(end + 1, '\n');
        long_options_in(line, (size_t)(end - line), s);
        return true;
    }
    return false;
}

static void print_set(const char *title, const name_set *s)
{
    printf("  %s:", title);
    for (int i = 0; i < s->n; i++) printf(" --%s", s->names[i]);
    printf("\n");
}

/* Expect two sets to be equal; print both otherwise. */
static void expect_same_set(const char *what, const name_set *want, const char *want_name, const name_set *got,
                            const char *got_name)
{
    bool same = want->n == got->n;
    for (int i = 0; same && i < want->n; i++) same = set_has(got, want->names[i]);
    if (!same) {
        printf("%s: the options differ\n", what);
        print_set(want_name, want);
        print_set(got_name, got);
    }
    ck_assert_msg(same, "%s: %s and %s list different options (see above)", what, want_name, got_name);
}

static void table_options(const cli_case *c, name_set *s)
{
    s->n = 0;
    for (int i = 0; i < MAX_NUMERIC && c->numeric[i]; i++) set_add(s, c->numeric[i], strlen(c->numeric[i]));
    for (int i = 0; i < MAX_OTHER && c->other[i]; i++) set_add(s, c->other[i], strlen(c->other[i]));
}

/* ---- the tests -------------------------------------------------------------------- */

static void setup(void) { snprintf(scratch, sizeof scratch, "%s", sg_test_tmpdir()); }
static void teardown(void) { sg_test_remove_tree(scratch); }

START_TEST(every_numeric_option_refuses_nan_negative_huge_empty_and_junk_with_exit_2)
{
    char call[2048];
    int checked = 0;
    for (int c = 0; c < N_CASES; c++) {
        const cli_case *k = &commands[c];
        /* The base call must be valid, or an exit 2 below would prove nothing. */
        base_call(k, NULL, call, sizeof call);
        char *text;
        int rc = run(NULL, &text, "%s", call);
        ck_assert_msg(rc != 2, "the table's base call '%s' is itself a usage error:\n%s", call, text);
        free(text);
        for (int o = 0; o < MAX_NUMERIC && k->numeric[o]; o++)
            for (size_t b = 0; b < sizeof bad_numbers / sizeof bad_numbers[0]; b++) {
                char prefix[128], option[64];
                base_call(k, k->numeric[o], call, sizeof call);
                snprintf(prefix, sizeof prefix, "steelgrad %s: ", k->command);
                snprintf(option, sizeof option, "--%s", k->numeric[o]);
                expect_usage("bad number", prefix, option, "%s --%s '%s'", call, k->numeric[o], bad_numbers[b]);
                checked++;
            }
    }
    printf("%d bad values refused with exit 2 and one line naming the option\n", checked);
    ck_assert_int_ge(checked, 5 * 11);
}
END_TEST

START_TEST(the_test_table_holds_every_command_and_every_option_of_the_help)
{
    char *top;
    ck_assert_int_eq(run(NULL, &top, "--help"), 0);
    const char *list = strstr(top, "commands:\n");
    ck_assert(list);
    for (const char *line = strchr(list, '\n') + 1; line[0] == ' ' && line[1] == ' '; line = strchr(line, '\n') + 1) {
        char name[32];
        ck_assert_int_eq(sscanf(line, "%31s", name), 1);
        if (strcmp(name, "help") == 0 || strcmp(name, "version") == 0) continue;
        bool found = false;
        for (int c = 0; c < N_CASES; c++) {
            size_t n = strlen(name);
            found |= strncmp(commands[c].command, name, n) == 0 &&
                     (commands[c].command[n] == '\0' || commands[c].command[n] == ' ');
        }
        ck_assert_msg(found, "command '%s' of `steelgrad --help` is not in the table of tests/test_cli_options.c", name);
    }
    free(top);
    for (int c = 0; c < N_CASES; c++) {
        char *help;
        ck_assert_int_eq(run(NULL, &help, "%s --help", commands[c].command), 0);
        name_set listed = {0}, usage = {0}, table;
        help_options(help, &listed, &usage);
        table_options(&commands[c], &table);
        expect_same_set(commands[c].command, &listed, "--help options", &table, "the test table");
        expect_same_set(commands[c].command, &listed, "--help options", &usage, "--help usage line");
        free(help);
    }
}
END_TEST

START_TEST(docs_cli_md_holds_every_help_text_verbatim)
{
    /* docs/CLI.md is written by `make cli-doc` (tests/cli_doc.sh); a help text
     * changed without regenerating it fails here, naming the command. */
    char *page = sg_test_slurp("docs/CLI.md");
    ck_assert_msg(page, "docs/CLI.md is missing: run make cli-doc");
    char *help;
    ck_assert_int_eq(run(NULL, &help, "--help"), 0);
    ck_assert_msg(strstr(page, help), "docs/CLI.md lacks the text of steelgrad --help: run make cli-doc");
    free(help);
    for (int c = 0; c < N_CASES; c++) {
        ck_assert_int_eq(run(NULL, &help, "%s --help", commands[c].command), 0);
        ck_assert_msg(strstr(page, help), "docs/CLI.md lacks the text of steelgrad %s --help: run make cli-doc",
                      commands[c].command);
        free(help);
    }
    free(page);
}
END_TEST

START_TEST(readme_synopsis_of_each_command_lists_exactly_the_options_of_its_help)
{
    char *readme = sg_test_slurp("README.md");
    for (int c = 0; c < N_CASES; c++) {
        char *help;
        ck_assert_int_eq(run(NULL, &help, "%s --help", commands[c].command), 0);
        name_set listed = {0}, usage = {0}, documented = {0};
        help_options(help, &listed, &usage);
        ck_assert_msg(readme_options(readme, commands[c].command, &documented),
                      "README.md's command-line block has no line 'steelgrad %s ...'", commands[c].command);
        char what[96];
        snprintf(what, sizeof what, "README.md vs steelgrad %s --help", commands[c].command);
        expect_same_set(what, &listed, "--help", &documented, "README");
        free(help);
    }
    /* The top-level forms and the exit codes are documented too. */
    const char *needles[] = {"steelgrad help CMD", "--version", "-v", "| version", "| 2 | usage error",
                             "| 1 | the work failed", "| 0 | success", "SG_THREADS", "SG_ISA"};
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++)
        ck_assert_msg(strstr(readme, needles[i]), "README.md does not mention '%s'", needles[i]);
    free(readme);
}
END_TEST

START_TEST(repeated_options_are_usage_errors)
{
    expect_usage("repeated", "steelgrad demo: --seed: given more than once", NULL, "demo --seed 1 --seed 2");
    expect_usage("repeated", "steelgrad demo: --seed: given more than once", NULL, "demo --seed=1 --seed=1");
    expect_usage("repeated", "steelgrad synth: --out: given more than once", NULL, "synth --out %s/a -o %s/b",
                 scratch, scratch);
    expect_usage("repeated", "steelgrad info: --json: given more than once", NULL, "info --json --json");
    expect_usage("repeated", "steelgrad data inspect: --all: given more than once", NULL, "data inspect x --all --all");
}
END_TEST

START_TEST(an_option_of_another_command_names_the_command_that_takes_it)
{
    /* (any later command with --lr joins the list: only its head and tail are fixed) */
    expect_usage("foreign", "steelgrad data split: --lr is an option of demo, train", "not of data split",
                 "data split /nonexistent --out %s/s.csv --lr 1", scratch);
    expect_usage("foreign", "steelgrad data inspect: --ratios is an option of data split, train, not of data inspect", NULL,
                 "data inspect /nonexistent --ratios 70,15,15");
    expect_usage("foreign", "steelgrad demo: --max-pixels is an option of image decode", NULL, "demo --max-pixels 5");
    expect_usage("foreign", "steelgrad image decode: --seed is an option of", "demo", "image decode x.png --seed 1");
    expect_usage("foreign", "steelgrad info: --all is an option of data inspect", NULL, "info --all");
    expect_usage("unknown", "steelgrad demo: unknown option '--frobnicate'", NULL, "demo --frobnicate 3");
    expect_usage("unknown", "steelgrad demo: unknown option '-x'", NULL, "demo -x");
    expect_usage("flag value", "steelgrad data inspect: --all takes no value", NULL, "data inspect x --all=1");
}
END_TEST

START_TEST(a_missing_value_is_a_usage_error)
{
    expect_usage("missing", "steelgrad demo: --lr: missing value (expected a finite number > 0)", NULL, "demo --lr");
    expect_usage("missing", "steelgrad synth: --out: missing value (expected DIR)", NULL, "synth --out");
    expect_usage("missing", "steelgrad demo: --out: missing value", NULL, "demo --out --seed 1");
    expect_usage("missing", "steelgrad data split: --out: missing value", NULL, "data split x -o");
    expect_usage("missing", "steelgrad image decode: --output: missing value", NULL, "image decode x.png --output");
}
END_TEST

START_TEST(fold_needs_folds_and_ratios_are_three_percentages_summing_to_100)
{
    const char *split = "data split /nonexistent --out /nonexistent/s.csv";
    expect_usage("fold", "steelgrad data split: --fold requires --folds", NULL, "%s --fold 1", split);
    expect_usage("fold", "--fold: expected an integer in 0..2 (--folds 3), got '3'", NULL, "%s --folds 3 --fold 3", split);
    expect_usage("folds", "--folds: expected an integer in 2..1000, got '1'", NULL, "%s --folds 1", split);
    expect_usage("both", "--ratios and --folds exclude each other", NULL, "%s --folds 3 --ratios 70,15,15", split);
    expect_usage("sum", "--ratios: the three percentages must sum to 100, got '50,50,50' (sum 150)", NULL,
                 "%s --ratios 50,50,50", split);
    expect_usage("sum", "must sum to 100", "(sum 1)", "%s --ratios 0.7,0.15,0.15", split);
    expect_usage("two", "--ratios: expected three percentages train,val,test", "'70,30'", "%s --ratios 70,30", split);
    expect_usage("four", "--ratios: expected three percentages", "more than three", "%s --ratios 25,25,25,25", split);
    expect_usage("negative", "--ratios: -15 is negative", NULL, "%s --ratios 70,-15,45", split);
    expect_usage("nan", "--ratios: 'nan' is not a number", NULL, "%s --ratios nan,50,50", split);
    expect_usage("empty", "--ratios: '' is not a number", NULL, "%s --ratios 70,,30", split);
    expect_usage("train", "--ratios: the train part must be > 0", NULL, "%s --ratios 0,50,50", split);
    /* Good ratios and folds get past the options to the (missing) folder: exit 1. */
    char *text;
    int rc = run(NULL, &text, "data split %s/none --out %s/s.csv --ratios 80,20,0", scratch, scratch);
    expect_run(rc, text, 1, "/none", NULL, "80,20,0");
    free(text);
    rc = run(NULL, &text, "data split %s/none --out %s/s.csv --folds 5 --fold 4", scratch, scratch);
    expect_run(rc, text, 1, "/none", NULL, "--folds 5 --fold 4");
    free(text);
}
END_TEST

START_TEST(options_with_a_fixed_set_of_values_name_the_accepted_ones)
{
    expect_usage("task", "steelgrad demo: --task: expected synth or toy, got 'foo'", NULL, "demo --task foo");
    expect_usage("group", "steelgrad data split: --group: expected none or number, got 'files'", NULL,
                 "data split /nonexistent --out /nonexistent/s.csv --group files");
    expect_usage("classes", "steelgrad synth: --classes: unknown class 'rust' (choose from", NULL,
                 "synth --out %s/s --classes crazing,rust", scratch);
}
END_TEST

/* info --compare A,B: both ISAs' kernels on the same inputs (scalar with
 * itself is identical on every machine); a malformed pair or an unknown ISA is
 * a usage error, an ISA the machine lacks a failure. */
START_TEST(info_compare_runs_every_family_under_two_isas)
{
    char *text;
    int rc = run(NULL, &text, "info --compare scalar,scalar");
    expect_run(rc, text, 0, "sgemm  NT M=37 N=47 K=257 alpha=2.5 beta=0.3: identical", "identical in every case",
               "info --compare scalar,scalar");
    ck_assert_msg(strstr(text, "sums   dot_dev n=999: identical"), "no sums cases:\n%s", text);
    free(text);
    expect_usage("compare", "steelgrad info: --compare: expected two ISAs as A,B (e.g. avx2,scalar), got 'avx2'",
                 NULL, "info --compare avx2");
    expect_usage("compare", "steelgrad info: --compare: unknown ISA 'mmx' (expected one of scalar", NULL,
                 "info --compare scalar,mmx");
}
END_TEST

START_TEST(bad_environment_is_a_usage_error_but_help_and_version_still_work)
{
    char *text;
    const char *helps[] = {"--help", "-h", "help", "help synth", "synth --help", "demo -h", "data split --help",
                           "--version", "-v", "version"};
    for (size_t i = 0; i < sizeof helps / sizeof helps[0]; i++) {
        int rc = run("SG_THREADS=abc SG_ISA=mmx", &text, "%s", helps[i]);
        expect_run(rc, text, 0, NULL, NULL, helps[i]);
        free(text);
    }
    int rc = run("SG_THREADS=abc", &text, "info");
    expect_run(rc, text, 2, "steelgrad info: SG_THREADS=abc: expected an integer in 1..256", NULL, "SG_THREADS=abc");
    ck_assert_int_eq(count_lines(text), 1);
    free(text);
    rc = run("SG_THREADS=0", &text, "inspect /nonexistent.npy");
    expect_run(rc, text, 2, "SG_THREADS=0: expected an integer in 1..256", NULL, "SG_THREADS=0");
    free(text);
    rc = run("SG_ISA=mmx", &text, "data inspect /nonexistent");
    expect_run(rc, text, 2, "SG_ISA=mmx: unknown ISA (expected one of scalar, avx2, avx512, neon)", NULL, "SG_ISA=mmx");
    free(text);
    /* Options come first: a bad option is reported as such whatever the environment. */
    rc = run("SG_THREADS=abc", &text, "demo --lr nan");
    expect_run(rc, text, 2, "--lr: expected a finite number > 0, got 'nan'", NULL, "bad option and environment");
    free(text);
}
END_TEST

START_TEST(help_cmd_prints_exactly_cmd_help_and_version_has_three_spellings)
{
    for (int c = 0; c < N_CASES; c++) {
        char *direct, *via_help;
        ck_assert_int_eq(run(NULL, &direct, "%s --help", commands[c].command), 0);
        ck_assert_int_eq(run(NULL, &via_help, "help %s", commands[c].command), 0);
        ck_assert_msg(strcmp(direct, via_help) == 0, "`help %s` differs from `%s --help`:\n%s\n---\n%s",
                      commands[c].command, commands[c].command, via_help, direct);
        char usage[64];
        snprintf(usage, sizeof usage, "usage: steelgrad %s", commands[c].command);
        ck_assert_msg(strncmp(direct, usage, strlen(usage)) == 0, "`%s --help` does not start with '%s':\n%s",
                      commands[c].command, usage, direct);
        free(direct);
        free(via_help);
        ck_assert_int_eq(run(NULL, &direct, "%s -h", commands[c].command), 0);
        ck_assert_int_eq(run(NULL, &via_help, "%s --help", commands[c].command), 0);
        ck_assert_str_eq(direct, via_help);
        free(direct);
        free(via_help);
    }
    char *text, want[64];
    snprintf(want, sizeof want, "steelgrad %s\n", SG_VERSION);
    const char *versions[] = {"--version", "-v", "version"};
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(run("SG_THREADS=abc", &text, "%s", versions[i]), 0);
        ck_assert_msg(strcmp(text, want) == 0, "`steelgrad %s` printed '%s', expected '%s'", versions[i], text, want);
        free(text);
    }
    ck_assert_int_eq(run(NULL, &text, "--help"), 0);
    expect_run(0, text, 0, "  help ", "  version ", "--help");
    expect_run(0, text, 0, "exit codes: 0 success, 1", "2 usage error", "--help");
    free(text);
    ck_assert_int_eq(run(NULL, &text, "help frobnicate"), 2);
    free(text);
    ck_assert_int_eq(run(NULL, &text, "help data frobnicate"), 2);
    free(text);
}
END_TEST

START_TEST(short_options_and_name_equals_value_work)
{
    char *text;
    char out_dir[300];
    snprintf(out_dir, sizeof out_dir, "%s/s", scratch);
    int rc = run(NULL, &text, "synth -o %s --per-class=1 --size=32 --classes crazing", out_dir);
    expect_run(rc, text, 0, "wrote 1 images", NULL, "synth -o");
    free(text);
    char png[400], npy[400];
    snprintf(png, sizeof png, "%s/images/crazing/crazing_0.png", out_dir);
    ck_assert_msg(sg_test_file_exists(png), "%s not written", png);
    snprintf(npy, sizeof npy, "%s/x.npy", scratch);
    rc = run(NULL, &text, "image decode %s -o %s", png, npy);
    expect_run(rc, text, 0, "32 x 32", NULL, "image decode -o");
    free(text);
    ck_assert(sg_test_file_exists(npy));
    /* `--` ends the options: "-x.png" is a file name there. */
    rc = run(NULL, &text, "image decode --output %s -- -x.png", npy);
    expect_run(rc, text, 1, "-x.png", NULL, "image decode -- -x.png");
    free(text);
}
END_TEST

START_TEST(display_width_counts_utf8_code_points_and_pad_fills_to_it)
{
    ck_assert_int_eq(sg_cli_display_width(""), 0);
    ck_assert_int_eq(sg_cli_display_width("crazing"), 7);
    ck_assert_int_eq(sg_cli_display_width("rayure d\xc3\xa9" "faut"), 13);      /* é: 2 bytes */
    ck_assert_int_eq(sg_cli_display_width("\xe8\xa1\xa8\xe9\x9d\xa2"), 2);      /* 2 x 3 bytes */
    ck_assert_int_eq(sg_cli_display_width("\xf0\x9f\x94\xa9 bolt"), 6);         /* 4-byte emoji + 5 */
    char buf[64];
    const char *padded = sg_cli_pad(buf, sizeof buf, "rayure d\xc3\xa9" "faut", 16);
    ck_assert_ptr_eq(padded, buf);
    ck_assert_str_eq(buf, "rayure d\xc3\xa9" "faut   ");
    ck_assert_int_eq(sg_cli_display_width(buf), 16);
    ck_assert_str_eq(sg_cli_pad(buf, sizeof buf, "crazing", 16), "crazing         ");
    ck_assert_str_eq(sg_cli_pad(buf, sizeof buf, "a longer name", 4), "a longer name");  /* never cut */
    ck_assert_str_eq(sg_cli_pad(buf, 6, "crazing", 10), "crazi");                     /* buffer bound */
    ck_assert_str_eq(sg_cli_pad(buf, 6, "ab", 10), "ab   ");
}
END_TEST

/* sg_cli_parse in this process on "test <args...>"; returns its exit code. */
static int parse_words(const sg_cli_opt *opts, int n_opts, const char *a1, const char *a2)
{
    static const sg_cli_command cmd = {"test", "steelgrad test", "a table for the tests"};
    char w0[] = "test", w1[64], w2[64];
    snprintf(w1, sizeof w1, "%s", a1);
    snprintf(w2, sizeof w2, "%s", a2 ? a2 : "");
    char *argv[] = {w0, w1, w2, NULL};
    bool done;
    int rc = sg_cli_parse(&cmd, a2 ? 3 : 2, argv, opts, n_opts, NULL, 0, NULL, &done);
    ck_assert_int_eq(done, rc != SG_EXIT_OK);
    return rc;
}

START_TEST(parser_ranges_follow_the_rules_of_cli_h)
{
    double lr = 0, any = 0;
    int64_t seed = 0, k = 0;
    const sg_cli_opt opts[] = {
        {.name = "lr", .type = SG_OPT_FLOAT, .dest = &lr, .min = 0, .above_min = true},
        {.name = "seed", .type = SG_OPT_INT, .dest = &seed, .min = 0, .max = SG_CLI_NO_MAX},
        {.name = "any", .type = SG_OPT_FLOAT, .dest = &any},
        {.name = "k", .type = SG_OPT_INT, .dest = &k, .min = 2, .max = 1000},
    };
    struct { const char *option, *value; int rc; } cases[] = {
        {"--lr", "0", 2}, {"--lr", "-1e-9", 2}, {"--lr", "1e-9", 0}, {"--lr", "1e30", 0}, {"--lr", "inf", 2},
        {"--seed", "-1", 2}, {"--seed", "0", 0}, {"--seed", "9223372036854775807", 0},
        {"--seed", "9223372036854775808", 2}, {"--seed", "+7", 0}, {"--seed", " 7", 2}, {"--seed", "7 ", 2},
        {"--any", "-5.5", 0}, {"--any", "nan", 2}, {"--k", "1", 2}, {"--k", "2", 0}, {"--k", "1000", 0},
        {"--k", "1001", 2}, {"--k", "2.0", 2}, {"--lr=0.5", NULL, 0}, {"--lr=", NULL, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = parse_words(opts, 4, cases[i].option, cases[i].value);
        ck_assert_msg(rc == cases[i].rc, "%s '%s': exit code %d, expected %d", cases[i].option,
                      cases[i].value ? cases[i].value : "", rc, cases[i].rc);
    }
    ck_assert(lr == 0.5 && seed == 7 && any == -5.5 && k == 1000);
}
END_TEST

/* A line of `text` containing `needle`, copied to buf. */
static bool line_with(const char *text, const char *needle, char *buf, size_t cap)
{
    const char *hit = strstr(text, needle);
    if (!hit) return false;
    const char *start = hit;
    while (start > text && start[-1] != '\n') start--;
    const char *end = strchr(hit, '\n');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    snprintf(buf, cap, "%.*s", (int)(len < cap ? len : cap - 1), start);
    return true;
}

START_TEST(class_tables_align_a_class_name_with_accents)
{
    /* Two class folders, one named with an accent, one 2x2 gray PGM in each. */
    const char *classes[] = {"rayure d\xc3\xa9" "faut", "crazing"};
    char path[512];
    snprintf(path, sizeof path, "%s/set", scratch);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    for (int c = 0; c < 2; c++) {
        snprintf(path, sizeof path, "%s/set/%s", scratch, classes[c]);
        ck_assert_int_eq(mkdir(path, 0755), 0);
        for (int i = 0; i < 3; i++) {
            unsigned char pgm[] = "P5\n2 2\n255\n\x10\x20\x30\x40";
            pgm[11] = (unsigned char)(16 * c + i);  /* no two alike */
            snprintf(path, sizeof path, "%s/set/%s/%d.pgm", scratch, classes[c], i);
            sg_test_write_bytes(path, pgm, sizeof pgm - 1);
        }
    }
    char *text, a[256], b[256];
    const char *commands_to_check[] = {"data inspect %s/set", "data split %s/set --out %s/s.csv --ratios 34,33,33"};
    for (int k = 0; k < 2; k++) {
        int rc = run(NULL, &text, commands_to_check[k], scratch, scratch);
        expect_run(rc, text, 0, classes[0], NULL, commands_to_check[k]);
        ck_assert(line_with(text, classes[0], a, sizeof a) && line_with(text, "  crazing", b, sizeof b));
        printf("%s\n%s\n", a, b);
        ck_assert_msg(sg_cli_display_width(a) == sg_cli_display_width(b),
                      "rows are %d and %d columns wide (bytes %zu, %zu): not aligned\n%s\n%s",
                      sg_cli_display_width(a), sg_cli_display_width(b), strlen(a), strlen(b), a, b);
        free(text);
    }
}
END_TEST

START_TEST(demo_stops_when_the_loss_diverges_and_writes_no_weights)
{
    char *text, weights[400];
    int rc = run(NULL, &text, "demo --task toy --epochs 1 --train 64 --test 32 --lr 1e30 --out %s/d", scratch);
    expect_run(rc, text, 1, "steelgrad demo: loss became ", "at epoch 1, step 2 (lr 1e+30); try a lower --lr",
               "demo --lr 1e30");
    free(text);
    snprintf(weights, sizeof weights, "%s/d/final.safetensors", scratch);
    ck_assert_msg(!sg_test_file_exists(weights), "%s written by a diverged run", weights);
    /* The same run at the task's learning rate finishes and prints its recall table. */
    rc = run(NULL, &text, "demo --task toy --epochs 1 --train 64 --test 32 --out %s/d", scratch);
    expect_run(rc, text, 0, "held-out accuracy per class (recall):", "  scratch_h  ", "demo toy");
    free(text);
    ck_assert(sg_test_file_exists(weights));
}
END_TEST

/* --threads N: the same option in every computing command's table (the
 * bad-value test feeds it nan, -1, ...), overriding SG_THREADS, even a bad one. */
START_TEST(threads_option_overrides_sg_threads)
{
    char *text;
    int rc = run("SG_THREADS=5", &text, "info --json --threads 3");
    expect_run(rc, text, 0, "\"threads\":3,", NULL, "SG_THREADS=5 info --threads 3");
    free(text);
    rc = run("SG_THREADS=abc", &text, "info --json --threads 2");
    expect_run(rc, text, 0, "\"threads\":2,", NULL, "SG_THREADS=abc info --threads 2");
    free(text);
    rc = run("SG_THREADS=4", &text, "info --json");
    expect_run(rc, text, 0, "\"threads\":4,", NULL, "SG_THREADS=4 info");
    free(text);
    expect_usage("threads", "steelgrad predict: --threads: expected an integer in 1..256, got '0'", NULL,
                 "predict x.png --weights w --threads 0");
    expect_usage("threads", "steelgrad train: --threads: expected an integer in 1..256, got '257'", NULL,
                 "train --data x --model cnn --threads 257");
    /* Every computing command lists it; its help gives the range. */
    ck_assert_int_eq(run(NULL, &text, "eval --help"), 0);
    ck_assert_msg(strstr(text, "--threads N") && strstr(text, "overrides SG_THREADS") && strstr(text, "1..256"),
                  "%s", text);
    free(text);
}
END_TEST

static Suite *cli_options_suite(void)
{
    Suite *s = suite_create("cli_options");
    /* Each test gets a fresh scratch folder (setup / teardown). */
#define ADD(fn, t)                                              \
    do {                                                        \
        TCase *tc_ = tcase_create(#fn);                         \
        tcase_add_checked_fixture(tc_, setup, teardown);        \
        tcase_set_timeout(tc_, (t));                            \
        tcase_add_test(tc_, fn);                                \
        suite_add_tcase(s, tc_);                                \
    } while (0)
    ADD(every_numeric_option_refuses_nan_negative_huge_empty_and_junk_with_exit_2, 120);
    ADD(the_test_table_holds_every_command_and_every_option_of_the_help, 30);
    ADD(readme_synopsis_of_each_command_lists_exactly_the_options_of_its_help, 30);
    ADD(docs_cli_md_holds_every_help_text_verbatim, 30);
    ADD(repeated_options_are_usage_errors, 30);
    ADD(an_option_of_another_command_names_the_command_that_takes_it, 30);
    ADD(a_missing_value_is_a_usage_error, 30);
    ADD(fold_needs_folds_and_ratios_are_three_percentages_summing_to_100, 30);
    ADD(options_with_a_fixed_set_of_values_name_the_accepted_ones, 30);
    ADD(info_compare_runs_every_family_under_two_isas, 60);
    ADD(bad_environment_is_a_usage_error_but_help_and_version_still_work, 30);
    ADD(help_cmd_prints_exactly_cmd_help_and_version_has_three_spellings, 30);
    ADD(short_options_and_name_equals_value_work, 30);
    ADD(display_width_counts_utf8_code_points_and_pad_fills_to_it, 10);
    ADD(parser_ranges_follow_the_rules_of_cli_h, 10);
    ADD(class_tables_align_a_class_name_with_accents, 30);
    ADD(demo_stops_when_the_loss_diverges_and_writes_no_weights, 60);
    ADD(threads_option_overrides_sg_threads, 30);
#undef ADD
    return s;
}

SG_TEST_MAIN(cli_options_suite)
