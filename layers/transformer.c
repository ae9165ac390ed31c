/* layers/transformer.c - transformer blocks from existing ops (see transformer.h). */
#include "layers/transformer.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "layers/activation.h"
#include "layers/attention.h"
#include "layers/dropout.h"
#include "layers/elementwise.h"
#include "layers/init.h"
#include "layers/matmul.h"
#include "layers/norm.h"
#include "layers/shape.h"

/* --- layer norm --------------------------------------------------------------- */

sg_err sg_layernorm_layer_init(sg_layernorm_layer *l, sg_params *ps, const char *prefix, int D,
                               float eps)
{
    char w[SG_PARAM_NAME_MAX], b[SG_PARAM_NAME_MAX];
    int nw = snprintf(w, sizeof w, "%s.weight", prefix), nb = snprintf(b, sizeof b, "%s.bias", prefix);
    if (D <= 0 || nw < 0 || nb < 0 || (size_t)nb >= sizeof b || (size_t)nw >= sizeof w)
        return sg_error_set(SG_ERR_INVALID, "%s: layernorm of %d features", prefix, D);
    *l = (sg_layernorm_layer){.eps = eps};
    l->weight = sg_params_add(ps, w, 1, (int64_t[]){D});
    l->bias = l->weight ? sg_params_add(ps, b, 1, (int64_t[]){D}) : NULL;
    if (!l->bias) return SG_ERR_INVALID;
    sg_init_constant(l->weight, 1.0f);
    l->weight->no_decay = l->bias->no_decay = true;
    return SG_OK;
}

sg_tensor *sg_layernorm_layer_forward(sg_graph *g, const sg_layernorm_layer *l, sg_tensor *x)
{
    return sg_layernorm(g, x, 1, &l->weight->t, &l->bias->t, l->eps);
}

/* --- multi-head self-attention -------------------------------------------------- */

static sg_param *add_named(sg_params *ps, const char *name, int ndim, const int64_t *shape)
{
    return name ? sg_params_add(ps, name, ndim, shape) : NULL;
}

sg_err sg_mhsa_layer_init(sg_mhsa_layer *l, sg_params *ps, const char *qkv_weight,
                          const char *qkv_bias, const char *proj_weight, const char *proj_bias,
                          int E, int heads, float attn_dropout, uint64_t seed)
{
    if (E <= 0 || heads <= 0 || E % heads || attn_dropout < 0 || attn_dropout >= 1)
        return sg_error_set(SG_ERR_INVALID,
                            "%s: attention of width %d with %d heads, dropout %g: the heads must "
                            "divide the width, dropout in [0, 1)", qkv_weight, E, heads,
                            attn_dropout);
    *l = (sg_mhsa_layer){.heads = heads, .attn_dropout = attn_dropout};
    l->qkv_weight = sg_params_add(ps, qkv_weight, 2, (int64_t[]){3 * (int64_t)E, E});
    l->proj_weight = l->qkv_weight ? sg_params_add(ps, proj_weight, 2, (int64_t[]){E, E}) : NULL;
    if (!l->proj_weight) return SG_ERR_INVALID;
    if (qkv_bias && !(l->qkv_bias = add_named(ps, qkv_bias, 1, (int64_t[]){3 * (int64_t)E})))
        return SG_ERR_INVALID;
    if (proj_bias && !(l->proj_bias = add_named(ps, proj_bias, 1, (int64_t[]){E})))
        return SG_ERR_INVALID;
    /* torch.nn.MultiheadAttention._reset_parameters: xavier_uniform_ on the
     * [3E, E] in-projection, zero biases; out_proj keeps Linear's default. */
    sg_init_glorot_uniform(l->qkv_weight, seed, E, 3 * (int64_t)E);
    sg_init_torch_default(l->proj_weight, seed, E);
    if (l->qkv_bias) l->qkv_bias->no_decay = true;
    if (l->proj_bias) l->proj_bias->no_decay = true;
    return SG_OK;
}

/* Part `part` (0 q, 1 k, 2 v) of the projection, as heads [B, H, T, Dh]. */
static sg_tensor *heads_of(sg_graph *g, const sg_mhsa_layer *l, sg_tensor *x, int part)
{
    int64_t E = x->shape[2], H = l->heads;
    sg_tensor *w = sg_slice(g, &l->qkv_weight->t, 0, part * E, (part + 1) * E, 1);
    sg_tensor *b = l->qkv_bias ? sg_slice(g, &l->qkv_bias->t, 0, part * E, (part + 1) * E, 1) : NULL;
    sg_tensor *p = sg_linear(g, x, w, b);
    if (!p) return NULL;
    static const int perm[4] = {0, 2, 1, 3};
    return sg_permute(g, sg_reshape(g, p, 4, (int64_t[]){p->shape[0], p->shape[1], H, E / H}), perm);
}

/* Mean over heads of P [B, H, T, S] into a new [B, T, S] (heads added in order). */
static sg_tensor *mean_over_heads(sg_graph *g, const sg_tensor *P)
{
    int64_t B = P->shape[0], H = P->shape[1], T = P->shape[2], S = P->shape[3];
    sg_tensor *w = sg_graph_zeros(g, 3, (int64_t[]){B, T, S});
    if (!w) return NULL;
    for (int64_t b = 0; b < B && !sg_graph_dry(g); b++)
        for (int64_t h = 0; h < H; h++) {
            const float *p = P->data + (b * H + h) * T * S;
            float *wb = w->data + b * T * S;
            for (int64_t i = 0; i < T * S; i++) wb[i] += p[i];
        }
    for (int64_t i = 0; i < w->numel && !sg_graph_dry(g); i++) w->data[i] /= (float)H;
    return w;
}

sg_tensor *sg_mhsa_forward(sg_graph *g, const sg_mhsa_layer *l, sg_tensor *x, sg_tensor **attn)
{
    if (attn) *attn = NULL;
    if (!x) return NULL;
    bool dropout = sg_graph_training(g) && l->attn_dropout > 0;
    if (!dropout)
        return sg_multihead_attention(g, x, x, &l->qkv_weight->t,
                                      l->qkv_bias ? &l->qkv_bias->t : NULL, &l->proj_weight->t,
                                      l->proj_bias ? &l->proj_bias->t : NULL, l->heads, NULL,
                                      false, attn);
    if (x->ndim != 3 || x->shape[2] != l->qkv_weight->t.shape[1]) {
        char s[96];
        sg_graph_fail(g, SG_ERR_SHAPE, "self-attention: x %s, expected [B, T, %lld]",
                      sg_shape_str(x, s, sizeof s), (long long)l->qkv_weight->t.shape[1]);
        return NULL;
    }
    /* Dropout acts on the probabilities (training only): sg_attention_dropout
     * gives the bits of the unfused chain matmul, scale, softmax, dropout,
     * matmul, keeping one T x T matrix per head instead of four. */
    int64_t B = x->shape[0], T = x->shape[1], E = x->shape[2];
    sg_tensor *q = heads_of(g, l, x, 0), *k = heads_of(g, l, x, 1), *v = heads_of(g, l, x, 2);
    if (!q || !k || !v) return NULL;
    sg_tensor *P = NULL;
    sg_tensor *o = sg_attention_dropout(g, q, k, v, 1.0f / sqrtf((float)(E / l->heads)),
                                        l->attn_dropout, attn ? &P : NULL);
    if (P && attn) *attn = mean_over_heads(g, P);
    static const int perm[4] = {0, 2, 1, 3};
    o = sg_reshape(g, sg_permute(g, o, perm), 3, (int64_t[]){B, T, E});
    return sg_linear(g, o, &l->proj_weight->t, l->proj_bias ? &l->proj_bias->t : NULL);
}

/* --- stochastic depth ------------------------------------------------------------ */

sg_tensor *sg_drop_path(sg_graph *g, sg_tensor *x, float p)
{
    if (!x || p <= 0 || !sg_graph_training(g)) return x;
    if (p >= 1) {
        sg_graph_fail(g, SG_ERR_INVALID, "drop_path: p %g, expected [0, 1)", p);
        return NULL;
    }
    int64_t shape[SG_MAX_DIMS];
    shape[0] = x->shape[0];
    for (int d = 1; d < x->ndim; d++) shape[d] = 1;
    sg_tensor *mask = sg_graph_tensor(g, x->ndim, shape);
    if (!mask) return NULL;
    uint64_t call = sg_graph_next_random_id(g);
    for (int64_t b = 0; b < x->shape[0] && !sg_graph_dry(g); b++)
        mask->data[b] = sg_dropout_keep(sg_graph_seed(g), sg_graph_step(g), call, b, p)
                            ? 1.0f / (1.0f - p) : 0.0f;
    return sg_mul(g, x, mask);
}

/* --- the encoder block --------------------------------------------------------------- */

sg_err sg_encoder_block_init(sg_encoder_block *b, sg_params *ps, const sg_encoder_names *n,
                             int index, const sg_encoder_config *cfg, uint64_t seed)
{
    char s[8][SG_PARAM_NAME_MAX];
    const char *fmt[8] = {n->norm1, n->norm2, n->qkv_weight, n->qkv_bias,
                          n->proj_weight, n->proj_bias, n->fc1, n->fc2};
    for (int i = 0; i < 8; i++)
        if (fmt[i]) {
            int len = snprintf(s[i], sizeof s[i], fmt[i], index);
            if (len < 0 || (size_t)len >= sizeof s[i])
                return sg_error_set(SG_ERR_INVALID, "encoder block %d: name '%s' too long", index, fmt[i]);
        }
    if (cfg->dropout < 0 || cfg->dropout >= 1 || cfg->drop_path < 0 || cfg->drop_path >= 1)
        return sg_error_set(SG_ERR_INVALID, "encoder block %d: dropout %g, drop path %g: expected "
                            "[0, 1)", index, cfg->dropout, cfg->drop_path);
    *b = (sg_encoder_block){.kind = cfg->kind, .dropout = cfg->dropout, .drop_path = cfg->drop_path};
    sg_err err = sg_layernorm_layer_init(&b->norm1, ps, s[0], cfg->dim, cfg->eps);
    if (err == SG_OK)
        err = sg_mhsa_layer_init(&b->attn, ps, s[2], n->qkv_bias ? s[3] : NULL, s[4],
                                 n->proj_bias ? s[5] : NULL, cfg->dim, cfg->heads,
                                 cfg->attn_dropout, seed);
    if (err == SG_OK) err = sg_layernorm_layer_init(&b->norm2, ps, s[1], cfg->dim, cfg->eps);
    if (err == SG_OK) err = sg_linear_layer_init(&b->fc1, ps, s[6], cfg->dim, cfg->hidden, true, seed);
    if (err == SG_OK) err = sg_linear_layer_init(&b->fc2, ps, s[7], cfg->hidden, cfg->dim, true, seed);
    return err;
}

sg_tensor *sg_encoder_block_forward(sg_graph *g, const sg_encoder_block *b, sg_tensor *x,
                                    sg_tensor **attn)
{
    sg_tensor *a = sg_mhsa_forward(g, &b->attn, sg_layernorm_layer_forward(g, &b->norm1, x), attn);
    x = sg_add(g, x, sg_drop_path(g, sg_dropout(g, a, b->dropout), b->drop_path));
    sg_tensor *h = b->kind == SG_BLOCK_CCT ? (x = sg_layernorm_layer_forward(g, &b->norm2, x))
                                           : sg_layernorm_layer_forward(g, &b->norm2, x);
    h = sg_dropout(g, sg_gelu(g, sg_linear_layer_forward(g, &b->fc1, h)), b->dropout);
    h = sg_dropout(g, sg_linear_layer_forward(g, &b->fc2, h), b->dropout);
    return sg_add(g, x, sg_drop_path(g, h, b->drop_path));
}

/* --- position embeddings ------------------------------------------------------------- */

void sg_sinusoidal_embedding(float *pe, int T, int D)
{
    for (int t = 0; t < T; t++)
        for (int i = 0; i < D; i++) {
            float angle = (float)((double)t / pow(10000.0, 2.0 * (i / 2) / (double)D));
            pe[(int64_t)t * D + i] = i % 2 == 0 ? sinf(angle) : cosf(angle);
        }
}

/* PyTorch's bilinear source index for output i (align_corners=False): the
 * two neighbours and the weight of the upper one. */
static void source_of(int i, int in, int out, int *i0, int *i1, float *w1)
{
    float x = ((float)i + 0.5f) * ((float)in / (float)out) - 0.5f;
    if (x < 0) x = 0;
    *i0 = (int)x;
    *i1 = *i0 + 1 < in ? *i0 + 1 : in - 1;
    *w1 = x - (float)*i0;
}

void sg_pos_embed_resize(const float *src, int prefix, int sh, int sw, int D, float *dst, int dh,
                         int dw)
{
    memcpy(dst, src, (size_t)prefix * (size_t)D * sizeof *dst);
    const float *s = src + (int64_t)prefix * D;
    float *o = dst + (int64_t)prefix * D;
    for (int y = 0; y < dh; y++) {
        int y0, y1;
        float wy;
        source_of(y, sh, dh, &y0, &y1, &wy);
        for (int x = 0; x < dw; x++) {
            int x0, x1;
            float wx;
            source_of(x, sw, dw, &x0, &x1, &wx);
            const float *a = s + ((int64_t)y0 * sw + x0) * D, *b = s + ((int64_t)y0 * sw + x1) * D;
            const float *c = s + ((int64_t)y1 * sw + x0) * D, *d = s + ((int64_t)y1 * sw + x1) * D;
            float *out = o + ((int64_t)y * dw + x) * D;
            for (int k = 0; k < D; k++)
                out[k] = (1 - wy) * ((1 - wx) * a[k] + wx * b[k]) + wy * ((1 - wx) * c[k] + wx * d[k]);
        }
    }
}
