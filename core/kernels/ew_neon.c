/* core/kernels/ew_neon.c - the binary elementwise ops, the pointwise
 * activations and the vector math functions with NEON (4 lanes), bit for bit
 * the scalar twins (ew_scalar.c, core/mathf.c). The bodies are
 * core/kernels/ew_simd.h and vmathf.h over the primitives of simd_neon.h. */
#include "core/kernels/simd_neon.h"

#include "core/kernels/ew_simd.h"
