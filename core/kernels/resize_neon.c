/* core/kernels/resize_neon.c - nearest and bilinear resizing for AArch64 Advanced SIMD (compiled with
 * ISA_FLAGS_neon): resize_simd.h over norm_vec.h's neon operations, bit for bit the
 * scalar twins of resize_scalar.c. */
#define SG_NV_NEON 1
#define SG_NK_ISA neon
#include "core/kernels/norm_vec.h"
#include "core/kernels/resize_simd.h"
