/* core/sum.h - sums and dot products of float rows, accumulated in double.
 *
 * Every reduction in steelgrad (BatchNorm statistics, bias gradients, weight
 * gradients of depthwise convolutions, ...) adds floats into a double. One
 * running double is a chain of dependent additions, each waiting for the last
 * (about 4 cycles apiece). These helpers keep SG_SUM_LANES independent
 * partial sums instead: element i goes to lane i % SG_SUM_LANES, and the
 * lanes are added in lane order at the end. The CPU overlaps the chains and
 * the compiler may put them in vector registers, yet the order of additions
 * is fixed by n alone, so the result is the same on every run and every
 * thread count (the caller splits work between threads by rows, never inside
 * one). */
#ifndef SG_SUM_H
#define SG_SUM_H

#include <stdint.h>

enum { SG_SUM_LANES = 8 };

/* sum x[i] */
double sg_sum_f32(const float *x, int64_t n);
/* sum (x[i] - mean)^2, the difference taken in double */
double sg_sum_sq_dev_f32(const float *x, int64_t n, double mean);
/* sum a[i] * b[i] */
double sg_dot_f32(const float *a, const float *b, int64_t n);
/* sum a[i] * (x[i] - center), the difference taken in float */
double sg_dot_centered_f32(const float *a, const float *x, float center, int64_t n);

#endif
