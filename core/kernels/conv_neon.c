/* core/kernels/conv_neon.c - im2col and col2im for AArch64 Advanced SIMD (compiled with ISA_FLAGS_neon):
 * conv_simd.h over norm_vec.h's neon operations, bit for bit the scalar twins of conv_scalar.c. */
#define SG_NV_NEON 1
#define SG_NK_ISA neon
#include "core/kernels/norm_vec.h"
#include "core/kernels/conv_simd.h"
