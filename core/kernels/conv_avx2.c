/* core/kernels/conv_avx2.c - im2col and col2im for avx2 (compiled with ISA_FLAGS_avx2):
 * conv_simd.h over norm_vec.h's avx2 operations, bit for bit the scalar twins of conv_scalar.c. */
#define SG_NV_AVX2 1
#define SG_NK_ISA avx2
#include "core/kernels/norm_vec.h"
#include "core/kernels/conv_simd.h"
