/* core/kernels/optim_avx2.c - sg_k_sgd_avx2 and sg_k_adam_avx2: the
 * optimiser updates with AVX2 (8 lanes), bit for bit the scalar twin
 * (optim_scalar.c). The body is core/kernels/optim_simd.h over the
 * primitives of simd_avx2.h. */
#include "core/kernels/simd_avx2.h"

#include "core/kernels/optim_simd.h"
