/* tests/codec_corpus.c - shared checks for the image codec suites (see codec_corpus.h). */
#include "tests/codec_corpus.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fileio.h"
#include "core/npy.h"
#include "core/rng.h"
#include "tests/testfiles.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **sg_test_list_dir(const char *dir, const char *const *suffixes, int *n)
{
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "cannot open %s (run the tests from the repository root)", dir);
    char **names = NULL;
    int count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        bool want = false;
        for (int k = 0; suffixes[k]; k++) want |= ends_with(e->d_name, suffixes[k]);
        if (!want) continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 64;
            names = realloc(names, sizeof *names * (size_t)cap);
            ck_assert(names != NULL);
        }
        names[count] = strdup(e->d_name);
        ck_assert(names[count] != NULL);
        count++;
    }
    closedir(d);
    if (count) qsort(names, (size_t)count, sizeof *names, compare_names);
    *n = count;
    return names;
}

void sg_test_free_names(char **names, int n)
{
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

bool sg_test_image_matches_npy(const sg_image *img, const char *npy_path)
{
    sg_npy a;
    sg_err err = sg_npy_read(npy_path, &a);
    if (err != SG_OK) {
        printf("  %s: %s\n", npy_path, sg_error_message());
        return false;
    }
    int depth = a.dtype == SG_DTYPE_U8 ? 8 : a.dtype == SG_DTYPE_U16 ? 16 : 0;
    bool ok = a.ndim == 3 && a.shape[0] == img->height && a.shape[1] == img->width &&
              a.shape[2] == img->channels && depth == img->depth;
    if (!ok) {
        printf("  %s: expected %lld x %lld x %lld at %d bits, decoded %d x %d x %d at %d bits\n",
               npy_path, (long long)a.shape[0], (long long)(a.ndim > 1 ? a.shape[1] : 0),
               (long long)(a.ndim > 2 ? a.shape[2] : 0), depth, img->height, img->width,
               img->channels, img->depth);
        sg_npy_free(&a);
        return false;
    }
    int64_t mismatches = 0, first = -1;
    double max_diff = 0;
    for (int64_t i = 0; i < a.numel; i++) {
        double found = img->depth == 16 ? ((const uint16_t *)img->pixels)[i]
                                        : ((const uint8_t *)img->pixels)[i];
        double diff = found > a.data[i] ? found - a.data[i] : a.data[i] - found;
        if (diff > 0) {
            if (first < 0) first = i;
            mismatches++;
            if (diff > max_diff) max_diff = diff;
        }
    }
    if (mismatches) {
        int64_t C = img->channels, W = img->width;
        double found = img->depth == 16 ? ((const uint16_t *)img->pixels)[first]
                                        : ((const uint8_t *)img->pixels)[first];
        printf("  %s: %lld of %lld samples differ, max abs diff %g; first at (y %lld, x %lld, "
               "c %lld): expected %g, found %g\n", npy_path, (long long)mismatches,
               (long long)a.numel, max_diff, (long long)(first / C / W),
               (long long)(first / C % W), (long long)(first % C), a.data[first], found);
    }
    sg_npy_free(&a);
    return mismatches == 0;
}

int sg_test_check_corpus(const char *dir, const char *const *suffixes, sg_test_decode_fn decode)
{
    int n, failures = 0;
    char **names = sg_test_list_dir(dir, suffixes, &n);
    for (int i = 0; i < n; i++) {
        char path[1024], npy[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len;
        unsigned char *data = sg_test_read_bytes(path, &len);
        sg_image img;
        sg_err err = decode(data, len, path, NULL, &img);
        free(data);
        if (strncmp(names[i], "bad_", 4) == 0) {
            bool clean = (err == SG_ERR_FORMAT || err == SG_ERR_UNSUPPORTED) &&
                         strstr(sg_error_message(), path) != NULL && img.pixels == NULL;
            printf("%s %s: %s\n", clean ? "refused" : "FAILED (should be refused)", path,
                   err == SG_OK ? "decoded" : sg_error_message());
            failures += !clean;
            sg_image_free(&img);
            continue;
        }
        if (err != SG_OK) {
            printf("FAILED %s: %s\n", path, sg_error_message());
            failures++;
            continue;
        }
        snprintf(npy, sizeof npy, "%s", path);
        char *dot = strrchr(npy, '.');
        snprintf(dot, sizeof npy - (size_t)(dot - npy), ".npy");
        bool same = sg_test_image_matches_npy(&img, npy);
        printf("%s %s: %d x %d x %d, %d bits\n", same ? "exact" : "FAILED", path, img.height,
               img.width, img.channels, img.depth);
        failures += !same;
        sg_image_free(&img);
    }
    sg_test_free_names(names, n);
    ck_assert_msg(failures == 0, "%d of %d files in %s decode differently from Pillow (see above)",
                  failures, n, dir);
    return n;
}

/* One hammer blow: decode a private copy of exactly len bytes. */
static void decode_copy(sg_test_decode_fn decode, const uint8_t *bytes, size_t len,
                        const char *name, const char *what, int *n_ok, int *n_err)
{
    uint8_t *copy = malloc(len ? len : 1);
    ck_assert(copy != NULL);
    if (len) memcpy(copy, bytes, len);
    /* A flipped size field may claim a huge image that an RLE stream could
     * "fill" with a few delta escapes: a small limit keeps that cheap. */
    const sg_image_limits lim = {SG_TEST_HAMMER_MAX_PIXELS};
    sg_image img;
    sg_err err = decode(copy, len, name, &lim, &img);
    free(copy);
    if (err == SG_OK) {
        ck_assert_msg(img.pixels && img.width > 0 && img.height > 0 && img.channels >= 1 &&
                      img.channels <= 4 && (img.depth == 8 || img.depth == 16),
                      "%s (%s): decoded to an invalid image", name, what);
        sg_image_free(&img);
        (*n_ok)++;
        return;
    }
    ck_assert_msg(img.pixels == NULL, "%s (%s): error %s but the image was not freed", name, what,
                  sg_err_name(err));
    ck_assert_msg(strstr(sg_error_message(), name) != NULL,
                  "%s (%s): error message does not name the file: \"%s\"", name, what,
                  sg_error_message());
    ck_assert_msg(err == SG_ERR_FORMAT || err == SG_ERR_UNSUPPORTED || err == SG_ERR_LIMIT,
                  "%s (%s): unexpected error %s: %s", name, what, sg_err_name(err),
                  sg_error_message());
    (*n_err)++;
}

void sg_test_hammer_decoder(sg_test_decode_fn decode, const uint8_t *data, size_t len,
                            const char *name, size_t max_truncations, int flips, uint64_t seed,
                            int *n_ok, int *n_err)
{
    char what[64];
    size_t cuts = len < max_truncations ? len : max_truncations;
    for (size_t k = 0; k < cuts; k++) {
        size_t cut = cuts == len ? k : k * len / cuts;
        snprintf(what, sizeof what, "cut to %zu bytes", cut);
        decode_copy(decode, data, cut, name, what, n_ok, n_err);
    }
    if (len == 0) return;
    uint8_t *flipped = malloc(len);
    ck_assert(flipped != NULL);
    for (int f = 0; f < flips; f++) {
        sg_rng_key key = {seed, SG_RNG_TEST, (uint64_t)f};
        size_t at = (size_t)sg_rng_u32(key, 0) % len;
        unsigned bit = sg_rng_u32(key, 1) % 8;
        memcpy(flipped, data, len);
        flipped[at] ^= (uint8_t)(1u << bit);
        snprintf(what, sizeof what, "bit %u of byte %zu flipped", bit, at);
        decode_copy(decode, flipped, len, name, what, n_ok, n_err);
    }
    free(flipped);
}

uint64_t sg_test_fnv1a64(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

bool sg_test_data_dir(const char *sub, char *dir, size_t size)
{
    const char *root = getenv("SG_DATA_DIR");
    snprintf(dir, size, "%s/%s", root && *root ? root : "../shared/data", sub);
    struct stat st;
    return stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

int sg_test_check_pixel_sums(const char *sums, const char *dir, sg_test_decode_fn decode,
                             int *checked)
{
    FILE *f = fopen(sums, "r");
    ck_assert_msg(f != NULL, "cannot open %s (run from the repository root)", sums);
    char line[512];
    int n = 0, wrong = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char rel[256];
        int h, w, c;
        unsigned long long want;
        ck_assert_msg(sscanf(line, "%255s %d %d %d %llx", rel, &h, &w, &c, &want) == 5,
                      "%s: malformed line: %s", sums, line);
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", dir, rel);
        char *data;
        size_t len;
        ck_assert_msg(sg_file_read_all(path, (size_t)1 << 26, &data, &len) == SG_OK, "%s",
                      sg_error_message());
        sg_image img;
        sg_err err = decode((const uint8_t *)data, len, path, NULL, &img);
        free(data);
        ck_assert_msg(err == SG_OK, "%s", sg_error_message());
        uint64_t found = sg_test_fnv1a64(img.pixels, sg_image_bytes(&img));
        if (img.height != h || img.width != w || img.channels != c || img.depth != 8 ||
            found != want) {
            if (wrong < 10)
                printf("%s: expected %d x %d x %d %016llx, decoded %d x %d x %d (%d bits) %016llx\n",
                       rel, h, w, c, want, img.height, img.width, img.channels, img.depth,
                       (unsigned long long)found);
            wrong++;
        }
        n++;
        sg_image_free(&img);
    }
    fclose(f);
    *checked = n;
    return wrong;
}
