/* cli/compare_ew.h - `info --compare` for the elementwise kernel families
 * (optimiser updates, binary ops, activations, math functions, normal
 * sampling): cli/compare_ew.c. Each
 * compare_<family> runs the family under two tables on the same fixed random
 * inputs (with NaN, infinities, subnormals and -0 among them), unaligned,
 * over lengths with every tail, prints a line per case and returns the number
 * of cases that differ. */
#ifndef SG_CLI_COMPARE_EW_H
#define SG_CLI_COMPARE_EW_H

#include "core/kernels/kernels.h"

int compare_sgd(const sg_kernel_table *a, const sg_kernel_table *b);
int compare_adam(const sg_kernel_table *a, const sg_kernel_table *b);
int compare_ew_binary(const sg_kernel_table *a, const sg_kernel_table *b);
int compare_ew_grad(const sg_kernel_table *a, const sg_kernel_table *b);
int compare_act_forward(const sg_kernel_table *a, const sg_kernel_table *b);
int compare_act_backward(const sg_kernel_table *a, const sg_kernel_table *b);
int compare_mathf(const sg_kernel_table *a, const sg_kernel_table *b);
int compare_rng_normal(const sg_kernel_table *a, const sg_kernel_table *b);

#endif
