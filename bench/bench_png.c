/* bench/bench_png.c - PNG decode and encode speed. Prints JSON lines:
 *   {"bench":"png_decode","file":...,"width":W,"height":H,"channels":C,"depth":D,
 *    "bytes_in":N,"ms":T,"mb_per_s":M}          M = decoded pixel bytes / T
 *   {"bench":"png_decode_corpus",...}           all small corpus files, summed
 *   {"bench":"png_encode",...,"bytes_out":N}   our writer, level 6
 * Inputs: the PNGs named on the command line, else every *.png in
 * $SG_PNG_BENCH_DIR (make big photo-like ones with
 *   /usr/bin/python3 tests/golden/gen_png.py --bench /tmp/sg_png_bench
 * which Pillow saves at its defaults), the committed corpus tests/data/png,
 * and a 2048 x 2048 photo-like RGB image generated here and encoded by our
 * writer. Never pass/fail; compare with Pillow in the same session:
 *   /usr/bin/python3 -c "import io,time,sys; from PIL import Image
 *   for f in sys.argv[1:]:
 *       b=open(f,'rb').read(); n=0; t=time.perf_counter()
 *       while time.perf_counter()-t<1: Image.open(io.BytesIO(b)).load(); n+=1
 *       print(f, (time.perf_counter()-t)/n*1e3, 'ms')" /tmp/sg_png_bench/photo_2048_rgb.png */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/fileio.h"
#include "core/init.h"
#include "core/rng.h"
#include "data/image.h"
#include "data/png.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Best time of repeated decodes over ~min_seconds (at least 3 runs). */
static double time_decode(const uint8_t *data, size_t len, const char *name, double min_seconds,
                          sg_image *out)
{
    double best = 1e30, start = now();
    for (int rep = 0; rep < 3 || now() - start < min_seconds; rep++) {
        double t0 = now();
        sg_err err = sg_png_decode(data, len, name, NULL, out);
        double t = now() - t0;
        if (err) {
            fprintf(stderr, "%s\n", sg_error_message());
            return -1;
        }
        if (t < best) best = t;
        sg_image_free(out);
    }
    sg_png_decode(data, len, name, NULL, out);
    return best;
}

static void bench_file(const char *label, const uint8_t *data, size_t len)
{
    sg_image img;
    double t = time_decode(data, len, label, 1.0, &img);
    if (t < 0) return;
    printf("{\"bench\":\"png_decode\",\"file\":\"%s\",\"width\":%d,\"height\":%d,\"channels\":%d,"
           "\"depth\":%d,\"bytes_in\":%zu,\"ms\":%.3f,\"mb_per_s\":%.1f}\n",
           label, img.width, img.height, img.channels, img.depth, len, t * 1e3,
           sg_image_bytes(&img) / t * 1e-6);
    sg_image_free(&img);
}

/* Photo-like pixels: gradients, soft blobs, a coarse texture and sensor noise. */
static void make_photo(sg_image *img)
{
    int W = img->width, H = img->height, C = img->channels;
    sg_rng_key key = {2048, SG_RNG_DATA, 0};
    float blob[8][4];
    for (int b = 0; b < 8; b++)
        for (int k = 0; k < 4; k++) blob[b][k] = sg_rng_uniform(key, (uint64_t)(b * 4 + k));
    uint8_t *p = img->pixels;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++) {
                double v = 60 + 70.0 * x / W + 40.0 * y / H + 15 * c;
                for (int b = 0; b < 8; b++) {
                    double dx = x - blob[b][0] * W, dy = y - blob[b][1] * H, r = (0.05 + 0.2 * blob[b][2]) * W;
                    v += (blob[b][3] - 0.5) * 120 * exp(-(dx * dx + dy * dy) / (2 * r * r));
                }
                v += 12 * sin(x * 0.05 + c) * cos(y * 0.037);
                v += 3 * sg_rng_normal(key, 1000 + ((uint64_t)y * W + x) * C + c);
                p[((size_t)y * W + x) * C + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrint(v));
            }
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void bench_dir_files(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1024];
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, ".png")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data;
        size_t len;
        if (sg_file_read_all(path, (size_t)1 << 30, &data, &len) == SG_OK) {
            bench_file(path, (const uint8_t *)data, len);
            free(data);
        }
    }
    closedir(d);
}

/* All small corpus files, decoded back to back, as one figure. */
static void bench_corpus(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char path[1024];
    int files = 0;
    double total = 0, bytes_out = 0;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, ".png")) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *data;
        size_t len;
        if (sg_file_read_all(path, (size_t)1 << 30, &data, &len) != SG_OK) continue;
        sg_image img;
        if (sg_png_decode((const uint8_t *)data, len, path, NULL, &img) == SG_OK) {
            sg_image_free(&img);
            double t = time_decode((const uint8_t *)data, len, path, 0.02, &img);
            total += t;
            bytes_out += sg_image_bytes(&img);
            files++;
            sg_image_free(&img);
        }
        free(data);
    }
    closedir(d);
    if (files)
        printf("{\"bench\":\"png_decode_corpus\",\"dir\":\"%s\",\"files\":%d,\"ms_per_image\":%.4f,"
               "\"mb_per_s\":%.1f}\n",
               dir, files, total / files * 1e3, bytes_out / total * 1e-6);
}

int main(int argc, char **argv)
{
    sg_init();
    if (argc > 1) {
        for (int i = 1; i < argc; i++) {
            char *data;
            size_t len;
            if (sg_file_read_all(argv[i], (size_t)1 << 30, &data, &len) != SG_OK) {
                fprintf(stderr, "%s\n", sg_error_message());
                return 1;
            }
            bench_file(argv[i], (const uint8_t *)data, len);
            free(data);
        }
        return 0;
    }
    const char *dir = getenv("SG_PNG_BENCH_DIR");
    if (dir && *dir) bench_dir_files(dir);
    bench_corpus("tests/data/png");

    /* Our own writer on a generated photo, then our decoder on its output. */
    sg_image img;
    if (sg_image_alloc(&img, 2048, 2048, 3, 8, NULL, "bench") != SG_OK) return 1;
    make_photo(&img);
    uint8_t *png;
    size_t len;
    double best = 1e30;
    for (int rep = 0; rep < 2; rep++) {
        double t0 = now();
        if (sg_png_encode(&img, 6, &png, &len) != SG_OK) return 1;
        double t = now() - t0;
        if (t < best) best = t;
        if (rep == 0) free(png);
    }
    printf("{\"bench\":\"png_encode\",\"image\":\"generated_photo_2048_rgb\",\"level\":6,\"ms\":%.1f,"
           "\"mb_per_s\":%.1f,\"bytes_out\":%zu,\"ratio\":%.3f}\n",
           best * 1e3, sg_image_bytes(&img) / best * 1e-6, len, (double)len / sg_image_bytes(&img));
    const char *tmp = "/tmp/sg_bench_generated_photo_2048_rgb.png";
    sg_file_write_atomic(tmp, png, len);   /* for the Pillow comparison */
    bench_file(tmp, png, len);
    free(png);
    sg_image_free(&img);
    return 0;
}
