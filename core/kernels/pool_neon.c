/* core/kernels/pool_neon.c - the pooling twins for AArch64 Advanced SIMD
 * (compiled with ISA_FLAGS_neon): pool_simd.h over norm_vec.h's neon operations,
 * bit for bit the scalar twins of pool_scalar.c. */
#define SG_NV_NEON 1
#define SG_NK_ISA neon
#include "core/kernels/norm_vec.h"
#include "core/kernels/pool_simd.h"
