/* layers/dropout.h - inverted dropout with a reproducible, thread-independent mask. */
#ifndef SG_DROPOUT_H
#define SG_DROPOUT_H

#include "core/graph.h"

/* Dropout (torch.nn.functional.dropout): in training mode each element is
 * zeroed with probability p and the kept ones are scaled by 1 / (1 - p); in
 * eval mode, or when p == 0, x itself is returned. The mask is a pure function
 * of (graph seed, graph step, call order in the step, element index), so it is
 * the same on any number of threads. p must be in [0, 1): otherwise NULL with
 * a graph error. */
sg_tensor *sg_dropout(sg_graph *g, sg_tensor *x, float p);

/* Whether element `index` of the `call`-th dropout of a step is kept: the mask
 * sg_dropout uses, exposed for tests and for ops that fuse dropout. */
bool sg_dropout_keep(uint64_t seed, uint64_t step, uint64_t call, int64_t index, float p);

/* sg_dropout's forward over elements [index0, index0 + n) of the `call`-th
 * dropout of a step, for ops that fuse dropout: y[i] = x[i] * (1 / (1 - p)) if
 * element index0 + i is kept, else 0 (the same bits as sg_dropout; x may be
 * y). index0 may be any element, not only a multiple of four. */
void sg_dropout_range(uint64_t seed, uint64_t step, uint64_t call, int64_t index0, int64_t n,
                      float p, const float *x, float *y);

#endif
