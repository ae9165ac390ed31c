/* data/loader.c - the batch loader (see loader.h).
 *
 * Slots: `prefetch` batch buffers in a ring; batch b lives in slot
 * b % prefetch. Workers fill batches in order as slots come free; the
 * consumer takes them in order and frees a slot when it asks for the next
 * batch. One mutex guards the ring; two condition variables wake workers
 * (a slot came free, a new epoch) and the consumer (a batch is ready). */
#include "data/loader.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "data/image.h"

typedef struct slot {
    float *images;
    int32_t *labels;
    int64_t *indices;
    int n;
    int64_t batch;        /* the batch it holds or is being filled with; -1 = free */
    bool ready;
    sg_err err;
    char message[512];
} slot;

/* Growable per-thread buffers: they grow while the first images are seen. */
typedef struct scratch {
    float *image, *resized;
    void *work;
    size_t image_cap, resized_cap, work_cap;
} scratch;

struct sg_loader {
    sg_loader_opts o;
    sg_augment_opts augment;
    bool has_augment, normalise;
    float mean[3], inv_std[3];
    int64_t n, n_batches, sample_floats;
    char **paths;
    int32_t *labels;
    sg_image *cache;      /* decoded, in the requested channels; pixels NULL until seen */
    int64_t *order;

    pthread_mutex_t mu;
    pthread_cond_t work_cv, ready_cv;
    slot *slots;
    int n_slots;
    slot *taken;          /* the slot the consumer holds */
    int64_t epoch, next_fill, next_take;
    bool epoch_open, stop;
    int busy;             /* workers filling a slot right now */
    pthread_t *threads;
    int n_threads;
    scratch *scratches;   /* one per worker, plus one for the consumer */
};

static bool grow(void **buf, size_t *cap, size_t bytes)
{
    if (*cap >= bytes) return true;
    void *p = realloc(*buf, bytes);
    if (!p) return false;
    *buf = p;
    *cap = bytes;
    return true;
}

/* The decoded image of sample `index` in the loader's channel count. */
static sg_err decoded(sg_loader *l, int64_t index, sg_image *out, bool *owned)
{
    *owned = false;
    if (l->cache[index].pixels) {
        *out = l->cache[index];
        return SG_OK;
    }
    sg_image raw;
    sg_err err = sg_image_read(l->paths[index], NULL, &raw);
    if (err != SG_OK) return err;
    if (raw.depth == 16 && !l->o.keep_depth) {
        sg_image small;
        int w = raw.width, h = raw.height;
        err = sg_image_to_8bit(&raw, &small);
        sg_image_free(&raw);
        if (err != SG_OK)
            return sg_error_set(err, "%s: out of memory reducing a %d x %d image to 8 bits", l->paths[index],
                                w, h);
        raw = small;
    }
    if (raw.channels != l->o.channels) {
        sg_image conv;
        err = l->o.channels == 1 ? sg_image_to_gray(&raw, &conv) : sg_image_to_rgb(&raw, &conv);
        sg_image_free(&raw);
        if (err != SG_OK)
            return sg_error_set(err, "%s: cannot convert to %d channels: %s", l->paths[index],
                                l->o.channels, sg_error_message());
        raw = conv;
    }
    if (l->o.no_cache) *owned = true;
    else l->cache[index] = raw;  /* each index is built by one thread per epoch */
    *out = raw;
    return SG_OK;
}

static sg_err build_sample(sg_loader *l, scratch *s, int64_t epoch, int64_t position,
                           int64_t index, float *out)
{
    sg_image img;
    bool owned;
    sg_err err = decoded(l, index, &img, &owned);
    if (err != SG_OK) return err;
    int C = l->o.channels, H = l->o.height, W = l->o.width;
    size_t full = sg_fimage_numel(C, img.height, img.width) * sizeof(float);
    size_t sized = sg_fimage_numel(C, H, W) * sizeof(float);
    bool resize = img.height != H || img.width != W;
    size_t work = resize ? sg_resize_scratch_bytes(C, img.height, img.width, H, W, l->o.resize) : 0;
    if (l->has_augment && sg_augment_scratch_bytes(C, H, W) > work) work = sg_augment_scratch_bytes(C, H, W);
    if (!grow((void **)&s->image, &s->image_cap, full) || !grow((void **)&s->resized, &s->resized_cap, sized) ||
        !grow(&s->work, &s->work_cap, work ? work : 1)) {
        if (owned) sg_image_free(&img);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for a %d x %d image", l->paths[index],
                            img.width, img.height);
    }
    sg_fimage src = sg_fimage_view(C, img.height, img.width, s->image);
    err = sg_fimage_from_image(&img, &src);
    if (owned) sg_image_free(&img);
    sg_fimage sized_img = sg_fimage_view(C, H, W, l->has_augment ? s->resized : out);
    if (err == SG_OK && resize) err = sg_fimage_resize(&src, &sized_img, l->o.resize, s->work);
    else if (err == SG_OK) memcpy(sized_img.data, src.data, sized);
    if (err == SG_OK && l->has_augment) {
        sg_fimage dst = sg_fimage_view(C, H, W, out);
        sg_rng_key key = {l->o.seed, SG_RNG_AUGMENT, (uint64_t)(epoch * l->n + position)};
        err = sg_augment_apply(&l->augment, key, &sized_img, &dst, s->work);
    }
    if (err != SG_OK) return sg_error_set(err, "%s: %s", l->paths[index], sg_error_message());
    if (l->normalise)
        for (int c = 0; c < C; c++) {
            float *p = out + (size_t)c * H * W;
            for (int64_t i = 0; i < (int64_t)H * W; i++) p[i] = (p[i] - l->mean[c]) * l->inv_std[c];
        }
    return SG_OK;
}

sg_err sg_loader_sample(sg_loader *l, int64_t epoch, int64_t position, int64_t index, float *out)
{
    if (index < 0 || index >= l->n)
        return sg_error_set(SG_ERR_INVALID, "loader: sample %lld out of range", (long long)index);
    return build_sample(l, &l->scratches[l->n_threads], epoch, position, index, out);
}

/* Fill slot s with batch b of the current epoch (no lock held). */
static void fill(sg_loader *l, scratch *sc, slot *s, int64_t epoch, int64_t b)
{
    int64_t first = b * l->o.batch_size;
    int64_t n = l->n - first < l->o.batch_size ? l->n - first : l->o.batch_size;
    s->n = (int)n;
    s->err = SG_OK;
    int64_t lo = 0, hi = n;
    if (l->o.parts > 1) lo = l->o.part * n / l->o.parts, hi = (l->o.part + 1) * n / l->o.parts;
    for (int64_t i = 0; i < n && s->err == SG_OK; i++) {
        int64_t index = l->order[first + i];
        s->indices[i] = index;
        s->labels[i] = l->labels[index];
        if (i >= lo && i < hi)
            s->err = build_sample(l, sc, epoch, first + i, index, s->images + i * l->sample_floats);
    }
    if (s->err != SG_OK) {
        strncpy(s->message, sg_error_message(), sizeof s->message - 1);
        s->message[sizeof s->message - 1] = '\0';
    }
}

static void *worker_main(void *arg)
{
    sg_loader *l = ((void **)arg)[0];
    scratch *sc = ((void **)arg)[1];
    free(arg);
    pthread_mutex_lock(&l->mu);
    while (!l->stop) {
        slot *s = l->epoch_open && l->next_fill < l->n_batches
                      ? &l->slots[l->next_fill % l->n_slots] : NULL;
        if (!s || s->batch != -1) {
            pthread_cond_wait(&l->work_cv, &l->mu);
            continue;
        }
        int64_t b = l->next_fill++, epoch = l->epoch;
        s->batch = b;
        s->ready = false;
        l->busy++;
        pthread_mutex_unlock(&l->mu);
        fill(l, sc, s, epoch, b);
        pthread_mutex_lock(&l->mu);
        s->ready = true;
        l->busy--;
        pthread_cond_broadcast(&l->ready_cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

int64_t sg_loader_batches_per_epoch(const sg_loader *l) { return l->n_batches; }
int64_t sg_loader_size(const sg_loader *l) { return l->n; }

void sg_loader_free(sg_loader *l)
{
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    l->stop = true;
    pthread_cond_broadcast(&l->work_cv);
    pthread_mutex_unlock(&l->mu);
    for (int i = 0; i < l->n_threads; i++) pthread_join(l->threads[i], NULL);
    for (int i = 0; l->slots && i < l->n_slots; i++) {
        free(l->slots[i].images);
        free(l->slots[i].labels);
        free(l->slots[i].indices);
    }
    for (int i = 0; l->scratches && i <= l->n_threads; i++) {
        free(l->scratches[i].image);
        free(l->scratches[i].resized);
        free(l->scratches[i].work);
    }
    for (int64_t i = 0; i < l->n; i++) {
        if (l->paths) free(l->paths[i]);
        if (l->cache) sg_image_free(&l->cache[i]);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->work_cv);
    pthread_cond_destroy(&l->ready_cv);
    free(l->slots);
    free(l->scratches);
    free(l->threads);
    free(l->paths);
    free(l->labels);
    free(l->cache);
    free(l->order);
    free(l);
}

static sg_err check_opts(sg_loader_opts *o, int64_t n)
{
    if (!o->batch_size) o->batch_size = 32;
    if (!o->channels) o->channels = 1;
    if (!o->prefetch) o->prefetch = 2;
    if (n < 1 || o->batch_size < 1 || (o->channels != 1 && o->channels != 3) || o->height < 1 ||
        o->width < 1 || o->workers > 64 || o->prefetch < 1 || o->prefetch > 64 ||
        (int64_t)o->height * o->width > ((int64_t)1 << 26))
        return sg_error_set(SG_ERR_INVALID,
                            "loader: %lld files, batch %d, %d channels, %d x %d input, %d workers, "
                            "prefetch %d: need files >= 1, batch >= 1, channels 1 or 3, a positive "
                            "size, 0..64 workers and 1..64 batches of prefetch",
                            (long long)n, o->batch_size, o->channels, o->width, o->height,
                            o->workers, o->prefetch);
    if (o->parts < 0 || o->part < 0 || (o->parts > 1 && o->part >= o->parts))
        return sg_error_set(SG_ERR_INVALID, "loader: part %d of %d parts: need 0 <= part < parts", o->part,
                            o->parts);
    for (int c = 0; c < o->channels && o->std; c++)
        if (!(o->std[c] > 0))
            return sg_error_set(SG_ERR_INVALID, "loader: std[%d] = %g must be > 0", c, (double)o->std[c]);
    return SG_OK;
}

sg_err sg_loader_new(const char *const *paths, const int32_t *labels, int64_t n,
                     const sg_loader_opts *opts, sg_loader **out)
{
    *out = NULL;
    sg_loader_opts o = *opts;
    o.workers = o.workers == 0 ? 1 : o.workers < 0 ? 0 : o.workers;
    sg_err err = check_opts(&o, n);
    if (err != SG_OK) return err;
    sg_loader *l = calloc(1, sizeof *l);
    if (!l) return sg_error_set(SG_ERR_NOMEM, "loader: out of memory");
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->work_cv, NULL);
    pthread_cond_init(&l->ready_cv, NULL);
    l->o = o;
    l->n = n;
    l->n_batches = o.drop_last ? n / o.batch_size : (n + o.batch_size - 1) / o.batch_size;
    l->sample_floats = (int64_t)o.channels * o.height * o.width;
    l->has_augment = o.augment != NULL;
    if (o.augment) l->augment = *o.augment;
    l->normalise = o.mean && o.std;
    for (int c = 0; c < o.channels && l->normalise; c++) {
        l->mean[c] = o.mean[c];
        l->inv_std[c] = 1.0f / o.std[c];
    }
    l->paths = calloc((size_t)n, sizeof *l->paths);
    l->labels = malloc((size_t)n * sizeof *l->labels);
    l->cache = calloc((size_t)n, sizeof *l->cache);
    l->order = malloc((size_t)n * sizeof *l->order);
    l->n_slots = o.prefetch;
    l->slots = calloc((size_t)l->n_slots, sizeof *l->slots);
    l->scratches = calloc((size_t)o.workers + 1, sizeof *l->scratches);
    l->threads = calloc((size_t)o.workers + 1, sizeof *l->threads);
    bool ok = l->paths && l->labels && l->cache && l->order && l->slots && l->scratches && l->threads;
    for (int64_t i = 0; ok && i < n; i++) {
        l->paths[i] = strdup(paths[i]);
        l->labels[i] = labels ? labels[i] : -1;
        ok = l->paths[i] != NULL;
    }
    for (int i = 0; ok && i < l->n_slots; i++) {
        slot *s = &l->slots[i];
        s->images = malloc((size_t)(o.batch_size * l->sample_floats) * sizeof(float));
        s->labels = malloc((size_t)o.batch_size * sizeof *s->labels);
        s->indices = malloc((size_t)o.batch_size * sizeof *s->indices);
        s->batch = -1;
        ok = s->images && s->labels && s->indices;
    }
    if (!ok) {
        sg_loader_free(l);
        return sg_error_set(SG_ERR_NOMEM, "loader: out of memory for %lld files / batch buffers",
                            (long long)n);
    }
    for (int i = 0; i < o.workers; i++) {
        void **arg = malloc(2 * sizeof *arg);
        if (!arg) break;
        arg[0] = l;
        arg[1] = &l->scratches[i];
        if (pthread_create(&l->threads[i], NULL, worker_main, arg) != 0) {
            free(arg);
            break;
        }
        l->n_threads++;
    }
    if (o.workers && !l->n_threads) {
        sg_loader_free(l);
        return sg_error_set(SG_ERR_INVALID, "loader: could not start any worker thread");
    }
    /* If fewer workers started than asked, the consumer's scratch (the one
     * after the started workers) is simply an unused, zeroed one. */
    *out = l;
    return SG_OK;
}

sg_err sg_loader_start_epoch(sg_loader *l, int64_t epoch)
{
    if (epoch < 0) return sg_error_set(SG_ERR_INVALID, "loader: epoch %lld < 0", (long long)epoch);
    pthread_mutex_lock(&l->mu);
    l->epoch_open = false;                 /* no new fills of the old epoch */
    while (l->busy > 0) pthread_cond_wait(&l->ready_cv, &l->mu);
    for (int i = 0; i < l->n_slots; i++) l->slots[i].batch = -1;
    l->taken = NULL;
    if (l->o.shuffle)
        sg_rng_permutation((sg_rng_key){l->o.seed, SG_RNG_SHUFFLE, (uint64_t)epoch}, l->order, l->n);
    else
        for (int64_t i = 0; i < l->n; i++) l->order[i] = i;
    l->epoch = epoch;
    l->next_fill = l->next_take = 0;
    l->epoch_open = true;
    pthread_cond_broadcast(&l->work_cv);
    pthread_mutex_unlock(&l->mu);
    return SG_OK;
}

sg_err sg_loader_next(sg_loader *l, sg_batch *batch, bool *has_batch)
{
    *has_batch = false;
    pthread_mutex_lock(&l->mu);
    if (!l->epoch_open) {
        pthread_mutex_unlock(&l->mu);
        return sg_error_set(SG_ERR_INVALID, "loader: sg_loader_start_epoch was not called");
    }
    if (l->taken) {                        /* the consumer is done with the last batch */
        l->taken->batch = -1;
        l->taken = NULL;
        pthread_cond_broadcast(&l->work_cv);
    }
    if (l->next_take >= l->n_batches) {
        pthread_mutex_unlock(&l->mu);
        return SG_OK;
    }
    int64_t b = l->next_take++;
    slot *s = &l->slots[b % l->n_slots];
    if (l->n_threads == 0) {               /* no workers: build it here */
        l->next_fill = b + 1;
        s->batch = b;
        pthread_mutex_unlock(&l->mu);
        fill(l, &l->scratches[0], s, l->epoch, b);
        pthread_mutex_lock(&l->mu);
        s->ready = true;
    }
    while (!(s->batch == b && s->ready)) pthread_cond_wait(&l->ready_cv, &l->mu);
    l->taken = s;
    pthread_mutex_unlock(&l->mu);
    if (s->err != SG_OK) return sg_error_set(s->err, "%s", s->message);
    *batch = (sg_batch){s->images, s->labels, s->indices, s->n, b};
    *has_batch = true;
    return SG_OK;
}
