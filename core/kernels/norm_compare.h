/* core/kernels/norm_compare.h - compare one normalisation/softmax kernel
 * family under two tables, bit for bit (norm_compare.c). */
#ifndef SG_KERNELS_NORM_COMPARE_H
#define SG_KERNELS_NORM_COMPARE_H

#include <stdio.h>

#include "core/kernels/kernels.h"

/* Runs `family` (a family of SG_KERNEL_FAMILIES_NORM or _POOL) under a
 * and b on the same inputs: level 0 the quick set of `info --compare`, 1 the
 * full set of the tests. Prints one line per case to `out` (stdout: every
 * case; another stream: only the cases that differ; NULL: nothing) and
 * returns the number of cases that differ. */
int sg_k_norm_compare(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level, FILE *out);

#endif
