/* cli/progress.c - the terminal progress bar (see progress.h). */
#include "cli/progress.h"

#include <time.h>

double sg_progress_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void sg_progress_draw(FILE *f, const char *prefix, int64_t done, int64_t total, double seconds, double loss)
{
    enum { WIDTH = 24 };
    char bar[WIDTH + 1];
    int filled = total > 0 ? (int)(WIDTH * done / total) : 0;
    for (int i = 0; i < WIDTH; i++) bar[i] = i < filled ? '#' : '.';
    bar[WIDTH] = '\0';
    double rate = seconds > 0 ? (double)done / seconds : 0;
    long eta = rate > 0 ? (long)((double)(total - done) / rate + 0.5) : 0;
    fprintf(f, "\r%s [%s] %lld/%lld  %.0f images/s  ETA %ld:%02ld", prefix, bar, (long long)done,
            (long long)total, rate, eta / 60, eta % 60);
    if (loss >= 0) fprintf(f, "  loss %.4f", loss);
    fprintf(f, "\033[K");
    fflush(f);
}

void sg_progress_clear(FILE *f)
{
    fprintf(f, "\r\033[K");
    fflush(f);
}
