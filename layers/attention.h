/* layers/attention.h - scaled dot-product attention (one fused op) and the
 * multi-head attention layer of torch.nn.MultiheadAttention(batch_first=True). */
#ifndef SG_ATTENTION_H
#define SG_ATTENTION_H

#include <stdbool.h>

#include "core/graph.h"

/* softmax(q k^T * scale + mask) v for q [..., T, Dh], k [..., S, Dh], v [..., S, Dv]
 * with the same leading (batch, head) dims; returns [..., T, Dv].
 * mask: NULL or an additive float tensor broadcastable to [..., T, S] (use -INFINITY
 * to block a position); it gets a gradient when it requires one. causal: position t
 * attends to s <= t only. scale 0 means 1/sqrt(Dh). Matches
 * torch.nn.functional.scaled_dot_product_attention (dropout 0). NULL + graph error on
 * a shape mismatch. */
sg_tensor *sg_scaled_dot_product_attention(sg_graph *g, sg_tensor *q, sg_tensor *k, sg_tensor *v,
                                           sg_tensor *mask, bool causal, float scale);

/* As above; *probs (if probs is not NULL) receives the attention probabilities
 * [..., T, S] as a tensor without gradient (attention maps for explanations). */
sg_tensor *sg_scaled_dot_product_attention_probs(sg_graph *g, sg_tensor *q, sg_tensor *k,
                                                 sg_tensor *v, sg_tensor *mask, bool causal,
                                                 float scale, sg_tensor **probs);

/* Training attention with dropout p on the probabilities, for q [..., T, Dh],
 * k [..., S, Dh], v [..., S, Dv] (same leading dims), returns [..., T, Dv]:
 *     dropout(softmax((q k^T) * scale), p) v
 * bit for bit as the chain sg_matmul_t(q, k, false, true) -> sg_mul_scalar(scale)
 * -> sg_softmax(-1) -> sg_dropout(p) -> sg_bmm(., v) computes it, gradients
 * included, but keeping one [..., T, S] matrix (the probabilities) instead of
 * four: the dropout mask is recomputed in backward. Dropout acts in training
 * mode only and takes one random id (layers/dropout.h) when it does. *probs
 * (if probs is not NULL) receives the probabilities before dropout, without
 * gradient. NULL + graph error on a shape mismatch or p outside [0, 1). */
sg_tensor *sg_attention_dropout(sg_graph *g, sg_tensor *q, sg_tensor *k, sg_tensor *v, float scale,
                                float p, sg_tensor **probs);

/* torch.nn.MultiheadAttention(E, n_heads, batch_first=True)(x_q, x_kv, x_kv):
 * x_q [B, T, E], x_kv [B, S, E]; in_proj_weight [3E, E] (q, k, v rows), in_proj_bias
 * [3E] or NULL, out_proj_weight [E, E], out_proj_bias [E] or NULL. mask: NULL, an
 * additive float mask broadcastable to [B, n_heads, T, S], or torch's 3-D
 * [B * n_heads, T, S] form. Built from linear, slice, reshape, permute and SDPA ops,
 * so the tape records every part. Returns [B, T, E]. If attn_weights is not NULL
 * it receives the probabilities averaged over heads [B, T, S] (need_weights=True),
 * without gradient. NULL + graph error on a shape mismatch. */
sg_tensor *sg_multihead_attention(sg_graph *g, sg_tensor *x_q, sg_tensor *x_kv,
                                  sg_tensor *in_proj_weight, sg_tensor *in_proj_bias,
                                  sg_tensor *out_proj_weight, sg_tensor *out_proj_bias,
                                  int n_heads, sg_tensor *mask, bool causal,
                                  sg_tensor **attn_weights);

#endif
