/* data/synth_write.c - a synthetic data set on disk (sg_synth_write, see synth.h).
 *
 * Layout (the class folders are what torchvision's ImageFolder reads; the
 * annotations copy NEU-DET's Pascal VOC files field for field):
 *   images/<class>/<class>_<k>.png   masks/<class>_<k>.png
 *   annotations/<class>_<k>.xml      manifest.csv   README.txt
 * Samples are independent, so they are generated and written in parallel,
 * one sample per chunk; each file's bytes depend only on (options, seed,
 * class, k). The whole set is built in a temporary folder beside the target
 * and renamed into place once complete (sg_synth_write, at the end). */
#define _XOPEN_SOURCE 700  /* realpath() is an XSI extension of POSIX.1-2008 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fileio.h"
#include "core/pool.h"
#include "data/image.h"
#include "data/synth.h"

enum { MAX_PER_CLASS = 1000000 };

/* A malloc'd printf; NULL when out of memory. */
static char *format_alloc(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *format_alloc(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = n < 0 ? NULL : malloc((size_t)n + 1);
    if (!s) return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* Append to a fixed buffer; false once it would overflow. */
typedef struct text_buffer {
    char *data;
    size_t len, cap;
} text_buffer;

static bool append(text_buffer *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool append(text_buffer *t, const char *fmt, ...)
{
    if (t->len >= t->cap) return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->data + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= t->cap - t->len) {
        t->len = t->cap;
        return false;
    }
    t->len += (size_t)n;
    return true;
}

/* The VOC annotation of one sample, laid out like NEU-DET's files (tab
 * indents, no XML declaration), with 1-based inclusive box corners. */
static sg_err write_annotation(const char *path, const char *class_name, const char *file_name,
                               int size, const sg_box *boxes, int n_boxes)
{
    char data[2048 + SG_SYNTH_MAX_BOXES * 256];
    text_buffer t = {data, 0, sizeof data};
    append(&t, "<annotation>\n\t<folder>%s</folder>\n\t<filename>%s</filename>\n"
               "\t<source>\n\t\t<database>steelgrad synth</database>\n\t</source>\n"
               "\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n\t\t<depth>1</depth>\n"
               "\t</size>\n\t<segmented>0</segmented>\n",
           class_name, file_name, size, size);
    for (int i = 0; i < n_boxes; i++)
        append(&t, "\t<object>\n\t\t<name>%s</name>\n\t\t<pose>Unspecified</pose>\n"
                   "\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n"
                   "\t\t<bndbox>\n\t\t\t<xmin>%d</xmin>\n\t\t\t<ymin>%d</ymin>\n"
                   "\t\t\t<xmax>%d</xmax>\n\t\t\t<ymax>%d</ymax>\n\t\t</bndbox>\n\t</object>\n",
               class_name, (int)boxes[i].xmin, (int)boxes[i].ymin, (int)boxes[i].xmax,
               (int)boxes[i].ymax);
    if (!append(&t, "</annotation>\n"))
        return sg_error_set(SG_ERR_LIMIT, "synth: annotation '%s' is too long", path);
    return sg_file_write_atomic(path, data, t.len);
}

typedef struct write_job {
    const char *out_dir;
    const sg_synth_opts *o;
    uint64_t seed;
    int per_class;
    int classes[SG_SYNTH_CLASSES], n_classes;
    atomic_int failed;               /* set on the first failure: stop early */
    pthread_mutex_t lock;            /* guards the failure record below */
    int64_t failed_sample;           /* the lowest failing sample, reported */
    sg_err err;
    char message[1024];
} write_job;

static void record_failure(write_job *job, int64_t sample, sg_err err)
{
    pthread_mutex_lock(&job->lock);
    if (sample < job->failed_sample) {
        job->failed_sample = sample;
        job->err = err;
        snprintf(job->message, sizeof job->message, "%s", sg_error_message());
    }
    pthread_mutex_unlock(&job->lock);
    atomic_store(&job->failed, 1);
}

/* Generate sample `i` (class classes[i / per_class], k = i % per_class) and
 * write its image, mask and annotation. */
static sg_err write_one(write_job *job, int64_t i, uint8_t *pixels, uint8_t *mask)
{
    int class_id = job->classes[i / job->per_class], size = job->o->size;
    uint64_t k = (uint64_t)(i % job->per_class);
    const char *name = sg_synth_class_names[class_id];
    sg_box boxes[SG_SYNTH_MAX_BOXES];
    int n_boxes = 0;
    sg_err err = sg_synth_sample(job->o, job->seed, k, class_id, pixels, mask, boxes,
                                 SG_SYNTH_MAX_BOXES, &n_boxes);
    if (err != SG_OK) return err;

    char *file_name = format_alloc("%s_%llu.png", name, (unsigned long long)k);
    char *image_path = format_alloc("%s/images/%s/%s", job->out_dir, name, file_name ? file_name : "");
    char *mask_path = format_alloc("%s/masks/%s", job->out_dir, file_name ? file_name : "");
    char *xml_path = format_alloc("%s/annotations/%s_%llu.xml", job->out_dir, name,
                                  (unsigned long long)k);
    if (!file_name || !image_path || !mask_path || !xml_path)
        err = sg_error_set(SG_ERR_NOMEM, "synth: out of memory for file names");
    sg_image image = {size, size, 1, 8, pixels};
    if (err == SG_OK) err = sg_png_write(image_path, &image);
    image.pixels = mask;
    if (err == SG_OK) err = sg_png_write(mask_path, &image);
    if (err == SG_OK) err = write_annotation(xml_path, name, file_name, size, boxes, n_boxes);
    free(file_name);
    free(image_path);
    free(mask_path);
    free(xml_path);
    return err;
}

static void write_range(void *ctx, int64_t begin, int64_t end)
{
    write_job *job = ctx;
    size_t n = (size_t)job->o->size * (size_t)job->o->size;
    uint8_t *pixels = malloc(2 * n);
    if (!pixels) {
        record_failure(job, begin, sg_error_set(SG_ERR_NOMEM, "synth: out of memory for an image"));
        return;
    }
    for (int64_t i = begin; i < end && !atomic_load(&job->failed); i++) {
        sg_err err = write_one(job, i, pixels, pixels + n);
        if (err != SG_OK) record_failure(job, i, err);
    }
    free(pixels);
}

/* path,label,split with the split left empty (no split is implied). */
static sg_err write_manifest(const write_job *job)
{
    size_t cap = 64 + (size_t)job->n_classes * (size_t)job->per_class * 96;
    char *data = malloc(cap);
    if (!data) return sg_error_set(SG_ERR_NOMEM, "synth: out of memory for the manifest");
    text_buffer t = {data, 0, cap};
    append(&t, "path,label,split\n");
    for (int c = 0; c < job->n_classes; c++) {
        const char *name = sg_synth_class_names[job->classes[c]];
        for (int k = 0; k < job->per_class; k++)
            append(&t, "images/%s/%s_%d.png,%s,\n", name, name, k, name);
    }
    char *path = format_alloc("%s/manifest.csv", job->out_dir);
    sg_err err = !path ? sg_error_set(SG_ERR_NOMEM, "synth: out of memory")
                 : t.len >= t.cap ? sg_error_set(SG_ERR_LIMIT, "synth: manifest overflow")
                                  : sg_file_write_atomic(path, data, t.len);
    free(path);
    free(data);
    return err;
}

static sg_err write_readme(const write_job *job)
{
    char data[4096], list[256] = "";
    text_buffer t = {data, 0, sizeof data}, l = {list, 0, sizeof list};
    for (int c = 0; c < job->n_classes; c++)
        append(&l, "%s%s", c ? ", " : "", sg_synth_class_names[job->classes[c]]);
    append(&t,
           "Synthetic steel-surface defect images made by `steelgrad synth`.\n\n"
           "seed %llu, %d images per class, %dx%d pixels, 8-bit gray,\n"
           "rolling direction %s; classes: %s.\n"
           "The same seed and options give the same bytes on any number of threads.\n\n"
           "images/<class>/<class>_<k>.png   the images, one folder per class (ImageFolder layout)\n"
           "annotations/<class>_<k>.xml      Pascal VOC boxes (1-based, inclusive), one <object> per\n"
           "                                 defect instance, each at least 2x2 pixels; every image\n"
           "                                 has one, and a \"good\" image's has no <object>\n"
           "masks/<class>_<k>.png            255 where a defect changed the surface, else 0\n"
           "manifest.csv                     path,label,split (label = class name; split empty)\n\n"
           "%d images in all (k = 0..%d in each class). `steelgrad data inspect` and\n"
           "`steelgrad data split` read this folder as it is (VOC annotations matched to\n"
           "images/<class>/; an image without boxes takes its folder's class), and\n"
           "manifest.csv lists the same images.\n\n"
           "Labels by name: crazing, inclusion, patches, pitted_surface, rolled-in_scale and\n"
           "scratches resemble the six classes of the NEU surface defect database (Song & Yan,\n"
           "2013); good has no defect. ImageFolder numbers the folders in sorted order, so match\n"
           "classes by name.\n",
           (unsigned long long)job->seed, job->per_class, job->o->size, job->o->size,
           job->o->horizontal_rolling ? "horizontal (x)" : "vertical (y)", list,
           job->n_classes * job->per_class, job->per_class - 1);
    char *path = format_alloc("%s/README.txt", job->out_dir);
    sg_err err = !path ? sg_error_set(SG_ERR_NOMEM, "synth: out of memory")
                 : t.len >= t.cap ? sg_error_set(SG_ERR_LIMIT, "synth: README overflow")
                                  : sg_file_write_atomic(path, data, t.len);
    free(path);
    return err;
}

/* images/<class> for each class, annotations, masks. */
static sg_err make_folders(const write_job *job)
{
    sg_err err = SG_OK;
    for (int c = 0; c <= job->n_classes && err == SG_OK; c++) {
        char *path = c < job->n_classes
                         ? format_alloc("%s/images/%s", job->out_dir, sg_synth_class_names[job->classes[c]])
                         : format_alloc("%s/annotations", job->out_dir);
        err = path ? sg_mkdir_p(path) : sg_error_set(SG_ERR_NOMEM, "synth: out of memory");
        free(path);
    }
    if (err != SG_OK) return err;
    char *path = format_alloc("%s/masks", job->out_dir);
    err = path ? sg_mkdir_p(path) : sg_error_set(SG_ERR_NOMEM, "synth: out of memory");
    free(path);
    return err;
}

/* ---- building beside the target, then renaming into place ------------------ */

/* Remove a tree this process made (the temporary folder): no link is
 * followed, each entry is unlinked or recursed into. Best effort. */
static void remove_own_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
                char *sub = format_alloc("%s/%s", path, e->d_name);
                if (sub) remove_own_tree(sub);
                free(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Entries of a folder other than . and ..; -1 if it cannot be read. */
static int count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* Messages set while writing name the temporary folder; the user knows
 * only their own path: say that instead. */
static void name_the_users_folder(sg_err err, const char *tmp, const char *out_dir)
{
    char message[2048];
    snprintf(message, sizeof message, "%s", sg_error_message());
    const char *at = strstr(message, tmp);
    if (!at) return;
    sg_error_set(err, "%.*s%s%s", (int)(at - message), message, out_dir, at + strlen(tmp));
}

/* Everything into `dir`, which exists and is empty. */
static sg_err write_all(const char *dir, const sg_synth_opts *o, int per_class, uint64_t seed)
{
    write_job job = {.out_dir = dir, .o = o, .seed = seed, .per_class = per_class,
                     .failed_sample = INT64_MAX};
    for (int c = 0; c < SG_SYNTH_CLASSES; c++)
        if (o->classes & (1u << c)) job.classes[job.n_classes++] = c;
    atomic_init(&job.failed, 0);
    sg_err err = make_folders(&job);
    if (err != SG_OK) return err;

    pthread_mutex_init(&job.lock, NULL);
    sg_parallel_for((int64_t)job.n_classes * per_class, 1, write_range, &job);
    pthread_mutex_destroy(&job.lock);
    /* The message was set on a worker thread: set it again on this one. */
    if (atomic_load(&job.failed)) return sg_error_set(job.err, "%s", job.message);

    err = write_manifest(&job);
    if (err == SG_OK) err = write_readme(&job);
    return err;
}

/* The absolute name a folder that does not exist yet will have: its parent
 * (made if missing) resolved, then its last component. */
static sg_err resolve_new_folder(const char *out_dir, char **target)
{
    *target = NULL;
    char *copy = format_alloc("%s", out_dir);
    if (!copy) return sg_error_set(SG_ERR_NOMEM, "synth: out of memory");
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') copy[--n] = '\0';
    char *slash = strrchr(copy, '/');
    const char *parent = !slash ? "." : slash == copy ? "/" : copy;
    const char *base = slash ? slash + 1 : copy;
    if (slash && slash != copy) *slash = '\0';
    sg_err err = sg_mkdir_p(parent);
    char *real_parent = err == SG_OK ? realpath(parent, NULL) : NULL;
    if (err == SG_OK && !real_parent)
        err = sg_error_set(SG_ERR_IO, "synth: cannot resolve '%s': %s", out_dir, strerror(errno));
    if (err == SG_OK) {
        bool root = strcmp(real_parent, "/") == 0;
        *target = format_alloc("%s/%s", root ? "" : real_parent, base);
        if (!*target) err = sg_error_set(SG_ERR_NOMEM, "synth: out of memory");
    }
    free(real_parent);
    free(copy);
    return err;
}

static sg_err write_in_place(const char *out_dir, const char *name, const sg_synth_opts *o, int per_class,
                             uint64_t seed);

sg_err sg_synth_write(const char *out_dir, const sg_synth_opts *o, int per_class, uint64_t seed)
{
    if (!out_dir || !*out_dir || !o)
        return sg_error_set(SG_ERR_INVALID, "synth: no output folder or options");
    if (o->size < SG_SYNTH_MIN_SIZE || o->size > SG_SYNTH_MAX_SIZE)
        return sg_error_set(SG_ERR_INVALID, "synth: image size %d is outside %d..%d", o->size,
                            SG_SYNTH_MIN_SIZE, SG_SYNTH_MAX_SIZE);
    if (per_class < 1 || per_class > MAX_PER_CLASS)
        return sg_error_set(SG_ERR_INVALID, "synth: %d images per class is outside 1..%d",
                            per_class, MAX_PER_CLASS);
    if (o->classes == 0 || (o->classes >> SG_SYNTH_CLASSES) != 0)
        return sg_error_set(SG_ERR_INVALID, "synth: class set 0x%x names no class or one beyond %d",
                            (unsigned)o->classes, SG_SYNTH_CLASSES - 1);

    /* Messages name the folder as the user wrote it, without trailing '/'. */
    char *user_name = format_alloc("%s", out_dir);
    if (!user_name) return sg_error_set(SG_ERR_NOMEM, "synth: out of memory");
    for (size_t n = strlen(user_name); n > 1 && user_name[n - 1] == '/';) user_name[--n] = '\0';
    sg_err result = write_in_place(out_dir, user_name, o, per_class, seed);
    free(user_name);
    return result;
}

/* sg_synth_write after the checks of its arguments; messages say `name`. */
static sg_err write_in_place(const char *out_dir, const char *name, const sg_synth_opts *o, int per_class,
                             uint64_t seed)
{
    /* The target: absent, an empty folder, or (with force) a folder to move aside. */
    struct stat st;
    bool exists = stat(out_dir, &st) == 0, replace = false;
    if (exists && !S_ISDIR(st.st_mode))
        return sg_error_set(SG_ERR_IO, "'%s' exists and is not a folder", name);
    if (exists) {
        int n = count_entries(out_dir);
        if (n < 0) return sg_error_set(SG_ERR_IO, "cannot read folder '%s': %s", name, strerror(errno));
        if (n > 0 && !o->force)
            return sg_error_set(SG_ERR_INVALID, "'%s' is not empty (%d entr%s); choose a new folder, or "
                                "--force to move it to '%s.old'", name, n, n == 1 ? "y" : "ies",
                                name);
        replace = n > 0;
    }
    /* Resolve the name (no trailing '/', links followed) so the temporary
     * folder is made beside the real target, on its file system. */
    char *target = NULL, *old = NULL, *tmp = NULL;
    sg_err err = exists ? SG_OK : resolve_new_folder(out_dir, &target);
    if (err != SG_OK) return err;
    if (exists) target = realpath(out_dir, NULL);
    if (!target) return sg_error_set(SG_ERR_IO, "cannot resolve '%s': %s", name, strerror(errno));
    const char *base = strrchr(target, '/') + 1;
    if (!*base || strcmp(base, ".") == 0 || strcmp(base, "..") == 0) {
        err = sg_error_set(SG_ERR_INVALID, "'%s' cannot be replaced (the root folder)", name);
        goto done;
    }
    if (replace) {
        old = format_alloc("%s.old", target);
        if (!old) err = sg_error_set(SG_ERR_NOMEM, "synth: out of memory");
        else if (lstat(old, &st) == 0)
            err = sg_error_set(SG_ERR_IO, "--force keeps the old '%s' as '%s.old', but that exists: "
                               "remove or rename it first", name, name);
        if (err != SG_OK) goto done;
    }
    /* The temporary folder, beside the target: ".<name>.synth-<pid>[-k]". */
    for (int k = 0; k < 100 && !tmp; k++) {
        tmp = k ? format_alloc("%.*s.%s.synth-%ld-%d", (int)(base - target), target, base, (long)getpid(), k)
                : format_alloc("%.*s.%s.synth-%ld", (int)(base - target), target, base, (long)getpid());
        if (!tmp) break;
        if (mkdir(tmp, 0777) != 0) {
            int e = errno;
            free(tmp);
            tmp = NULL;
            if (e != EEXIST) {
                err = sg_error_set(SG_ERR_IO, "cannot write in the folder of '%s': %s", name, strerror(e));
                goto done;
            }
        }
    }
    if (!tmp) {
        err = sg_error_set(SG_ERR_IO, "cannot make a temporary folder beside '%s'", name);
        goto done;
    }
    err = write_all(tmp, o, per_class, seed);
    if (err != SG_OK) {
        name_the_users_folder(err, tmp, name);
        remove_own_tree(tmp);
        goto done;
    }
    /* Into place. rename() replaces an empty folder; a full one is moved
     * aside first, and moved back if the second rename fails. */
    if (replace && rename(target, old) != 0) {
        err = sg_error_set(SG_ERR_IO, "cannot move '%s' to '%s.old': %s", name, name, strerror(errno));
    } else if (rename(tmp, target) != 0) {
        int e = errno;
        if (replace) (void)rename(old, target);
        err = sg_error_set(SG_ERR_IO, "cannot rename the finished data set to '%s': %s", name,
                           strerror(e));
    }
    if (err != SG_OK) remove_own_tree(tmp);
done:
    free(tmp);
    free(old);
    free(target);
    return err;
}
