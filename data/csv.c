/* data/csv.c - RFC 4180 reader and writer, and the data set manifest (see csv.h). */
#define _XOPEN_SOURCE 700  /* realpath() is an XSI extension of POSIX.1-2008 */
#include "data/csv.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "data/split.h"

/* A manifest of a million images is ~100 MB; the field limit keeps a hostile
 * file of commas from costing gigabytes of tables (12 bytes per field). */
#define CSV_MAX_BYTES ((size_t)256 << 20)
#define CSV_MAX_FIELDS (1 << 24)

void sg_csv_free(sg_csv *csv)
{
    free(csv->row_start);
    free(csv->row_line);
    free(csv->fields);
    free(csv->buffer);
    *csv = (sg_csv){0};
}

int sg_csv_row_length(const sg_csv *csv, int row)
{
    return csv->row_start[row + 1] - csv->row_start[row];
}

const char *sg_csv_field(const sg_csv *csv, int row, int col)
{
    if (row < 0 || row >= csv->n_rows || col < 0 || col >= sg_csv_row_length(csv, row)) return NULL;
    return csv->fields[csv->row_start[row] + col];
}

/* Append to a growable int array (the row and field tables). */
static bool push_int(int **arr, int *cap, int n, int value)
{
    if (n == *cap) {
        int grown = *cap ? 2 * *cap : 64;
        int *a = realloc(*arr, (size_t)grown * sizeof *a);
        if (!a) return false;
        *arr = a;
        *cap = grown;
    }
    (*arr)[n] = value;
    return true;
}

sg_err sg_csv_parse(const char *text, size_t len, const char *name, sg_csv *out)
{
    *out = (sg_csv){0};
    if (len >= (size_t)INT_MAX) return sg_error_set(SG_ERR_LIMIT, "%s: CSV larger than 2 GiB", name);
    /* Every field's unescaped text is no longer than its raw text and is
     * followed by the separator that ends it (or by the end of the input), so
     * len + 1 bytes hold all fields with their NULs. Offsets are collected
     * first and turned into pointers at the end (the buffer does not move). */
    char *buf = malloc(len + 1);
    int *offsets = NULL, *row_start = NULL, *row_line = NULL;
    int cap_offsets = 0, cap_rows = 0, cap_lines = 0, n_fields = 0, n_rows = 0;
    sg_err err = SG_OK;
    if (!buf) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %zu bytes of CSV", name, len);
    size_t pos = 0, o = 0;
    int line = 1;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) pos = 3;  /* UTF-8 byte order mark */
    while (pos < len && err == SG_OK) {
        if (text[pos] == '\n' || text[pos] == '\r') {  /* a blank line */
            pos += text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n' ? 2 : 1;
            line++;
            continue;
        }
        if (!push_int(&row_start, &cap_rows, n_rows, n_fields) ||
            !push_int(&row_line, &cap_lines, n_rows, line)) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory at line %d", name, line);
            break;
        }
        n_rows++;
        for (int field = 1;; field++) {  /* the fields of one record */
            if (n_fields >= CSV_MAX_FIELDS) {
                err = sg_error_set(SG_ERR_LIMIT, "%s: line %d: more than %d fields", name, line, CSV_MAX_FIELDS);
                break;
            }
            if (!push_int(&offsets, &cap_offsets, n_fields++, (int)o)) {
                err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory at line %d", name, line);
                break;
            }
            if (pos < len && text[pos] == '"') {
                int opened = line;
                pos++;
                for (;;) {
                    if (pos >= len) {
                        err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: quoted field %d never ends "
                                           "(missing closing '\"')", name, opened, field);
                        break;
                    }
                    char c = text[pos];
                    if (c == '"') {
                        if (pos + 1 < len && text[pos + 1] == '"') {
                            buf[o++] = '"';
                            pos += 2;
                            continue;
                        }
                        pos++;
                        break;
                    }
                    if (c == '\0') {
                        err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: NUL byte in field %d", name, line, field);
                        break;
                    }
                    if (c == '\n' || (c == '\r' && !(pos + 1 < len && text[pos + 1] == '\n'))) line++;
                    buf[o++] = c;
                    pos++;
                }
                if (err != SG_OK) break;
                if (pos < len && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') {
                    unsigned char c = (unsigned char)text[pos];
                    err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: '%c' after the closing quote of "
                                       "field %d (expected ',' or the end of the line)", name, line,
                                       c >= 32 && c < 127 ? c : '?', field);
                    break;
                }
            } else {
                while (pos < len && text[pos] != ',' && text[pos] != '\n' && text[pos] != '\r') {
                    if (text[pos] == '\0') {
                        err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: NUL byte in field %d", name, line, field);
                        break;
                    }
                    buf[o++] = text[pos++];
                }
                if (err != SG_OK) break;
            }
            buf[o++] = '\0';
            if (pos < len && text[pos] == ',') {
                pos++;
                continue;
            }
            if (pos < len) {  /* the end of the record: CRLF, LF or a lone CR */
                pos += text[pos] == '\r' && pos + 1 < len && text[pos + 1] == '\n' ? 2 : 1;
                line++;
            }
            break;
        }
    }
    if (err == SG_OK && !push_int(&row_start, &cap_rows, n_rows, n_fields))
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", name);
    char **fields = NULL;
    if (err == SG_OK && !(fields = malloc((size_t)(n_fields ? n_fields : 1) * sizeof *fields)))
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %d fields", name, n_fields);
    if (err != SG_OK) {
        free(buf);
        free(offsets);
        free(row_start);
        free(row_line);
        return err;
    }
    for (int i = 0; i < n_fields; i++) fields[i] = buf + offsets[i];
    free(offsets);
    *out = (sg_csv){n_rows, row_start, row_line, n_fields, fields, buf};
    return SG_OK;
}

sg_err sg_csv_read(const char *path, sg_csv *out)
{
    char *text;
    size_t len;
    *out = (sg_csv){0};
    sg_err err = sg_file_read_all(path, CSV_MAX_BYTES, &text, &len);
    if (err != SG_OK) return err;
    err = sg_csv_parse(text, len, path, out);
    free(text);
    return err;
}

sg_err sg_csv_write_field(sg_atomic_file *af, const char *field, bool last)
{
    sg_err err = SG_OK;
    if (strpbrk(field, ",\"\r\n")) {
        err = sg_atomic_write(af, "\"", 1);
        for (const char *p = field; *p && err == SG_OK; p++)
            err = sg_atomic_write(af, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
        if (err == SG_OK) err = sg_atomic_write(af, "\"", 1);
    } else {
        err = sg_atomic_write(af, field, strlen(field));
    }
    if (err == SG_OK) err = sg_atomic_write(af, last ? "\r\n" : ",", last ? 2 : 1);
    return err;
}

/* ---- paths ------------------------------------------------------------------ */

/* The folder part of a path: "a/b.csv" -> "a", "b.csv" -> ".", "/b.csv" -> "/". */
static char *folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return sg_path_join(NULL, ".");
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    char *d = malloc(n + 1);
    if (!d) {
        sg_error_set(SG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    memcpy(d, path, n);
    d[n] = '\0';
    return d;
}

/* An absolute, normalised path for an existing file (realpath), or NULL with
 * SG_ERR_IO naming it. */
static char *resolve(const char *path)
{
    char *r = realpath(path, NULL);
    if (!r) sg_error_set(SG_ERR_IO, "cannot find '%s': %s", path, strerror(errno));
    return r;
}

/* `target` relative to folder `base`, both absolute and normalised (no ".",
 * "..", or doubled '/'): "/d/a/b", "/d/c/x.bmp" -> "../../c/x.bmp". When they
 * share no component (only the root), the absolute target is returned. */
static char *relative_path(const char *base, const char *target)
{
    /* Walk the common leading components. */
    const char *b = base, *t = target;
    int shared = 0;
    for (;;) {
        while (*b == '/') b++;
        while (*t == '/') t++;
        size_t nb = strcspn(b, "/"), nt = strcspn(t, "/");
        if (nb == 0 || nb != nt || memcmp(b, t, nb) != 0) break;
        b += nb;
        t += nt;
        shared++;
    }
    int ups = 0;  /* components of base left after the shared part */
    for (const char *p = b; *p;) {
        while (*p == '/') p++;
        if (!*p) break;
        ups++;
        p += strcspn(p, "/");
    }
    if (shared == 0 && ups > 0) return sg_path_join(NULL, target);
    char *r = malloc((size_t)ups * 3 + strlen(t) + 1);
    if (!r) {
        sg_error_set(SG_ERR_NOMEM, "out of memory");
        return NULL;
    }
    char *w = r;
    for (int k = 0; k < ups; k++, w += 3) memcpy(w, "../", 3);
    strcpy(w, t);
    return r;
}

/* ---- the manifest ---------------------------------------------------------- */

/* Sample lookup by name while reading: open addressing over a power-of-two
 * table of sample indices (-1 = empty), FNV-1a of the name. */
typedef struct name_table {
    int *slots;
    size_t mask;
} name_table;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The slot holding `name`, or the empty slot where it would go. */
static size_t table_find(const name_table *t, const sg_dataset *ds, const char *name)
{
    size_t i = (size_t)fnv1a(name) & t->mask;
    while (t->slots[i] >= 0 && strcmp(ds->samples[t->slots[i]].name, name) != 0) i = (i + 1) & t->mask;
    return i;
}

enum { COL_PATH, COL_LABEL, COL_SPLIT, COL_XMIN, COL_YMIN, COL_XMAX, COL_YMAX, N_COLS };
static const char *const column_names[N_COLS] = {"path", "label", "split", "xmin", "ymin", "xmax", "ymax"};

/* Column index of each known header name (-1 if absent); unknown names are
 * ignored, a repeated known name is an error. */
static sg_err read_header(const sg_csv *csv, const char *path, int cols[N_COLS])
{
    for (int k = 0; k < N_COLS; k++) cols[k] = -1;
    for (int c = 0; c < sg_csv_row_length(csv, 0); c++) {
        const char *h = sg_csv_field(csv, 0, c);
        for (int k = 0; k < N_COLS; k++) {
            if (strcasecmp(h, column_names[k]) != 0) continue;
            if (cols[k] >= 0)
                return sg_error_set(SG_ERR_FORMAT, "%s: line %d: column '%s' appears twice in the header",
                                    path, csv->row_line[0], column_names[k]);
            cols[k] = c;
        }
    }
    if (cols[COL_PATH] < 0 || cols[COL_LABEL] < 0)
        return sg_error_set(SG_ERR_FORMAT, "%s: line %d: the header must name the columns 'path' and "
                            "'label' (and optionally 'split', 'xmin,ymin,xmax,ymax')", path,
                            csv->row_line[0]);
    int boxes = (cols[COL_XMIN] >= 0) + (cols[COL_YMIN] >= 0) + (cols[COL_XMAX] >= 0) + (cols[COL_YMAX] >= 0);
    if (boxes != 0 && boxes != 4)
        return sg_error_set(SG_ERR_FORMAT, "%s: line %d: box columns need all four of xmin, ymin, "
                            "xmax, ymax (found %d)", path, csv->row_line[0], boxes);
    return SG_OK;
}

/* A finite decimal number filling the whole field. */
static bool parse_coordinate(const char *s, float *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v) || fabs(v) > 1e9) return false;
    *out = (float)v;
    return true;
}

/* The box of row r, if its box fields are not all empty (*has = false then). */
static sg_err read_box(const sg_csv *csv, int r, const int cols[N_COLS], const char *path,
                       bool *has, sg_box *box)
{
    const char *f[4];
    int empty = 0;
    for (int k = 0; k < 4; k++) {
        f[k] = sg_csv_field(csv, r, cols[COL_XMIN + k]);
        empty += f[k][0] == '\0';
    }
    *has = empty == 0;
    if (empty == 4) return SG_OK;
    if (empty)
        return sg_error_set(SG_ERR_FORMAT, "%s: line %d: a box needs all of xmin, ymin, xmax, ymax "
                            "(%d are empty)", path, csv->row_line[r], empty);
    float v[4];
    for (int k = 0; k < 4; k++)
        if (!parse_coordinate(f[k], &v[k]))
            return sg_error_set(SG_ERR_FORMAT, "%s: line %d: %s '%.40s' is not a number", path,
                                csv->row_line[r], column_names[COL_XMIN + k], f[k]);
    if (!(v[0] < v[2] && v[1] < v[3]))
        return sg_error_set(SG_ERR_FORMAT, "%s: line %d: empty box (need xmin < xmax and ymin < ymax, "
                            "found %g,%g,%g,%g)", path, csv->row_line[r], v[0], v[1], v[2], v[3]);
    *box = (sg_box){v[0], v[1], v[2], v[3], -1, false};
    return SG_OK;
}

static sg_err read_rows(const sg_csv *csv, const char *path, const int cols[N_COLS], bool fixed,
                        sg_dataset *ds)
{
    bool has_box_columns = cols[COL_XMIN] >= 0;
    int header_len = sg_csv_row_length(csv, 0);
    name_table t = {NULL, 0};
    size_t size = 16;
    while (size < 2 * (size_t)csv->n_rows) size *= 2;
    int *first_line = malloc((size_t)csv->n_rows * sizeof *first_line);
    t.slots = malloc(size * sizeof *t.slots);
    if (!t.slots || !first_line) {
        free(t.slots);
        free(first_line);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %d rows", path, csv->n_rows);
    }
    t.mask = size - 1;
    for (size_t i = 0; i < size; i++) t.slots[i] = -1;
    sg_err err = SG_OK;
    for (int r = 1; r < csv->n_rows && err == SG_OK; r++) {
        int line = csv->row_line[r];
        if (sg_csv_row_length(csv, r) != header_len) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: %d fields, but the header has %d (a path "
                               "with a comma must be in double quotes)", path, line,
                               sg_csv_row_length(csv, r), header_len);
            break;
        }
        const char *name = sg_csv_field(csv, r, cols[COL_PATH]);
        const char *label_name = sg_csv_field(csv, r, cols[COL_LABEL]);
        const char *split_name = cols[COL_SPLIT] >= 0 ? sg_csv_field(csv, r, cols[COL_SPLIT]) : "";
        if (!name[0] || !label_name[0]) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: empty %s", path, line, name[0] ? "label" : "path");
            break;
        }
        int split = sg_split_from_name(split_name), label;
        if (split < 0) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: split '%.40s' is not train, val, test or empty",
                               path, line, split_name);
            break;
        }
        char where[64];
        snprintf(where, sizeof where, "line %d", line);
        if (fixed) {
            if ((err = sg_dataset_require_class(ds, label_name, where, &label)) != SG_OK) {
                char msg[512];
                snprintf(msg, sizeof msg, "%s", sg_error_message());
                err = sg_error_set(err, "%s: %s", path, msg);
                break;
            }
        } else if ((err = sg_dataset_intern_class(ds, label_name, &label)) != SG_OK) {
            break;
        }
        bool has_box = false;
        sg_box box;
        if (has_box_columns && (err = read_box(csv, r, cols, path, &has_box, &box)) != SG_OK) break;
        size_t slot = table_find(&t, ds, name);
        int s = t.slots[slot];
        if (s >= 0 && !has_box_columns) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: '%s' is listed twice (first on line %d)",
                               path, line, name, first_line[s]);
            break;
        }
        if (s >= 0 && ds->samples[s].split != split) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: line %d: '%s' is in split '%s' here but '%s' on "
                               "line %d", path, line, name, split_name, sg_split_name(ds->samples[s].split),
                               first_line[s]);
            break;
        }
        if (s < 0) {
            char *file = sg_path_join(ds->root, name);
            if (!file) {
                err = SG_ERR_NOMEM;
                break;
            }
            err = sg_dataset_add_sample(ds, file, name, label, &s);
            free(file);
            if (err != SG_OK) break;
            ds->samples[s].split = split;
            first_line[s] = line;
            t.slots[slot] = s;
        }
        if (has_box) {
            box.label = label;
            err = sg_dataset_add_box(ds, s, box);
        }
    }
    free(t.slots);
    free(first_line);
    return err;
}

sg_err sg_manifest_read(const char *path, const char *const *classes, int n_classes,
                        sg_dataset *out)
{
    char *folder = folder_of(path);
    if (!folder) return SG_ERR_NOMEM;
    sg_err err = sg_dataset_init(out, folder);
    free(folder);
    if (err != SG_OK) return err;
    for (int c = 0; c < n_classes && err == SG_OK; c++) err = sg_dataset_add_class(out, classes[c], NULL);
    sg_csv csv = {0};
    if (err == SG_OK) err = sg_csv_read(path, &csv);
    int cols[N_COLS];
    if (err == SG_OK && csv.n_rows == 0)
        err = sg_error_set(SG_ERR_FORMAT, "%s: empty file (expected a header row path,label,split)", path);
    if (err == SG_OK) err = read_header(&csv, path, cols);
    if (err == SG_OK) err = read_rows(&csv, path, cols, n_classes > 0, out);
    if (err == SG_OK && n_classes == 0) err = sg_dataset_sort_classes(out);
    sg_csv_free(&csv);
    if (err != SG_OK) sg_dataset_free(out);
    return err;
}

/* ---- applying a manifest to a data set ---------------------------------- */

typedef struct resolved_item {
    char *real;
    int index;
} resolved_item;

static int compare_resolved(const void *a, const void *b)
{
    return strcmp(((const resolved_item *)a)->real, ((const resolved_item *)b)->real);
}

sg_err sg_manifest_apply(const char *path, sg_dataset *ds, int *n_unlisted)
{
    sg_dataset m;
    sg_err err = sg_manifest_read(path, (const char *const *)ds->class_names, ds->n_classes, &m);
    if (err != SG_OK) return err;
    resolved_item *items = calloc((size_t)(ds->n_samples ? ds->n_samples : 1), sizeof *items);
    bool *listed = calloc((size_t)(ds->n_samples ? ds->n_samples : 1), sizeof *listed);
    if (!items || !listed) err = sg_error_set(SG_ERR_NOMEM, "out of memory for %d samples", ds->n_samples);
    for (int i = 0; i < ds->n_samples && err == SG_OK; i++) {
        items[i].index = i;
        if (!(items[i].real = resolve(ds->samples[i].path))) err = SG_ERR_IO;
    }
    if (err == SG_OK) qsort(items, (size_t)ds->n_samples, sizeof *items, compare_resolved);
    for (int i = 0; i < m.n_samples && err == SG_OK; i++) {
        const sg_sample *row = &m.samples[i];
        resolved_item key = {resolve(row->path), -1};
        if (!key.real) {
            err = sg_error_set(SG_ERR_IO, "%s: '%s' does not exist (looked for '%s')", path, row->name,
                               row->path);
            break;
        }
        const resolved_item *hit = ds->n_samples ? bsearch(&key, items, (size_t)ds->n_samples,
                                                           sizeof *items, compare_resolved) : NULL;
        free(key.real);
        if (!hit) {
            err = sg_error_set(SG_ERR_INVALID, "%s: '%s' is not part of the data set in '%s'", path,
                               row->name, ds->root ? ds->root : "?");
            break;
        }
        sg_sample *s = &ds->samples[hit->index];
        if (s->label >= 0 && s->label != row->label) {
            err = sg_error_set(SG_ERR_INVALID, "%s: '%s' has label '%s' in the manifest but the data set "
                               "says '%s'", path, row->name, ds->class_names[row->label],
                               ds->class_names[s->label]);
            break;
        }
        s->split = row->split;
        listed[hit->index] = true;
    }
    int unlisted = 0;
    for (int i = 0; i < ds->n_samples && err == SG_OK; i++) {
        if (listed[i]) continue;
        ds->samples[i].split = SG_SPLIT_NONE;
        unlisted++;
    }
    if (n_unlisted) *n_unlisted = unlisted;
    for (int i = 0; items && i < ds->n_samples; i++) free(items[i].real);
    free(items);
    free(listed);
    sg_dataset_free(&m);
    return err;
}

/* ---- writing -------------------------------------------------------------- */

/* A sample's file as the manifest at folder `base` (resolved) should name it. */
static char *manifest_name(const char *base, const sg_sample *s)
{
    char *real = realpath(s->path, NULL);
    if (!real) {
        /* A file that does not exist (yet): make its path absolute by hand. */
        if (s->path[0] == '/') return sg_path_join(NULL, s->path);
        char cwd[4096];
        if (!getcwd(cwd, sizeof cwd)) return sg_path_join(NULL, s->path);
        return sg_path_join(cwd, s->path);
    }
    char *rel = relative_path(base, real);
    free(real);
    return rel;
}

static sg_err write_row(sg_atomic_file *af, const char *name, const char *label, const char *split,
                        bool box_columns, const sg_box *box)
{
    sg_err err = sg_csv_write_field(af, name, false);
    if (err == SG_OK) err = sg_csv_write_field(af, label, false);
    if (err == SG_OK) err = sg_csv_write_field(af, split, !box_columns);
    if (err != SG_OK || !box_columns) return err;
    float v[4] = {0};
    if (box) memcpy(v, (float[4]){box->xmin, box->ymin, box->xmax, box->ymax}, sizeof v);
    for (int k = 0; k < 4 && err == SG_OK; k++) {
        char num[32] = "";
        if (box) snprintf(num, sizeof num, "%.9g", (double)v[k]);  /* 9 digits round-trip a float */
        err = sg_csv_write_field(af, num, k == 3);
    }
    return err;
}

sg_err sg_manifest_write(const char *path, const sg_dataset *ds, bool boxes)
{
    char *folder = folder_of(path);
    if (!folder) return SG_ERR_NOMEM;
    char *base = resolve(folder);
    free(folder);
    if (!base) return SG_ERR_IO;
    bool box_columns = false;
    for (int i = 0; boxes && i < ds->n_samples; i++) box_columns |= ds->samples[i].n_boxes > 0;
    sg_atomic_file af;
    sg_err err = sg_atomic_open(&af, path);
    if (err != SG_OK) {
        free(base);
        return err;
    }
    const char *header = box_columns ? "path,label,split,xmin,ymin,xmax,ymax\r\n" : "path,label,split\r\n";
    err = sg_atomic_write(&af, header, strlen(header));
    for (int i = 0; i < ds->n_samples && err == SG_OK; i++) {
        const sg_sample *s = &ds->samples[i];
        char *name = manifest_name(base, s);
        if (!name) {
            err = SG_ERR_NOMEM;
            break;
        }
        const char *label = s->label >= 0 && s->label < ds->n_classes ? ds->class_names[s->label] : "";
        const char *split = sg_split_name(s->split);
        /* The first row carries the image's label; if the first box is of
         * another class (or there is no box), a box-less row comes first. */
        int n_boxes = box_columns ? s->n_boxes : 0;
        if (n_boxes == 0 || s->boxes[0].label != s->label)
            err = write_row(&af, name, label, split, box_columns, NULL);
        for (int b = 0; b < n_boxes && err == SG_OK; b++) {
            int l = s->boxes[b].label;
            err = write_row(&af, name, l >= 0 && l < ds->n_classes ? ds->class_names[l] : "", split,
                            box_columns, &s->boxes[b]);
        }
        free(name);
    }
    free(base);
    if (err != SG_OK) {
        sg_atomic_abort(&af);
        return err;
    }
    return sg_atomic_commit(&af);
}
