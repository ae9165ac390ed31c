/* cli/cli.c - option parsing and error lines shared by all commands. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_help(const sg_cli_command *cmd, const sg_cli_opt *opts, int n_opts)
{
    printf("usage: %s\n\n%s\n", cmd->usage, cmd->summary);
    if (n_opts) printf("\noptions:\n");
    for (int i = 0; i < n_opts; i++) {
        const char *arg = opts[i].type == SG_OPT_FLAG ? "" : opts[i].type == SG_OPT_STRING ? " STR"
                          : opts[i].type == SG_OPT_INT ? " N" : " X";
        char left[64];
        snprintf(left, sizeof left, "--%s%s", opts[i].name, arg);
        printf("  %-22s %s\n", left, opts[i].help);
    }
    printf("  %-22s %s\n", "--help", "show this help");
}

/* "a finite number > 0", "an integer in 1..1000000": the accepted values in words. */
static void describe_range(const sg_cli_opt *o, char *buf, size_t cap)
{
    const char *what = o->type == SG_OPT_INT ? "an integer" : "a finite number";
    bool ranged = o->min != 0 || o->max != 0;
    if (!ranged) snprintf(buf, cap, "%s", what);
    else if (o->max <= o->min) snprintf(buf, cap, "%s %s %g", what, o->above_min ? ">" : ">=", o->min);
    else if (o->above_min) snprintf(buf, cap, "%s > %g and <= %g", what, o->min, o->max);
    else if (o->type == SG_OPT_INT) snprintf(buf, cap, "%s in %.0f..%.0f", what, o->min, o->max);
    else snprintf(buf, cap, "%s in [%g, %g]", what, o->min, o->max);
}

/* Strict numbers: the whole string, no leading space, finite, in range. */
static int set_value(const sg_cli_command *cmd, const sg_cli_opt *o, const char *value)
{
    char *end;
    double v = 0;
    bool ok = false;
    errno = 0;
    switch (o->type) {
    case SG_OPT_STRING: *(const char **)o->dest = value; return 0;
    case SG_OPT_FLAG: return 0;
    case SG_OPT_INT: {
        long long n = strtoll(value, &end, 10);
        ok = !errno && end != value && !*end && !isspace((unsigned char)value[0]);
        v = (double)n;
        if (ok) *(int64_t *)o->dest = n;
        break;
    }
    case SG_OPT_FLOAT:
        v = strtod(value, &end);
        ok = !errno && end != value && !*end && !isspace((unsigned char)value[0]) && isfinite(v);
        if (ok) *(double *)o->dest = v;
        break;
    }
    bool ranged = o->min != 0 || o->max != 0;
    if (ok && ranged)
        ok = (o->above_min ? v > o->min : v >= o->min) && (o->max <= o->min || v <= o->max);
    if (ok) return 0;
    char want[96];
    describe_range(o, want, sizeof want);
    fprintf(stderr, "steelgrad %s: --%s: expected %s, got '%s'\n", cmd->name, o->name, want, value);
    return -1;
}

int sg_cli_parse(const sg_cli_command *cmd, int argc, char **argv, const sg_cli_opt *opts,
                 int n_opts, char **positional, int max_pos, int *n_pos, bool *done)
{
    *done = false;
    if (n_pos) *n_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(cmd, opts, n_opts);
            *done = true;
            return SG_EXIT_OK;
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
            if (!n_pos || *n_pos >= max_pos) {
                fprintf(stderr, "steelgrad %s: unexpected argument '%s' (see --help)\n", cmd->name, a);
                *done = true;
                return SG_EXIT_USAGE;
            }
            positional[(*n_pos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const sg_cli_opt *o = NULL;
        for (int k = 0; k < n_opts; k++)
            if (strlen(opts[k].name) == len && strncmp(opts[k].name, name, len) == 0) o = &opts[k];
        if (!o) {
            fprintf(stderr, "steelgrad %s: unknown option '%.*s' (see --help)\n", cmd->name,
                    (int)(len + 2), a);
            *done = true;
            return SG_EXIT_USAGE;
        }
        if (o->type == SG_OPT_FLAG) {
            *(bool *)o->dest = true;
            continue;
        }
        const char *value = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!value) {
            fprintf(stderr, "steelgrad %s: --%s needs a value\n", cmd->name, o->name);
            *done = true;
            return SG_EXIT_USAGE;
        }
        if (set_value(cmd, o, value) != 0) {
            *done = true;
            return SG_EXIT_USAGE;
        }
    }
    return SG_EXIT_OK;
}

int sg_cli_fail(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "steelgrad %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return SG_EXIT_FAIL;
}

int sg_cli_fail_err(const char *cmd, sg_err err)
{
    const char *msg = sg_error_message();
    return sg_cli_fail(cmd, "%s", *msg ? msg : sg_err_name(err));
}
