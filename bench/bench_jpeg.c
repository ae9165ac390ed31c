/* bench/bench_jpeg.c - JPEG decoding speed, ours against PIL (libjpeg-turbo)
 * measured in the same run. Prints JSON lines:
 *   {"bench":"jpeg_decode","impl":"steelgrad","set":...,"files":N,"ms_per_image":...,"mpix_per_s":...}
 *   {"bench":"jpeg_decode","impl":"pil",...}                 (when python3 + PIL exist)
 *   {"bench":"jpeg_decode","set":...,"speed_vs_pil":...}     (> 1: we are faster)
 *
 *   bench_jpeg [PATH...]     PATH: a JPEG file or a directory of *.jpg / *.jpeg;
 *                            default: the NEU-DET images ($SG_DATA_DIR/neu-det/images
 *                            or ../shared/data/neu-det/images)
 * Big photo-like images: /usr/bin/python3 tests/golden/gen_jpeg.py --bench /tmp/sg_jpeg_bench
 * then bench_jpeg /tmp/sg_jpeg_bench/photo2048_420.jpg (and _444, _progressive).
 * Files are read into memory first; each implementation decodes the whole set
 * repeatedly for at least ~0.3 s per round and the best of 3 rounds counts.
 * The PIL figure is Image.open(BytesIO(bytes)).load(): what a Python user
 * pays per image, interpreter overhead included. Single thread both. Set
 * SG_BENCH_NO_PIL=1 to skip the reference. Never pass/fail. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/fileio.h"
#include "data/image.h"

typedef struct file_set {
    char **paths;
    uint8_t **data;
    size_t *len;
    int n, cap;
} file_set;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void add_file(file_set *s, const char *path)
{
    char *data;
    size_t len;
    if (sg_file_read_all(path, (size_t)1 << 30, &data, &len) != SG_OK) {
        fprintf(stderr, "bench_jpeg: %s\n", sg_error_message());
        return;
    }
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 64;
        s->paths = realloc(s->paths, sizeof(char *) * s->cap);
        s->data = realloc(s->data, sizeof(uint8_t *) * s->cap);
        s->len = realloc(s->len, sizeof(size_t) * s->cap);
        if (!s->paths || !s->data || !s->len) {
            fprintf(stderr, "bench_jpeg: out of memory\n");
            exit(1);
        }
    }
    s->paths[s->n] = strdup(path);
    s->data[s->n] = (uint8_t *)data;
    s->len[s->n] = len;
    s->n++;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_jpeg_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (strcmp(dot, ".jpg") == 0 || strcmp(dot, ".jpeg") == 0 ||
                   strcmp(dot, ".JPG") == 0 || strcmp(dot, ".JPEG") == 0);
}

/* A file, or the sorted *.jpg of a directory. */
static void load_path(file_set *s, const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) return;
    if (!S_ISDIR(st.st_mode)) {
        add_file(s, path);
        return;
    }
    DIR *dir = opendir(path);
    if (!dir) return;
    char **names = NULL;
    int n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(dir));) {
        if (!is_jpeg_name(e->d_name)) continue;
        if (n == cap) names = realloc(names, sizeof(char *) * (cap = cap ? 2 * cap : 256));
        names[n++] = strdup(e->d_name);
    }
    closedir(dir);
    qsort(names, n, sizeof(char *), compare_names);
    for (int i = 0; i < n; i++) {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        add_file(s, full);
        free(names[i]);
    }
    free(names);
}

/* Seconds per pass over the set, best of 3 rounds; *pixels per pass. */
static double time_ours(const file_set *s, double *pixels)
{
    double best = 1e30;
    *pixels = 0;
    for (int round = 0; round < 3; round++) {
        int passes = 0;
        double t0 = now(), t;
        do {
            double px = 0;
            for (int i = 0; i < s->n; i++) {
                sg_image img;
                if (sg_jpeg_decode(s->data[i], s->len[i], s->paths[i], NULL, &img) != SG_OK) {
                    fprintf(stderr, "bench_jpeg: %s\n", sg_error_message());
                    exit(1);
                }
                px += (double)img.width * img.height;
                sg_image_free(&img);
            }
            *pixels = px;
            passes++;
            t = now() - t0;
        } while (t < 0.3);
        if (t / passes < best) best = t / passes;
    }
    return best;
}

/* The same measurement in PIL; seconds per pass, or -1 if unavailable. */
static double time_pil(const file_set *s)
{
    const char *skip = getenv("SG_BENCH_NO_PIL");
    if (skip && *skip && strcmp(skip, "0") != 0) return -1;
    if (access("/usr/bin/python3", X_OK) != 0) return -1;
    char list[] = "/tmp/sg_bench_jpeg_XXXXXX";
    int fd = mkstemp(list);
    if (fd < 0) return -1;
    FILE *f = fdopen(fd, "w");
    for (int i = 0; i < s->n; i++) fprintf(f, "%s\n", s->paths[i]);
    fclose(f);
    static const char script[] =
        "import io, sys, time\n"
        "from PIL import Image\n"
        "paths = open(sys.argv[1]).read().splitlines()\n"
        "data = [open(p, 'rb').read() for p in paths]\n"
        "best = 1e30\n"
        "for r in range(3):\n"
        "    t0 = time.perf_counter(); passes = 0\n"
        "    while True:\n"
        "        for d in data: Image.open(io.BytesIO(d)).load()\n"
        "        passes += 1; t = time.perf_counter() - t0\n"
        "        if t >= 0.3: break\n"
        "    best = min(best, t / passes)\n"
        "print(best)\n";
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 -c \"$SG_BENCH_SCRIPT\" %s 2>/dev/null", list);
    setenv("SG_BENCH_SCRIPT", script, 1);
    FILE *p = popen(cmd, "r");
    double seconds = -1;
    if (p) {
        if (fscanf(p, "%lf", &seconds) != 1) seconds = -1;
        pclose(p);
    }
    unlink(list);
    return seconds;
}

static void bench_set(const char *label, const file_set *s)
{
    double pixels;
    double ours = time_ours(s, &pixels);
    printf("{\"bench\":\"jpeg_decode\",\"impl\":\"steelgrad\",\"set\":\"%s\",\"files\":%d,"
           "\"ms_per_image\":%.4f,\"mpix_per_s\":%.1f}\n",
           label, s->n, ours * 1e3 / s->n, pixels / ours * 1e-6);
    fflush(stdout);
    double pil = time_pil(s);
    if (pil <= 0) {
        printf("{\"bench\":\"jpeg_decode\",\"impl\":\"pil\",\"set\":\"%s\",\"skipped\":"
               "\"python3 with PIL not available or SG_BENCH_NO_PIL set\"}\n", label);
        return;
    }
    printf("{\"bench\":\"jpeg_decode\",\"impl\":\"pil\",\"set\":\"%s\",\"files\":%d,"
           "\"ms_per_image\":%.4f,\"mpix_per_s\":%.1f}\n",
           label, s->n, pil * 1e3 / s->n, pixels / pil * 1e-6);
    printf("{\"bench\":\"jpeg_decode\",\"set\":\"%s\",\"speed_vs_pil\":%.3f}\n", label, pil / ours);
    fflush(stdout);
}

static void free_set(file_set *s)
{
    for (int i = 0; i < s->n; i++) {
        free(s->paths[i]);
        free(s->data[i]);
    }
    free(s->paths);
    free(s->data);
    free(s->len);
    *s = (file_set){0};
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        for (int a = 1; a < argc; a++) {
            file_set s = {0};
            load_path(&s, argv[a]);
            if (s.n == 0) {
                fprintf(stderr, "bench_jpeg: no JPEG files in %s\n", argv[a]);
                continue;
            }
            bench_set(argv[a], &s);
            free_set(&s);
        }
        return 0;
    }
    char dir[4096];
    const char *root = getenv("SG_DATA_DIR");
    snprintf(dir, sizeof dir, "%s/neu-det/images", root && *root ? root : "../shared/data");
    file_set s = {0};
    load_path(&s, dir);
    if (s.n == 0) {
        printf("{\"bench\":\"jpeg_decode\",\"skipped\":\"no NEU-DET images in %s\"}\n", dir);
        return 0;
    }
    bench_set("neu-det", &s);
    free_set(&s);
    return 0;
}
