/* cli/progress.h - a one-line progress bar for terminals:
 *   epoch 3/10 [##########..........]  640/1260  412 images/s  ETA 0:02  loss 0.4132
 * Commands draw it only when the stream is a terminal (isatty) and print
 * plain lines otherwise. */
#ifndef SG_CLI_PROGRESS_H
#define SG_CLI_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/* Monotonic seconds. */
double sg_progress_now(void);
/* Redraw the bar in place ("\r"); loss < 0 leaves it out. */
void sg_progress_draw(FILE *f, const char *prefix, int64_t done, int64_t total, double seconds, double loss);
/* Erase the bar's line. */
void sg_progress_clear(FILE *f);

#endif
