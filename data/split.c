/* data/split.c - stratified, grouped, seeded splits and class weights (see split.h). */
#include "data/split.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/rng.h"
#include "data/hash.h"

const char *sg_split_name(int split)
{
    switch (split) {
    case SG_SPLIT_TRAIN: return "train";
    case SG_SPLIT_VAL: return "val";
    case SG_SPLIT_TEST: return "test";
    default: return "";
    }
}

int sg_split_from_name(const char *name)
{
    if (!name[0]) return SG_SPLIT_NONE;
    if (strcasecmp(name, "train") == 0) return SG_SPLIT_TRAIN;
    if (strcasecmp(name, "val") == 0 || strcasecmp(name, "valid") == 0 ||
        strcasecmp(name, "validation") == 0)
        return SG_SPLIT_VAL;
    if (strcasecmp(name, "test") == 0) return SG_SPLIT_TEST;
    return -1;
}

/* ---- ratios ------------------------------------------------------------------ */

sg_err sg_split_parse_ratios(const char *text, sg_split_ratios *out)
{
    *out = (sg_split_ratios){{0}};
    const char *p = text;
    int unnamed = 0;
    bool named = false;
    for (int part = 0; *p; part++) {
        if (part >= 3)
            return sg_error_set(SG_ERR_INVALID, "ratios '%s': at most three parts (train,val,test)", text);
        size_t len = strcspn(p, ",");
        const char *eq = memchr(p, '=', len);
        int kind;
        const char *num = p;
        if (eq) {
            char label[16];
            size_t n = (size_t)(eq - p);
            if (n >= sizeof label)
                return sg_error_set(SG_ERR_INVALID, "ratios '%s': unknown part '%.*s'", text, (int)n, p);
            memcpy(label, p, n);
            label[n] = '\0';
            kind = sg_split_from_name(label);
            if (kind <= 0)
                return sg_error_set(SG_ERR_INVALID, "ratios '%s': unknown part '%s' (train, val or test)",
                                    text, label);
            num = eq + 1;
            named = true;
        } else {
            kind = SG_SPLIT_TRAIN + unnamed++;
        }
        if (named && unnamed)
            return sg_error_set(SG_ERR_INVALID, "ratios '%s': name every part or none", text);
        char *end;
        errno = 0;
        double v = strtod(num, &end);
        if (end == num || end != p + len || errno == ERANGE || !isfinite(v) || v < 0)
            return sg_error_set(SG_ERR_INVALID, "ratios '%s': '%.*s' is not a number >= 0", text,
                                (int)(p + len - num), num);
        if (out->r[kind] != 0)
            return sg_error_set(SG_ERR_INVALID, "ratios '%s': part '%s' given twice", text, sg_split_name(kind));
        out->r[kind] = v;
        p += len;
        if (*p == ',') {
            p++;
            if (!*p) return sg_error_set(SG_ERR_INVALID, "ratios '%s': trailing comma", text);
        }
    }
    if (!(out->r[SG_SPLIT_TRAIN] > 0))
        return sg_error_set(SG_ERR_INVALID, "ratios '%s': the train part must be > 0", text);
    return SG_OK;
}

void sg_split_part_counts(int64_t n, const sg_split_ratios *ratios, int64_t counts[4])
{
    double sum = 0;
    int last = SG_SPLIT_TRAIN;
    for (int k = SG_SPLIT_TRAIN; k <= SG_SPLIT_TEST; k++) {
        sum += ratios->r[k];
        if (ratios->r[k] > 0) last = k;
    }
    int64_t given = 0;
    counts[SG_SPLIT_NONE] = 0;
    for (int k = SG_SPLIT_TRAIN; k <= SG_SPLIT_TEST; k++) {
        counts[k] = 0;
        if (k == last || !(ratios->r[k] > 0)) continue;
        int64_t c = (int64_t)floor((double)n * ratios->r[k] / sum + 1e-9);
        if (c > n - given) c = n - given;
        counts[k] = c;
        given += c;
    }
    counts[last] = n - given;
}

/* ---- groups ------------------------------------------------------------------- */

static const char *effective_key(const sg_sample *s) { return s->group ? s->group : s->name; }

/* Sample indices ordered by effective key (ties by index). qsort has no
 * context argument, so the items carry a pointer to their key. */
typedef struct keyed {
    const char *key;
    int index;
} keyed;

static int compare_keyed(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static keyed *sorted_by_key(const sg_dataset *ds)
{
    keyed *k = malloc((size_t)(ds->n_samples ? ds->n_samples : 1) * sizeof *k);
    if (!k) {
        sg_error_set(SG_ERR_NOMEM, "out of memory for %d samples", ds->n_samples);
        return NULL;
    }
    for (int i = 0; i < ds->n_samples; i++) k[i] = (keyed){effective_key(&ds->samples[i]), i};
    qsort(k, (size_t)ds->n_samples, sizeof *k, compare_keyed);
    return k;
}

sg_err sg_split_group_by_number(sg_dataset *ds)
{
    for (int i = 0; i < ds->n_samples; i++) {
        const sg_sample *s = &ds->samples[i];
        const char *base = strrchr(s->name, '/');
        base = base ? base + 1 : s->name;
        const char *dot = strrchr(base, '.');
        const char *end = dot && dot != base ? dot : base + strlen(base);
        const char *digits = end;
        while (digits > base && isdigit((unsigned char)digits[-1])) digits--;
        if (digits == end) continue;  /* no number: the sample stays its own group */
        while (digits < end - 1 && *digits == '0') digits++;
        const char *cls = s->label >= 0 && s->label < ds->n_classes ? ds->class_names[s->label] : "";
        char key[512];
        snprintf(key, sizeof key, "%s#%.*s", cls, (int)(end - digits), digits);
        sg_err err = sg_dataset_set_group(ds, i, key);
        if (err != SG_OK) return err;
    }
    return SG_OK;
}

/* Union-find with path halving. */
static int find_root(int *parent, int i)
{
    while (parent[i] != i) {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    return i;
}

static void unite(int *parent, int a, int b)
{
    a = find_root(parent, a);
    b = find_root(parent, b);
    if (a != b) parent[a < b ? b : a] = a < b ? a : b;
}

sg_err sg_split_merge_groups(sg_dataset *ds, const int64_t *first)
{
    int n = ds->n_samples;
    if (n == 0) return SG_OK;
    int *parent = malloc((size_t)n * sizeof *parent);
    int *best = malloc((size_t)n * sizeof *best);  /* per root: the member with the smallest key */
    keyed *order = sorted_by_key(ds);
    if (!parent || !best || !order) {
        free(parent);
        free(best);
        free(order);
        return sg_error_set(SG_ERR_NOMEM, "out of memory grouping %d samples", n);
    }
    for (int i = 0; i < n; i++) parent[i] = i;
    for (int k = 1; k < n; k++)
        if (strcmp(order[k].key, order[k - 1].key) == 0) unite(parent, order[k].index, order[k - 1].index);
    if (first)
        for (int i = 0; i < n; i++)
            if (first[i] >= 0 && first[i] < n) unite(parent, i, (int)first[i]);
    for (int i = 0; i < n; i++) best[i] = -1;
    for (int k = 0; k < n; k++) {  /* in key order, so the first member seen has the smallest key */
        int root = find_root(parent, order[k].index);
        if (best[root] < 0) best[root] = order[k].index;
    }
    /* Only components of two or more members need a shared key written. */
    int *size = calloc((size_t)n, sizeof *size);
    sg_err err = size ? SG_OK : sg_error_set(SG_ERR_NOMEM, "out of memory grouping %d samples", n);
    for (int i = 0; i < n && err == SG_OK; i++) size[find_root(parent, i)]++;
    for (int i = 0; i < n && err == SG_OK; i++) {
        int root = find_root(parent, i), b = best[root];
        if (size[root] < 2 || b == i) continue;
        err = sg_dataset_set_group(ds, i, effective_key(&ds->samples[b]));
    }
    /* The smallest-key member keeps its key; it needs it written if it was its name. */
    for (int i = 0; i < n && err == SG_OK; i++) {
        int root = find_root(parent, i);
        if (size[root] >= 2 && best[root] == i && !ds->samples[i].group)
            err = sg_dataset_set_group(ds, i, ds->samples[i].name);
    }
    free(size);
    free(parent);
    free(best);
    free(order);
    return err;
}

/* ---- assigning parts ------------------------------------------------------------ */

/* A group in a stratum: its members are order[begin .. end) of the key order. */
typedef struct group_span {
    int begin, end;
    int stratum;
} group_span;

/* Cut every stratum's groups, permuted by (seed, SG_RNG_SPLIT, stratum), at
 * item positions: assign(ctx, position, n_items_in_stratum) gives the part of
 * a group whose first item sits at `position`. */
typedef int (*part_of_position)(const void *ctx, int64_t position, int64_t n);

static sg_err assign_parts(sg_dataset *ds, uint64_t seed, part_of_position part, const void *ctx)
{
    int n = ds->n_samples, n_strata = ds->n_classes + 1;  /* the last stratum: label -1 */
    if (n == 0) return SG_OK;
    keyed *order = sorted_by_key(ds);
    group_span *groups = malloc((size_t)n * sizeof *groups);
    int *by_stratum = malloc((size_t)n * sizeof *by_stratum);      /* group ids, stratum-major */
    int *start = calloc((size_t)n_strata + 1, sizeof *start);      /* stratum s: by_stratum[start[s]..start[s+1]) */
    int *next = malloc((size_t)n_strata * sizeof *next);
    int64_t *perm = malloc((size_t)n * sizeof *perm);
    sg_err err = SG_OK;
    if (!order || !groups || !by_stratum || !start || !next || !perm) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory splitting %d samples", n);
        goto done;
    }
    /* Groups are runs of equal keys in key order. */
    int n_groups = 0;
    for (int k = 0; k < n;) {
        int end = k + 1, stratum = n_strata - 1;
        while (end < n && strcmp(order[end].key, order[k].key) == 0) end++;
        for (int m = k; m < end; m++) {
            int l = ds->samples[order[m].index].label;
            if (l >= 0 && l < ds->n_classes && l < stratum) stratum = l;
        }
        groups[n_groups++] = (group_span){k, end, stratum};
        k = end;
    }
    /* Counting sort of the groups by stratum, keeping key order inside each. */
    for (int g = 0; g < n_groups; g++) start[groups[g].stratum + 1]++;
    for (int s = 0; s < n_strata; s++) start[s + 1] += start[s];
    memcpy(next, start, (size_t)n_strata * sizeof *next);
    for (int g = 0; g < n_groups; g++) by_stratum[next[groups[g].stratum]++] = g;
    for (int s = 0; s < n_strata; s++) {
        const int *list = by_stratum + start[s];
        int g_count = start[s + 1] - start[s];
        if (!g_count) continue;
        int64_t items = 0;
        for (int j = 0; j < g_count; j++) items += groups[list[j]].end - groups[list[j]].begin;
        sg_rng_permutation((sg_rng_key){seed, SG_RNG_SPLIT, (uint64_t)s}, perm, g_count);
        int64_t position = 0;
        for (int j = 0; j < g_count; j++) {
            const group_span *g = &groups[list[perm[j]]];
            int split = part(ctx, position, items);
            for (int m = g->begin; m < g->end; m++) ds->samples[order[m].index].split = split;
            position += g->end - g->begin;
        }
    }
done:
    free(order);
    free(groups);
    free(by_stratum);
    free(start);
    free(next);
    free(perm);
    return err;
}

/* A warning for every class that has images but none in a part the split
 * fills (used[k]): a reviewer must know that its metrics there mean nothing. */
static sg_err warn_empty_parts(sg_dataset *ds, const bool used[4])
{
    int64_t *count = calloc((size_t)ds->n_classes * 4 + 1, sizeof *count);
    if (!count) return sg_error_set(SG_ERR_NOMEM, "out of memory for %d classes", ds->n_classes);
    for (int i = 0; i < ds->n_samples; i++) {
        const sg_sample *s = &ds->samples[i];
        if (s->label >= 0 && s->label < ds->n_classes) count[s->label * 4 + s->split]++;
    }
    sg_err err = SG_OK;
    for (int c = 0; c < ds->n_classes && err == SG_OK; c++) {
        const int64_t *n = count + c * 4;
        int64_t total = n[0] + n[1] + n[2] + n[3];
        for (int k = SG_SPLIT_TRAIN; k <= SG_SPLIT_TEST && err == SG_OK && total > 0; k++)
            if (used[k] && n[k] == 0)
                err = sg_notes_add(&ds->warnings, "class '%s' has no image in %s (%lld image%s in all)",
                                   ds->class_names[c], sg_split_name(k), (long long)total,
                                   total == 1 ? "" : "s");
    }
    free(count);
    return err;
}

static int ratio_part(const void *ctx, int64_t position, int64_t n)
{
    int64_t counts[4], end = 0;
    sg_split_part_counts(n, ctx, counts);
    for (int k = SG_SPLIT_TRAIN; k <= SG_SPLIT_TEST; k++) {
        end += counts[k];
        if (position < end) return k;
    }
    return SG_SPLIT_TRAIN;  /* unreachable: the counts sum to n */
}

sg_err sg_split_stratified(sg_dataset *ds, const sg_split_ratios *ratios, uint64_t seed)
{
    double sum = 0;
    for (int k = SG_SPLIT_TRAIN; k <= SG_SPLIT_TEST; k++) {
        if (!(ratios->r[k] >= 0) || !isfinite(ratios->r[k]))
            return sg_error_set(SG_ERR_INVALID, "split ratio for %s must be a number >= 0", sg_split_name(k));
        sum += ratios->r[k];
    }
    if (!(ratios->r[SG_SPLIT_TRAIN] > 0) || !(sum > 0))
        return sg_error_set(SG_ERR_INVALID, "split ratios: the train part must be > 0");
    sg_err err = assign_parts(ds, seed, ratio_part, ratios);
    bool used[4] = {false};
    for (int k = SG_SPLIT_TRAIN; k <= SG_SPLIT_TEST; k++) used[k] = ratios->r[k] > 0;
    return err == SG_OK ? warn_empty_parts(ds, used) : err;
}

typedef struct fold_ctx {
    int k, fold;
} fold_ctx;

static int fold_part(const void *ctx, int64_t position, int64_t n)
{
    const fold_ctx *f = ctx;
    int64_t begin = (int64_t)f->fold * n / f->k, end = ((int64_t)f->fold + 1) * n / f->k;
    return position >= begin && position < end ? SG_SPLIT_VAL : SG_SPLIT_TRAIN;
}

sg_err sg_split_kfold(sg_dataset *ds, int k, int fold, uint64_t seed)
{
    if (k < 2) return sg_error_set(SG_ERR_INVALID, "k-fold: need at least 2 folds, got %d", k);
    if (fold < 0 || fold >= k)
        return sg_error_set(SG_ERR_INVALID, "k-fold: fold %d is not in 0..%d", fold, k - 1);
    fold_ctx f = {k, fold};
    sg_err err = assign_parts(ds, seed, fold_part, &f);
    const bool used[4] = {false, true, true, false};
    return err == SG_OK ? warn_empty_parts(ds, used) : err;
}

sg_err sg_class_weights_balanced(const int64_t *counts, int n_classes, double *weights)
{
    int64_t total = 0;
    for (int c = 0; c < n_classes; c++) {
        if (counts[c] <= 0)
            return sg_error_set(SG_ERR_INVALID, "balanced class weights: class %d has no samples", c);
        total += counts[c];
    }
    for (int c = 0; c < n_classes; c++) weights[c] = (double)total / ((double)n_classes * (double)counts[c]);
    return SG_OK;
}

sg_err sg_split_group_identical(sg_dataset *ds, const sg_file_info *infos, int *same_bytes,
                                int *same_pixels)
{
    int n = ds->n_samples;
    *same_bytes = *same_pixels = 0;
    if (n == 0) return SG_OK;
    uint8_t *digests = malloc((size_t)n * SG_SHA256_BYTES);
    int64_t *by_bytes = malloc((size_t)n * sizeof *by_bytes);
    int64_t *by_pixels = malloc((size_t)n * sizeof *by_pixels);
    sg_err err = SG_OK;
    if (!digests || !by_bytes || !by_pixels) {
        err = sg_error_set(SG_ERR_NOMEM, "out of memory grouping %d files", n);
        goto done;
    }
    /* Items without a digest get an all-zero one, which no SHA-256 of real
     * data equals (probability 2^-256): they only group with each other,
     * and that is undone below. */
    for (int pass = 0; pass < 2 && err == SG_OK; pass++) {
        int64_t *first = pass ? by_pixels : by_bytes;
        for (int i = 0; i < n; i++) {
            bool valid = pass ? infos[i].decoded : infos[i].readable;
            const uint8_t *d = pass ? infos[i].pixels : infos[i].content;
            if (valid) memcpy(digests + (size_t)i * SG_SHA256_BYTES, d, SG_SHA256_BYTES);
            else memset(digests + (size_t)i * SG_SHA256_BYTES, 0, SG_SHA256_BYTES);
        }
        if (sg_hash_groups(digests, n, first) < 0) {
            err = SG_ERR_NOMEM;
            break;
        }
        for (int i = 0; i < n; i++)
            if (!(pass ? infos[i].decoded : infos[i].readable)) first[i] = i;
    }
    for (int i = 0; i < n && err == SG_OK; i++) {
        if (by_bytes[i] != i) (*same_bytes)++;
        /* A pixel twin that is not also a byte copy of the twin. */
        else if (by_pixels[i] != i && by_bytes[by_pixels[i]] != by_bytes[i]) (*same_pixels)++;
    }
    if (err == SG_OK) err = sg_split_merge_groups(ds, by_bytes);
    if (err == SG_OK) err = sg_split_merge_groups(ds, by_pixels);
done:
    free(digests);
    free(by_bytes);
    free(by_pixels);
    return err;
}
