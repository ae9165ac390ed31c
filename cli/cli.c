/* cli/cli.c - the one option parser of every command, and the error lines.
 *
 * Rules (README "The command line"): numbers are the whole argument, finite
 * and in the option's range; an option is given at most once; an option of
 * another command is named as such; --help wins over everything and needs
 * no working environment; SG_THREADS / SG_ISA are applied after the options
 * parse, and a bad value is a usage error (exit 2) like a bad option. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/init.h"

/* ---- display width -------------------------------------------------------------- */

int sg_cli_display_width(const char *s)
{
    int width = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) width += (*p & 0xC0) != 0x80;
    return width;
}

const char *sg_cli_pad(char *buf, size_t cap, const char *s, int width)
{
    if (!cap) return buf;
    size_t len = strlen(s);
    if (len > cap - 1) len = cap - 1;
    memcpy(buf, s, len);
    for (int w = sg_cli_display_width(s); w < width && len + 1 < cap; w++) buf[len++] = ' ';
    buf[len] = '\0';
    return buf;
}

/* ---- the command list, for "this option belongs to another command" ------------ */

static const sg_cli_entry *known_commands;
static int n_known_commands;
static const char *const *known_subcommands;
static int n_known_subcommands;

void sg_cli_set_commands(const sg_cli_entry *commands, int n, const char *const *subcommands, int n_sub)
{
    known_commands = commands;
    n_known_commands = n;
    known_subcommands = subcommands;
    n_known_subcommands = n_sub;
}

/* The word after "command " in subcommands[i], or NULL if it is another command's. */
static const char *subcommand_word(int i, const char *command)
{
    size_t len = strlen(command);
    const char *s = known_subcommands[i];
    return strncmp(s, command, len) == 0 && s[len] == ' ' ? s + len + 1 : NULL;
}

bool sg_cli_is_subcommand(const char *command, const char *word)
{
    for (int i = 0; i < n_known_subcommands; i++) {
        const char *w = subcommand_word(i, command);
        if (w && strcmp(w, word) == 0) return true;
    }
    return false;
}

/* While `describing.active`, sg_cli_parse only records whether the table it
 * is given has `describing.option` and returns (*done set, nothing printed). */
static struct {
    bool active;
    const char *option, *self;
    char owners[256];
} describing;

/* Whether the ", "-separated list holds `name` as a whole item. */
static bool list_has(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p++)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ',')) return true;
    return false;
}

static void describe_record(const sg_cli_command *cmd, const sg_cli_opt *opts, int n_opts)
{
    if (strcmp(cmd->name, describing.self) == 0) return;
    for (int k = 0; k < n_opts; k++) {
        if (strcmp(opts[k].name, describing.option) != 0) continue;
        if (list_has(describing.owners, cmd->name)) return;  /* a command asked twice */
        size_t used = strlen(describing.owners);
        snprintf(describing.owners + used, sizeof describing.owners - used, "%s%s", used ? ", " : "",
                 cmd->name);
        return;
    }
}

/* The commands other than `self` that take --option, ", "-separated in
 * describing.owners ("" if none). */
static const char *owners_of(const char *self, const char *option)
{
    /* A command that prints before it parses (it should not) stays quiet here. */
    fflush(stdout);
    fflush(stderr);
    int saved_out = dup(STDOUT_FILENO), saved_err = dup(STDERR_FILENO);
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0 && saved_out >= 0 && saved_err >= 0) {
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
    }
    describing.active = true;
    describing.option = option;
    describing.self = self;
    describing.owners[0] = '\0';
    for (int i = 0; i < n_known_commands; i++) {
        const sg_cli_entry *e = &known_commands[i];
        char *argv[3] = {(char *)e->name, NULL, NULL};
        bool has_sub = false;
        for (int s = 0; s < n_known_subcommands; s++) {
            const char *word = subcommand_word(s, e->name);
            if (!word) continue;
            has_sub = true;
            argv[1] = (char *)word;
            e->run(2, argv);
        }
        if (!has_sub) e->run(1, argv);
    }
    describing.active = false;
    fflush(stdout);
    fflush(stderr);
    if (saved_out >= 0) dup2(saved_out, STDOUT_FILENO), close(saved_out);
    if (saved_err >= 0) dup2(saved_err, STDERR_FILENO), close(saved_err);
    if (null >= 0) close(null);
    return describing.owners;
}

/* --threads N as the command line gave it (0: not given). */
static int64_t threads_option;

const sg_cli_opt sg_cli_threads_opt = {
    .name = "threads", .type = SG_OPT_INT, .dest = &threads_option, .min = 1, .max = 256,
    .help = "worker threads (overrides SG_THREADS; default SG_THREADS, else the online cores)"};

/* ---- help ----------------------------------------------------------------------- */

/* Whether a numeric option has a range (see cli.h): {.min = 0, .above_min = true} is "> 0". */
static bool has_range(const sg_cli_opt *o)
{
    return (o->type == SG_OPT_INT || o->type == SG_OPT_FLOAT) && (o->min != 0 || o->max != 0 || o->above_min);
}

/* "a finite number > 0", "an integer in 1..1000000": the accepted values in words. */
static void describe_range(const sg_cli_opt *o, char *buf, size_t cap)
{
    bool is_int = o->type == SG_OPT_INT;
    const char *what = is_int ? "an integer" : "a finite number";
    if (!has_range(o)) snprintf(buf, cap, "%s", what);
    else if (o->max <= o->min)
        snprintf(buf, cap, is_int ? "%s %s %.0f" : "%s %s %g", what, o->above_min ? ">" : ">=", o->min);
    else if (is_int) snprintf(buf, cap, "%s in %.0f..%.0f", what, o->min + (o->above_min ? 1 : 0), o->max);
    else if (o->above_min) snprintf(buf, cap, "%s > %g and <= %g", what, o->min, o->max);
    else snprintf(buf, cap, "%s in [%g, %g]", what, o->min, o->max);
}

static const char *arg_name(const sg_cli_opt *o)
{
    if (o->arg) return o->arg;
    return o->type == SG_OPT_INT ? "N" : o->type == SG_OPT_FLOAT ? "X" : "STR";
}

/* "  -o, --out DIR" or "      --seed N". */
static void option_cell(const sg_cli_opt *o, char *buf, size_t cap)
{
    char alias[8] = "    ";
    if (o->short_name) snprintf(alias, sizeof alias, "-%c, ", o->short_name);
    if (o->type == SG_OPT_FLAG) snprintf(buf, cap, "  %s--%s", alias, o->name);
    else snprintf(buf, cap, "  %s--%s %s", alias, o->name, arg_name(o));
}

static void print_help(const sg_cli_command *cmd, const sg_cli_opt *opts, int n_opts)
{
    bool shared_threads = false;
    for (int k = 0; k < n_opts; k++) shared_threads |= opts[k].dest == sg_cli_threads_opt.dest;
    shared_threads &= !strstr(cmd->usage, "--threads");
    printf("usage: %s%s\n\n%s\n\noptions:\n", cmd->usage, shared_threads ? " [--threads N]" : "", cmd->summary);
    const sg_cli_opt help = {.name = "help", .type = SG_OPT_FLAG, .short_name = 'h', .help = "show this help"};
    int width = 0;
    char cell[96], padded[128];
    for (int i = 0; i <= n_opts; i++) {
        option_cell(i < n_opts ? &opts[i] : &help, cell, sizeof cell);
        int w = sg_cli_display_width(cell);
        if (w > width) width = w;
    }
    for (int i = 0; i <= n_opts; i++) {
        const sg_cli_opt *o = i < n_opts ? &opts[i] : &help;
        option_cell(o, cell, sizeof cell);
        printf("%s  %s", sg_cli_pad(padded, sizeof padded, cell, width), o->help);
        if (has_range(o)) {
            char range[96];
            describe_range(o, range, sizeof range);
            printf("; %s", range);
        }
        printf("\n");
    }
}

/* ---- parsing -------------------------------------------------------------------- */

/* Strict numbers: the whole string, no leading space, finite, in range. */
static int set_value(const sg_cli_command *cmd, const sg_cli_opt *o, const char *value)
{
    char *end;
    double v = 0;
    long long n = 0;
    bool ok = false;
    errno = 0;
    switch (o->type) {
    case SG_OPT_STRING: *(const char **)o->dest = value; return 0;
    case SG_OPT_FLAG: return 0;
    case SG_OPT_INT:
        n = strtoll(value, &end, 10);
        ok = !errno && end != value && !*end && !isspace((unsigned char)value[0]);
        v = (double)n;
        break;
    case SG_OPT_FLOAT:
        v = strtod(value, &end);
        ok = !errno && end != value && !*end && !isspace((unsigned char)value[0]) && isfinite(v);
        break;
    }
    if (ok && has_range(o))
        ok = (o->above_min ? v > o->min : v >= o->min) && (o->max <= o->min || v <= o->max);
    if (ok) {  /* a refused value leaves the default in place */
        if (o->type == SG_OPT_INT) *(int64_t *)o->dest = n;
        else *(double *)o->dest = v;
        return 0;
    }
    char want[96];
    describe_range(o, want, sizeof want);
    fprintf(stderr, "steelgrad %s: --%s: expected %s, got '%s'\n", cmd->name, o->name, want, value);
    return -1;
}

static bool is_help(const char *a) { return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0; }

/* "--out" (not "--" alone): an option, so not the value of the one before it. */
static bool is_long_option(const char *a) { return a[0] == '-' && a[1] == '-' && a[2] != '\0'; }

static int unknown_option(const sg_cli_command *cmd, const char *a, size_t len)
{
    char name[64];
    const char *owners = "";
    if (a[1] == '-' && len - 2 < sizeof name && known_commands) {
        memcpy(name, a + 2, len - 2);
        name[len - 2] = '\0';
        owners = owners_of(cmd->name, name);
    }
    if (*owners)
        fprintf(stderr, "steelgrad %s: %.*s is an option of %s, not of %s (see steelgrad %s --help)\n",
                cmd->name, (int)len, a, owners, cmd->name, cmd->name);
    else
        fprintf(stderr, "steelgrad %s: unknown option '%.*s' (see steelgrad %s --help)\n", cmd->name,
                (int)len, a, cmd->name);
    return SG_EXIT_USAGE;
}

/* SG_THREADS and SG_ISA, once per process: a bad value is a usage error.
 * --threads N wins over SG_THREADS: it is applied as SG_THREADS=N. */
static int apply_environment(const sg_cli_command *cmd)
{
    static bool applied;
    if (applied) return SG_EXIT_OK;
    applied = true;
    if (threads_option > 0) {
        char value[24];
        snprintf(value, sizeof value, "%lld", (long long)threads_option);
        setenv("SG_THREADS", value, 1);
    }
    if (sg_init() == SG_OK) return SG_EXIT_OK;
    fprintf(stderr, "steelgrad %s: %s\n", cmd->name, sg_error_message());
    return SG_EXIT_USAGE;
}

static int parse_options(const sg_cli_command *cmd, int argc, char **argv, const sg_cli_opt *opts,
                         int n_opts, char **positional, int max_pos, int *n_pos)
{
    if (n_opts > SG_CLI_MAX_OPTS)
        return sg_cli_fail(cmd->name, "internal: %d options, at most %d", n_opts, SG_CLI_MAX_OPTS);
    bool seen[SG_CLI_MAX_OPTS] = {false}, only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!only_positional && strcmp(a, "--") == 0) {
            only_positional = true;
            continue;
        }
        bool is_long = !only_positional && is_long_option(a);
        bool is_short = !only_positional && a[0] == '-' && isalpha((unsigned char)a[1]);
        if (!is_long && !is_short) {
            if (!n_pos || *n_pos >= max_pos) {
                fprintf(stderr, "steelgrad %s: unexpected argument '%s' (see steelgrad %s --help)\n",
                        cmd->name, a, cmd->name);
                return SG_EXIT_USAGE;
            }
            positional[(*n_pos)++] = argv[i];
            continue;
        }
        const char *eq = is_long ? strchr(a, '=') : NULL;
        size_t len = eq ? (size_t)(eq - a) : strlen(a);
        int k = 0;
        for (; k < n_opts; k++) {
            const sg_cli_opt *o = &opts[k];
            if (is_long ? strlen(o->name) == len - 2 && strncmp(o->name, a + 2, len - 2) == 0
                        : o->short_name && a[1] == o->short_name && a[2] == '\0')
                break;
        }
        if (k == n_opts) return unknown_option(cmd, a, len);
        const sg_cli_opt *o = &opts[k];
        if (seen[k]) {
            fprintf(stderr, "steelgrad %s: --%s: given more than once\n", cmd->name, o->name);
            return SG_EXIT_USAGE;
        }
        seen[k] = true;
        if (o->type == SG_OPT_FLAG) {
            if (eq) {
                fprintf(stderr, "steelgrad %s: --%s takes no value, got '%s'\n", cmd->name, o->name, a);
                return SG_EXIT_USAGE;
            }
            *(bool *)o->dest = true;
            continue;
        }
        const char *value = eq ? eq + 1 : NULL;
        if (!eq && i + 1 < argc && !is_long_option(argv[i + 1])) value = argv[++i];
        if (!value) {
            char want[96];
            if (o->type == SG_OPT_STRING) snprintf(want, sizeof want, "%s", arg_name(o));
            else describe_range(o, want, sizeof want);
            fprintf(stderr, "steelgrad %s: --%s: missing value (expected %s)\n", cmd->name, o->name, want);
            return SG_EXIT_USAGE;
        }
        if (set_value(cmd, o, value) != 0) return SG_EXIT_USAGE;
    }
    return apply_environment(cmd);
}

int sg_cli_parse(const sg_cli_command *cmd, int argc, char **argv, const sg_cli_opt *opts,
                 int n_opts, char **positional, int max_pos, int *n_pos, bool *done)
{
    *done = true;
    if (n_pos) *n_pos = 0;
    if (describing.active) {
        describe_record(cmd, opts, n_opts);
        return SG_EXIT_OK;
    }
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (is_help(argv[i])) {
            print_help(cmd, opts, n_opts);
            return SG_EXIT_OK;
        }
    int rc = parse_options(cmd, argc, argv, opts, n_opts, positional, max_pos, n_pos);
    *done = rc != SG_EXIT_OK;
    return rc;
}

/* ---- error lines ---------------------------------------------------------------- */

static void vline(const char *cmd, const char *fmt, va_list ap)
{
    fprintf(stderr, "steelgrad %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int sg_cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(cmd, fmt, ap);
    va_end(ap);
    return SG_EXIT_FAIL;
}

int sg_cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline(cmd, fmt, ap);
    va_end(ap);
    return SG_EXIT_USAGE;
}

int sg_cli_fail_err(const char *cmd, sg_err err)
{
    const char *msg = sg_error_message();
    return sg_cli_fail(cmd, "%s", *msg ? msg : sg_err_name(err));
}
