/* data/voc_dataset.c - VOC-layout data sets: annotation files matched to
 * their images (sg_dataset_from_voc, see voc.h).
 *
 * Two layouts are read:
 *   NEU-DET, VOC proper:   images/<name>.jpg            annotations/<name>.xml
 *   class folders (synth): images/<class>/<name>.png    annotations/<name>.xml
 * The images folder is walked like a class folder (each file once, links
 * that loop or dangle listed in `skipped`), and an annotation is matched to
 * the image with its <filename> wherever it lies below images/. */
#include "data/voc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fileio.h"

#define VOC_MAX_BYTES ((size_t)16 << 20)

static const char *const default_images[] = {"images", "JPEGImages", "IMAGES"};
static const char *const default_annotations[] = {"annotations", "Annotations", "ANNOTATIONS"};

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    else sg_error_set(SG_ERR_NOMEM, "out of memory copying '%.60s'", s);
    return c;
}

/* The first of `names` that is a folder under root (malloc'd name), or NULL. */
static char *find_folder(const char *root, const char *const *names, int n)
{
    sg_dir_listing l;
    if (sg_dir_list(root, &l) != SG_OK) return NULL;
    char *found = NULL;
    for (int k = 0; k < n && !found; k++)
        for (int i = 0; i < l.n_dirs && !found; i++)
            if (strcmp(l.dirs[i], names[k]) == 0) found = copy_string(names[k]);
    sg_dir_listing_free(&l);
    return found;
}

bool sg_voc_is_layout(const char *root)
{
    char *a = find_folder(root, default_annotations, 3);
    free(a);
    return a != NULL;
}

/* ---- the images below images/ ------------------------------------------------- */

typedef struct image_entry {
    char *rel;             /* below the images folder: "crazing/crazing_1.png" or "x.jpg" */
    const char *base;      /* its last component, inside rel */
    int used_by;           /* the annotation that took it, or -1 */
} image_entry;

typedef struct image_list {
    int n, cap;
    image_entry *items;
} image_list;

static void image_list_free(image_list *l)
{
    for (int i = 0; i < l->n; i++) free(l->items[i].rel);
    free(l->items);
    *l = (image_list){0};
}

static sg_err image_list_push(image_list *l, const char *rel)
{
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        image_entry *grown = realloc(l->items, (size_t)cap * sizeof *grown);
        if (!grown) return sg_error_set(SG_ERR_NOMEM, "out of memory for %d images", cap);
        l->items = grown;
        l->cap = cap;
    }
    char *copy = copy_string(rel);
    if (!copy) return SG_ERR_NOMEM;
    const char *slash = strrchr(copy, '/');
    l->items[l->n++] = (image_entry){copy, slash ? slash + 1 : copy, -1};
    return SG_OK;
}

/* By file name, then by the whole relative path. */
static int compare_entries(const void *a, const void *b)
{
    const image_entry *x = a, *y = b;
    int c = strcmp(x->base, y->base);
    return c ? c : strcmp(x->rel, y->rel);
}

/* Every file with an image name below dir/rel, each once; what cannot be
 * read (a dangling link, a FIFO, a second name of a listed file, a folder
 * loop) goes to ds->skipped named "<img_sub>/<rel>". */
static sg_err walk_images(const char *dir, const char *rel, const char *img_sub, int depth,
                          sg_file_ids *ids, sg_dataset *ds, image_list *out)
{
    char *here = rel[0] ? sg_path_join(dir, rel) : copy_string(dir);
    if (!here) return SG_ERR_NOMEM;
    bool first_visit;
    sg_err err = sg_file_ids_enter_folder(ids, here, &first_visit);
    if (err == SG_OK && !first_visit)
        err = sg_notes_add(&ds->skipped, "%s/%s/: folder already listed (a symbolic link loop or a "
                           "second link to it), not read again", img_sub, rel);
    sg_dir_listing l = {0};
    if (err == SG_OK && first_visit) err = sg_dir_list(here, &l);
    for (int i = 0; i < l.n_files && err == SG_OK; i++) {
        if (!sg_is_image_name(l.files[i])) continue;
        char *sub = rel[0] ? sg_path_join(rel, l.files[i]) : copy_string(l.files[i]);
        char *path = sub ? sg_path_join(dir, sub) : NULL;
        char *name = sub ? sg_path_join(img_sub, sub) : NULL;
        const char *why = NULL;
        int first = -1;
        if (!sub || !path || !name) err = SG_ERR_NOMEM;
        /* The sample is added later, when an annotation claims the image. */
        if (err == SG_OK) err = sg_file_ids_take(ids, path, out->n, &why, &first);
        if (err == SG_OK && !why) err = image_list_push(out, sub);
        else if (err == SG_OK && why[0]) err = sg_notes_add(&ds->skipped, "%s: %s", name, why);
        else if (err == SG_OK)
            err = sg_notes_add(&ds->skipped, "%s: same file as %s/%s (a link), counted once", name, img_sub,
                               first >= 0 && first < out->n ? out->items[first].rel : "?");
        free(sub);
        free(path);
        free(name);
    }
    for (int i = 0; i < l.n_dirs && err == SG_OK; i++) {
        char *sub = rel[0] ? sg_path_join(rel, l.dirs[i]) : copy_string(l.dirs[i]);
        if (!sub) err = SG_ERR_NOMEM;
        else if (depth + 1 > SG_DATASET_MAX_DEPTH)
            err = sg_notes_add(&ds->skipped, "%s/%s/: folder nested deeper than %d levels", img_sub, sub,
                               SG_DATASET_MAX_DEPTH);
        else
            err = walk_images(dir, sub, img_sub, depth + 1, ids, ds, out);
        free(sub);
    }
    sg_dir_listing_free(&l);
    free(here);
    return err;
}

/* The first entry whose file name is `base`, or -1. */
static int find_base(const image_list *images, const char *base)
{
    int lo = 0, hi = images->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (strcmp(images->items[mid].base, base) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < images->n && strcmp(images->items[lo].base, base) == 0 ? lo : -1;
}

/* Index of the image for an annotation, or -1. *by_stem says the
 * annotation's own name was needed. */
static int match_image(const image_list *images, const char *filename, const char *stem, bool *by_stem)
{
    static const char *const ext[] = {".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".ppm", ".pbm", ".pnm",
                                      ".tif", ".tiff", ".JPG", ".JPEG", ".PNG", ".BMP", ".PGM", ".PPM",
                                      ".PBM", ".PNM", ".TIF", ".TIFF"};
    const char *bases[2] = {filename, stem};
    for (int b = 0; b < 2; b++) {
        /* Only the last path component counts: tools write "C:\\data\\x.jpg" too. */
        const char *base = bases[b];
        for (const char *p = base; *p; p++)
            if (*p == '/' || *p == '\\') base = p + 1;
        if (!base[0]) continue;
        *by_stem = b == 1;
        int hit = find_base(images, base);
        if (hit >= 0) return hit;
        if (sg_is_image_name(base)) continue;
        for (size_t e = 0; e < sizeof ext / sizeof ext[0]; e++) {
            char candidate[1100];
            snprintf(candidate, sizeof candidate, "%s%s", base, ext[e]);
            if ((hit = find_base(images, candidate)) >= 0) return hit;
        }
    }
    return -1;
}

/* ---- annotations to samples ------------------------------------------------------ */

/* Add one parsed annotation as a sample of ds. The label is the class of the
 * first box; an image without boxes that lies in a sub-folder of images/
 * (synth's images/good/good_3.png) takes the folder's name as its class. */
static sg_err add_annotation(sg_dataset *ds, const sg_voc *voc, const char *image_sub, const char *image,
                             bool fixed, const char *xml_name)
{
    char *name = sg_path_join(image_sub, image);
    char *path = name ? sg_path_join(ds->root, name) : NULL;
    sg_err err = !name || !path ? SG_ERR_NOMEM : SG_OK;
    int s = -1;
    if (err == SG_OK) err = sg_dataset_add_sample(ds, path, name, -1, &s);
    for (int i = 0; i < voc->n_objects && err == SG_OK; i++) {
        const sg_voc_object *o = &voc->objects[i];
        int label;
        if (fixed) {
            err = sg_dataset_require_class(ds, o->name, xml_name, &label);
        } else {
            err = sg_dataset_intern_class(ds, o->name, &label);
        }
        if (err != SG_OK) break;
        if (i == 0) ds->samples[s].label = label;
        err = sg_dataset_add_box(ds, s, (sg_box){o->xmin, o->ymin, o->xmax, o->ymax, label, o->difficult});
    }
    const char *slash = strchr(image, '/');
    if (err == SG_OK && voc->n_objects == 0 && slash) {
        char folder[256];
        snprintf(folder, sizeof folder, "%.*s", (int)(slash - image), image);
        if (fixed) ds->samples[s].label = sg_dataset_class_index(ds, folder);
        else err = sg_dataset_intern_class(ds, folder, &ds->samples[s].label);
    }
    free(name);
    free(path);
    return err;
}

/* Match a parsed annotation to its image and add it, or list why not. */
static sg_err take_annotation(sg_dataset *ds, const sg_voc *voc, image_list *images, int a,
                              const sg_dir_listing *anns, const char *ann_sub, const char *img_sub,
                              const char *file, bool fixed, const char *xml_name)
{
    char stem[1024];
    snprintf(stem, sizeof stem, "%.*s", (int)(strlen(file) - 4), file);
    bool by_stem;
    int hit = match_image(images, voc->filename, stem, &by_stem);
    sg_err err = SG_OK;
    for (int w = 0; w < voc->warnings.count && err == SG_OK; w++)
        err = sg_notes_add(&ds->warnings, "%s", voc->warnings.items[w]);
    if (err != SG_OK) return err;
    if (hit < 0)
        return sg_notes_add(&ds->skipped, "%s: no image '%s' (or '%s' with an image extension) in %s/",
                            xml_name, voc->filename, stem, img_sub);
    image_entry *image = &images->items[hit];
    if (image->used_by >= 0)
        return sg_notes_add(&ds->skipped, "%s: image %s/%s is already annotated by %s/%s", xml_name,
                            img_sub, image->rel, ann_sub, anns->files[image->used_by]);
    if (by_stem && voc->filename[0])
        err = sg_notes_add(&ds->warnings, "%s: <filename> '%s' names no image; matched %s/%s by the "
                           "annotation's name", xml_name, voc->filename, img_sub, image->rel);
    image->used_by = a;
    if (err == SG_OK) err = add_annotation(ds, voc, img_sub, image->rel, fixed, xml_name);
    return err;
}

sg_err sg_dataset_from_voc(const char *root, const sg_voc_options *opt, sg_dataset *out)
{
    sg_voc_options defaults = {0};
    if (!opt) opt = &defaults;
    sg_err err = sg_dataset_init(out, root);
    if (err != SG_OK) return err;
    char *ann_sub = opt->annotations_dir ? copy_string(opt->annotations_dir)
                                         : find_folder(root, default_annotations, 3);
    char *img_sub = opt->images_dir ? copy_string(opt->images_dir) : find_folder(root, default_images, 3);
    char *ann_dir = NULL, *img_dir = NULL;
    sg_dir_listing anns = {0};
    image_list images = {0};
    sg_file_ids *ids = NULL;
    if (!ann_sub || !img_sub) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: not a VOC data set (expected folders %s and %s)", root,
                           ann_sub ? ann_sub : "annotations/ (or Annotations/)",
                           img_sub ? img_sub : "images/ (or JPEGImages/)");
        goto done;
    }
    ann_dir = sg_path_join(root, ann_sub);
    img_dir = sg_path_join(root, img_sub);
    ids = sg_file_ids_new();
    if (!ann_dir || !img_dir || !ids) {
        err = SG_ERR_NOMEM;
        goto done;
    }
    if ((err = sg_dir_list(ann_dir, &anns)) != SG_OK) goto done;
    if ((err = walk_images(img_dir, "", img_sub, 0, ids, out, &images)) != SG_OK) goto done;
    if (images.n > 1) qsort(images.items, (size_t)images.n, sizeof *images.items, compare_entries);
    for (int c = 0; c < opt->n_classes && err == SG_OK; c++) err = sg_dataset_add_class(out, opt->classes[c], NULL);
    for (int a = 0; a < anns.n_files && err == SG_OK; a++) {
        const char *file = anns.files[a];
        size_t n = strlen(file);
        char *xml_name = sg_path_join(ann_sub, file);
        if (!xml_name) {
            err = SG_ERR_NOMEM;
            break;
        }
        if (n < 5 || strcasecmp(file + n - 4, ".xml") != 0) {
            err = sg_notes_add(&out->skipped, "%s: not an .xml annotation", xml_name);
            free(xml_name);
            continue;
        }
        /* Parsed under its name relative to root, so messages read "annotations/x.xml: ...". */
        char *xml_path = sg_path_join(ann_dir, file), *text = NULL;
        size_t len;
        sg_voc voc;
        err = xml_path ? sg_file_read_all(xml_path, VOC_MAX_BYTES, &text, &len) : SG_ERR_NOMEM;
        if (err == SG_OK) err = sg_voc_parse(text, len, xml_name, &voc);
        free(text);
        free(xml_path);
        if (err == SG_ERR_FORMAT || err == SG_ERR_IO || err == SG_ERR_LIMIT) {
            /* One broken file does not sink the data set; it is listed instead. */
            err = sg_notes_add(&out->skipped, "%s", sg_error_message());
        } else if (err == SG_OK) {
            err = take_annotation(out, &voc, &images, a, &anns, ann_sub, img_sub, file, opt->n_classes > 0,
                                  xml_name);
            sg_voc_free(&voc);
        }
        free(xml_name);
    }
    /* Unclaimed images, in file-name order. */
    for (int i = 0; i < images.n && err == SG_OK; i++)
        if (images.items[i].used_by < 0)
            err = sg_notes_add(&out->skipped, "%s/%s: no annotation", img_sub, images.items[i].rel);
    if (err == SG_OK && opt->n_classes == 0) err = sg_dataset_sort_classes(out);
done:
    sg_file_ids_free(ids);
    sg_dir_listing_free(&anns);
    image_list_free(&images);
    free(ann_sub);
    free(img_sub);
    free(ann_dir);
    free(img_dir);
    if (err != SG_OK) sg_dataset_free(out);
    return err;
}
