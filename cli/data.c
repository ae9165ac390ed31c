/* cli/data.c - `steelgrad data inspect DIR`, `steelgrad data split DIR` and
 * `steelgrad data sheet DIR -o OUT.png`.
 *
 * DIR is a folder of class folders (DIR/<class>/<image>), a VOC data set
 * (DIR/annotations/<name>.xml + DIR/images/[<class>/]), or a CSV manifest
 * file (sg_dataset_open). inspect reports what a user should know before
 * training: images per class (and boxes for VOC), formats, sizes, files that
 * are not usable and why, duplicate files, and anything skipped. split
 * decodes every file, leaves out the unusable ones, keeps byte and pixel
 * copies together and writes a manifest path,label,split with a stratified,
 * seeded split (data/split.h); its --out may not be one of the files read.
 * sheet draws a contact sheet PNG: a few images per class under the class
 * name (data/sheet.h). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/fileio.h"
#include "data/csv.h"
#include "data/dataset.h"
#include "data/hash.h"
#include "data/scan.h"
#include "data/sheet.h"
#include "data/split.h"

static const sg_cli_command data_cmd = {
    "data", "steelgrad data inspect DIR [--all]\n"
            "       steelgrad data split DIR -o|--out split.csv [--ratios 70,15,15] [--seed 42]\n"
            "                            [--folds K [--fold I]] [--group none|number]\n"
            "       steelgrad data sheet DIR -o|--out OUT.png [--per-class N] [--size S]",
    "Look at a data set, write a train/val/test split of it as a CSV manifest, or draw a\n"
    "contact sheet of it. DIR: a folder with one sub-folder per class, a VOC folder\n"
    "(annotations/ + images/), or a CSV manifest (path,label,split).\n"
    "`steelgrad data inspect --help`, `steelgrad data split --help` and\n"
    "`steelgrad data sheet --help` describe their options."};

static const sg_cli_command inspect_cmd = {
    "data inspect", "steelgrad data inspect DIR [--all]",
    "Images per class, formats, sizes, unusable files with the reason, duplicate files\n"
    "(identical bytes, and identical pixels in different files), skipped files."};

static const sg_cli_command split_cmd = {
    "data split",
    "steelgrad data split DIR -o|--out split.csv [--ratios 70,15,15] [--seed 42]\n"
    "                       [--folds K [--fold I]] [--group none|number]",
    "Stratified split per class, reproducible from the seed. --ratios is three percentages\n"
    "train,val,test, each >= 0, that sum to 100 (\"80,20,0\": no test part); per class every\n"
    "used part but the last gets floor(n * ratio), the last the rest (6 x 300 at 70,15,15 ->\n"
    "1260/270/270). --folds K [--fold I]: stratified k-fold instead of ratios, fold I (default\n"
    "0) is val, the rest train.\n"
    "Files that do not decode are left out (listed with the reason). Files with identical\n"
    "bytes, or identical pixels in any format, always land in the same part; a class with no\n"
    "image in a part gets a warning. --group number also keeps\n"
    "together files of one class with the same number in their name (NEU-CLS Pa_12.bmp and\n"
    "NEU-DET patches_12.jpg), so NEU-CLS and NEU-DET split identically with one seed."};

static const sg_cli_command sheet_cmd = {
    "data sheet", "steelgrad data sheet DIR -o|--out OUT.png [--per-class N] [--size S]",
    "A contact sheet PNG: per class (in label order) its name and a row of N images spread\n"
    "evenly through the class, each as 8-bit gray, centre-cropped to a square and resized to\n"
    "S x S. Written to a temporary file and renamed into place; OUT.png may not be one of\n"
    "the files read."};

/* Up to `limit` lines of a note list (all when limit < 0). */
static void print_notes(const char *title, const sg_notes *notes, int limit)
{
    if (!notes->count) return;
    printf("%s: %d\n", title, notes->count);
    int shown = limit < 0 || notes->count <= limit ? notes->count : limit;
    for (int i = 0; i < shown; i++) printf("  %s\n", notes->items[i]);
    if (shown < notes->count) printf("  ... %d more (--all lists every one)\n", notes->count - shown);
}

/* ---- inspect ---------------------------------------------------------------- */

typedef struct size_count {
    int width, height, bits;
    int count;
} size_count;

static int by_count(const void *a, const void *b)
{
    const size_count *x = a, *y = b;
    if (x->count != y->count) return y->count - x->count;
    return x->width != y->width ? x->width - y->width : x->height - y->height;
}

/* The class column: 24 display columns, or the widest class name. */
static int class_column(const sg_dataset *ds)
{
    int width = 24;
    for (int c = 0; c < ds->n_classes; c++) {
        int w = sg_cli_display_width(ds->class_names[c]);
        if (w > width) width = w;
    }
    return width;
}

static void print_classes(const sg_dataset *ds)
{
    int64_t *counts = calloc((size_t)ds->n_classes + 1, sizeof *counts);
    int64_t *boxes = calloc((size_t)ds->n_classes + 1, sizeof *boxes);
    double *weights = calloc((size_t)ds->n_classes + 1, sizeof *weights);
    if (!counts || !boxes || !weights) {
        free(counts);
        free(boxes);
        free(weights);
        return;
    }
    sg_dataset_class_counts(ds, counts);
    sg_dataset_box_counts(ds, boxes);
    bool has_boxes = false, weighted = sg_class_weights_balanced(counts, ds->n_classes, weights) == SG_OK;
    for (int c = 0; c < ds->n_classes; c++) has_boxes |= boxes[c] > 0;
    int width = class_column(ds);
    char cell[256];
    printf("  %s %8s%s%s\n", sg_cli_pad(cell, sizeof cell, "class", width), "images", has_boxes ? "    boxes" : "",
           weighted ? "  balanced weight" : "");
    for (int c = 0; c < ds->n_classes; c++) {
        printf("  %s %8lld", sg_cli_pad(cell, sizeof cell, ds->class_names[c], width), (long long)counts[c]);
        if (has_boxes) printf(" %8lld", (long long)boxes[c]);
        if (weighted) printf("  %15.4f", weights[c]);
        printf("\n");
    }
    int unlabelled = 0;
    for (int i = 0; i < ds->n_samples; i++) unlabelled += ds->samples[i].label < 0;
    if (unlabelled) printf("  %s %8d\n", sg_cli_pad(cell, sizeof cell, "(no label)", width), unlabelled);
    free(counts);
    free(boxes);
    free(weights);
}

static void print_formats_and_sizes(const sg_file_info *info, int n)
{
    int formats[SG_IMAGE_FORMAT_LAST + 1] = {0};
    for (int i = 0; i < n; i++)
        if (info[i].readable) formats[info[i].format]++;
    printf("formats:");
    for (int f = SG_IMAGE_BMP; f <= SG_IMAGE_FORMAT_LAST; f++)
        if (formats[f]) printf(" %s %d", sg_image_format_name(f), formats[f]);
    if (formats[SG_IMAGE_UNKNOWN]) printf(" unknown %d", formats[SG_IMAGE_UNKNOWN]);
    printf("\n");
    size_count *sizes = calloc((size_t)(n ? n : 1), sizeof *sizes);
    if (!sizes) return;
    int n_sizes = 0;
    for (int i = 0; i < n; i++) {
        if (info[i].width <= 0) continue;
        int k = 0;
        while (k < n_sizes && !(sizes[k].width == info[i].width && sizes[k].height == info[i].height &&
                                sizes[k].bits == info[i].bits_per_pixel))
            k++;
        if (k == n_sizes) sizes[n_sizes++] = (size_count){info[i].width, info[i].height, info[i].bits_per_pixel, 0};
        sizes[k].count++;
    }
    qsort(sizes, (size_t)n_sizes, sizeof *sizes, by_count);
    printf("sizes (width x height, bits per pixel):");
    for (int k = 0; k < n_sizes && k < 12; k++)
        printf("%s %dx%d %d-bit: %d", k ? "," : "", sizes[k].width, sizes[k].height, sizes[k].bits, sizes[k].count);
    if (n_sizes > 12) printf(", ... %d more sizes", n_sizes - 12);
    printf("\n");
    free(sizes);
}

/* Print the groups of equal digests among the valid items. With same_bytes
 * (the byte-duplicate groups), items that are byte copies of the group's
 * first are left out: identical pixels of identical files are not news. */
static void print_duplicates(const char *title, const sg_dataset *ds, const uint8_t *digests,
                             const bool *valid, const int64_t *same_bytes, int64_t *first, int limit)
{
    int n = ds->n_samples;
    int *next = malloc((size_t)(n ? n : 1) * sizeof *next), *members = malloc((size_t)(n ? n : 1) * sizeof *members);
    if (!next || !members || sg_hash_groups(digests, n, first) < 0) {
        free(next);
        free(members);
        return;
    }
    /* members[h] starts a list (through next[]) of the copies of head h, in index order. */
    int copies = 0;
    for (int i = 0; i < n; i++) members[i] = next[i] = -1;
    for (int i = n - 1; i >= 0; i--) {
        int h = (int)first[i];
        if (h == i || !valid[i] || !valid[h] || (same_bytes && same_bytes[i] == same_bytes[h])) continue;
        next[i] = members[h];
        members[h] = i;
        copies++;
    }
    if (copies) printf("%s: %d\n", title, copies);
    int groups = 0;
    for (int h = 0; h < n; h++) {
        if (members[h] < 0 || (limit >= 0 && ++groups > limit)) continue;
        printf("  %s", ds->samples[h].name);
        for (int j = members[h]; j >= 0; j = next[j]) printf(" = %s", ds->samples[j].name);
        printf("\n");
    }
    if (limit >= 0 && groups > limit) printf("  ... %d more groups (--all lists every one)\n", groups - limit);
    free(next);
    free(members);
}

/* Per-file results of a scan, laid out as sg_hash_groups wants them. */
typedef struct scan_tables {
    sg_file_info *info;
    uint8_t *content, *pixels;       /* n digests each */
    bool *readable, *decoded;
    int64_t *first_bytes, *first_pixels;
} scan_tables;

static void scan_tables_free(scan_tables *t)
{
    free(t->info);
    free(t->content);
    free(t->pixels);
    free(t->readable);
    free(t->decoded);
    free(t->first_bytes);
    free(t->first_pixels);
    *t = (scan_tables){0};
}

/* Scan every file (decoding it) and fill the tables; false if out of memory. */
static bool scan_all(const sg_dataset *ds, scan_tables *t)
{
    size_t n = (size_t)(ds->n_samples ? ds->n_samples : 1);
    *t = (scan_tables){calloc(n, sizeof *t->info), malloc(n * SG_SHA256_BYTES), malloc(n * SG_SHA256_BYTES),
                       calloc(n, sizeof(bool)), calloc(n, sizeof(bool)), malloc(n * sizeof(int64_t)),
                       malloc(n * sizeof(int64_t))};
    if (!t->info || !t->content || !t->pixels || !t->readable || !t->decoded || !t->first_bytes ||
        !t->first_pixels) {
        scan_tables_free(t);
        return false;
    }
    sg_dataset_scan(ds, sg_image_decode, NULL, t->info);
    for (int i = 0; i < ds->n_samples; i++) {
        memcpy(t->content + (size_t)i * SG_SHA256_BYTES, t->info[i].content, SG_SHA256_BYTES);
        memcpy(t->pixels + (size_t)i * SG_SHA256_BYTES, t->info[i].pixels, SG_SHA256_BYTES);
        t->readable[i] = t->info[i].readable;
        t->decoded[i] = t->info[i].decoded;
    }
    return true;
}

/* "decoded: 11 of 13 (gray 8-bit 8, RGB 8-bit 3)" and the unusable files. */
static void print_decoding(const sg_file_info *info, int n)
{
    static const char *const channel_names[5] = {"", "gray", "gray+alpha", "RGB", "RGBA"};
    int layouts[5][2] = {{0}}, n_decoded = 0, bad = 0;
    for (int i = 0; i < n; i++) {
        if (info[i].decoded && info[i].channels >= 1 && info[i].channels <= 4) {
            layouts[info[i].channels][info[i].depth == 16]++;
            n_decoded++;
        }
        bad += info[i].problem[0] != '\0';
    }
    printf("decoded: %d of %d", n_decoded, n);
    const char *sep = " (";
    for (int c = 1; c <= 4; c++)
        for (int d = 0; d < 2; d++)
            if (layouts[c][d]) {
                printf("%s%s %d-bit %d", sep, channel_names[c], d ? 16 : 8, layouts[c][d]);
                sep = ", ";
            }
    printf("%s\n", n_decoded ? ")" : "");
    printf("unusable files: %d\n", bad);
    for (int i = 0; i < n; i++)
        if (info[i].problem[0]) printf("  %s\n", info[i].problem);
}

static int inspect(const char *dir, bool all)
{
    sg_dataset ds;
    const char *kind;
    sg_err err = sg_dataset_open(dir, true, &kind, &ds);
    if (err != SG_OK) return sg_cli_fail_err("data inspect", err);
    int n = ds.n_samples;
    int64_t total_boxes = 0;
    int parts[4] = {0};
    for (int i = 0; i < n; i++) {
        total_boxes += ds.samples[i].n_boxes;
        parts[ds.samples[i].split]++;
    }
    printf("%s: %s, %d classes, %d images", dir, kind, ds.n_classes, n);
    if (total_boxes) printf(", %lld boxes", (long long)total_boxes);
    printf("\n");
    print_classes(&ds);
    if (parts[SG_SPLIT_TRAIN] + parts[SG_SPLIT_VAL] + parts[SG_SPLIT_TEST])
        printf("splits: train %d, val %d, test %d, none %d\n", parts[SG_SPLIT_TRAIN], parts[SG_SPLIT_VAL],
               parts[SG_SPLIT_TEST], parts[SG_SPLIT_NONE]);
    scan_tables t;
    if (!scan_all(&ds, &t)) {
        sg_dataset_free(&ds);
        return sg_cli_fail("data inspect", "out of memory for %d files", n);
    }
    print_formats_and_sizes(t.info, n);
    print_decoding(t.info, n);
    int limit = all ? -1 : 20;
    print_duplicates("duplicate files (identical bytes)", &ds, t.content, t.readable, NULL, t.first_bytes, limit);
    print_duplicates("duplicate images (identical pixels, different files)", &ds, t.pixels, t.decoded,
                     t.first_bytes, t.first_pixels, limit);
    print_notes("skipped", &ds.skipped, limit);
    print_notes("warnings", &ds.warnings, limit);
    scan_tables_free(&t);
    sg_dataset_free(&ds);
    return SG_EXIT_OK;
}

/* ---- split ------------------------------------------------------------------ */

/* The output must not be one of the files read: an image of the data set,
 * or the manifest itself. SG_ERR_INVALID (a usage error) if it is. */
static sg_err check_output(const char *out, const char *dir, const sg_dataset *ds)
{
    const char **inputs = malloc((size_t)(ds->n_samples + 1) * sizeof *inputs);
    if (!inputs) return sg_error_set(SG_ERR_NOMEM, "out of memory for %d files", ds->n_samples);
    inputs[0] = dir;
    for (int i = 0; i < ds->n_samples; i++) inputs[i + 1] = ds->samples[i].path;
    sg_err err = sg_output_check(out, inputs, ds->n_samples + 1);
    free(inputs);
    /* A VOC set's annotation files were read too. */
    static const char *const folders[] = {"annotations", "Annotations", "ANNOTATIONS"};
    for (int f = 0; f < 3 && err == SG_OK; f++) {
        char *ann_dir = sg_path_join(dir, folders[f]);
        sg_dir_listing l = {0};
        if (ann_dir && sg_dir_list(ann_dir, &l) == SG_OK)
            for (int i = 0; i < l.n_files && err == SG_OK; i++) {
                char *path = sg_path_join(ann_dir, l.files[i]);
                const char *one[1] = {path};
                if (path) err = sg_output_check(out, one, 1);
                free(path);
            }
        sg_dir_listing_free(&l);
        free(ann_dir);
    }
    return err;
}

/* Decode every file: the unusable ones leave the data set (listed in
 * skipped), and files with identical bytes or identical pixels are grouped
 * so each set of copies lands in one part. */
static sg_err prepare(sg_dataset *ds, int *unusable, int *same_bytes, int *same_pixels)
{
    sg_file_info *info = calloc((size_t)(ds->n_samples ? ds->n_samples : 1), sizeof *info);
    if (!info) return sg_error_set(SG_ERR_NOMEM, "out of memory for %d files", ds->n_samples);
    sg_dataset_scan(ds, sg_image_decode, NULL, info);
    sg_err err = sg_dataset_drop_unusable(ds, info, unusable);
    if (err == SG_OK) err = sg_split_group_identical(ds, info, same_bytes, same_pixels);
    free(info);
    return err;
}

static int split(const char *dir, const char *out, const char *ratios_text, int64_t seed, int64_t folds,
                 int64_t fold, const char *group)
{
    sg_split_ratios ratios;
    sg_err err;
    if (folds == 0 && (err = sg_split_parse_ratios(ratios_text, &ratios)) != SG_OK)
        return sg_cli_usage("data split", "--ratios: %s", sg_error_message());
    bool by_number = strcmp(group, "number") == 0;
    if (!by_number && strcmp(group, "none") != 0)
        return sg_cli_usage("data split", "--group: expected none or number, got '%s'", group);
    sg_dataset ds;
    const char *kind;
    err = sg_dataset_open(dir, false, &kind, &ds);
    if (err != SG_OK) return sg_cli_fail_err("data split", err);
    if ((err = check_output(out, dir, &ds)) != SG_OK) {
        sg_dataset_free(&ds);
        if (err != SG_ERR_INVALID) return sg_cli_fail_err("data split", err);
        return sg_cli_usage("data split", "--out: %s", sg_error_message());
    }
    int unusable = 0, same_bytes = 0, same_pixels = 0;
    if (ds.n_samples == 0) err = sg_error_set(SG_ERR_FORMAT, "%s: no images", dir);
    if (err == SG_OK) err = prepare(&ds, &unusable, &same_bytes, &same_pixels);
    if (err == SG_OK && ds.n_samples == 0)
        err = sg_error_set(SG_ERR_FORMAT, "%s: none of the %d images decodes (see 'steelgrad data inspect')",
                           dir, unusable);
    if (err == SG_OK && by_number) err = sg_split_group_by_number(&ds);
    if (err == SG_OK)
        err = folds ? sg_split_kfold(&ds, (int)folds, (int)fold, (uint64_t)seed)
                    : sg_split_stratified(&ds, &ratios, (uint64_t)seed);
    if (err == SG_OK) err = sg_manifest_write(out, &ds, false);
    if (err != SG_OK) {
        sg_dataset_free(&ds);
        return sg_cli_fail_err("data split", err);
    }
    printf("%s: %s, %d images in %d classes", dir, kind, ds.n_samples, ds.n_classes);
    if (unusable) printf(" (%d unusable file(s) left out, listed below)", unusable);
    printf("; ");
    if (folds) printf("fold %lld of %lld (k-fold) is val", (long long)fold, (long long)folds);
    else printf("ratios %s", ratios_text);
    printf(", seed %lld, groups: %s; %d duplicate file(s) (identical bytes) and %d duplicate image(s) "
           "(identical pixels, different files) kept in their twin's part\n",
           (long long)seed, group, same_bytes, same_pixels);
    int width = class_column(&ds);
    char cell[256];
    printf("  %s %7s %7s %7s\n", sg_cli_pad(cell, sizeof cell, "class", width), "train", "val", "test");
    int64_t total[4] = {0};
    for (int c = -1; c < ds.n_classes; c++) {
        int64_t count[4] = {0};
        for (int i = 0; i < ds.n_samples; i++)
            if (ds.samples[i].label == c) count[ds.samples[i].split]++;
        if (c < 0 && !(count[1] + count[2] + count[3])) continue;
        printf("  %s %7lld %7lld %7lld\n", sg_cli_pad(cell, sizeof cell, c < 0 ? "(no label)" : ds.class_names[c], width),
               (long long)count[1],
               (long long)count[2], (long long)count[3]);
        for (int k = 1; k < 4; k++) total[k] += count[k];
    }
    printf("  %s %7lld %7lld %7lld\n", sg_cli_pad(cell, sizeof cell, "total", width), (long long)total[1],
           (long long)total[2], (long long)total[3]);
    print_notes("skipped", &ds.skipped, -1);
    print_notes("warnings", &ds.warnings, -1);
    printf("wrote %s\n", out);
    sg_dataset_free(&ds);
    return SG_EXIT_OK;
}

static int sheet(const char *dir, const char *out, int64_t per_class, int64_t size)
{
    sg_dataset ds;
    const char *kind;
    sg_err err = sg_dataset_open(dir, false, &kind, &ds);
    if (err != SG_OK) return sg_cli_fail_err("data sheet", err);
    if ((err = check_output(out, dir, &ds)) != SG_OK) {
        sg_dataset_free(&ds);
        if (err != SG_ERR_INVALID) return sg_cli_fail_err("data sheet", err);
        return sg_cli_usage("data sheet", "--out: %s", sg_error_message());
    }
    sg_image img = {0};
    err = sg_sheet_render(&ds, (int)per_class, (int)size, &img);
    if (err == SG_OK) err = sg_png_write(out, &img);
    if (err == SG_OK)
        printf("%s: %s, %d classes x up to %lld images of %lldx%lld; wrote %s (%dx%d)\n", dir, kind,
               ds.n_classes, (long long)per_class, (long long)size, (long long)size, out, img.width,
               img.height);
    sg_image_free(&img);
    sg_dataset_free(&ds);
    return err == SG_OK ? SG_EXIT_OK : sg_cli_fail_err("data sheet", err);
}

/* --ratios: exactly three percentages train,val,test, each finite and >= 0,
 * that sum to 100 (a typo like 50,50,50 is refused, never normalised). */
static int check_ratios(const char *text)
{
    static const char *want = "expected three percentages train,val,test, each >= 0, that sum to 100";
    double v[3], sum = 0;
    int n = 0;
    for (const char *p = text;; n++) {
        size_t len = strcspn(p, ",");
        char part[64], *end;
        if (n == 3) return sg_cli_usage("data split", "--ratios: %s, got '%s' (more than three parts)", want, text);
        snprintf(part, sizeof part, "%.*s", (int)(len < sizeof part ? len : sizeof part - 1), p);
        errno = 0;
        v[n] = strtod(part, &end);
        if (len == 0 || len >= sizeof part || *end || errno || isspace((unsigned char)part[0]) || !isfinite(v[n]))
            return sg_cli_usage("data split", "--ratios: '%.*s' is not a number (%s)", (int)len, p, want);
        if (v[n] < 0) return sg_cli_usage("data split", "--ratios: %s is negative (%s)", part, want);
        sum += v[n];
        if (!p[len]) break;
        p += len + 1;
    }
    if (n + 1 != 3)
        return sg_cli_usage("data split", "--ratios: %s, got '%s' (%d number%s)", want, text, n + 1, n ? "s" : "");
    if (fabs(sum - 100) > 1e-6)
        return sg_cli_usage("data split", "--ratios: the three percentages must sum to 100, got '%s' (sum %g)",
                            text, sum);
    if (!(v[0] > 0)) return sg_cli_usage("data split", "--ratios: the train part must be > 0, got '%s'", text);
    return SG_EXIT_OK;
}

int cmd_data(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "inspect") != 0 && strcmp(argv[1], "split") != 0 &&
                     strcmp(argv[1], "sheet") != 0)) {
        bool done;
        char *pos[2];
        int n_pos;
        int rc = sg_cli_parse(&data_cmd, argc, argv, NULL, 0, pos, 0, &n_pos, &done);
        if (done) return rc;  /* --help */
        return sg_cli_usage("data", "expected 'inspect DIR', 'split DIR --out FILE' or 'sheet DIR --out FILE.png' "
                                    "(see steelgrad data --help)");
    }
    char *dirs[1];
    int n_dirs;
    bool done;
    if (strcmp(argv[1], "inspect") == 0) {
        bool all = false;
        sg_cli_opt opts[] = {{.name = "all", .type = SG_OPT_FLAG, .dest = &all, .help = "list every skipped file, warning and duplicate"},
                             sg_cli_threads_opt};
        int rc = sg_cli_parse(&inspect_cmd, argc - 1, argv + 1, opts, 2, dirs, 1, &n_dirs, &done);
        if (done) return rc;
        if (n_dirs != 1) return sg_cli_usage("data inspect", "expected one DIR (see steelgrad data inspect --help)");
        return inspect(dirs[0], all);
    }
    if (strcmp(argv[1], "sheet") == 0) {
        char *out = NULL;
        int64_t per_class = 4, size = 64;
        sg_cli_opt opts[] = {
            {.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o', .arg = "FILE.png",
             .help = "the PNG to write (required)"},
            {.name = "per-class", .type = SG_OPT_INT, .dest = &per_class, .min = 1,
             .max = SG_SHEET_MAX_PER_CLASS, .arg = "N", .help = "images per class (default 4)"},
            {.name = "size", .type = SG_OPT_INT, .dest = &size, .min = SG_SHEET_MIN_SIZE,
             .max = SG_SHEET_MAX_SIZE, .arg = "S", .help = "side of each image in pixels (default 64)"},
            sg_cli_threads_opt,
        };
        int rc = sg_cli_parse(&sheet_cmd, argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0], dirs, 1,
                              &n_dirs, &done);
        if (done) return rc;
        if (n_dirs != 1 || !out)
            return sg_cli_usage("data sheet", "expected DIR and --out FILE.png (see steelgrad data sheet --help)");
        return sheet(dirs[0], out, per_class, size);
    }
    char *out = NULL, *ratios = NULL, *group = "none";
    int64_t seed = 42, folds = 0, fold = -1;  /* 0, -1: not given */
    sg_cli_opt opts[] = {
        {.name = "out", .type = SG_OPT_STRING, .dest = &out, .short_name = 'o', .arg = "FILE.csv",
         .help = "the manifest to write (path,label,split; required)"},
        {.name = "ratios", .type = SG_OPT_STRING, .dest = &ratios, .arg = "T,V,E",
         .help = "train,val,test percentages, each >= 0, summing to 100 (default 70,15,15)"},
        {.name = "seed", .type = SG_OPT_INT, .dest = &seed, .min = 0, .max = SG_CLI_NO_MAX,
         .help = "random seed (default 42)"},
        {.name = "folds", .type = SG_OPT_INT, .dest = &folds, .min = 2, .max = 1000, .arg = "K",
         .help = "k for stratified k-fold (replaces --ratios)"},
        {.name = "fold", .type = SG_OPT_INT, .dest = &fold, .min = 0, .max = 999, .arg = "I",
         .help = "with --folds: which fold is val, < K (default 0)"},
        {.name = "group", .type = SG_OPT_STRING, .dest = &group, .arg = "MODE",
         .help = "none (default), or number: same class + number stay together"},
    };
    int rc = sg_cli_parse(&split_cmd, argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0], dirs, 1, &n_dirs,
                          &done);
    if (done) return rc;
    if (n_dirs != 1 || !out)
        return sg_cli_usage("data split", "expected DIR and --out FILE (see steelgrad data split --help)");
    if (fold >= 0 && !folds) return sg_cli_usage("data split", "--fold requires --folds K (the number of folds)");
    if (folds && ratios)
        return sg_cli_usage("data split", "--ratios and --folds exclude each other (k-fold sets its own parts)");
    if (folds && fold >= folds)
        return sg_cli_usage("data split", "--fold: expected an integer in 0..%lld (--folds %lld), got '%lld'",
                            (long long)folds - 1, (long long)folds, (long long)fold);
    if (fold < 0) fold = 0;
    if (!ratios) ratios = "70,15,15";
    else if ((rc = check_ratios(ratios)) != SG_EXIT_OK) return rc;
    return split(dirs[0], out, ratios, seed, folds, fold, group);
}
