/* tests/test_pool_modes.c - each pooling mode on a small image worked out by
 * hand: ceil_mode (partial last windows, and the window past the padding
 * PyTorch clips), count_include_pad on and off, their backward divisors, and
 * ceil_mode max pooling.
 *
 * The input is x[r][c] = r * W + c + 1 (1, 2, 3, ... row by row), so every
 * window sum below can be checked on paper. */
#include <string.h>

#include "layers/pool.h"
#include "tests/testutil.h"

typedef struct {
    const char *name;
    int64_t side;               /* x is 1 x 1 x side x side */
    int kernel, stride, pad;
    bool ceil_mode, count_include_pad, max;
    int64_t out_side;
    float want[16];             /* y, row by row */
} pool_case;

static const pool_case cases[] = {
    /* 5x5, 2x2 windows, stride 2, ceil_mode: 3 x 3, the last row/column of
     * windows hold 2 pixels (or 1 at the corner) and divide by that. */
    {"avg 2x2 stride 2 ceil_mode", 5, 2, 2, 0, true, true, false, 3,
     {4, 6, 7.5f, 14, 16, 17.5f, 21.5f, 23.5f, 25}},
    /* The same with count_include_pad off: without padding, the same divisors. */
    {"avg 2x2 stride 2 ceil_mode, padding excluded", 5, 2, 2, 0, true, false, false, 3,
     {4, 6, 7.5f, 14, 16, 17.5f, 21.5f, 23.5f, 25}},
    /* 5x5, 3x3, stride 2, pad 1, count_include_pad: every window divides by 9.
     * Corner (rows 0-1, cols 0-1) = 1+2+6+7 = 16; top edge (cols 1-3) = 33;
     * centre (rows 1-3, cols 1-3) = 117. */
    {"avg 3x3 stride 2 pad 1, padding counted", 5, 3, 2, 1, false, true, false, 3,
     {16.0f / 9, 33.0f / 9, 28.0f / 9, 69.0f / 9, 13, 87.0f / 9, 76.0f / 9, 123.0f / 9, 88.0f / 9}},
    /* The same windows divided by their real pixels: 4 at corners, 6 on edges, 9 inside. */
    {"avg 3x3 stride 2 pad 1, padding excluded", 5, 3, 2, 1, false, false, false, 3,
     {4, 5.5f, 7, 11.5f, 13, 14.5f, 19, 20.5f, 22}},
    /* 6x6, 3x3, stride 2, pad 1, ceil_mode: 4 x 4 (the last window starts at
     * row 5 < 6 + 1). Window rows: {0, 1}, {1, 2, 3}, {3, 4, 5}, {5} (likewise
     * columns). The last window also covers the padding row 6: PyTorch counts
     * that padding row but not the row 7 past it that ceil_mode adds, so with
     * padding counted the bottom-right divisor is 2 x 2 = 4 (x[5][5] = 36 -> 9).
     * Sums: top row 1+2+7+8 = 18, 2+3+4+8+9+10 = 36, 4+5+6+10+11+12 = 48, 6+12 = 18. */
    {"avg 3x3 stride 2 pad 1 ceil_mode, padding counted", 6, 3, 2, 1, true, true, false, 4,
     {18.0f / 9, 36.0f / 9, 48.0f / 9, 18.0f / 6, 81.0f / 9, 135.0f / 9, 153.0f / 9, 54.0f / 6,
      153.0f / 9, 243.0f / 9, 261.0f / 9, 90.0f / 6, 63.0f / 6, 99.0f / 6, 105.0f / 6, 36.0f / 4}},
    /* The same windows divided by their real pixels. */
    {"avg 3x3 stride 2 pad 1 ceil_mode, padding excluded", 6, 3, 2, 1, true, false, false, 4,
     {18.0f / 4, 36.0f / 6, 48.0f / 6, 18.0f / 2, 81.0f / 6, 135.0f / 9, 153.0f / 9, 54.0f / 3,
      153.0f / 6, 243.0f / 9, 261.0f / 9, 90.0f / 3, 63.0f / 2, 99.0f / 3, 105.0f / 3, 36}},
    /* Max pooling, 2x2 stride 2 ceil_mode on 5x5: the partial windows' maxima. */
    {"max 2x2 stride 2 ceil_mode", 5, 2, 2, 0, true, true, true, 3,
     {7, 9, 10, 17, 19, 20, 22, 24, 25}},
};

static sg_pool2d_opts opts_of(const pool_case *c)
{
    sg_pool2d_opts o = sg_pool2d_opts_make(c->kernel, c->stride, c->pad);
    o.ceil_mode = c->ceil_mode;
    o.count_include_pad = c->count_include_pad;
    return o;
}

START_TEST(pool_mode_matches_windows_worked_by_hand)
{
    const pool_case *c = &cases[_i];
    const int64_t shape[4] = {1, 1, c->side, c->side};
    float x[36];
    for (int i = 0; i < c->side * c->side; i++) x[i] = (float)(i + 1);
    sg_pool2d_opts o = opts_of(c);
    int64_t OH, OW;
    ck_assert(sg_pool2d_out_size(c->side, c->side, &o, &OH, &OW));
    ck_assert_msg(OH == c->out_side && OW == c->out_side, "%s: output %lld x %lld, expected %lld",
                  c->name, (long long)OH, (long long)OW, (long long)c->out_side);
    sg_graph *g = sg_graph_new();
    sg_tensor *xt = sg_graph_tensor_from(g, 4, shape, x);
    sg_tensor *y = c->max ? sg_max_pool2d(g, xt, &o) : sg_avg_pool2d(g, xt, &o);
    ck_assert_msg(y != NULL, "%s: %s", c->name, sg_graph_error_message(g));
    ck_assert_int_eq(y->numel, c->out_side * c->out_side);
    SG_ASSERT_CLOSE(c->name, c->want, y->data, y->numel, 1e-6, 1e-6);
    sg_graph_free(g);
}
END_TEST

/* Backward divides by the same divisors: with dy = 1 and non-overlapping
 * 2x2 windows in ceil_mode on 5x5, a pixel of a full window gets 1/4, of an
 * edge window 1/2, the corner pixel 1. With 3x3 stride 2 pad 1 and padding
 * excluded on 5x5, a pixel collects 1 / (real pixels of the window) from
 * every window that holds it: (0, 0) only 1/4 (the corner window); (0, 1)
 * 1/4 + 1/6; (1, 1) 1/4 + 2/6 + 1/9. */
START_TEST(avg_pool_backward_uses_the_same_divisors)
{
    const int64_t shape[4] = {1, 1, 5, 5};
    float x[25];
    for (int i = 0; i < 25; i++) x[i] = (float)(i + 1);
    for (int which = 0; which < 2; which++) {
        const pool_case *c = &cases[which == 0 ? 0 : 3];
        sg_pool2d_opts o = opts_of(c);
        sg_graph *g = sg_graph_new();
        sg_tensor *xt = sg_graph_tensor_from(g, 4, shape, x);
        xt->requires_grad = true;
        sg_tensor *y = sg_avg_pool2d(g, xt, &o);
        ck_assert_ptr_nonnull(y);
        float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
        ck_assert_int_eq(sg_graph_backward_from(g, y, ones), SG_OK);
        float want[25];
        for (int r = 0; r < 5; r++)
            for (int cc = 0; cc < 5; cc++) {
                if (which == 0) {
                    want[r * 5 + cc] = (r == 4 && cc == 4) ? 1.0f : (r == 4 || cc == 4) ? 0.5f : 0.25f;
                } else {
                    /* Windows start at rows -1, 1, 3 (3 rows each): row r is in
                     * window i when 2i - 1 <= r <= 2i + 1. Real rows per window:
                     * 2, 3, 2; the divisor is real rows x real columns. */
                    static const float real[3] = {2, 3, 2};
                    float sum = 0;
                    for (int i = 0; i < 3; i++)
                        for (int j = 0; j < 3; j++)
                            if (2 * i - 1 <= r && r <= 2 * i + 1 && 2 * j - 1 <= cc && cc <= 2 * j + 1)
                                sum += 1.0f / (real[i] * real[j]);
                    want[r * 5 + cc] = sum;
                }
            }
        SG_ASSERT_CLOSE(c->name, want, xt->grad, 25, 1e-6, 1e-6);
        sg_graph_free(g);
    }
}
END_TEST

static Suite *pool_modes_suite(void)
{
    Suite *s = suite_create("pool_modes");
    TCase *tc = tcase_create("pool_mode_matches_windows_worked_by_hand");
    tcase_set_timeout(tc, 10);
    tcase_add_loop_test(tc, pool_mode_matches_windows_worked_by_hand, 0,
                        (int)(sizeof cases / sizeof cases[0]));
    suite_add_tcase(s, tc);
    SG_ADD_TEST(s, avg_pool_backward_uses_the_same_divisors, 10);
    return s;
}

SG_TEST_MAIN(pool_modes_suite)
