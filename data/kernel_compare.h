/* data/kernel_compare.h - compare one data pipeline kernel family (resize
 * passes, PNG unfiltering, CRC-32, JPEG IDCT and colour conversion) under two
 * kernel tables, bit for bit (data/kernel_compare.c). */
#ifndef SG_DATA_KERNEL_COMPARE_H
#define SG_DATA_KERNEL_COMPARE_H

#include <stdio.h>

#include "core/kernels/kernels.h"

/* Runs `family` (one of SG_KERNEL_FAMILIES_DATA) under a and b on the same
 * inputs: level 0 the quick set of `steelgrad info --compare`, 1 the full
 * set of tests/test_kernels_data.c. Prints one line per case to `out`
 * (stdout: every case; another stream: only the cases that differ; NULL:
 * nothing) and returns the number of cases that differ (-1: out of memory). */
int sg_data_kernel_compare(int family, const sg_kernel_table *a, const sg_kernel_table *b, int level, FILE *out);

#endif
