/* tests/testaccum.h - the gradient-accumulation check shared by the suites.
 *
 * Backward ADDS into gradients (core/graph.h); parameters are zeroed once per
 * step, so two backward passes before the optimiser step (gradient
 * accumulation over micro-batches) must give the sum of the two. A kernel
 * rewrite that writes `dw = ...` instead of `dw += ...`, or that starts a GEMM
 * with beta = 0, keeps only the last pass, and a single-pass gradient check
 * cannot see it. */
#ifndef SG_TESTACCUM_H
#define SG_TESTACCUM_H

#include "tests/testutil.h"

/* For the op made by build(g, in, ctx) from n leaves shaped as inputs[k]
 * (inputs[k].data may be NULL: then filled with multiples of 1/8 in [-1, 1]),
 * every leaf is a parameter (sg_params_add: its gradient outlives the graph,
 * as a model's weights do) and each pass is a fresh graph - forward, then
 * sg_graph_backward_from with a fixed upstream gradient of multiples of 1/8.
 * Checks, for every input with needs_grad, bit for bit:
 *   - one pass from zero gives a gradient g that is not all zero;
 *   - a second pass without zeroing gives 2 g;
 *   - one pass onto a gradient pre-filled with a known pattern P gives P + g;
 * and that inputs without needs_grad get no gradient at all.
 * Bit-exactness holds because x + x is exact, and because with dyadic data
 * the linear ops' sums are exact in any order; an op whose backward adds its
 * partial sums into the gradient one by one on non-dyadic values would show
 * up here too (its result would depend on what the gradient held before).
 * Fan-out inside the op (one input read by two branches, e.g. multi-head
 * attention's x_kv feeding k and v) adds two non-dyadic terms one after the
 * other and is exact only up to that rounding: leave such an input out. 
 * training: the graph's training mode (BatchNorm statistics, dropout). */
void sg_test_expect_accumulates(const char *name, sg_test_build_fn build, void *ctx, int n,
                                const sg_test_input *inputs, bool training);

#endif
