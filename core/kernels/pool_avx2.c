/* core/kernels/pool_avx2.c - the pooling twins for AVX2
 * (compiled with ISA_FLAGS_avx2): pool_simd.h over norm_vec.h's avx2 operations,
 * bit for bit the scalar twins of pool_scalar.c. */
#define SG_NV_AVX2 1
#define SG_NK_ISA avx2
#include "core/kernels/norm_vec.h"
#include "core/kernels/pool_simd.h"
