/* core/kernels/reduce_neon.c - the reductions along axes for AArch64 Advanced SIMD (compiled with
 * ISA_FLAGS_neon): reduce_simd.h over norm_vec.h's neon operations, bit for bit the
 * scalar twins of reduce_scalar.c. */
#define SG_NV_NEON 1
#define SG_NK_ISA neon
#include "core/kernels/norm_vec.h"
#include "core/kernels/reduce_simd.h"
