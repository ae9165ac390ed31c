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
#include "interp/attention.h"
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
    /* The training attention (dropout on the probabilities) and drop path in
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

/* --- attention maps (interp/attention.h) ------------------------------------ */

START_TEST(attention_rollout_of_hand_made_matrices)
{
    /* One layer that swaps two tokens: B = ((A + I) / 2) = all 0.5, R = B. */
    const float swap[4] = {0, 1, 1, 0};
    double R[9];
    sg_attention_rollout(swap, 1, 2, R);
    for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(R[i], 0.5, 1e-15);
    /* Zero layers: the identity. Self-attention only: the identity. */
    const float self[9] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    sg_attention_rollout(self, 0, 3, R);
    for (int i = 0; i < 9; i++) ck_assert_double_eq(R[i], i % 4 == 0);
    sg_attention_rollout(self, 1, 3, R);
    for (int i = 0; i < 9; i++) ck_assert_double_eq(R[i], i % 4 == 0);
    /* Two layers, every token attending to token 0 of 2:
     * B = [[1, 0], [0.5, 0.5]], R = B B = [[1, 0], [0.75, 0.25]]. */
    const float first[8] = {1, 0, 1, 0, 1, 0, 1, 0};
    sg_attention_rollout(first, 2, 2, R);
    const double want[4] = {1, 0, 0.75, 0.25};
    for (int i = 0; i < 4; i++) ck_assert_double_eq_tol(R[i], want[i], 1e-15);
}
END_TEST

/* The reference's rollout from its own attention maps (the golden attn.<i>). */
static void expect_rollout(const char *name, int prefix)
{
    sg_safetensors f;
    ck_assert_int_eq(sg_safetensors_read(golden_path("transformers_%s.safetensors", name), &f), SG_OK);
    const sg_st_tensor *a0 = sg_safetensors_find(&f, "attn.0"), *a1 = sg_safetensors_find(&f, "attn.1");
    const sg_st_tensor *want = sg_safetensors_find(&f, "rollout"), *pool = sg_safetensors_find(&f, "pool");
    ck_assert(a0 && a1 && want);
    int T = (int)a0->shape[1], n = T - prefix;
    float *A = malloc((size_t)2 * T * T * sizeof *A), *got = malloc((size_t)2 * n * sizeof *got);
    double *R = malloc((size_t)T * T * sizeof *R);
    for (int b = 0; b < 2; b++) {
        memcpy(A, a0->data + (size_t)b * T * T, (size_t)T * T * sizeof *A);
        memcpy(A + (size_t)T * T, a1->data + (size_t)b * T * T, (size_t)T * T * sizeof *A);
        sg_attention_rollout(A, 2, T, R);
        for (int j = 0; j < n; j++) {
            double s = 0;
            if (prefix) s = R[prefix + j];
            else
                for (int i = 0; i < T; i++) s += pool->data[b * T + i] * R[(size_t)i * T + j];
            got[b * n + j] = (float)s;
        }
    }
    char what[96];
    snprintf(what, sizeof what, "%s attention rollout", name);
    expect_close(what, got, want->data, 2 * n);
    free(A);
    free(got);
    free(R);
    sg_safetensors_free(&f);
}

START_TEST(attention_rollout_matches_the_reference)
{
    expect_rollout("cct_tiny", 0);
    expect_rollout("vit_tiny", 1);
}
END_TEST

START_TEST(attention_maps_of_zoo_transformers)
{
    static const struct { const char *model; int size; bool pool; } cases[] = {
        {"cct_2_3x2_32", 32, true}, {"vit_ti_16", 48, false}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sg_model m;
        sg_model_options o = sg_model_options_defaults(3);
        o.image_size = cases[c].size;
        ck_assert_int_eq(sg_model_build(&m, cases[c].model, &o, 1), SG_OK);
        sg_test_model_rule(m.params);
        int S = cases[c].size, HW = S * S;
        float *x = malloc((size_t)3 * HW * sizeof *x), *map = malloc((size_t)HW * sizeof *map);
        sg_test_model_rule_input(x, 3 * HW);
        sg_graph *g = sg_graph_new();
        for (int method = 0; method < 2; method++) {
            sg_cam_result r;
            sg_err err = sg_attention_map(g, &m, x, 3, S, S, (sg_attn_method)method, -1, map, &r);
            if (method == SG_ATTN_POOL && !cases[c].pool) {
                sg_test_expect_code(err, SG_ERR_INVALID, "no sequence pooling", NULL);
                continue;
            }
            ck_assert_msg(err == SG_OK, "%s: %s", cases[c].model, sg_error_message());
            float lo = 1, hi = 0;
            for (int i = 0; i < HW; i++) {
                lo = fminf(lo, map[i]);
                hi = fmaxf(hi, map[i]);
            }
            printf("  %s %s: grid %dx%d, map in [%g, %g], peak (%d, %d), class %d p %.3f\n",
                   cases[c].model, method ? "pool" : "rollout", r.layer_h, r.layer_w, lo, hi,
                   r.peak_x, r.peak_y, r.predicted, r.probability);
            ck_assert(lo >= 0 && lo < 1e-6f && hi <= 1 && hi > 0.999f);
            ck_assert_int_eq(map[r.peak_y * S + r.peak_x] == hi, 1);
        }
        /* A CNN has no attention. */
        sg_graph_free(g);
        free(x);
        free(map);
        sg_model_free(&m);
    }
    sg_model cnn;
    sg_model_options o = sg_model_options_defaults(3);
    ck_assert_int_eq(sg_model_build(&cnn, "cnn", &o, 1), SG_OK);
    sg_graph *g = sg_graph_new();
    float x[64 * 64] = {0}, map[64 * 64];
    sg_test_expect_code(sg_attention_map(g, &cnn, x, 1, 64, 64, SG_ATTN_ROLLOUT, -1, map, NULL),
                        SG_ERR_INVALID, "transformer", NULL);
    sg_graph_free(g);
    sg_model_free(&cnn);
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
    SG_ADD_TEST(s, attention_rollout_of_hand_made_matrices, 30);
    SG_ADD_TEST(s, attention_rollout_matches_the_reference, 30);
    SG_ADD_TEST(s, attention_maps_of_zoo_transformers, 60);
    return s;
}

SG_TEST_MAIN(transformers_suite)
