/* data/dataset.c - data set bookkeeping and the class-folder reader (see dataset.h). */
#include "data/dataset.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>

/* ---- notes ---------------------------------------------------------------- */

sg_err sg_notes_add(sg_notes *notes, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *line = malloc((size_t)n + 1);
    if (!line) return sg_error_set(SG_ERR_NOMEM, "out of memory for a note");
    va_start(ap, fmt);
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (notes->count == notes->cap) {
        int cap = notes->cap ? 2 * notes->cap : 16;
        char **items = realloc(notes->items, (size_t)cap * sizeof *items);
        if (!items) {
            free(line);
            return sg_error_set(SG_ERR_NOMEM, "out of memory for %d notes", cap);
        }
        notes->items = items;
        notes->cap = cap;
    }
    notes->items[notes->count++] = line;
    return SG_OK;
}

void sg_notes_free(sg_notes *notes)
{
    for (int i = 0; i < notes->count; i++) free(notes->items[i]);
    free(notes->items);
    *notes = (sg_notes){0};
}

/* ---- the data set container ------------------------------------------------ */

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    else sg_error_set(SG_ERR_NOMEM, "out of memory copying '%.60s'", s);
    return c;
}

sg_err sg_dataset_init(sg_dataset *ds, const char *root)
{
    *ds = (sg_dataset){0};
    if (root && !(ds->root = copy_string(root))) return SG_ERR_NOMEM;
    return SG_OK;
}

void sg_dataset_free(sg_dataset *ds)
{
    for (int c = 0; c < ds->n_classes; c++) free(ds->class_names[c]);
    free(ds->class_names);
    for (int i = 0; i < ds->n_samples; i++) {
        sg_sample *s = &ds->samples[i];
        free(s->path);
        free(s->name);
        free(s->group);
        free(s->boxes);
    }
    free(ds->samples);
    free(ds->root);
    sg_notes_free(&ds->skipped);
    sg_notes_free(&ds->warnings);
    *ds = (sg_dataset){0};
}

sg_err sg_dataset_add_class(sg_dataset *ds, const char *name, int *index)
{
    char *copy = copy_string(name);
    if (!copy) return SG_ERR_NOMEM;
    char **names = realloc(ds->class_names, (size_t)(ds->n_classes + 1) * sizeof *names);
    if (!names) {
        free(copy);
        return sg_error_set(SG_ERR_NOMEM, "out of memory for %d class names", ds->n_classes + 1);
    }
    ds->class_names = names;
    names[ds->n_classes] = copy;
    if (index) *index = ds->n_classes;
    ds->n_classes++;
    return SG_OK;
}

int sg_dataset_class_index(const sg_dataset *ds, const char *name)
{
    for (int c = 0; c < ds->n_classes; c++)
        if (strcmp(ds->class_names[c], name) == 0) return c;
    return -1;
}

sg_err sg_dataset_intern_class(sg_dataset *ds, const char *name, int *index)
{
    int c = sg_dataset_class_index(ds, name);
    if (c >= 0) {
        *index = c;
        return SG_OK;
    }
    return sg_dataset_add_class(ds, name, index);
}

sg_err sg_dataset_require_class(const sg_dataset *ds, const char *name, const char *where,
                                int *index)
{
    *index = sg_dataset_class_index(ds, name);
    if (*index >= 0) return SG_OK;
    /* List the known classes (about 300 characters at most) so the user sees the typo. */
    char known[320] = "none";
    size_t used = 0;
    for (int c = 0; c < ds->n_classes; c++) {
        size_t need = strlen(ds->class_names[c]) + 2;
        if (used + need + 6 >= sizeof known) {
            memcpy(known + used, ", ...", 6);
            break;
        }
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", c ? ", " : "",
                                 ds->class_names[c]);
    }
    return sg_error_set(SG_ERR_INVALID, "%s: unknown class folder '%s' (the data set's classes are: %s)",
                        where, name, known);
}

char *sg_path_join(const char *dir, const char *name)
{
    if (name[0] == '/' || !dir || !dir[0]) return copy_string(name);
    size_t a = strlen(dir), b = strlen(name);
    while (a > 1 && dir[a - 1] == '/') a--;
    bool slash = dir[a - 1] != '/';
    char *p = malloc(a + slash + b + 1);
    if (!p) {
        sg_error_set(SG_ERR_NOMEM, "out of memory joining '%s' and '%s'", dir, name);
        return NULL;
    }
    memcpy(p, dir, a);
    if (slash) p[a] = '/';
    memcpy(p + a + slash, name, b + 1);
    return p;
}

sg_err sg_dataset_add_sample(sg_dataset *ds, const char *path, const char *name, int label,
                             int *index)
{
    if (ds->n_samples == ds->cap_samples) {
        int cap = ds->cap_samples ? 2 * ds->cap_samples : 64;
        sg_sample *s = realloc(ds->samples, (size_t)cap * sizeof *s);
        if (!s) return sg_error_set(SG_ERR_NOMEM, "out of memory for %d samples", cap);
        ds->samples = s;
        ds->cap_samples = cap;
    }
    sg_sample s = {.label = label, .split = SG_SPLIT_NONE};
    s.path = copy_string(path);
    s.name = copy_string(name);
    if (!s.path || !s.name) {
        free(s.path);
        free(s.name);
        return SG_ERR_NOMEM;
    }
    if (index) *index = ds->n_samples;
    ds->samples[ds->n_samples++] = s;
    return SG_OK;
}

sg_err sg_dataset_add_box(sg_dataset *ds, int sample, sg_box box)
{
    sg_sample *s = &ds->samples[sample];
    if (s->n_boxes == s->cap_boxes) {
        int cap = s->cap_boxes ? 2 * s->cap_boxes : 4;
        sg_box *b = realloc(s->boxes, (size_t)cap * sizeof *b);
        if (!b) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %d boxes", s->name, cap);
        s->boxes = b;
        s->cap_boxes = cap;
    }
    s->boxes[s->n_boxes++] = box;
    return SG_OK;
}

sg_err sg_dataset_set_group(sg_dataset *ds, int sample, const char *group)
{
    char *copy = NULL;
    if (group && !(copy = copy_string(group))) return SG_ERR_NOMEM;
    free(ds->samples[sample].group);
    ds->samples[sample].group = copy;
    return SG_OK;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

sg_err sg_dataset_sort_classes(sg_dataset *ds)
{
    int n = ds->n_classes;
    if (n < 2) return SG_OK;
    char **sorted = malloc((size_t)n * sizeof *sorted);
    int *new_label = malloc((size_t)n * sizeof *new_label);
    if (!sorted || !new_label) {
        free(sorted);
        free(new_label);
        return sg_error_set(SG_ERR_NOMEM, "out of memory sorting %d classes", n);
    }
    memcpy(sorted, ds->class_names, (size_t)n * sizeof *sorted);
    qsort(sorted, (size_t)n, sizeof *sorted, compare_strings);
    for (int old = 0; old < n; old++)
        for (int k = 0; k < n; k++)
            if (sorted[k] == ds->class_names[old]) new_label[old] = k;
    for (int i = 0; i < ds->n_samples; i++) {
        sg_sample *s = &ds->samples[i];
        if (s->label >= 0 && s->label < n) s->label = new_label[s->label];
        for (int b = 0; b < s->n_boxes; b++)
            if (s->boxes[b].label >= 0 && s->boxes[b].label < n)
                s->boxes[b].label = new_label[s->boxes[b].label];
    }
    free(ds->class_names);
    ds->class_names = sorted;
    free(new_label);
    return SG_OK;
}

void sg_dataset_class_counts(const sg_dataset *ds, int64_t *counts)
{
    for (int c = 0; c < ds->n_classes; c++) counts[c] = 0;
    for (int i = 0; i < ds->n_samples; i++) {
        int l = ds->samples[i].label;
        if (l >= 0 && l < ds->n_classes) counts[l]++;
    }
}

void sg_dataset_box_counts(const sg_dataset *ds, int64_t *counts)
{
    for (int c = 0; c < ds->n_classes; c++) counts[c] = 0;
    for (int i = 0; i < ds->n_samples; i++)
        for (int b = 0; b < ds->samples[i].n_boxes; b++) {
            int l = ds->samples[i].boxes[b].label;
            if (l >= 0 && l < ds->n_classes) counts[l]++;
        }
}

bool sg_is_image_name(const char *name)
{
    static const char *const extensions[] = {".bmp", ".pgm", ".ppm", ".pbm", ".pnm",
                                             ".png", ".jpg", ".jpeg", ".tif", ".tiff"};
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name) return false;  /* ".png" alone is a hidden file, not an image */
    for (size_t k = 0; k < sizeof extensions / sizeof extensions[0]; k++)
        if (strcasecmp(dot, extensions[k]) == 0) return true;
    return false;
}

/* ---- listing folders ------------------------------------------------------- */

void sg_dir_listing_free(sg_dir_listing *l)
{
    for (int i = 0; i < l->n_dirs; i++) free(l->dirs[i]);
    for (int i = 0; i < l->n_files; i++) free(l->files[i]);
    free(l->dirs);
    free(l->files);
    *l = (sg_dir_listing){0};
}

static sg_err list_push(char ***arr, int *n, const char *name)
{
    char **grown = realloc(*arr, (size_t)(*n + 1) * sizeof *grown);
    if (!grown) return sg_error_set(SG_ERR_NOMEM, "out of memory listing '%s'", name);
    *arr = grown;
    if (!(grown[*n] = copy_string(name))) return SG_ERR_NOMEM;
    (*n)++;
    return SG_OK;
}

sg_err sg_dir_list(const char *dir, sg_dir_listing *out)
{
    *out = (sg_dir_listing){0};
    DIR *d = opendir(dir);
    if (!d) return sg_error_set(SG_ERR_IO, "cannot open folder '%s': %s", dir, strerror(errno));
    sg_err err = SG_OK;
    struct dirent *e;
    while (err == SG_OK && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;  /* ".", "..", and hidden entries */
        char *full = sg_path_join(dir, e->d_name);
        if (!full) {
            err = SG_ERR_NOMEM;
            break;
        }
        struct stat st;
        bool is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
        free(full);
        err = is_dir ? list_push(&out->dirs, &out->n_dirs, e->d_name)
                     : list_push(&out->files, &out->n_files, e->d_name);
    }
    closedir(d);
    if (err != SG_OK) {
        sg_dir_listing_free(out);
        return err;
    }
    /* (qsort of an empty, NULL array is undefined behaviour, hence the checks) */
    if (out->n_dirs > 1) qsort(out->dirs, (size_t)out->n_dirs, sizeof *out->dirs, compare_strings);
    if (out->n_files > 1) qsort(out->files, (size_t)out->n_files, sizeof *out->files, compare_strings);
    return SG_OK;
}

/* ---- each file once --------------------------------------------------------- */

/* Open addressing on (device, inode), grown at half load. */
typedef struct file_id {
    dev_t dev;
    ino_t ino;
    int owner;  /* the sample index (files), -1 for folders */
    bool used;
} file_id;

struct sg_file_ids {
    size_t cap, count;
    file_id *slots;
};

sg_file_ids *sg_file_ids_new(void)
{
    sg_file_ids *ids = calloc(1, sizeof *ids);
    if (!ids) sg_error_set(SG_ERR_NOMEM, "out of memory for a file set");
    return ids;
}

void sg_file_ids_free(sg_file_ids *ids)
{
    if (!ids) return;
    free(ids->slots);
    free(ids);
}

static size_t id_hash(dev_t dev, ino_t ino, size_t cap)
{
    uint64_t h = (uint64_t)ino * 0x9E3779B97F4A7C15u ^ (uint64_t)dev * 0xC2B2AE3D27D4EB4Fu;
    return (size_t)(h ^ h >> 29) & (cap - 1);
}

/* The slot of (dev, ino): the one holding it, or the empty one it would go in. */
static file_id *id_slot(const sg_file_ids *ids, dev_t dev, ino_t ino)
{
    size_t i = id_hash(dev, ino, ids->cap);
    while (ids->slots[i].used && !(ids->slots[i].dev == dev && ids->slots[i].ino == ino))
        i = (i + 1) & (ids->cap - 1);
    return &ids->slots[i];
}

/* Remember st's file with `owner`; *first = the owner it already had, or -2 if new. */
static sg_err ids_insert(sg_file_ids *ids, const struct stat *st, int owner, int *first)
{
    if (2 * (ids->count + 1) > ids->cap) {
        size_t cap = ids->cap ? 2 * ids->cap : 256;
        file_id *old = ids->slots;
        size_t old_cap = ids->cap;
        ids->slots = calloc(cap, sizeof *ids->slots);
        if (!ids->slots) {
            ids->slots = old;
            return sg_error_set(SG_ERR_NOMEM, "out of memory for %zu file ids", cap);
        }
        ids->cap = cap;
        for (size_t k = 0; k < old_cap; k++)
            if (old[k].used) *id_slot(ids, old[k].dev, old[k].ino) = old[k];
        free(old);
    }
    file_id *slot = id_slot(ids, st->st_dev, st->st_ino);
    if (slot->used) {
        *first = slot->owner;
        return SG_OK;
    }
    *slot = (file_id){st->st_dev, st->st_ino, owner, true};
    ids->count++;
    *first = -2;
    return SG_OK;
}

sg_err sg_file_ids_take(sg_file_ids *ids, const char *path, int owner, const char **why, int *first)
{
    *why = NULL;
    *first = -2;
    struct stat st, lst;
    if (stat(path, &st) != 0) {
        int e = errno;
        bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
        *why = link && e == ENOENT ? "broken symbolic link (its target does not exist)"
               : link && e == ELOOP ? "symbolic link loop"
                                    : strerror(e);
        return SG_OK;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = "not a regular file";
        return SG_OK;
    }
    sg_err err = ids_insert(ids, &st, owner, first);
    if (err == SG_OK && *first != -2) *why = "";
    return err;
}

sg_err sg_dataset_take_file(sg_dataset *ds, sg_file_ids *ids, const char *path, const char *name,
                            int label, bool *taken)
{
    *taken = false;
    const char *why;
    int first;
    sg_err err = sg_file_ids_take(ids, path, ds->n_samples, &why, &first);
    if (err != SG_OK) return err;
    if (why && why[0]) return sg_notes_add(&ds->skipped, "%s: %s", name, why);
    if (why)
        return sg_notes_add(&ds->skipped, "%s: same file as %s (a link), counted once", name,
                            first >= 0 && first < ds->n_samples ? ds->samples[first].name : "another");
    *taken = true;
    return sg_dataset_add_sample(ds, path, name, label, NULL);
}

sg_err sg_file_ids_enter_folder(sg_file_ids *ids, const char *path, bool *first_visit)
{
    struct stat st;
    *first_visit = true; /* a folder that cannot be stat'ed is left to the listing to report */
    if (stat(path, &st) != 0) return SG_OK;
    int first;
    sg_err err = ids_insert(ids, &st, -1, &first);
    *first_visit = err == SG_OK && first == -2;
    return err;
}

/* ---- class folders ------------------------------------------------------------ */

/* Every folder under a class folder, as paths relative to it ("" is the class
 * folder itself), depth-limited. A folder reached a second time (a link to
 * a folder already listed: a loop, or two links to one place) is skipped. */
static sg_err collect_folders(const char *class_dir, const char *rel, int depth, sg_dir_listing *acc,
                              sg_notes *skipped, const char *class_name, sg_file_ids *ids)
{
    char *here = rel[0] ? sg_path_join(class_dir, rel) : copy_string(class_dir);
    if (!here) return SG_ERR_NOMEM;
    bool first_visit;
    sg_err err = sg_file_ids_enter_folder(ids, here, &first_visit);
    if (err == SG_OK && !first_visit) {
        err = sg_notes_add(skipped, "%s/%s%s: folder already listed (a symbolic link loop or a second "
                           "link to it), not read again", class_name, rel, rel[0] ? "/" : "");
        free(here);
        return err;
    }
    if (err == SG_OK) err = list_push(&acc->dirs, &acc->n_dirs, rel);
    sg_dir_listing l = {0};
    if (err == SG_OK) err = sg_dir_list(here, &l);
    free(here);
    if (err != SG_OK) return err;
    for (int i = 0; i < l.n_dirs && err == SG_OK; i++) {
        char *sub = rel[0] ? sg_path_join(rel, l.dirs[i]) : copy_string(l.dirs[i]);
        if (!sub) {
            err = SG_ERR_NOMEM;
            break;
        }
        if (depth + 1 > SG_DATASET_MAX_DEPTH)
            err = sg_notes_add(skipped, "%s/%s/: folder nested deeper than %d levels",
                               class_name, sub, SG_DATASET_MAX_DEPTH);
        else
            err = collect_folders(class_dir, sub, depth + 1, acc, skipped, class_name, ids);
        free(sub);
    }
    sg_dir_listing_free(&l);
    return err;
}

/* The images of one class, in torchvision order: sorted(os.walk(class_dir))
 * orders folders by their whole path string, then each folder's files are
 * sorted. Sorting the relative paths with strcmp gives the same order, since
 * every path shares the class folder prefix. */
static sg_err read_class(sg_dataset *ds, const char *root, int label, sg_file_ids *ids)
{
    const char *class_name = ds->class_names[label];
    char *class_dir = sg_path_join(root, class_name);
    if (!class_dir) return SG_ERR_NOMEM;
    sg_dir_listing folders = {0};
    sg_err err = collect_folders(class_dir, "", 0, &folders, &ds->skipped, class_name, ids);
    if (err == SG_OK && folders.n_dirs > 1)
        qsort(folders.dirs, (size_t)folders.n_dirs, sizeof *folders.dirs, compare_strings);
    for (int f = 0; f < folders.n_dirs && err == SG_OK; f++) {
        const char *rel = folders.dirs[f];
        char *prefix = rel[0] ? sg_path_join(class_name, rel) : copy_string(class_name);
        char *dir = prefix ? sg_path_join(root, prefix) : NULL;
        sg_dir_listing l = {0};
        if (!prefix || !dir) err = SG_ERR_NOMEM;
        else err = sg_dir_list(dir, &l);
        for (int i = 0; i < l.n_files && err == SG_OK; i++) {
            char *name = sg_path_join(prefix, l.files[i]);
            char *path = name ? sg_path_join(root, name) : NULL;
            bool taken;
            if (!name || !path) err = SG_ERR_NOMEM;
            else if (sg_is_image_name(l.files[i]))
                err = sg_dataset_take_file(ds, ids, path, name, label, &taken);
            else
                err = sg_notes_add(&ds->skipped, "%s: not an image file name (expected .bmp .pgm "
                                   ".ppm .pbm .pnm .png .jpg .jpeg .tif .tiff)", name);
            free(name);
            free(path);
        }
        sg_dir_listing_free(&l);
        free(prefix);
        free(dir);
    }
    sg_dir_listing_free(&folders);
    free(class_dir);
    return err;
}

sg_err sg_dataset_from_folders(const char *root, const sg_folder_options *opt, sg_dataset *out)
{
    sg_folder_options defaults = {0};
    if (!opt) opt = &defaults;
    sg_err err = sg_dataset_init(out, root);
    if (err != SG_OK) return err;
    sg_file_ids *ids = NULL;
    struct stat st;
    if (stat(root, &st) != 0) {
        err = sg_error_set(SG_ERR_IO, "cannot open data folder '%s': %s", root, strerror(errno));
        goto fail;
    }
    if (!S_ISDIR(st.st_mode)) {
        err = S_ISREG(st.st_mode)
                  ? sg_error_set(SG_ERR_IO, "'%s' is not a folder (expected one sub-folder per class)", root)
                  : sg_error_set(SG_ERR_IO, "%s: not a regular file (nor a folder of class folders)", root);
        goto fail;
    }
    sg_dir_listing top;
    if ((err = sg_dir_list(root, &top)) != SG_OK) goto fail;
    for (int i = 0; i < top.n_files && err == SG_OK; i++)
        err = sg_notes_add(&out->skipped, "%s: not inside a class folder", top.files[i]);
    for (int c = 0; c < top.n_dirs && err == SG_OK; c++) err = sg_dataset_add_class(out, top.dirs[c], NULL);
    sg_dir_listing_free(&top);
    if (err != SG_OK) goto fail;
    if (out->n_classes == 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: no class folders (expected one sub-folder per class, "
                           "e.g. %s/<class>/image.png)", root, root);
        goto fail;
    }
    ids = sg_file_ids_new();
    if (!ids) err = SG_ERR_NOMEM;
    bool first_visit;
    if (err == SG_OK) err = sg_file_ids_enter_folder(ids, root, &first_visit);
    for (int c = 0; c < out->n_classes && err == SG_OK; c++) {
        int before = out->n_samples;
        err = read_class(out, root, c, ids);
        if (err == SG_OK && out->n_samples == before) {
            if (opt->allow_empty_classes)
                err = sg_notes_add(&out->warnings, "%s/: class folder has no image files",
                                   out->class_names[c]);
            else
                err = sg_error_set(SG_ERR_FORMAT, "%s/%s: class folder has no image files (.bmp .pgm "
                                   ".ppm .pbm .pnm .png .jpg .jpeg .tif .tiff)", root, out->class_names[c]);
        }
    }
    sg_file_ids_free(ids);
    if (err == SG_OK) return SG_OK;
fail:
    sg_dataset_free(out);
    return err;
}
