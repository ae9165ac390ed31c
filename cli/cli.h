/* cli/cli.h - shared pieces of the steelgrad command line.
 *
 * Every command is `int cmd_<name>(int argc, char **argv)` (argv[0] is the
 * command name) and returns the process exit code: 0 success, 1 the work
 * failed (bad file, bad data: a one-line reason was printed), 2 usage error. */
#ifndef SG_CLI_H
#define SG_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

enum { SG_EXIT_OK = 0, SG_EXIT_FAIL = 1, SG_EXIT_USAGE = 2 };

typedef enum { SG_OPT_STRING, SG_OPT_INT, SG_OPT_FLOAT, SG_OPT_FLAG } sg_opt_type;

/* One --option of a command; `dest` is a char**, int64_t*, double* or bool*.
 * Tables use designated initializers, so fields added later default to 0:
 *     {.name = "lr", .type = SG_OPT_FLOAT, .dest = &lr, .help = "...", .min = 0, .above_min = true}
 * A number must be the whole argument, finite, and inside [min, max] (or
 * (min, max] with above_min); min == max == 0 means any finite value. */
typedef struct sg_cli_opt {
    const char *name;      /* without the dashes: "seed" for --seed */
    sg_opt_type type;
    void *dest;
    const char *help;
    double min, max;       /* SG_OPT_INT, SG_OPT_FLOAT: accepted range, inclusive */
    bool above_min;        /* min itself is refused (a learning rate > 0) */
    char short_name;       /* 'o' makes -o an alias of --name; 0 for none */
} sg_cli_opt;

typedef struct sg_cli_command {
    const char *name;
    const char *usage;     /* "steelgrad info" line(s) */
    const char *summary;   /* one line for `steelgrad --help` */
} sg_cli_command;

/* Parse argv[1..] into the options and up to max_pos positional arguments.
 * Handles --help/-h (prints usage + options, returns SG_EXIT_OK with *done
 * set). Unknown options, missing values and bad numbers print a one-line
 * error and return SG_EXIT_USAGE with *done set. */
int sg_cli_parse(const sg_cli_command *cmd, int argc, char **argv, const sg_cli_opt *opts,
                 int n_opts, char **positional, int max_pos, int *n_pos, bool *done);

/* "steelgrad <cmd>: <message>" on stderr; returns SG_EXIT_FAIL. */
int sg_cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, with the library's last error message. */
int sg_cli_fail_err(const char *cmd, sg_err err);

int cmd_info(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);

#endif
