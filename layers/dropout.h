/* layers/dropout.h - inverted dropout with a reproducible, thread-independent mask. */
#ifndef SG_DROPOUT_H
#define SG_DROPOUT_H

#include <stdint.h>

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

/* keep[i] = whether element index0 + i of the `call`-th dropout of a step is
 * kept (sg_dropout_keep for i in [0, n), drawn in blocks), for ops that fuse
 * dropout: they then compute x * (1 / (1 - p)) or 0 as sg_dropout does. */
void sg_dropout_mask(uint64_t seed, uint64_t step, uint64_t call, int64_t index0, int64_t n, float p,
                     uint8_t *keep);

#endif
