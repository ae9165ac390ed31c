/* models/cae.h - convolutional autoencoders for anomaly detection (unsupervised:
 * trained to reconstruct healthy images only; a defect reconstructs badly).
 *
 *   cae003  paper 003: encoder 3 x (conv3x3 pad 1 + ReLU + maxpool 2x2), widths
 *           16, 32, 32 -> latent [32, S/8, S/8] (16 x 16 x 32 = 8192 values at
 *           S = 128); decoder 3 x (upsample x2 + conv3x3 pad 1), the upsampling
 *           nearest, bilinear, nearest (no transposed convolution: no
 *           checkerboard artifacts), ReLU between, sigmoid at the end.
 *           The paper fixes only the latent 16x16x32; 16 and 32 before it are ours.
 *   cae000  paper 000: encoder 3 x (conv3x3 stride 2 pad 1 + ReLU), widths 32,
 *           64, 64 -> flatten -> linear to a 256-d latent; decoder mirrored:
 *           linear 256 -> 64 (S/8)^2, reshape, 3 x (nearest upsample x2 + conv3x3
 *           + ReLU, the last sigmoid). The paper's "mirrored" decoder is read as
 *           upsample + conv (the paper does not print its layers).
 * Input [N, C, S, S] in [0, 1] (S divisible by 8), output the same shape.
 * Parameter names follow a PyTorch nn.Sequential ("encoder.0.weight", ...). */
#ifndef SG_MODELS_CAE_H
#define SG_MODELS_CAE_H

#include <stdint.h>

#include "core/error.h"
#include "core/graph.h"
#include "core/param.h"
#include "layers/layers.h"

typedef enum sg_cae_kind { SG_CAE003 = 0, SG_CAE000 = 1 } sg_cae_kind;

typedef struct sg_cae {
    sg_cae_kind kind;
    int channels, size;          /* C, S */
    sg_params params;
    sg_conv2d_layer enc[3], dec[3];
    sg_linear_layer to_latent, from_latent;  /* cae000 only */
} sg_cae;

/* The model names "cae003", "cae000" (the zoo's list of autoencoders). */
extern const char *const sg_cae_names[2];

/* Build by name with C input channels and side S (S % 8 == 0, S >= 8);
 * weights initialised as PyTorch does, keyed by seed. */
sg_err sg_cae_init(sg_cae *m, const char *name, int channels, int size, uint64_t seed);
/* The latent code: cae003 [N, 32, S/8, S/8], cae000 [N, 256]. */
sg_tensor *sg_cae_encode(sg_graph *g, sg_cae *m, sg_tensor *x);
/* Reconstruction of a latent code, [N, C, S, S] in (0, 1). */
sg_tensor *sg_cae_decode(sg_graph *g, sg_cae *m, sg_tensor *z);
/* decode(encode(x)). */
sg_tensor *sg_cae_forward(sg_graph *g, sg_cae *m, sg_tensor *x);
void sg_cae_free(sg_cae *m);

#endif
