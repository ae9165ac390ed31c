/* cli/synth.c - `steelgrad synth`: write the synthetic steel-defect data set.
 * Thin glue over sg_synth_write (data/synth.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "data/synth.h"

static const sg_cli_command synth_cmd = {
    "synth",
    "steelgrad synth -o|--out DIR [--per-class N] [--size N] [--seed N] [--classes LIST]\n"
    "                [--horizontal-rolling] [--force]",
    "Write generated gray images of steel strip: six defect classes resembling NEU's\n"
    "(crazing, inclusion, patches, pitted_surface, rolled-in_scale, scratches) and \"good\".\n"
    "DIR gets images/<class>/<class>_<k>.png, annotations/<class>_<k>.xml (Pascal VOC boxes),\n"
    "masks/<class>_<k>.png (defect pixels), manifest.csv and README.txt. The same seed gives\n"
    "the same files on any SG_THREADS. The set is built beside DIR and renamed into place when\n"
    "complete; a non-empty DIR is refused unless --force, which moves it to DIR.old."};

/* "crazing,good" -> a class bit set; prints the error and returns 0 on a bad name. */
static uint32_t parse_classes(const char *list)
{
    uint32_t set = 0;
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char name[64];
        int k = -1;
        if (len > 0 && len < sizeof name) {
            memcpy(name, p, len);
            name[len] = '\0';
            k = sg_synth_class_from_name(name);
        }
        if (k < 0) {
            fprintf(stderr, "steelgrad synth: --classes: unknown class '%.*s' (choose from", (int)len, p);
            for (int c = 0; c < SG_SYNTH_CLASSES; c++)
                fprintf(stderr, "%s%s", c ? ", " : " ", sg_synth_class_names[c]);
            fprintf(stderr, ")\n");
            return 0;
        }
        set |= 1u << k;
        if (!comma) return set;
        p = comma + 1;
    }
}

int cmd_synth(int argc, char **argv)
{
    char *out = NULL, *classes = NULL;
    int64_t per_class = 100, size = 200, seed = 42;
    bool horizontal = false, force = false;
    const sg_cli_opt opts[] = {
        {.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o', .arg = "DIR",
         .help = "output folder (created if missing; required)"},
        {.name = "per-class", .type = SG_OPT_INT, .dest = &per_class, .min = 1, .max = 1000000,
         .help = "images per class (default 100)"},
        {.name = "size", .type = SG_OPT_INT, .dest = &size, .min = SG_SYNTH_MIN_SIZE, .max = SG_SYNTH_MAX_SIZE,
         .help = "image side in pixels (default 200)"},
        {.name = "seed", .type = SG_OPT_INT, .dest = &seed, .min = 0, .max = SG_CLI_NO_MAX,
         .help = "random seed (default 42)"},
        {.name = "classes", .type = SG_OPT_STRING, .dest = &classes, .arg = "LIST",
         .help = "comma-separated class names (default: all seven)"},
        {.name = "horizontal-rolling", .type = SG_OPT_FLAG, .dest = &horizontal,
         .help = "rolling direction along x instead of y"},
        {.name = "force", .type = SG_OPT_FLAG, .dest = &force,
         .help = "replace a non-empty DIR: it is moved to DIR.old (never deleted)"},
        sg_cli_threads_opt,
    };
    bool done;
    int rc = sg_cli_parse(&synth_cmd, argc, argv, opts, sizeof opts / sizeof opts[0], NULL, 0, NULL, &done);
    if (done) return rc;
    if (!out || !*out) return sg_cli_usage("synth", "--out DIR is required (see steelgrad synth --help)");
    sg_synth_opts o = sg_synth_defaults();
    o.size = (int)size;
    o.horizontal_rolling = horizontal;
    o.force = force;
    if (classes) {
        o.classes = parse_classes(classes);
        if (!o.classes) return SG_EXIT_USAGE;
    }

    /* With --force the library moves a non-empty DIR to DIR.old: say so when it did. */
    char old[4096];
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/') n--;
    snprintf(old, sizeof old, "%.*s.old", (int)n, out);
    struct stat st;
    bool old_existed = stat(old, &st) == 0;
    sg_err err = sg_synth_write(out, &o, (int)per_class, (uint64_t)seed);
    if (err == SG_ERR_INVALID) {  /* a non-empty DIR without --force: change the command */
        fprintf(stderr, "steelgrad synth: --out: %s\n", sg_error_message());
        return SG_EXIT_USAGE;
    }
    if (err != SG_OK) return sg_cli_fail_err("synth", err);
    int n_classes = 0;
    for (int c = 0; c < SG_SYNTH_CLASSES; c++) n_classes += (o.classes >> c) & 1;
    printf("wrote %lld images (%d classes x %lld, %lldx%lld) with masks and VOC boxes to %s\n",
           (long long)per_class * n_classes, n_classes, (long long)per_class, (long long)size,
           (long long)size, out);
    if (force && !old_existed && stat(old, &st) == 0) printf("the previous contents of %s are now in %s\n", out, old);
    return SG_EXIT_OK;
}
