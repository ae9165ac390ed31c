/* layers/init.h - weight initialisation.
 *
 * Every initialiser draws from the counter-based RNG keyed by
 * (seed, SG_RNG_INIT, hash of the parameter's name), so a parameter gets the
 * same values whatever order the model creates its layers in and whatever the
 * thread count. fan_in = in_channels/groups * kh * kw (conv) or in_features
 * (linear), fan_out likewise with out_channels - as torch.nn.init computes them. */
#ifndef SG_INIT_WEIGHTS_H
#define SG_INIT_WEIGHTS_H

#include <stdint.h>

#include "core/param.h"

/* U(lo, hi). */
void sg_init_uniform(sg_param *p, uint64_t seed, float lo, float hi);
/* N(mean, std). */
void sg_init_normal(sg_param *p, uint64_t seed, float mean, float std);
/* N(0, std) redrawn until inside [lo, hi] (timm/torch trunc_normal_: bounds are absolute). */
void sg_init_trunc_normal(sg_param *p, uint64_t seed, float std, float lo, float hi);
/* Every element = v. */
void sg_init_constant(sg_param *p, float v);
/* PyTorch's default for Conv2d/Linear weights: kaiming_uniform_(a = sqrt(5)),
 * i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)); and for their biases the same bound. */
void sg_init_torch_default(sg_param *p, uint64_t seed, int64_t fan_in);
/* kaiming_normal_(mode, nonlinearity = relu): N(0, sqrt(2 / fan)). */
void sg_init_kaiming_normal(sg_param *p, uint64_t seed, int64_t fan);
/* Keras' default glorot_uniform: U(+-sqrt(6 / (fan_in + fan_out))). */
void sg_init_glorot_uniform(sg_param *p, uint64_t seed, int64_t fan_in, int64_t fan_out);

/* torch.nn.init._calculate_fan_in_and_fan_out from a weight's shape
 * [out, in, k...]: fan_in = in * prod(k), fan_out = out * prod(k) (a grouped
 * conv's fan_out counts all `out` channels, as torch does). A 1-D parameter
 * has fan_in = fan_out = its size. Either pointer may be NULL. */
void sg_init_fans(const sg_param *p, int64_t *fan_in, int64_t *fan_out);

/* FNV-1a 64-bit hash of a name (the RNG step of its parameter). */
uint64_t sg_name_hash(const char *name);

#endif
