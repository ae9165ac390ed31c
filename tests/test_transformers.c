/* tests/test_transformers.c - the transformer blocks (layers/transformer.h),
 * CCT (models/cct.h) against vit-pytorch and ViT (models/vit.h) against
 * torchvision.
 *
 * Golden files come from tests/golden/gen_transformers.py: two tiny models
 * with every parameter set by the rule of tests/modelrule.h, their logits,
 * the gradients of a few parameters for sum(logits * dy), and every block's
 * head-averaged attention (and CCT's sequence-pool weights); the reference is
 * torch in float64. Tolerance: 1e-4 of the largest |value| of each tensor;
 * the largest difference is printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checkpoint.h"
#include "core/npy.h"
#include "core/safetensors.h"
#include "layers/transformer.h"
#include "models/cct.h"
#include "models/vit.h"
#include "models/zoo.h"
#include "tests/modelrule.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

#define TOL 1e-4   /* per unit of the reference's max |value| */

static const char *golden_path(const char *fmt, const char *name)
{
    static char path[512], file[128];
    snprintf(file, sizeof file, fmt, name);
    snprintf(path, sizeof path, "%s/%s", sg_test_golden_dir(), file);
    return path;
}

/* max |got - want| <= TOL * max |want|, printed. */
static void expect_close(const char *what, const float *got, const float *want, int64_t n)
{
    double scale = 0, worst = 0;
    for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs((double)got[i] - want[i]));
    printf("  %-60s max |diff| %.3g of max %.4g (relative %.2g, tolerance %g)\n", what, worst,
           scale, scale > 0 ? worst / scale : worst, TOL);
    ck_assert_msg(scale > 0 && worst <= TOL * scale, "%s: max |diff| %g, expected <= %g x %g",
                  what, worst, TOL, scale);
}

/* The keys file lists exactly the parameters of ps, with their shapes. */
static void expect_names(const sg_params *ps, const char *name)
{
    char *text = sg_test_slurp(golden_path("models_%s_keys.txt", name));
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        char *space = strchr(line, ' ');
        ck_assert_ptr_nonnull(space);
        *space = '\0';
        sg_param *p = sg_params_find(ps, line);
        ck_assert_msg(p != NULL, "%s: the reference has '%s', the model does not", name, line);
        char shape[96] = "", *at = shape;
        for (int d = 0; d < p->t.ndim; d++)
            at += snprintf(at, sizeof shape - (size_t)(at - shape), d ? "x%lld" : "%lld",
                           (long long)p->t.shape[d]);
        ck_assert_msg(!strcmp(shape, space + 1), "%s: '%s' is %s in the reference, %s here", name,
                      line, space + 1, shape);
    }
    ck_assert_msg(lines == ps->count, "%s: the reference has %d tensors, the model %d", name,
                  lines, ps->count);
    free(text);
}

typedef sg_tensor *(*forward_fn)(sg_graph *, void *, sg_tensor *);
static sg_tensor *cct_fwd(sg_graph *g, void *m, sg_tensor *x) { return sg_cct_forward(g, m, x); }
static sg_tensor *vit_fwd(sg_graph *g, void *m, sg_tensor *x) { return sg_vit_forward(g, m, x); }

/* Names, rule weights, eval forward with attention capture, logits, attention,
 * pool weights, then the gradients of sum(logits * dy). */
static void expect_golden(const char *name, sg_params *ps, void *net, forward_fn fwd,
                          sg_tensor **attention, int layers, sg_tensor **pool)
{
    expect_names(ps, name);
    sg_test_model_rule(ps);
    sg_npy ref;
    ck_assert_msg(sg_npy_read(golden_path("models_%s_logits.npy", name), &ref) == SG_OK, "%s",
                  sg_error_message());
    sg_safetensors f;
    ck_assert_msg(sg_safetensors_read(golden_path("transformers_%s.safetensors", name), &f) == SG_OK,
                  "%s", sg_error_message());
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){2, 3, 32, 32});
    sg_test_model_rule_input(x->data, x->numel);
    sg_params_zero_grad(ps);
    sg_tensor *y = fwd(g, net, x);
    ck_assert_msg(y != NULL, "%s: %s", name, sg_graph_error_message(g));
    ck_assert_int_eq(y->numel, ref.numel);
    char what[128];
    snprintf(what, sizeof what, "%s logits", name);
    expect_close(what, y->data, ref.data, ref.numel);
    for (int i = 0; i < layers; i++) {
        snprintf(what, sizeof what, "attn.%d", i);
        const sg_st_tensor *t = sg_safetensors_find(&f, what);
        ck_assert_ptr_nonnull(t);
        ck_assert_msg(attention[i] && attention[i]->numel == t->numel, "%s: block %d attention", name, i);
        snprintf(what, sizeof what, "%s block %d attention (head mean)", name, i);
        expect_close(what, attention[i]->data, t->data, t->numel);
    }
    if (pool) {
        const sg_st_tensor *t = sg_safetensors_find(&f, "pool");
        ck_assert_ptr_nonnull(t);
        ck_assert_msg(*pool && (*pool)->numel == t->numel, "%s: pool weights", name);
        snprintf(what, sizeof what, "%s sequence-pool weights", name);
        expect_close(what, (*pool)->data, t->data, t->numel);
    }
    float dy[20];
    sg_test_model_rule_named("dy", dy, y->numel);
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    int grads = 0;
    for (int i = 0; i < f.count; i++) {
        const sg_st_tensor *t = &f.tensors[i];
        if (strncmp(t->name, "grad.", 5)) continue;
        const sg_param *p = sg_params_find(ps, t->name + 5);
        ck_assert_msg(p && p->t.numel == t->numel, "%s: no parameter %s", name, t->name + 5);
        snprintf(what, sizeof what, "%s d %s", name, t->name + 5);
        expect_close(what, p->t.grad, t->data, t->numel);
        grads++;
    }
    ck_assert_int_ge(grads, 5);
    sg_graph_free(g);
    sg_safetensors_free(&f);
    sg_npy_free(&ref);
}

START_TEST(cct_matches_vit_pytorch_logits_attention_and_gradients)
{
    /* vit_pytorch.cct.CCT(img_size=32, embedding_dim=32, n_conv_layers=2,
     * kernel_size=3, stride=1, padding=1, num_layers=2, num_heads=4,
     * mlp_ratio=2, num_classes=10), sinusoidal position embedding. */
    sg_cct_config c = {.in_channels = 3, .image_size = 32, .classes = 10, .dim = 32, .n_conv = 2,
                       .kernel = 3, .stride = 1, .padding = 1, .layers = 2, .heads = 4,
                       .mlp_ratio = 2, .attn_dropout = 0.1f, .drop_path = 0.1f};
    sg_cct m;
    ck_assert_msg(sg_cct_init(&m, &c, 1) == SG_OK, "%s", sg_error_message());
    ck_assert_int_eq(m.grid, 8);
    sg_tensor *attention[2] = {NULL, NULL}, *pool = NULL;
    m.attention = attention;
    m.pool_weights = &pool;
    expect_golden("cct_tiny", &m.params, &m, cct_fwd, attention, 2, &pool);
    sg_cct_free(&m);
}
END_TEST

START_TEST(vit_matches_torchvision_logits_attention_and_gradients)
{
    /* torchvision VisionTransformer(image_size=32, patch_size=8, num_layers=2,
     * num_heads=2, hidden_dim=32, mlp_dim=64, num_classes=10). */
    sg_vit_config c = {.in_channels = 3, .image_size = 32, .patch = 8, .classes = 10,
                       .layers = 2, .heads = 2, .dim = 32, .mlp_dim = 64};
    sg_vit m;
    ck_assert_msg(sg_vit_init(&m, &c, 1) == SG_OK, "%s", sg_error_message());
    sg_tensor *attention[2] = {NULL, NULL};
    m.attention = attention;
    expect_golden("vit_tiny", &m.params, &m, vit_fwd, attention, 2, NULL);
    sg_vit_free(&m);
}
END_TEST

START_TEST(preset_parameter_counts_match_the_references)
{
    /* transformers_counts.txt: sum(p.numel() for trainable p) of vit-pytorch's
     * CCT and torchvision's vit_b_16 with 1000 classes, as the presets build
     * them (the generator's counts()). */
    char *text = sg_test_slurp(golden_path("%s", "transformers_counts.txt"));
    int rows = 0;
    bool vit_b_16 = false;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n"), rows++) {
        char name[64];
        long long want;
        ck_assert_int_eq(sscanf(line, "%63s %lld", name, &want), 2);
        sg_model m;
        sg_model_options o = sg_model_options_defaults(1000);
        ck_assert_msg(sg_model_build(&m, name, &o, 1) == SG_OK, "%s: %s", name, sg_error_message());
        long long got = (long long)sg_params_count(m.params);
        printf("  %-16s %lld parameters (reference %lld)\n", name, got, want);
        ck_assert_msg(got == want, "%s: %lld parameters, expected %lld", name, got, want);
        if (!strcmp(name, "vit_b_16")) {
            /* torchvision's documented figure, independent of the file */
            ck_assert_int_eq(got, 86567656);
            ck_assert_int_eq(m.params->count, 152);
            vit_b_16 = true;
        }
        sg_model_free(&m);
    }
    ck_assert_int_ge(rows, 6);
    ck_assert(vit_b_16);
    free(text);
}
END_TEST

START_TEST(sinusoidal_embedding_and_grid_resize_match_the_references)
{
    sg_safetensors f;
    ck_assert_int_eq(sg_safetensors_read(golden_path("%s", "transformers_misc.safetensors"), &f), SG_OK);
    const sg_st_tensor *sine = sg_safetensors_find(&f, "sine");
    const sg_st_tensor *grid = sg_safetensors_find(&f, "grid");
    const sg_st_tensor *resized = sg_safetensors_find(&f, "resized");
    ck_assert(sine && grid && resized);
    float pe[64 * 32];
    sg_sinusoidal_embedding(pe, 64, 32);
    expect_close("sinusoidal_embedding(64, 32)", pe, sine->data, 64 * 32);
    /* grid [1, D=8, 4, 4] -> tokens [16, 8] with one prefix token in front. */
    enum { D = 8 };
    float src[(1 + 16) * D], dst[(1 + 36) * D], want[36 * D];
    for (int k = 0; k < D; k++) src[k] = 100.0f + (float)k;
    for (int t = 0; t < 16; t++)
        for (int k = 0; k < D; k++) src[(1 + t) * D + k] = grid->data[k * 16 + t];
    for (int t = 0; t < 36; t++)
        for (int k = 0; k < D; k++) want[t * D + k] = resized->data[k * 36 + t];
    sg_pos_embed_resize(src, 1, 4, 4, D, dst, 6, 6);
    for (int k = 0; k < D; k++) ck_assert_float_eq(dst[k], 100.0f + (float)k);
    expect_close("position grid 4x4 -> 6x6 (F.interpolate bilinear)", dst + D, want, 36 * D);
    sg_safetensors_free(&f);
}
END_TEST

START_TEST(drop_path_drops_whole_samples_in_training_only)
{
    sg_graph *g = sg_graph_new();
    sg_graph_set_seed(g, 7, 3);
    sg_tensor *x = sg_graph_tensor(g, 3, (int64_t[]){64, 2, 3});
    for (int64_t i = 0; i < x->numel; i++) x->data[i] = 1.0f + (float)(i % 5);
    sg_graph_set_training(g, false);
    ck_assert_ptr_eq(sg_drop_path(g, x, 0.5f), x);
    sg_graph_set_training(g, true);
    sg_tensor *y = sg_drop_path(g, x, 0.25f);
    ck_assert_ptr_nonnull(y);
    int dropped = 0;
    for (int b = 0; b < 64; b++) {
        bool zero = y->data[b * 6] == 0.0f;
        dropped += zero;
        for (int k = 0; k < 6; k++) {
            float want = zero ? 0.0f : x->data[b * 6 + k] / 0.75f;
            ck_assert_float_eq_tol(y->data[b * 6 + k], want, 1e-6f * fabsf(want) + 1e-30f);
        }
    }
    printf("  drop_path p 0.25: %d of 64 samples dropped\n", dropped);
    ck_assert(dropped > 4 && dropped < 32);
    sg_graph_free(g);
}
END_TEST

START_TEST(training_step_runs_with_dropout_and_stochastic_depth)
{
    /* The unfused attention (dropout on the probabilities) and drop path in
     * training mode: finite loss and gradients on every trained parameter. */
    sg_cct_config c = {.in_channels = 1, .image_size = 16, .classes = 3, .dim = 16, .n_conv = 1,
                       .kernel = 3, .stride = 1, .padding = 1, .layers = 2, .heads = 2,
                       .mlp_ratio = 2, .learnable_pos = true, .dropout = 0.1f,
                       .attn_dropout = 0.1f, .drop_path = 0.2f};
    sg_cct m;
    ck_assert_int_eq(sg_cct_init(&m, &c, 3), SG_OK);
    sg_graph *g = sg_graph_new();
    sg_graph_set_seed(g, 5, 0);
    sg_graph_set_training(g, true);
    sg_tensor *x = sg_graph_tensor(g, 4, (int64_t[]){4, 1, 16, 16});
    sg_test_model_rule_input(x->data, x->numel);
    sg_params_zero_grad(&m.params);
    sg_tensor *y = sg_cct_forward(g, &m, x);
    ck_assert_msg(y != NULL, "%s", sg_graph_error_message(g));
    float dy[12];
    for (int i = 0; i < 12; i++) dy[i] = (float)(i % 3) - 1.0f;
    ck_assert_int_eq(sg_graph_backward_from(g, y, dy), SG_OK);
    for (int i = 0; i < m.params.count; i++) {
        const sg_param *p = m.params.items[i];
        double s = 0;
        for (int64_t k = 0; k < p->t.numel; k++) s += fabs(p->t.grad[k]);
        ck_assert_msg(isfinite(s) && s > 0, "%s: gradient sum %g", p->name, s);
    }
    sg_graph_free(g);
    sg_cct_free(&m);
}
END_TEST

START_TEST(checkpoint_of_another_size_loads_with_a_resized_position_embedding)
{
    sg_model a, b;
    sg_model_options o = sg_model_options_defaults(4);
    o.image_size = 64;
    ck_assert_int_eq(sg_model_build(&a, "vit_ti_16", &o, 1), SG_OK);
    o.image_size = 96;
    ck_assert_int_eq(sg_model_build(&b, "vit_ti_16", &o, 2), SG_OK);
    const char *dir = sg_test_tmpdir();
    char *path = sg_test_path(dir, "vit64.safetensors");
    ck_assert_msg(sg_params_save(a.params, path, NULL, 0) == SG_OK, "%s", sg_error_message());
    sg_model_load_report r;
    ck_assert_msg(sg_model_load_weights(&b, path, true, &r) == SG_OK, "%s", sg_error_message());
    ck_assert(r.pos_resized);
    ck_assert_int_eq(r.loaded, b.params->count);
    const sg_param *pa = sg_params_find(a.params, "encoder.pos_embedding");
    const sg_param *pb = sg_params_find(b.params, "encoder.pos_embedding");
    ck_assert_int_eq(pb->t.shape[1], 1 + 36);
    ck_assert_float_eq(pb->t.data[5], pa->t.data[5]);   /* the class token's row is kept */
    sg_test_remove_tree(dir);
    sg_model_free(&a);
    sg_model_free(&b);
}
END_TEST

static Suite *transformers_suite(void)
{
    Suite *s = suite_create("transformers");
    SG_ADD_TEST(s, cct_matches_vit_pytorch_logits_attention_and_gradients, 60);
    SG_ADD_TEST(s, vit_matches_torchvision_logits_attention_and_gradients, 60);
    SG_ADD_TEST(s, preset_parameter_counts_match_the_references, 120);
    SG_ADD_TEST(s, sinusoidal_embedding_and_grid_resize_match_the_references, 30);
    SG_ADD_TEST(s, drop_path_drops_whole_samples_in_training_only, 30);
    SG_ADD_TEST(s, training_step_runs_with_dropout_and_stochastic_depth, 30);
    SG_ADD_TEST(s, checkpoint_of_another_size_loads_with_a_resized_position_embedding, 60);
    return s;
}

SG_TEST_MAIN(transformers_suite)
