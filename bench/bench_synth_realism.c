/* bench/bench_synth_realism.c - how much `steelgrad synth --size 200` looks
 * like NEU-CLS, class by class (data/synth_realism.h). Prints JSON lines:
 *   {"bench":"synth_realism","class":C,"real":[mean,std,dx,dy],"real_spread":[..],
 *    "synth":[mean,std,dx,dy],"brightness_ratio":R,"nearest_centroid":A,...}
 *       one per synthetic class; "real" is null for a class without a
 *       namesake ("good"); R = synthetic mean / real mean (target 0.85..1.15);
 *       A = share of the class's synthetic images the real classifier labels
 *       with their own class
 *   {"bench":"synth_realism","summary":true,"nearest_centroid":A,"real_self":S,...}
 *       A over all synthetic images with a namesake (target >= 0.75), S the
 *       classifier on the real images themselves
 * Arguments: [synthetic images per class (100)] [real images per class (all)]
 * [seed (1)]. The real set is $SG_DATA_DIR/neu-cls, else ../shared/data/neu-cls
 * (run from the repository root); without it one line says so and the bench
 * exits 0. Never pass/fail. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include "data/synth_realism.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void print_figures(const char *key, const double f[SG_REALISM_FEATURES])
{
    printf(",\"%s\":[%.2f,%.2f,%.2f,%.2f]", key, f[0], f[1], f[2], f[3]);
}

int main(int argc, char **argv)
{
    int per_class = argc > 1 ? atoi(argv[1]) : 100, real_per_class = argc > 2 ? atoi(argv[2]) : 0;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (per_class < 1) per_class = 1;
    const char *root = getenv("SG_DATA_DIR");
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/neu-cls", root && *root ? root : "../shared/data");
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        printf("{\"bench\":\"synth_realism\",\"skipped\":\"no NEU-CLS data at %s "
               "(set SG_DATA_DIR to the folder holding neu-cls/)\"}\n", dir);
        return 0;
    }
    sg_realism_reference ref;
    sg_realism_synth syn;
    double t0 = now();
    if (sg_realism_measure(dir, real_per_class, &ref) != SG_OK) {
        fprintf(stderr, "bench_synth_realism: %s\n", sg_error_message());
        return 1;
    }
    double t1 = now();
    if (sg_realism_measure_synth(&ref, 200, per_class, seed, &syn) != SG_OK) {
        fprintf(stderr, "bench_synth_realism: %s\n", sg_error_message());
        return 1;
    }
    double t2 = now();
    int within = 0, namesakes = 0;
    for (int c = 0; c < SG_SYNTH_CLASSES; c++) {
        int r = syn.namesake[c];
        printf("{\"bench\":\"synth_realism\",\"class\":\"%s\"", sg_synth_class_names[c]);
        if (r >= 0) {
            print_figures("real", ref.centroid[r]);
            print_figures("real_spread", ref.spread[r]);
        } else {
            printf(",\"real\":null");
        }
        print_figures("synth", syn.centroid[c]);
        if (r >= 0) {
            double ratio = syn.centroid[c][0] / ref.centroid[r][0];
            within += ratio >= 0.85 && ratio <= 1.15, namesakes++;
            printf(",\"brightness_ratio\":%.3f,\"nearest_centroid\":%.3f", ratio,
                   (double)syn.correct[c] / per_class);
        }
        printf(",\"real_n\":%d,\"synth_n\":%d}\n", r >= 0 ? ref.count[r] : 0, per_class);
    }
    printf("{\"bench\":\"synth_realism\",\"summary\":true,\"nearest_centroid\":%.3f,"
           "\"real_self\":%.3f,\"brightness_within_15pct\":%d,\"classes\":%d,\"seed\":%llu,"
           "\"real_seconds\":%.2f,\"synth_seconds\":%.2f}\n",
           syn.accuracy, ref.self_accuracy, within, namesakes, (unsigned long long)seed, t1 - t0,
           t2 - t1);
    return 0;
}
