/* data/dataset.h - a labelled list of image files, and the class-folder reader.
 *
 * A data set is what every reader produces and every consumer (splits, the
 * loader, `steelgrad data`) takes: class names in label order, and samples,
 * each a file path, a class label, a split (train / val / test, or none), an
 * optional group key (items that must share a split) and optional boxes.
 * Three readers fill it: class folders (here), Pascal VOC XML (data/voc.h)
 * and a CSV manifest (data/csv.h).
 *
 * Class folders follow torchvision's ImageFolder
 * (https://pytorch.org/vision/stable/generated/torchvision.datasets.ImageFolder.html):
 *   root/<class>/.../<file>
 * class names are the sub-folder names sorted byte-wise (Python's sorted() on
 * str, which is code-point order = byte order for UTF-8), label = position in
 * that list; inside a class folder the files are walked like
 * sorted(os.walk(class_dir)) then sorted(file names), so nested folders are
 * included and the order matches torchvision's file for file. Two deliberate
 * differences: hidden entries (names starting with '.') are ignored - a
 * ".ipynb_checkpoints" folder is not a class - and files whose extension is
 * not an image one are listed in `skipped` with the reason instead of being
 * silently dropped. */
#ifndef SG_DATASET_H
#define SG_DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

/* Which part of a split a sample belongs to. */
enum { SG_SPLIT_NONE = 0, SG_SPLIT_TRAIN = 1, SG_SPLIT_VAL = 2, SG_SPLIT_TEST = 3 };

/* A growable list of one-line messages (skipped files, warnings). */
typedef struct sg_notes {
    int count, cap;
    char **items;
} sg_notes;
/* Append a printf-formatted line; SG_ERR_NOMEM on failure. */
sg_err sg_notes_add(sg_notes *notes, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sg_notes_free(sg_notes *notes);

/* An axis-aligned box in pixel coordinates, as the annotation wrote them
 * (Pascal VOC: 1-based, inclusive). */
typedef struct sg_box {
    float xmin, ymin, xmax, ymax;
    int label;             /* class index */
    bool difficult;        /* VOC <difficult>1</difficult> */
} sg_box;

typedef struct sg_sample {
    char *path;            /* the file to open (the root or manifest folder joined with name) */
    char *name;            /* relative to the data set root: messages, manifests, group keys */
    int label;             /* class index, or -1 when unknown */
    int split;             /* SG_SPLIT_* */
    char *group;           /* NULL, or a key: samples with equal keys go to the same split */
    int n_boxes, cap_boxes;
    sg_box *boxes;
} sg_sample;

typedef struct sg_dataset {
    char *root;            /* the folder sample names are relative to */
    int n_classes;
    char **class_names;    /* label order */
    int n_samples, cap_samples;
    sg_sample *samples;
    sg_notes skipped;      /* files that were not taken, "name: reason" */
    sg_notes warnings;     /* problems tolerated or repaired (e.g. a clamped box) */
} sg_dataset;

typedef struct sg_folder_options {
    /* A class folder without image files is an error by default (as in
     * torchvision: a class that can never be seen breaks class weights and
     * metrics); `steelgrad data inspect` sets this to report it instead. */
    bool allow_empty_classes;
} sg_folder_options;

/* Nesting limit inside a class folder. */
enum { SG_DATASET_MAX_DEPTH = 16 };

/* Read root/<class>/.../<image>. Errors name the folder: SG_ERR_IO (cannot
 * open), SG_ERR_FORMAT (no class folders, an empty class). opt may be NULL.
 * Each file is taken once (see sg_dataset_take_file); a folder reached a
 * second time through a symbolic link (a loop) is listed in `skipped` and
 * not read again. */
sg_err sg_dataset_from_folders(const char *root, const sg_folder_options *opt, sg_dataset *out);
void sg_dataset_free(sg_dataset *ds);

/* Any data set by its path, as every command reads one: a file ending in
 * .csv is a manifest (data/csv.h), a folder with an annotations/ folder is a
 * VOC set (data/voc.h: NEU-DET, or what `steelgrad synth` writes), anything
 * else class folders. *kind (may be NULL) = "CSV manifest", "VOC annotations"
 * or "class folders". Errors as the reader's. */
sg_err sg_dataset_open(const char *path, bool allow_empty_classes, const char **kind, sg_dataset *out);

/* True for .bmp .pgm .ppm .pbm .pnm .png .jpg .jpeg .tif .tiff, any letter case. */
bool sg_is_image_name(const char *name);

/* Class index of `name`, or -1. */
int sg_dataset_class_index(const sg_dataset *ds, const char *name);
/* Same, but an unknown name is SG_ERR_INVALID: "<where>: unknown class folder
 * 'x' (the data set's classes are: a, b, c)". */
sg_err sg_dataset_require_class(const sg_dataset *ds, const char *name, const char *where,
                                int *index);

/* Building a data set (used by the readers). root may be NULL. */
sg_err sg_dataset_init(sg_dataset *ds, const char *root);
/* Append a class (no check for duplicates); *index = its label. */
sg_err sg_dataset_add_class(sg_dataset *ds, const char *name, int *index);
/* Index of `name`, appending it if new. */
sg_err sg_dataset_intern_class(sg_dataset *ds, const char *name, int *index);
/* Append a sample; *index (may be NULL) = its position. path and name are copied. */
sg_err sg_dataset_add_sample(sg_dataset *ds, const char *path, const char *name, int label,
                             int *index);
sg_err sg_dataset_add_box(sg_dataset *ds, int sample, sg_box box);
/* Replace a sample's group key (NULL clears it). */
sg_err sg_dataset_set_group(sg_dataset *ds, int sample, const char *group);
/* Sort the class names byte-wise and renumber sample and box labels to match,
 * so a data set whose classes were collected in reading order gets the
 * ImageFolder convention. */
sg_err sg_dataset_sort_classes(sg_dataset *ds);

/* counts[c] = samples with label c (n_classes entries; labels < 0 ignored). */
void sg_dataset_class_counts(const sg_dataset *ds, int64_t *counts);
/* counts[c] = boxes with label c over all samples. */
void sg_dataset_box_counts(const sg_dataset *ds, int64_t *counts);

/* The visible entries of a folder (names not starting with '.'), sorted
 * byte-wise, folders and everything else apart. An entry whose stat fails (a
 * dangling link) counts as a file, so it is reported rather than vanishes.
 * SG_ERR_IO naming the folder if it cannot be read. */
typedef struct sg_dir_listing {
    int n_dirs, n_files;
    char **dirs, **files;
} sg_dir_listing;
sg_err sg_dir_list(const char *dir, sg_dir_listing *out);
void sg_dir_listing_free(sg_dir_listing *l);

/* Each file once, for readers that walk folders. A set of files and
 * folders already seen, by device and inode. */
typedef struct sg_file_ids sg_file_ids;
/* NULL with SG_ERR_NOMEM set when out of memory. */
sg_file_ids *sg_file_ids_new(void);
void sg_file_ids_free(sg_file_ids *ids);
/* Add the file `path` as a sample (name, label) if it is a regular file not
 * seen before (*taken = true); otherwise list it in ds->skipped with the
 * reason: "broken symbolic link", "symbolic link loop", "not a regular file"
 * (a FIFO, socket or device, never opened), or "same file as <name> (a
 * link), counted once". Fails only when out of memory. */
sg_err sg_dataset_take_file(sg_dataset *ds, sg_file_ids *ids, const char *path, const char *name,
                            int label, bool *taken);
/* The check behind sg_dataset_take_file, for walkers that keep their own
 * lists. *why = NULL: path is a regular file not seen before, now remembered
 * with `owner`. *why = a reason ("broken symbolic link (...)", "symbolic link
 * loop", "not a regular file", strerror): skip it. *why = "": a second name of
 * a file remembered with owner *first. Fails only when out of memory. */
sg_err sg_file_ids_take(sg_file_ids *ids, const char *path, int owner, const char **why, int *first);
/* Remember the folder `path`; *first_visit is false if it was seen before:
 * a walker that follows links skips it then (one that cannot be stat'ed
 * counts as a first visit, so the listing reports the error). */
sg_err sg_file_ids_enter_folder(sg_file_ids *ids, const char *path, bool *first_visit);

/* "dir/name" (no doubled '/'), malloc'd; NULL with SG_ERR_NOMEM set. An
 * absolute name is returned as is. */
char *sg_path_join(const char *dir, const char *name);

#endif
