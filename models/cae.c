/* models/cae.c - the two convolutional autoencoders (see cae.h). */
#include "models/cae.h"

#include <stdio.h>
#include <string.h>

#include "layers/activation.h"
#include "layers/pool.h"
#include "layers/shape.h"
#include "layers/upsample.h"

const char *const sg_cae_names[2] = {"cae003", "cae000"};

static const int CAE003_ENC[3] = {16, 32, 32};
static const int CAE000_ENC[3] = {32, 64, 64};
enum { CAE000_LATENT = 256 };

sg_err sg_cae_init(sg_cae *m, const char *name, int channels, int size, uint64_t seed)
{
    memset(m, 0, sizeof *m);
    if (strcmp(name, "cae003") == 0) m->kind = SG_CAE003;
    else if (strcmp(name, "cae000") == 0) m->kind = SG_CAE000;
    else return sg_error_set(SG_ERR_INVALID, "unknown autoencoder '%s' (expected cae003 or cae000)", name);
    if (channels < 1 || channels > 4 || size < 8 || size % 8)
        return sg_error_set(SG_ERR_INVALID, "%s: channels must be 1..4 and the size a multiple of 8, got %d, %d",
                            name, channels, size);
    m->channels = channels;
    m->size = size;
    const int *w = m->kind == SG_CAE003 ? CAE003_ENC : CAE000_ENC;
    sg_conv2d_opts enc_opts = m->kind == SG_CAE003 ? sg_conv2d_opts_make(1, 1, 1, 1) : sg_conv2d_opts_make(2, 1, 1, 1);
    sg_conv2d_opts same = sg_conv2d_opts_make(1, 1, 1, 1);
    sg_err err = SG_OK;
    int in = channels;
    char pfx[32];
    for (int i = 0; i < 3 && err == SG_OK; i++) {
        snprintf(pfx, sizeof pfx, "encoder.%d", 3 * i);
        err = sg_conv2d_layer_init(&m->enc[i], &m->params, pfx, in, w[i], 3, &enc_opts, true, seed);
        in = w[i];
    }
    const int side = size / 8;
    if (err == SG_OK && m->kind == SG_CAE000) {
        err = sg_linear_layer_init(&m->to_latent, &m->params, "encoder.fc", w[2] * side * side, CAE000_LATENT,
                                   true, seed);
        if (err == SG_OK)
            err = sg_linear_layer_init(&m->from_latent, &m->params, "decoder.fc", CAE000_LATENT, w[2] * side * side,
                                       true, seed);
    }
    /* Decoder widths: the encoder's reversed, then back to C channels. */
    const int dec_out[3] = {w[1], w[0], channels};
    in = w[2];
    for (int i = 0; i < 3 && err == SG_OK; i++) {
        snprintf(pfx, sizeof pfx, "decoder.%d", 3 * i + 1);
        err = sg_conv2d_layer_init(&m->dec[i], &m->params, pfx, in, dec_out[i], 3, &same, true, seed);
        in = dec_out[i];
    }
    if (err != SG_OK) sg_cae_free(m);
    return err;
}

sg_tensor *sg_cae_encode(sg_graph *g, sg_cae *m, sg_tensor *x)
{
    if (!x) return NULL;
    if (x->ndim != 4 || x->shape[1] != m->channels || x->shape[2] != m->size || x->shape[3] != m->size) {
        sg_graph_fail(g, SG_ERR_SHAPE, "%s: expected input [N, %d, %d, %d], got a %d-d tensor [%lld, %lld, ...]",
                      sg_cae_names[m->kind], m->channels, m->size, m->size, x->ndim, (long long)x->shape[0],
                      (long long)x->shape[1]);
        return NULL;
    }
    sg_pool2d_opts pool = sg_pool2d_opts_make(2, 2, 0);
    for (int i = 0; i < 3; i++) {
        x = sg_relu(g, sg_conv2d_layer_forward(g, &m->enc[i], x));
        if (m->kind == SG_CAE003) x = sg_max_pool2d(g, x, &pool);
    }
    if (m->kind == SG_CAE000) x = sg_linear_layer_forward(g, &m->to_latent, sg_flatten(g, x, 1, -1));
    return x;
}

sg_tensor *sg_cae_decode(sg_graph *g, sg_cae *m, sg_tensor *z)
{
    if (!z) return NULL;
    int64_t side = m->size / 8;
    if (m->kind == SG_CAE000) {
        z = sg_relu(g, sg_linear_layer_forward(g, &m->from_latent, z));
        if (!z) return NULL;
        int64_t shape[4] = {z->shape[0], CAE000_ENC[2], side, side};
        z = sg_reshape(g, z, 4, shape);
    }
    for (int i = 0; i < 3; i++) {
        side *= 2;
        /* cae003 alternates nearest and bilinear upsampling (paper 003); cae000 is nearest. */
        z = m->kind == SG_CAE003 && i == 1 ? sg_upsample_bilinear2d(g, z, side, side, false)
                                           : sg_upsample_nearest2d(g, z, side, side);
        z = sg_conv2d_layer_forward(g, &m->dec[i], z);
        z = i < 2 ? sg_relu(g, z) : sg_sigmoid(g, z);
    }
    return z;
}

sg_tensor *sg_cae_forward(sg_graph *g, sg_cae *m, sg_tensor *x)
{
    return sg_cae_decode(g, m, sg_cae_encode(g, m, x));
}

void sg_cae_free(sg_cae *m) { sg_params_free(&m->params); }
