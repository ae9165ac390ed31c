/* data/synth_write.c - a synthetic data set on disk (sg_synth_write, see synth.h).
 *
 * Layout (the class folders are what torchvision's ImageFolder reads; the
 * annotations copy NEU-DET's Pascal VOC files field for field):
 *   images/<class>/<class>_<k>.png   masks/<class>_<k>.png
 *   annotations/<class>_<k>.xml      manifest.csv   README.txt
 * Samples are independent, so they are generated and written in parallel,
 * one sample per chunk; each file is written atomically (temporary file and
 * rename) and its bytes depend only on (options, seed, class, k). */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
           "annotations/<class>_<k>.xml      Pascal VOC boxes (1-based, inclusive), one object per\n"
           "                                 defect instance; none for \"good\"\n"
           "masks/<class>_<k>.png            255 where a defect changed the surface, else 0\n"
           "manifest.csv                     path,label,split (label = class name; split empty)\n\n"
           "Labels by name: crazing, inclusion, patches, pitted_surface, rolled-in_scale and\n"
           "scratches resemble the six classes of the NEU surface defect database (Song & Yan,\n"
           "2013); good has no defect. ImageFolder numbers the folders in sorted order, so match\n"
           "classes by name.\n",
           (unsigned long long)job->seed, job->per_class, job->o->size, job->o->size,
           job->o->horizontal_rolling ? "horizontal (x)" : "vertical (y)", list);
    char *path = format_alloc("%s/README.txt", job->out_dir);
    sg_err err = path ? sg_file_write_atomic(path, data, t.len)
                      : sg_error_set(SG_ERR_NOMEM, "synth: out of memory");
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

    write_job job = {.out_dir = out_dir, .o = o, .seed = seed, .per_class = per_class,
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
