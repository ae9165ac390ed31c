/* tests/test_optim_steps.c - every optimiser variant against the update rule
 * written out in this file.
 *
 * For each variant (SGD plain / momentum / dampening / Nesterov / L2, Adam,
 * Adam + L2, AdamW's decoupled decay, AMSGrad, a large eps) five steps run on
 * a sequence of gradients chosen so that every term matters: the magnitudes
 * shrink after the first steps (AMSGrad's running maximum then differs from
 * v), signs flip (momentum and Nesterov differ from plain SGD), and a second
 * parameter is flagged no_decay. The reference below is the textbook rule of
 * torch.optim's documentation, in double, sharing no code with optim/optim.c;
 * the parameters and every state slot must agree to float rounding
 * (|diff| <= 1e-6 + 2e-5 |expected|), while each term left out or misplaced
 * moves them by far more (the last test shows the variants differ pairwise). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "optim/optim.h"
#include "tests/testutil.h"

enum { N = 4, STEPS = 5, PARAMS = 2 };

typedef struct {
    const char *name;
    sg_optimizer_kind kind;
    sg_sgd_opts sgd;
    sg_adam_opts adam;
} variant;

static const variant variants[] = {
    {"sgd", SG_OPTIMIZER_SGD, {.lr = 0.1}, {.lr = 0}},
    {"sgd momentum", SG_OPTIMIZER_SGD, {.lr = 0.1, .momentum = 0.9}, {.lr = 0}},
    {"sgd momentum + dampening", SG_OPTIMIZER_SGD, {.lr = 0.1, .momentum = 0.9, .dampening = 0.5}, {.lr = 0}},
    {"sgd nesterov", SG_OPTIMIZER_SGD, {.lr = 0.1, .momentum = 0.9, .nesterov = true}, {.lr = 0}},
    {"sgd momentum + L2 weight decay", SG_OPTIMIZER_SGD,
     {.lr = 0.1, .momentum = 0.8, .weight_decay = 0.2}, {.lr = 0}},
    {"adam", SG_OPTIMIZER_ADAM, {.lr = 0}, {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8}},
    {"adam + L2 weight decay", SG_OPTIMIZER_ADAM, {.lr = 0},
     {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.5}},
    {"adamw (decoupled weight decay)", SG_OPTIMIZER_ADAMW, {.lr = 0},
     {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.5}},
    {"adam fast-forgetting v (beta2 0.5)", SG_OPTIMIZER_ADAM, {.lr = 0},
     {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.5, .eps = 1e-8}},
    {"adam amsgrad (beta2 0.5)", SG_OPTIMIZER_ADAM, {.lr = 0},
     {.lr = 0.01, .beta1 = 0.9, .beta2 = 0.5, .eps = 1e-8, .amsgrad = true}},
    {"adamw amsgrad", SG_OPTIMIZER_ADAMW, {.lr = 0},
     {.lr = 0.01, .beta1 = 0.8, .beta2 = 0.9, .eps = 1e-8, .weight_decay = 0.3, .amsgrad = true}},
    {"adam large eps, small betas", SG_OPTIMIZER_ADAM, {.lr = 0},
     {.lr = 0.05, .beta1 = 0.5, .beta2 = 0.75, .eps = 0.05}},
};
#define N_VARIANTS ((int)(sizeof variants / sizeof variants[0]))

static const float start[PARAMS][N] = {{1.0f, -2.0f, 0.5f, 3.0f}, {0.25f, 1.5f, -1.0f, -0.75f}};

/* Gradient of parameter k at step t (1-based): large first, then small with
 * changing signs. */
static float grad_at(int k, int t, int i)
{
    static const float g1[N] = {1.0f, -0.5f, 2.0f, 0.01f};
    float scale = t == 1 ? 1.0f : 0.2f / (float)t;
    float sign = ((t + i + k) % 3 == 0) ? -1.0f : 1.0f;
    return sign * scale * (g1[i] + 0.1f * (float)k) + 0.03f * (float)(t - 2);
}

/* The reference state of one parameter. */
typedef struct {
    double p[N], buf[N], m[N], v[N], vmax[N];
} ref_state;

/* One step of the documented rule, in double. */
static void ref_step(const variant *o, ref_state *s, const float *g_in, int t, bool no_decay)
{
    for (int i = 0; i < N; i++) {
        double g = g_in[i];
        if (o->kind == SG_OPTIMIZER_SGD) {
            double wd = no_decay ? 0.0 : o->sgd.weight_decay;
            double d = g + wd * s->p[i];                       /* L2 folded into the gradient */
            if (o->sgd.momentum != 0) {
                s->buf[i] = t == 1 ? d : o->sgd.momentum * s->buf[i] + (1 - o->sgd.dampening) * d;
                d = o->sgd.nesterov ? d + o->sgd.momentum * s->buf[i] : s->buf[i];
            }
            s->p[i] -= o->sgd.lr * d;
        } else {
            const sg_adam_opts *a = &o->adam;
            double wd = no_decay ? 0.0 : a->weight_decay;
            if (o->kind == SG_OPTIMIZER_ADAMW) s->p[i] *= 1 - a->lr * wd;   /* decoupled */
            else g += wd * s->p[i];                                         /* L2 */
            s->m[i] = a->beta1 * s->m[i] + (1 - a->beta1) * g;
            s->v[i] = a->beta2 * s->v[i] + (1 - a->beta2) * g * g;
            double v = s->v[i];
            if (a->amsgrad) {
                s->vmax[i] = fmax(s->vmax[i], v);
                v = s->vmax[i];
            }
            double m_hat = s->m[i] / (1 - pow(a->beta1, t)), v_hat = v / (1 - pow(a->beta2, t));
            s->p[i] -= a->lr * m_hat / (sqrt(v_hat) + a->eps);
        }
    }
}

/* Run `o` for STEPS steps on both parameters (the second flagged no_decay);
 * out[k] receives the reference trajectory's end state. Compares the
 * parameters and the state slots after every step. */
static void run_variant(const variant *o, ref_state out[PARAMS])
{
    sg_params ps = {0};
    sg_param *p[PARAMS];
    ref_state ref[PARAMS];
    memset(ref, 0, sizeof ref);
    const int64_t shape[1] = {N};
    for (int k = 0; k < PARAMS; k++) {
        p[k] = sg_params_add(&ps, k == 0 ? "w" : "bias", 1, shape);
        ck_assert_ptr_nonnull(p[k]);
        memcpy(p[k]->t.data, start[k], sizeof start[k]);
        for (int i = 0; i < N; i++) ref[k].p[i] = start[k][i];
    }
    p[1]->no_decay = true;
    sg_optimizer *opt = o->kind == SG_OPTIMIZER_SGD    ? sg_sgd_new(&o->sgd)
                        : o->kind == SG_OPTIMIZER_ADAM ? sg_adam_new(&o->adam)
                                                       : sg_adamw_new(&o->adam);
    ck_assert_msg(opt != NULL, "%s: %s", o->name, sg_error_message());
    for (int t = 1; t <= STEPS; t++) {
        for (int k = 0; k < PARAMS; k++) {
            float g[N];
            for (int i = 0; i < N; i++) g[i] = grad_at(k, t, i);
            memcpy(p[k]->t.grad, g, sizeof g);
            ref_step(o, &ref[k], g, t, k == 1);
        }
        ck_assert_msg(sg_optimizer_step(opt, &ps) == SG_OK, "%s: %s", o->name, sg_error_message());
        for (int k = 0; k < PARAMS; k++) {
            char what[320];
            float want[N];
            const double *slots[3] = {ref[k].buf, NULL, NULL};
            int n_slots = o->sgd.momentum != 0 ? 1 : 0;
            if (o->kind != SG_OPTIMIZER_SGD) {
                slots[0] = ref[k].m, slots[1] = ref[k].v, slots[2] = ref[k].vmax;
                n_slots = o->adam.amsgrad ? 3 : 2;
            }
            for (int i = 0; i < N; i++) want[i] = (float)ref[k].p[i];
            snprintf(what, sizeof what, "%s, %s, step %d: parameter", o->name, p[k]->name, t);
            SG_ASSERT_CLOSE(what, want, p[k]->t.data, N, 1e-6, 2e-5);
            for (int s = 0; s < n_slots; s++) {
                for (int i = 0; i < N; i++) want[i] = (float)slots[s][i];
                snprintf(what, sizeof what, "%s, %s, step %d: state slot %d", o->name, p[k]->name,
                         t, s);
                SG_ASSERT_CLOSE(what, want, p[k]->state[s], N, 1e-7, 2e-5);
            }
        }
    }
    memcpy(out, ref, sizeof ref);
    sg_optimizer_free(opt);
    sg_params_free(&ps);
}

START_TEST(optimizer_variant_matches_the_rule_worked_out_in_double)
{
    ref_state end[PARAMS];
    run_variant(&variants[_i], end);
}
END_TEST

/* The test above is only as good as the differences between variants: each
 * pair of variants that differ in one option must end more than 100 x the
 * tolerance apart, or a mutant that drops that option would pass. */
START_TEST(variants_differing_in_one_option_end_far_apart)
{
    static const int pairs[][2] = {
        {0, 1},   /* momentum */
        {1, 2},   /* dampening */
        {1, 3},   /* nesterov */
        {5, 6},   /* Adam's L2 */
        {6, 7},   /* L2 vs decoupled decay */
        {8, 9},   /* amsgrad */
        {5, 11},  /* eps and betas */
    };
    ref_state end[N_VARIANTS][PARAMS];
    for (int v = 0; v < N_VARIANTS; v++) run_variant(&variants[v], end[v]);
    for (size_t q = 0; q < sizeof pairs / sizeof pairs[0]; q++) {
        const ref_state *a = end[pairs[q][0]], *b = end[pairs[q][1]];
        double diff = 0;
        for (int i = 0; i < N; i++) diff = fmax(diff, fabs(a[0].p[i] - b[0].p[i]));
        printf("%s vs %s: max parameter difference %.3g\n", variants[pairs[q][0]].name,
               variants[pairs[q][1]].name, diff);
        ck_assert_msg(diff > 100 * (1e-6 + 2e-5 * 3), "%s and %s end only %.3g apart",
                      variants[pairs[q][0]].name, variants[pairs[q][1]].name, diff);
    }
    /* AMSGrad's maximum is active: v falls below its running max. */
    const ref_state *ams = end[9];
    bool below = false;
    for (int i = 0; i < N; i++) below |= ams[0].v[i] < ams[0].vmax[i] * 0.5;
    ck_assert_msg(below, "the gradient sequence never lets v fall below vmax: amsgrad untested");
}
END_TEST

/* Two worked numbers, one per decay style, that a reader can check on paper:
 * p = 1, g = 0, lr = 0.1, weight_decay = 0.5, one step.
 *   AdamW: p = 1 * (1 - 0.1 * 0.5) = 0.95; m = v = 0, so m / (sqrt(v) + eps) = 0.
 *   Adam (L2): g' = 0.5, m_hat = 0.5, v_hat = 0.25, p = 1 - 0.1 * 0.5 / 0.5 = 0.9. */
START_TEST(l2_and_decoupled_decay_worked_by_hand)
{
    for (int decoupled = 0; decoupled < 2; decoupled++) {
        sg_params ps = {0};
        const int64_t shape[1] = {1};
        sg_param *p = sg_params_add(&ps, "w", 1, shape);
        p->t.data[0] = 1.0f;
        p->t.grad[0] = 0.0f;
        sg_adam_opts o = {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8, .weight_decay = 0.5};
        sg_optimizer *opt = decoupled ? sg_adamw_new(&o) : sg_adam_new(&o);
        ck_assert_int_eq(sg_optimizer_step(opt, &ps), SG_OK);
        float want = decoupled ? 0.95f : 0.9f;
        ck_assert_msg(fabsf(p->t.data[0] - want) <= 1e-6f, "%s: p = %.9g, expected %.9g",
                      decoupled ? "adamw" : "adam + L2", p->t.data[0], want);
        sg_optimizer_free(opt);
        sg_params_free(&ps);
    }
}
END_TEST

static Suite *optim_steps_suite(void)
{
    Suite *s = suite_create("optim_steps");
    TCase *tc = tcase_create("optimizer_variant_matches_the_rule_worked_out_in_double");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, optimizer_variant_matches_the_rule_worked_out_in_double, 0, N_VARIANTS);
    suite_add_tcase(s, tc);
    SG_ADD_TEST(s, variants_differing_in_one_option_end_far_apart, 10);
    SG_ADD_TEST(s, l2_and_decoupled_decay_worked_by_hand, 10);
    return s;
}

SG_TEST_MAIN(optim_steps_suite)
