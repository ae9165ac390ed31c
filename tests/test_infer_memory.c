/* tests/test_infer_memory.c - a no-grad forward keeps only live activations
 * (core/graph.h, "inference memory"; models/zoo.c runs the plan).
 *
 * MobileNetV2 (64 px, batch 2) runs the same eval forward twice: with the
 * plan (dead activations freed) and with sg_graph_set_free_dead(g, false)
 * (today's keep-everything arena). The logits and two tapped layers must be
 * the same bytes (memcmp): the plan changes where tensors live, never the
 * arithmetic. The arena's high-water mark of the planned forward must stay
 * within a bound computed here from the model's own tape (a grad-mode eval
 * forward): the largest "inputs + output" of one op plus the largest single
 * activation (a residual waiting for its add) plus 64 KiB for headers and
 * per-op statistics - and at most a third of what the unplanned forward
 * holds. A second planned forward neither grows the arena nor changes a bit.
 * Every other family of the zoo gives the same bytes with and without the plan.
 * A forward that does not repeat its dry run is an error, never a read of
 * freed memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layers/activation.h"
#include "layers/attention.h"
#include "layers/elementwise.h"
#include "models/zoo.h"
#include "tests/testutil.h"

enum { BATCH = 2, SIZE = 64, CLASSES = 10 };

static float *image(void)
{
    float *x = malloc(sizeof(float) * BATCH * 3 * SIZE * SIZE);
    ck_assert_ptr_nonnull(x);
    sg_test_fill_normal(x, BATCH * 3 * SIZE * SIZE, 7, 1.0f);
    return x;
}

typedef struct run {
    float *logits, *tap3, *tap18;
    int64_t n_logits, n3, n18;
    size_t peak, capacity;
} run;

static float *copy_of(const sg_tensor *t, int64_t *n)
{
    ck_assert_ptr_nonnull(t);
    *n = t->numel;
    float *c = malloc(sizeof(float) * (size_t)t->numel);
    ck_assert_ptr_nonnull(c);
    memcpy(c, t->data, sizeof(float) * (size_t)t->numel);
    return c;
}

/* One eval forward with taps on features.3 and features.18 on graph g. */
static run forward(sg_graph *g, sg_model *m, float *x)
{
    sg_graph_reset(g);
    sg_graph_clear_taps(g);
    sg_tensor *t3 = NULL, *t18 = NULL;
    ck_assert_int_eq(sg_graph_set_tap(g, "features.3", &t3, false), SG_OK);
    ck_assert_int_eq(sg_graph_set_tap(g, "features.18", &t18, false), SG_OK);
    sg_tensor *in = sg_graph_view(g, x, 4, (int64_t[]){BATCH, 3, SIZE, SIZE});
    sg_tensor *y = sg_model_forward(g, m, in);
    ck_assert_msg(y != NULL, "forward: %s", sg_graph_error_message(g));
    run r = {0};
    r.logits = copy_of(y, &r.n_logits);
    r.tap3 = copy_of(t3, &r.n3);
    r.tap18 = copy_of(t18, &r.n18);
    r.peak = sg_graph_peak_bytes(g);
    sg_graph_reset(g);
    r.capacity = sg_arena_capacity(sg_graph_arena(g));
    return r;
}

static void run_free(run *r)
{
    free(r->logits);
    free(r->tap3);
    free(r->tap18);
}

static void same_bytes(const char *what, const float *a, int64_t na, const float *b, int64_t nb)
{
    ck_assert_int_eq(na, nb);
    ck_assert_msg(memcmp(a, b, sizeof(float) * (size_t)na) == 0, "%s: planned forward differs", what);
}

static size_t bytes_of(const sg_tensor *t) { return sg_arena_round((size_t)t->numel * sizeof(float)); }

/* From the tape of a grad-mode eval forward: the largest bytes one op touches
 * (its distinct activation inputs + its output, an in-place output counted
 * once), the largest activation, and the sum of all of them. */
static void tape_sizes(sg_model *m, float *x, size_t *op_max, size_t *act_max, size_t *act_sum)
{
    sg_graph *g = sg_graph_new();
    sg_graph_set_training(g, false);
    sg_tensor *in = sg_graph_view(g, x, 4, (int64_t[]){BATCH, 3, SIZE, SIZE});
    ck_assert_ptr_nonnull(sg_model_forward(g, m, in));
    *op_max = *act_max = *act_sum = 0;
    for (int i = 0; i < sg_graph_tape_length(g); i++) {
        const sg_node *n = sg_graph_tape_node(g, i);
        size_t touched = 0;
        bool inplace = false;
        for (int k = 0; k < n->n_in; k++) {
            const sg_tensor *t = n->in[k];
            if (!t || t->is_param || t->data == x) continue;
            bool dup = false;
            for (int j = 0; j < k; j++) dup |= n->in[j] && n->in[j]->data == t->data;
            if (!dup) touched += bytes_of(t);
            inplace |= t->data == n->out->data;
        }
        if (!inplace) {
            touched += bytes_of(n->out);
            *act_sum += bytes_of(n->out);
            if (bytes_of(n->out) > *act_max) *act_max = bytes_of(n->out);
        }
        if (touched > *op_max) *op_max = touched;
    }
    sg_graph_free(g);
}

START_TEST(planned_forward_frees_dead_activations_with_the_same_bits)
{
    sg_model_options o = sg_model_options_defaults(CLASSES);
    o.image_size = SIZE;
    sg_model m;
    ck_assert_int_eq(sg_model_build(&m, "mobilenetv2", &o, 3), SG_OK);
    float *x = image();

    sg_graph *keep = sg_graph_new(), *plan = sg_graph_new();
    for (int i = 0; i < 2; i++) {
        sg_graph *g = i ? plan : keep;
        sg_graph_set_grad_enabled(g, false);
        sg_graph_set_training(g, false);
    }
    sg_graph_set_free_dead(keep, false);
    ck_assert(sg_graph_free_dead(plan));
    run a = forward(keep, &m, x), b = forward(plan, &m, x), c = forward(plan, &m, x);
    same_bytes("logits", a.logits, a.n_logits, b.logits, b.n_logits);
    same_bytes("features.3", a.tap3, a.n3, b.tap3, b.n3);
    same_bytes("features.18", a.tap18, a.n18, b.tap18, b.n18);
    same_bytes("logits, second planned forward", b.logits, b.n_logits, c.logits, c.n_logits);
    same_bytes("features.3, second planned forward", b.tap3, b.n3, c.tap3, c.n3);

    size_t op_max, act_max, act_sum;
    tape_sizes(&m, x, &op_max, &act_max, &act_sum);
    size_t bound = op_max + act_max + 64 * 1024;
    printf("mobilenetv2 %dx3x%dx%d: peak planned %zu B, unplanned %zu B; bound %zu B = "
           "largest op %zu + largest activation %zu + 64 KiB; all activations %zu B\n",
           BATCH, SIZE, SIZE, b.peak, a.peak, bound, op_max, act_max, act_sum);
    ck_assert_msg(b.peak <= bound, "planned peak %zu B above the bound %zu B", b.peak, bound);
    ck_assert_msg(3 * b.peak <= a.peak, "planned peak %zu B is not a third of the unplanned %zu B",
                  b.peak, a.peak);
    ck_assert_msg(3 * b.peak <= act_sum, "planned peak %zu B vs all activations %zu B", b.peak,
                  act_sum);
    /* steady state: the second forward reused the arena as it was */
    ck_assert_uint_eq(c.peak, b.peak);
    ck_assert_uint_eq(c.capacity, b.capacity);

    run_free(&a), run_free(&b), run_free(&c);
    sg_graph_free(keep);
    sg_graph_free(plan);
    free(x);
    sg_model_free(&m);
}
END_TEST

/* Every family of the zoo (residuals, concatenations, attention with its
 * scratch, heads): the planned forward gives the unplanned one's bytes. */
START_TEST(every_model_family_gives_the_same_bytes_with_the_plan)
{
    static const struct { const char *name, *head; int size; } cases[] = {
        {"cnn", NULL, 32},          {"cnn002", NULL, 32},        {"resnet18", NULL, 32},
        {"resnetv2_50", NULL, 32},  {"inceptionv3", NULL, 75},   {"cct_2_3x2_32", NULL, 32},
        {"vit_ti_16", NULL, 32},    {"resnet18", "gap256", 64},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        sg_model_options o = sg_model_options_defaults(CLASSES);
        o.image_size = cases[c].size;
        o.head = cases[c].head;
        sg_model m;
        ck_assert_msg(sg_model_build(&m, cases[c].name, &o, 5) == SG_OK, "%s: %s", cases[c].name,
                      sg_error_message());
        int64_t S = cases[c].size, C = m.opts.in_channels, n = BATCH * C * S * S;
        float *x = malloc(sizeof(float) * (size_t)n), *y[2];
        ck_assert_ptr_nonnull(x);
        sg_test_fill_normal(x, n, 11, 1.0f);
        int64_t ny[2];
        size_t peak[2];
        for (int planned = 0; planned < 2; planned++) {
            sg_graph *g = sg_graph_new();
            sg_graph_set_grad_enabled(g, false);
            sg_graph_set_training(g, false);
            sg_graph_set_free_dead(g, planned);
            sg_tensor *in = sg_graph_view(g, x, 4, (int64_t[]){BATCH, C, S, S});
            sg_tensor *out = sg_model_forward(g, &m, in);
            ck_assert_msg(out != NULL, "%s: %s", cases[c].name, sg_graph_error_message(g));
            y[planned] = copy_of(out, &ny[planned]);
            peak[planned] = sg_graph_peak_bytes(g);
            sg_graph_free(g);
        }
        printf("%s%s%s %lldx%lldx%lldx%lld: peak planned %zu B, unplanned %zu B\n", cases[c].name,
               cases[c].head ? " + " : "", cases[c].head ? cases[c].head : "", (long long)BATCH,
               (long long)C, (long long)S, (long long)S, peak[1], peak[0]);
        same_bytes(cases[c].name, y[0], ny[0], y[1], ny[1]);
        ck_assert_uint_le(peak[1], peak[0]);
        free(y[0]), free(y[1]), free(x);
        sg_model_free(&m);
    }
}
END_TEST

/* A tensor with two consumers lives until the second; the plan only runs in
 * no-grad eval mode; a run that strays from its dry run fails. */
START_TEST(plan_keeps_tensors_until_their_last_use_and_catches_a_diverging_run)
{
    sg_graph *g = sg_graph_new();
    ck_assert(!sg_graph_plan_begin(g));   /* grad on, training on: no plan */
    sg_graph_set_grad_enabled(g, false);
    ck_assert(!sg_graph_plan_begin(g));   /* training on */
    sg_graph_set_training(g, false);
    float in[4] = {-1, 2, -3, 4};
    sg_tensor *a = sg_graph_tensor_from(g, 1, (int64_t[]){4}, in);
    for (int diverge = 0; diverge < 2; diverge++) {
        sg_tensor *y = NULL;
        ck_assert(sg_graph_plan_begin(g));
        for (int pass = 0; pass < 2; pass++) {
            sg_tensor *t = sg_relu(g, a);              /* {0, 2, 0, 4} */
            sg_tensor *u = sg_mul_scalar(g, a, 2.0f);  /* t's memory must not be reused here */
            if (diverge && pass == 1) u = sg_neg(g, u);
            y = sg_add(g, u, t);                       /* {-2, 6, -6, 12} */
            if (pass == 0) ck_assert(sg_graph_plan_run(g, y));
        }
        sg_graph_plan_end(g);
        if (!diverge) {
            ck_assert_ptr_nonnull(y);
            const float want[4] = {-2, 6, -6, 12};
            ck_assert_mem_eq(y->data, want, sizeof want);
            ck_assert_int_eq(sg_graph_error(g), SG_OK);
        } else {
            ck_assert_int_ne(sg_graph_error(g), SG_OK);
            ck_assert_msg(strstr(sg_graph_error_message(g), "did not repeat its dry run"),
                          "message: %s", sg_graph_error_message(g));
        }
    }
    sg_graph_free(g);
}
END_TEST

/* An op's scratch tensor (attention's probabilities) goes back with the
 * scratch; the plan must not free it a second time (its bytes would then be
 * handed out twice: here the headers of the next ops would land in y). */
static void attention_chain(bool planned, float *out, int64_t n)
{
    sg_graph *g = sg_graph_new();
    sg_graph_set_grad_enabled(g, false);
    sg_graph_set_training(g, false);
    sg_graph_set_free_dead(g, planned);
    const int64_t shape[3] = {2, 24, 16};
    float q[2 * 24 * 16];
    sg_test_fill_normal(q, 2 * 24 * 16, 3, 1.0f);
    sg_tensor *x = sg_graph_tensor_from(g, 3, shape, q);
    sg_tensor *y = NULL;
    bool plan = sg_graph_plan_begin(g);
    ck_assert(plan == planned);
    for (int pass = 0; pass < (plan ? 2 : 1); pass++) {
        y = sg_scaled_dot_product_attention(g, x, x, x, NULL, false, 0.0f);
        for (int i = 0; i < 4; i++) y = sg_add_scalar(g, sg_relu(g, sg_mul_scalar(g, y, 1.5f)), 0.25f);
        if (plan && pass == 0) ck_assert(sg_graph_plan_run(g, y));
    }
    if (plan) sg_graph_plan_end(g);
    ck_assert_msg(y != NULL, "%s", sg_graph_error_message(g));
    ck_assert_int_eq(y->numel, n);
    memcpy(out, y->data, sizeof(float) * (size_t)n);
    sg_graph_free(g);
}

START_TEST(scratch_tensors_are_given_back_once)
{
    float a[2 * 24 * 16], b[2 * 24 * 16];
    attention_chain(false, a, 2 * 24 * 16);
    attention_chain(true, b, 2 * 24 * 16);
    ck_assert_mem_eq(a, b, sizeof a);
}
END_TEST

static Suite *infer_memory_suite(void)
{
    Suite *s = suite_create("infer_memory");
    SG_ADD_TEST(s, planned_forward_frees_dead_activations_with_the_same_bits, 120);
    SG_ADD_TEST(s, every_model_family_gives_the_same_bytes_with_the_plan, 300);
    SG_ADD_TEST(s, scratch_tensors_are_given_back_once, 30);
    SG_ADD_TEST(s, plan_keeps_tensors_until_their_last_use_and_catches_a_diverging_run, 30);
    return s;
}

SG_TEST_MAIN(infer_memory_suite)
