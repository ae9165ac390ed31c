/* core/kernels/conv_compare.h - compare one data-movement kernel family
 * (im2col, col2im, resizing: SG_KERNEL_FAMILIES_CONV and _RESIZE) under two
 * tables, bit for bit (conv_compare.c). */
#ifndef SG_KERNELS_CONV_COMPARE_H
#define SG_KERNELS_CONV_COMPARE_H

#include <stdio.h>

#include "core/kernels/kernels.h"

/* Runs `family` under a and b on the same inputs: level 0 the quick set of
 * `info --compare`, 1 the full set of tests/test_kernels_conv.c. Prints one
 * line per case to `out` (stdout: every case; another stream: only the cases
 * that differ; NULL: nothing) and returns the number of cases that differ
 * (or 1 when out of memory). */
int sg_k_conv_compare(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level, FILE *out);

#endif
