/* core/safetensors.c - reading and writing .safetensors (see safetensors.h).
 *
 * File layout (https://huggingface.co/docs/safetensors/index):
 *   bytes 0..7        N, the header length, unsigned 64-bit little-endian
 *   bytes 8..8+N      the header: a JSON object
 *                       {"__metadata__": {"key": "value", ...},
 *                        "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
 *                        ...}
 *   bytes 8+N..end    the data section; data_offsets are relative to its start
 *
 * A checkpoint comes from outside (a download, a USB stick, a half-copied
 * network share), so the reader trusts nothing: every length is checked
 * against the file size before it is used, every integer against overflow,
 * and the tensors must tile the data section exactly, as the reference
 * implementation demands. Every error message starts with the file name. */
#include "core/safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"
#include "core/json.h"

void sg_safetensors_free(sg_safetensors *f)
{
    for (int i = 0; i < f->count; i++) {
        free(f->tensors[i].name);
        free(f->tensors[i].data);
    }
    for (int i = 0; i < f->meta_count; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->tensors);
    free(f->meta_keys);
    free(f->meta_values);
    *f = (sg_safetensors){0};
}

const sg_st_tensor *sg_safetensors_find(const sg_safetensors *f, const char *name)
{
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *sg_safetensors_meta(const sg_safetensors *f, const char *key)
{
    for (int i = 0; i < f->meta_count; i++)
        if (strcmp(f->meta_keys[i], key) == 0) return f->meta_values[i];
    return NULL;
}

/* ---- reading ----------------------------------------------------------- */

/* A parsed tensor entry plus where its bytes are. */
typedef struct entry_span {
    uint64_t begin, end;
    int index; /* position in the header, to keep the sort stable */
} entry_span;

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* A JSON number written as a non-negative integer. */
static bool json_uint(const sg_json *j, uint64_t *out)
{
    if (!j || j->type != SG_JSON_NUMBER || !j->is_integer || j->integer < 0) return false;
    *out = (uint64_t)j->integer;
    return true;
}

static sg_err read_metadata(const char *path, const sg_json *meta, sg_safetensors *out)
{
    if (meta->type == SG_JSON_NULL) return SG_OK; /* Option<HashMap> = None */
    if (meta->type != SG_JSON_OBJECT)
        return sg_error_set(SG_ERR_FORMAT, "%s: __metadata__ is a %s, expected an object of strings",
                            path, sg_json_type_name(meta->type));
    int n = meta->count;
    out->meta_keys = calloc((size_t)(n ? n : 1), sizeof(char *));
    out->meta_values = calloc((size_t)(n ? n : 1), sizeof(char *));
    if (!out->meta_keys || !out->meta_values)
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for metadata", path);
    for (int i = 0; i < n; i++) {
        const sg_json *v = meta->items[i];
        if (v->type != SG_JSON_STRING)
            return sg_error_set(SG_ERR_FORMAT, "%s: __metadata__ \"%.100s\" is a %s, expected a string",
                                path, meta->keys[i], sg_json_type_name(v->type));
        if (strlen(v->string) != v->length)
            return sg_error_set(SG_ERR_FORMAT, "%s: __metadata__ \"%.100s\" contains \\u0000", path,
                                meta->keys[i]);
        out->meta_keys[i] = dup_string(meta->keys[i]);
        out->meta_values[i] = dup_string(v->string);
        out->meta_count = i + 1;
        if (!out->meta_keys[i] || !out->meta_values[i])
            return sg_error_set(SG_ERR_NOMEM, "%s: out of memory for metadata", path);
    }
    return SG_OK;
}

/* Check one tensor entry {"dtype", "shape", "data_offsets"} and fill t/span. */
static sg_err read_entry(const char *path, const char *name, const sg_json *e, sg_st_tensor *t,
                         entry_span *span)
{
    if (e->type != SG_JSON_OBJECT)
        return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%.200s' is a %s, expected an object", path,
                            name, sg_json_type_name(e->type));
    const sg_json *dtype = sg_json_get(e, "dtype"), *shape = sg_json_get(e, "shape");
    const sg_json *offsets = sg_json_get(e, "data_offsets");
    if (!dtype || dtype->type != SG_JSON_STRING)
        return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%.200s': \"dtype\" missing or not a string",
                            path, name);
    if (!sg_dtype_from_name(dtype->string, &t->dtype)) {
        /* The float8/float4/complex dtypes of newer safetensors versions are
         * valid files we cannot convert; anything else is not a dtype at all. */
        static const char *known[] = {"F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2",
                                      "F4", "C64", "C128"};
        for (size_t k = 0; k < sizeof known / sizeof *known; k++)
            if (strcmp(dtype->string, known[k]) == 0)
                return sg_error_set(SG_ERR_UNSUPPORTED, "%s: tensor '%.200s': dtype %s is not supported",
                                    path, name, known[k]);
        return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%.200s': unknown dtype \"%.40s\"", path,
                            name, dtype->string);
    }
    if (!shape || shape->type != SG_JSON_ARRAY)
        return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%.200s': \"shape\" missing or not an array",
                            path, name);
    if (shape->count > SG_MAX_DIMS)
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: tensor '%.200s' has %d dimensions, at most %d supported",
                            path, name, shape->count, SG_MAX_DIMS);
    t->ndim = shape->count;
    uint64_t numel = 1;
    for (int d = 0; d < SG_MAX_DIMS; d++) t->shape[d] = 1;
    for (int d = 0; d < t->ndim; d++) {
        uint64_t dim;
        if (!json_uint(shape->items[d], &dim))
            return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%.200s': shape[%d] is not a non-negative integer",
                                path, name, d);
        if (dim != 0 && numel > (uint64_t)INT64_MAX / dim)
            return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%.200s': shape overflows 64 bits", path, name);
        numel *= dim;
        t->shape[d] = (int64_t)dim;
    }
    t->numel = (int64_t)numel;
    uint64_t size = (uint64_t)sg_dtype_size(t->dtype);
    if (numel > UINT64_MAX / 4 / size)
        return sg_error_set(SG_ERR_FORMAT, "%s: tensor '%.200s': byte size overflows 64 bits", path, name);
    if (!offsets || offsets->type != SG_JSON_ARRAY || offsets->count != 2 ||
        !json_uint(offsets->items[0], &span->begin) || !json_uint(offsets->items[1], &span->end))
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: tensor '%.200s': \"data_offsets\" missing or not [begin, end] integers",
                            path, name);
    if (span->end < span->begin || span->end - span->begin != numel * size)
        return sg_error_set(SG_ERR_FORMAT,
                            "%s: tensor '%.200s': data_offsets [%llu, %llu] hold %llu bytes, "
                            "but %s %llu elements need %llu",
                            path, name, (unsigned long long)span->begin, (unsigned long long)span->end,
                            (unsigned long long)(span->end >= span->begin ? span->end - span->begin : 0),
                            sg_dtype_name(t->dtype), (unsigned long long)numel,
                            (unsigned long long)(numel * size));
    t->name = dup_string(name);
    if (!t->name) return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    return SG_OK;
}

static int span_cmp(const void *a, const void *b)
{
    const entry_span *x = a, *y = b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Parse and check the header; fills out->tensors (without data) sorted by
 * offset and spans[] beside them. */
static sg_err read_header_json(const char *path, const char *text, size_t n, uint64_t data_size,
                               sg_safetensors *out, entry_span **spans_out)
{
    char source[512];
    snprintf(source, sizeof source, "%s (header)", path);
    sg_json *root = NULL;
    sg_err err = sg_json_parse(text, n, source, &root);
    if (err != SG_OK) return err;
    entry_span *spans = NULL;
    if (root->type != SG_JSON_OBJECT) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: header is a JSON %s, expected an object", path,
                           sg_json_type_name(root->type));
        goto done;
    }
    const sg_json *meta = sg_json_get(root, "__metadata__");
    int count = root->count - (meta ? 1 : 0);
    out->tensors = calloc((size_t)(count ? count : 1), sizeof *out->tensors);
    spans = calloc((size_t)(count ? count : 1), sizeof *spans);
    if (!out->tensors || !spans) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %d tensors", path, count);
        goto done;
    }
    if (meta && (err = read_metadata(path, meta, out)) != SG_OK) goto done;
    for (int i = 0; i < root->count; i++) {
        if (root->items[i] == meta) continue;
        int k = out->count;
        if ((err = read_entry(path, root->keys[i], root->items[i], &out->tensors[k], &spans[k])) != SG_OK)
            goto done;
        spans[k].index = k;
        out->count++;
    }
    /* Sort by offset (tensor records move with their spans), then demand
     * that the tensors tile [0, data_size): each begins where the last
     * ended, the last ends at the end of the file. */
    qsort(spans, (size_t)count, sizeof *spans, span_cmp);
    sg_st_tensor *sorted = calloc((size_t)(count ? count : 1), sizeof *sorted);
    if (!sorted) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (int k = 0; k < count; k++) sorted[k] = out->tensors[spans[k].index];
    free(out->tensors);
    out->tensors = sorted;
    uint64_t at = 0;
    for (int k = 0; k < count; k++) {
        if (spans[k].begin != at || spans[k].end > data_size) {
            err = sg_error_set(SG_ERR_FORMAT,
                               "%s: tensor '%.200s': data_offsets [%llu, %llu] %s (expected begin %llu, "
                               "data section of %llu bytes)",
                               path, sorted[k].name, (unsigned long long)spans[k].begin,
                               (unsigned long long)spans[k].end,
                               spans[k].end > data_size ? "run past the end of the file"
                               : spans[k].begin > at    ? "leave a gap"
                                                        : "overlap another tensor",
                               (unsigned long long)at, (unsigned long long)data_size);
            goto done;
        }
        at = spans[k].end;
    }
    if (at != data_size)
        err = sg_error_set(SG_ERR_FORMAT, "%s: tensors cover %llu bytes but the data section has %llu",
                           path, (unsigned long long)at, (unsigned long long)data_size);
done:
    sg_json_free(root);
    if (err == SG_OK) *spans_out = spans;
    else free(spans);
    return err;
}

static sg_err st_read(const char *path, sg_safetensors *out, bool with_data)
{
    *out = (sg_safetensors){0};
    FILE *f;
    uint64_t file_size;
    sg_err err = sg_file_open_regular(path, &f, &file_size);
    if (err != SG_OK) return err;
    char *header = NULL;
    unsigned char *raw = NULL;
    entry_span *spans = NULL;
    unsigned char len8[8];
    if (file_size < 8 || fread(len8, 1, 8, f) != 8) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: %llu bytes, too short for the 8-byte header length",
                           path, (unsigned long long)file_size);
        goto done;
    }
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    if (n > SG_SAFETENSORS_MAX_HEADER) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: header length %llu exceeds the limit of %u bytes "
                           "(not a safetensors file?)", path, (unsigned long long)n,
                           SG_SAFETENSORS_MAX_HEADER);
        goto done;
    }
    if (n > file_size - 8) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: header length %llu runs past the end of the file "
                           "(%llu bytes; truncated?)", path, (unsigned long long)n,
                           (unsigned long long)file_size);
        goto done;
    }
    header = malloc(n ? n : 1);
    if (!header) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for a %llu-byte header", path,
                           (unsigned long long)n);
        goto done;
    }
    if (fread(header, 1, n, f) != n) {
        err = sg_error_set(SG_ERR_IO, "%s: cannot read the header: %s", path,
                           ferror(f) ? strerror(errno) : "file shrank while reading");
        goto done;
    }
    if ((err = read_header_json(path, header, n, file_size - 8 - n, out, &spans)) != SG_OK)
        goto done;
    if (!with_data) goto done;

    /* The tensors tile the data section in offset order: read them in turn
     * through one scratch buffer as large as the largest non-F32 tensor. */
    uint64_t scratch = 0;
    for (int k = 0; k < out->count; k++) {
        uint64_t bytes = spans[k].end - spans[k].begin;
        if (out->tensors[k].dtype != SG_DTYPE_F32 && bytes > scratch) scratch = bytes;
        if ((uint64_t)out->tensors[k].numel > SIZE_MAX / sizeof(float)) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: tensor '%.200s' too large for memory", path,
                               out->tensors[k].name);
            goto done;
        }
    }
    if (scratch && !(raw = malloc(scratch))) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory (%llu bytes)", path,
                           (unsigned long long)scratch);
        goto done;
    }
    for (int k = 0; k < out->count; k++) {
        sg_st_tensor *t = &out->tensors[k];
        size_t bytes = (size_t)(spans[k].end - spans[k].begin);
        t->data = malloc((size_t)t->numel * sizeof(float) + 1);
        if (!t->data) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for tensor '%.200s'", path, t->name);
            goto done;
        }
        void *dst = t->dtype == SG_DTYPE_F32 ? (void *)t->data : (void *)raw;
        if (bytes && fread(dst, 1, bytes, f) != bytes) {
            err = sg_error_set(SG_ERR_IO, "%s: cannot read tensor '%.200s': %s", path, t->name,
                               ferror(f) ? strerror(errno) : "file shrank while reading");
            goto done;
        }
        sg_dtype_to_f32(t->dtype, dst, t->numel, false, t->data);
    }
done:
    fclose(f);
    free(header);
    free(raw);
    free(spans);
    if (err != SG_OK) sg_safetensors_free(out);
    return err;
}

sg_err sg_safetensors_read(const char *path, sg_safetensors *out) { return st_read(path, out, true); }

sg_err sg_safetensors_read_header(const char *path, sg_safetensors *out)
{
    return st_read(path, out, false);
}

/* ---- writing ----------------------------------------------------------- */

/* (name, index) pairs, sorted by name: qsort has no context argument. */
typedef struct named_index {
    const char *name;
    int index;
} named_index;
static int named_index_cmp(const void *a, const void *b)
{
    return strcmp(((const named_index *)a)->name, ((const named_index *)b)->name);
}

/* Write n floats little-endian (a plain write on a little-endian CPU). */
static void write_f32_le(sg_atomic_file *af, const float *data, int64_t n)
{
    const uint16_t one = 1;
    if (*(const unsigned char *)&one == 1) {
        sg_atomic_write(af, data, (size_t)n * sizeof(float));
        return;
    }
    for (int64_t i = 0; i < n; i++) {
        uint32_t bits;
        memcpy(&bits, &data[i], 4);
        unsigned char b[4] = {(unsigned char)bits, (unsigned char)(bits >> 8),
                              (unsigned char)(bits >> 16), (unsigned char)(bits >> 24)};
        sg_atomic_write(af, b, 4);
    }
}

sg_err sg_safetensors_write(const char *path, const sg_st_entry *entries, int count,
                            const char *const *meta_kv, int meta_count)
{
    if (count < 0 || meta_count < 0 || (count && !entries) || (meta_count && !meta_kv))
        return sg_error_set(SG_ERR_INVALID, "%s: bad tensor or metadata count", path);
    /* Check everything before touching the disk. */
    int64_t *numel = malloc(sizeof(int64_t) * (size_t)(count ? count : 1));
    named_index *order = malloc(sizeof *order * (size_t)(count ? count : 1));
    if (!numel || !order) {
        free(numel);
        free(order);
        return sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
    }
    sg_err err = SG_OK;
    for (int i = 0; i < count && err == SG_OK; i++) {
        const sg_st_entry *e = &entries[i];
        order[i] = (named_index){e->name, i};
        if (!e->name || strcmp(e->name, "__metadata__") == 0)
            err = sg_error_set(SG_ERR_INVALID, "%s: tensor %d has no name or the reserved name", path, i);
        else if (e->ndim < 0 || e->ndim > SG_MAX_DIMS || (e->ndim && !e->shape) ||
                 (numel[i] = sg_shape_numel(e->ndim, e->shape)) < 0 ||
                 numel[i] > INT64_MAX / 4)
            err = sg_error_set(SG_ERR_SHAPE, "%s: tensor '%.200s': bad shape (ndim %d)", path,
                               e->name, e->ndim);
        else if (numel[i] > 0 && !e->data)
            err = sg_error_set(SG_ERR_INVALID, "%s: tensor '%.200s' has no data", path, e->name);
    }
    for (int i = 0; i < meta_count && err == SG_OK; i++)
        if (!meta_kv[2 * i] || !meta_kv[2 * i + 1])
            err = sg_error_set(SG_ERR_INVALID, "%s: metadata pair %d has a NULL key or value", path, i);
    for (int i = 0; i < meta_count && err == SG_OK; i++)
        for (int j = 0; j < i && err == SG_OK; j++)
            if (strcmp(meta_kv[2 * i], meta_kv[2 * j]) == 0)
                err = sg_error_set(SG_ERR_INVALID, "%s: metadata key \"%.100s\" given twice", path,
                                   meta_kv[2 * i]);
    if (err == SG_OK && count > 1) {
        /* Python's safetensors orders tensors by dtype, then name; all ours
         * are F32, so by name (bytewise, as Rust compares strings). */
        qsort(order, (size_t)count, sizeof *order, named_index_cmp);
        for (int i = 1; i < count && err == SG_OK; i++)
            if (strcmp(order[i].name, order[i - 1].name) == 0)
                err = sg_error_set(SG_ERR_INVALID, "%s: tensor name '%.200s' given twice", path,
                                   order[i].name);
    }

    /* The header, compact, metadata first, then padded to 8 bytes. */
    sg_json_writer w;
    sg_json_writer_init(&w, false);
    sg_json_writer_begin_object(&w);
    if (meta_count > 0) {
        sg_json_writer_key(&w, "__metadata__");
        sg_json_writer_begin_object(&w);
        for (int i = 0; i < meta_count && err == SG_OK; i++)
            sg_json_writer_kv_string(&w, meta_kv[2 * i], meta_kv[2 * i + 1]);
        sg_json_writer_end_object(&w);
    }
    int64_t offset = 0;
    for (int k = 0; k < count && err == SG_OK; k++) {
        const sg_st_entry *e = &entries[order[k].index];
        sg_json_writer_key(&w, e->name);
        sg_json_writer_begin_object(&w);
        sg_json_writer_kv_string(&w, "dtype", "F32");
        sg_json_writer_key(&w, "shape");
        sg_json_writer_begin_array(&w);
        for (int d = 0; d < e->ndim; d++) sg_json_writer_int64(&w, e->shape[d]);
        sg_json_writer_end_array(&w);
        sg_json_writer_key(&w, "data_offsets");
        sg_json_writer_begin_array(&w);
        sg_json_writer_int64(&w, offset);
        offset += numel[order[k].index] * 4;
        sg_json_writer_int64(&w, offset);
        sg_json_writer_end_array(&w);
        sg_json_writer_end_object(&w);
    }
    sg_json_writer_end_object(&w);
    size_t hlen = 0;
    const char *header = err == SG_OK ? sg_json_writer_finish(&w, &hlen) : NULL;
    if (err == SG_OK && !header) err = sg_error_set(SG_ERR_NOMEM, "%s: cannot build the header", path);

    sg_atomic_file af;
    if (err == SG_OK && (err = sg_atomic_open(&af, path)) == SG_OK) {
        size_t padded = (hlen + 7) / 8 * 8;
        unsigned char len8[8];
        for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
        sg_atomic_write(&af, len8, 8);
        sg_atomic_write(&af, header, hlen);
        sg_atomic_write(&af, "        ", padded - hlen);
        for (int k = 0; k < count; k++)
            write_f32_le(&af, entries[order[k].index].data, numel[order[k].index]);
        err = sg_atomic_commit(&af); /* reports any write error above */
    }
    sg_json_writer_free(&w);
    free(numel);
    free(order);
    return err;
}
