/* core/kernels/norm_neon.c - the normalisation and softmax twins for AArch64 Advanced SIMD
 * (compiled with ISA_FLAGS_neon): norm_simd.h over norm_vec.h's neon operations
 * (and simd_neon.h's, for vmathf.h's exp),
 * bit for bit the scalar twins of norm_scalar.c. */
#define SG_NV_NEON 1
#define SG_NK_ISA neon
#include "core/kernels/norm_vec.h"
#include "core/kernels/simd_neon.h"
#include "core/kernels/norm_simd.h"
