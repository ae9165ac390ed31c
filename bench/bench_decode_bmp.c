/* bench/bench_decode_bmp.c - BMP decode speed on the 1,800 NEU-CLS bitmaps,
 * against Pillow measured in the same run. Prints JSON lines:
 *   {"bench":"decode_bmp","impl":"steelgrad","mode":"memory","files":1800,...}
 * modes: "memory" decodes files already read into memory; "disk" reads and
 * decodes each file. Best of 3 passes. If /usr/bin/python3 and
 * bench/bench_decode_bmp_pil.py are there, Pillow's lines follow and a
 * "ratio" line gives steelgrad's speed over Pillow's per mode (> 1 = faster).
 * Data: $SG_DATA_DIR/neu-cls or ../shared/data/neu-cls; without it one
 * "skipped" line. Never pass/fail. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/fileio.h"
#include "data/image.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Paths of the .bmp files in the class folders under root, sorted; *n their count. */
static char **list_bitmaps(const char *root, int *n)
{
    char **paths = NULL;
    int count = 0, cap = 0;
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char sub[4096];
        snprintf(sub, sizeof sub, "%.2048s/%.1024s", root, e->d_name);
        DIR *c = opendir(sub);
        struct dirent *f;
        while (c && (f = readdir(c))) {
            size_t k = strlen(f->d_name);
            if (k < 4 || strcmp(f->d_name + k - 4, ".bmp") != 0) continue;
            if (count == cap) {
                cap = cap ? 2 * cap : 256;
                paths = realloc(paths, sizeof *paths * (size_t)cap);
                if (!paths) exit(1);
            }
            paths[count] = malloc(strlen(sub) + k + 2);
            if (!paths[count]) exit(1);
            sprintf(paths[count++], "%s/%s", sub, f->d_name);
        }
        if (c) closedir(c);
    }
    if (d) closedir(d);
    if (count) qsort(paths, (size_t)count, sizeof *paths, compare_names);
    *n = count;
    return paths;
}

static void report(const char *mode, int files, double seconds, double pixels)
{
    printf("{\"bench\":\"decode_bmp\",\"impl\":\"steelgrad\",\"mode\":\"%s\",\"files\":%d,"
           "\"seconds\":%.6f,\"us_per_image\":%.2f,\"mpix_per_s\":%.1f}\n",
           mode, files, seconds, seconds / files * 1e6, pixels / seconds / 1e6);
    fflush(stdout);
}

/* Read Pillow's JSON lines, echo them, and print our speed over theirs. */
static void compare_with_pillow(const char *root, double t_memory, double t_disk)
{
    const char *script = "bench/bench_decode_bmp_pil.py", *python = "/usr/bin/python3";
    struct stat st;
    if (stat(script, &st) != 0 || stat(python, &st) != 0) {
        printf("{\"bench\":\"decode_bmp\",\"impl\":\"pillow\",\"skipped\":\"no %s or %s\"}\n",
               python, script);
        return;
    }
    char cmd[2400];
    snprintf(cmd, sizeof cmd, "%s %s '%s'", python, script, root);
    FILE *p = popen(cmd, "r");
    if (!p) return;
    char line[1024];
    double pil_memory = 0, pil_disk = 0;
    while (fgets(line, sizeof line, p)) {
        fputs(line, stdout);
        const char *sec = strstr(line, "\"seconds\": ");
        double t = sec ? atof(sec + 11) : 0;
        if (strstr(line, "\"mode\": \"memory\"")) pil_memory = t;
        if (strstr(line, "\"mode\": \"disk\"")) pil_disk = t;
    }
    pclose(p);
    if (pil_memory > 0 && pil_disk > 0)
        printf("{\"bench\":\"decode_bmp\",\"ratio\":\"steelgrad speed / pillow speed\","
               "\"memory\":%.2f,\"disk\":%.2f}\n", pil_memory / t_memory, pil_disk / t_disk);
}

int main(void)
{
    const char *data_dir = getenv("SG_DATA_DIR");
    char root[2048];
    snprintf(root, sizeof root, "%s/neu-cls", data_dir && *data_dir ? data_dir : "../shared/data");
    int n;
    char **paths = list_bitmaps(root, &n);
    if (n == 0) {
        printf("{\"bench\":\"decode_bmp\",\"skipped\":\"no bitmaps under %s\"}\n", root);
        return 0;
    }
    char **blobs = malloc(sizeof *blobs * (size_t)n);
    size_t *lens = malloc(sizeof *lens * (size_t)n);
    double pixels = 0;
    for (int i = 0; i < n; i++) {
        sg_image img;
        if (sg_file_read_all(paths[i], (size_t)1 << 28, &blobs[i], &lens[i]) != SG_OK ||
            sg_bmp_decode((uint8_t *)blobs[i], lens[i], paths[i], NULL, &img) != SG_OK) {
            fprintf(stderr, "bench_decode_bmp: %s\n", sg_error_message());
            return 1;
        }
        pixels += (double)img.width * img.height;
        sg_image_free(&img);
    }
    double best_memory = 1e30, best_disk = 1e30;
    for (int pass = 0; pass < 3; pass++) {
        double t0 = now();
        for (int i = 0; i < n; i++) {
            sg_image img;
            sg_bmp_decode((uint8_t *)blobs[i], lens[i], paths[i], NULL, &img);
            sg_image_free(&img);
        }
        double t = now() - t0;
        if (t < best_memory) best_memory = t;
        t0 = now();
        for (int i = 0; i < n; i++) {
            char *data;
            size_t len;
            sg_image img;
            if (sg_file_read_all(paths[i], (size_t)1 << 28, &data, &len) != SG_OK) return 1;
            sg_bmp_decode((uint8_t *)data, len, paths[i], NULL, &img);
            free(data);
            sg_image_free(&img);
        }
        t = now() - t0;
        if (t < best_disk) best_disk = t;
    }
    report("memory", n, best_memory, pixels);
    report("disk", n, best_disk, pixels);
    compare_with_pillow(root, best_memory, best_disk);
    for (int i = 0; i < n; i++) free(blobs[i]), free(paths[i]);
    free(blobs), free(lens), free(paths);
    return 0;
}
