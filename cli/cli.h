/* cli/cli.h - shared pieces of the steelgrad command line.
 *
 * Every command is `int cmd_<name>(int argc, char **argv)` (argv[0] is the
 * command name) and returns the process exit code: 0 success, 1 the work
 * failed (bad file, bad data, divergence: a one-line reason was printed),
 * 2 usage error (bad option or value, bad SG_THREADS / SG_ISA).
 *
 * A command calls sg_cli_parse before it prints or does anything else: the
 * parser answers --help, refuses bad options, and only then applies the
 * environment (so `CMD --help` works whatever SG_THREADS says). `steelgrad
 * help CMD` runs `CMD --help`, and the parser also runs each command in a
 * "describe" mode to say which command an unknown option belongs to - both
 * rely on that rule. */
#ifndef SG_CLI_H
#define SG_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum { SG_EXIT_OK = 0, SG_EXIT_FAIL = 1, SG_EXIT_USAGE = 2 };

/* Options per table, at most. */
enum { SG_CLI_MAX_OPTS = 64 };

typedef enum { SG_OPT_STRING, SG_OPT_INT, SG_OPT_FLOAT, SG_OPT_FLAG } sg_opt_type;

/* One --option of a command; `dest` is a char**, int64_t*, double* or bool*.
 * Tables use designated initializers, so fields added later default to 0:
 *     {.name = "lr", .type = SG_OPT_FLOAT, .dest = &lr, .help = "...", .min = 0, .above_min = true}
 * A number must be the whole argument, finite, and inside [min, max] (or
 * (min, max] with above_min); max <= min means no upper bound (.min = 0,
 * .max = SG_CLI_NO_MAX: ">= 0"; .min = 0, .above_min = true: "> 0");
 * min == max == 0 without above_min means any finite value.
 * Give every numeric option its range: the tests feed each one -1, nan,
 * 1e400, '' and 3x. --help prints the accepted range after the help text. */
#define SG_CLI_NO_MAX (-1e300)
typedef struct sg_cli_opt {
    const char *name;      /* without the dashes: "seed" for --seed */
    sg_opt_type type;
    void *dest;
    const char *help;
    double min, max;       /* SG_OPT_INT, SG_OPT_FLOAT: accepted range, inclusive */
    bool above_min;        /* min itself is refused (a learning rate > 0) */
    char short_name;       /* 'o' makes -o an alias of --name; 0 for none */
    const char *arg;       /* the value's name in --help ("DIR"); default N, X or STR by type */
} sg_cli_opt;

typedef struct sg_cli_command {
    const char *name;      /* "demo", "data split": how errors name the command */
    const char *usage;     /* "steelgrad info" line(s) */
    const char *summary;   /* the paragraph under the usage in --help */
} sg_cli_command;

/* A top-level command as main() lists it. */
typedef struct sg_cli_entry {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;   /* one line for `steelgrad --help` */
} sg_cli_entry;

/* Tell the parser every command, so an option of another command is named
 * as such (`data split --lr`: "--lr is an option of demo"), and which
 * commands pick an option table by their next word ("data split", "image
 * decode": `subcommands`, each "command word"). Called by main(). */
void sg_cli_set_commands(const sg_cli_entry *commands, int n, const char *const *subcommands, int n_sub);
/* Whether "command word" is one of the subcommands given above. */
bool sg_cli_is_subcommand(const char *command, const char *word);

/* The shared option of every command that computes: --threads N (1..256)
 * sets the worker threads of the process, overriding SG_THREADS (it is
 * applied as SG_THREADS=N before the environment). A command lists it as the
 * last entry of its table (`sg_cli_threads_opt,`), so its name, range and
 * help are the same everywhere; --help then adds " [--threads N]" to the
 * usage when the usage does not name --threads itself. */
extern const sg_cli_opt sg_cli_threads_opt;

/* Parse argv[1..] into the options and up to max_pos positional arguments.
 * `--name value`, `--name=value`, `-o value` (short_name) and `--` (the rest
 * is positional) are understood. --help / -h anywhere prints the help and
 * returns SG_EXIT_OK with *done set. An unknown option (or one of another
 * command), a missing value, a repeated option, a bad number, a value given
 * to a flag, too many positionals, or a bad SG_THREADS / SG_ISA (applied here,
 * once the options are good) print one line and return SG_EXIT_USAGE with
 * *done set. On success *done is false and the command goes on. */
int sg_cli_parse(const sg_cli_command *cmd, int argc, char **argv, const sg_cli_opt *opts,
                 int n_opts, char **positional, int max_pos, int *n_pos, bool *done);

/* "steelgrad <cmd>: <message>" on stderr; returns SG_EXIT_FAIL. */
int sg_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with the library's last error message. */
int sg_cli_fail_err(const char *cmd, sg_err err);
/* Same line for a usage error (a bad combination of options); returns SG_EXIT_USAGE. */
int sg_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The --threads LIST of a bench command (cli/bench.c): counts in 1..256 separated
 * by commas, at most SG_BENCH_MAX_THREADS of them; without the option (arg NULL),
 * 1 and, if the machine has more, all threads. Returns how many, or 0 after
 * printing the usage line naming cmd (the caller returns SG_EXIT_USAGE). */
enum { SG_BENCH_MAX_THREADS = 16 };
int sg_bench_threads(const char *cmd, const char *arg, int threads[SG_BENCH_MAX_THREADS]);

/* Columns on a terminal: the number of UTF-8 code points of s (a byte that
 * does not continue a sequence starts one), so "rayure défaut" is 13 wide. */
int sg_cli_display_width(const char *s);
/* s followed by spaces up to `width` display columns, in buf (truncated to
 * cap - 1 bytes); returns buf, for printf("%s", ...). Never cuts s short of
 * its own width: a longer s is copied whole (if it fits in buf). */
const char *sg_cli_pad(char *buf, size_t cap, const char *s, int width);

int cmd_info(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_svm(int argc, char **argv);
int cmd_anomaly(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_detect(int argc, char **argv);

#endif
