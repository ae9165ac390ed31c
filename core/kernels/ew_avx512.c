/* core/kernels/ew_avx512.c - the binary elementwise ops, the pointwise
 * activations and the vector math functions with AVX-512F (16 lanes), bit for bit
 * the scalar twins (ew_scalar.c, core/mathf.c). The bodies are
 * core/kernels/ew_simd.h and vmathf.h over the primitives of simd_avx512.h. */
#include "core/kernels/simd_avx512.h"

#include "core/kernels/ew_simd.h"
