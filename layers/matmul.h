/* layers/matmul.h - matrix products and the fully connected layer.
 *
 * All products run on sg_gemm (core/gemm.h): deterministic, bit-identical on
 * 1 or N threads. Batch dimensions broadcast like torch.matmul; gradients of
 * a broadcast operand are summed over the batch in a fixed (increasing) order. */
#ifndef SG_MATMUL_H
#define SG_MATMUL_H

#include <stdbool.h>

#include "core/graph.h"

/* C = A B for 2-D A [M, K] and B [K, N] (torch.mm). NULL + graph error on a shape mismatch. */
sg_tensor *sg_matmul(sg_graph *g, sg_tensor *a, sg_tensor *b);

/* Batched C[..., M, N] = A[..., M, K] B[..., K, N] (torch.matmul for inputs of
 * >= 2 dims): leading batch dims broadcast (missing or size-1 dims repeat), so
 * [B, T, D] x [D, E] gives [B, T, E]. NULL + graph error on a shape mismatch. */
sg_tensor *sg_bmm(sg_graph *g, sg_tensor *a, sg_tensor *b);

/* As sg_bmm with op(A) = A^T when trans_a and op(B) = B^T when trans_b
 * (the last two dims are swapped): sg_matmul_t(g, q, k, false, true) = q k^T. */
sg_tensor *sg_matmul_t(sg_graph *g, sg_tensor *a, sg_tensor *b, bool trans_a, bool trans_b);

/* y[..., out] = x[..., in] w^T + b with w [out, in] (PyTorch layout) and b [out]
 * or NULL (torch.nn.functional.linear). NULL + graph error on a shape mismatch. */
sg_tensor *sg_linear(sg_graph *g, sg_tensor *x, sg_tensor *w, sg_tensor *b);

#endif
