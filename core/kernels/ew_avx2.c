/* core/kernels/ew_avx2.c - the binary elementwise ops, the pointwise
 * activations and the vector math functions with AVX2 + FMA (8 lanes), bit for bit
 * the scalar twins (ew_scalar.c, core/mathf.c). The bodies are
 * core/kernels/ew_simd.h and vmathf.h over the primitives of simd_avx2.h. */
#include "core/kernels/simd_avx2.h"

#include "core/kernels/ew_simd.h"
