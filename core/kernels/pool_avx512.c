/* core/kernels/pool_avx512.c - the pooling twins for AVX-512F
 * (compiled with ISA_FLAGS_avx512): pool_simd.h over norm_vec.h's avx512 operations,
 * bit for bit the scalar twins of pool_scalar.c. */
#define SG_NV_AVX512 1
#define SG_NK_ISA avx512
#include "core/kernels/norm_vec.h"
#include "core/kernels/pool_simd.h"
