/* core/kernels/optim_avx512.c - sg_k_sgd_avx512 and sg_k_adam_avx512: the
 * optimiser updates with AVX-512F (16 lanes), bit for bit the scalar twin
 * (optim_scalar.c). The body is core/kernels/optim_simd.h over the
 * primitives of simd_avx512.h. */
#include "core/kernels/simd_avx512.h"

#include "core/kernels/optim_simd.h"
