/* data/affine.c - rotation, shift, shear and zoom with Keras semantics.
 *
 * Keras ImageDataGenerator (keras.preprocessing.image.apply_affine_transform)
 * builds a 3 x 3 matrix in (row, col) coordinates,
 *     T = R(theta) @ S(tx, ty) @ H(shear) @ Z(zx, zy)      (neutral factors left out)
 *     R = [[cos t, -sin t, 0], [sin t, cos t, 0], [0, 0, 1]]
 *     S = [[1, 0, tx], [0, 1, ty], [0, 0, 1]]               tx rows, ty columns
 *     H = [[1, -sin s, 0], [0, cos s, 0], [0, 0, 1]]
 *     Z = [[zx, 0, 0], [0, zy, 0], [0, 0, 1]]
 * moves it to the image centre, T' = C(o) @ T @ C(-o) with o = (h/2 + 0.5,
 * w/2 + 0.5) (transform_matrix_offset_center; note the + 0.5: Keras' centre is
 * half a pixel below and right of the geometric centre (h - 1)/2, and we keep
 * that so results match), and hands T'[:2, :2] and T'[:2, 2] to
 * scipy.ndimage.affine_transform(x, matrix, offset, order=1, mode, cval) for
 * each channel. That function "pulls": output pixel (r, c) takes the input at
 *     p = matrix @ (r, c) + offset,
 * interpolated bilinearly. What scipy (1.10, ni_interpolation.c) does at and
 * beyond the borders is part of the result, so we do exactly the same:
 *
 *  1. Each coordinate is first folded into [0, n-1] by the mode
 *     (map_coordinate):
 *       constant  p < 0 or p > n-1  -> the output is cval (no blending with
 *                 the edge: the image ends sharply at the edge pixel centres)
 *       nearest   p < 0 -> 0,  p > n-1 -> n-1
 *       reflect   period 2n, p -> -p - 1 below 0 and 2n - p - 1 above n - 1
 *                 (this can leave p in (-1, 0) or (n-1, n): handled by step 2)
 *       mirror    period 2n - 2, p -> -p, 2(n-1) - p
 *       wrap      period n - 1 (!): p -> p mod (n - 1). scipy's "wrap" treats
 *                 the first and last samples as the same point; it is what
 *                 Keras' fill_mode="wrap" gives, so we keep it.
 *  2. Bilinear taps i0 = floor(p), i0 + 1 that fall outside [0, n) are
 *     mirrored: symmetrically (-1 -> 0, n -> n-1) for nearest and reflect,
 *     with reflect-101 (-1 -> 1, n -> n-2) for constant, mirror and wrap.
 *  3. Weights: f = p - floor(p), w0 = 1 - f, w1 = 1 - w0 (scipy makes the
 *     weights sum to exactly 1 this way); the value is accumulated in double
 *     in the order (i0, j0), (i0, j1), (i1, j0), (i1, j1) as x * wr * wc, and
 *     rounded to float32 once.
 * The tests compare with a numpy transcription of this (checked against scipy
 * itself by tests/golden/gen_transform.py) to 1e-6. */
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* the reference's rounding, no fused multiply-add */
#endif
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "data/transform.h"
#include "data/transform_internal.h"

/* ------------------------------------------------------------- the matrix */

typedef double mat3[3][3];

/* out = a @ b, summed left to right like a plain dot product. */
static void mat3_mul(const mat3 a, const mat3 b, mat3 out)
{
    mat3 t;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) t[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
    memcpy(out, t, sizeof t);
}

/* T = T @ f, or T = f when T is still unset. */
static void compose(mat3 t, bool *set, const mat3 f)
{
    if (*set) mat3_mul(t, f, t);
    else memcpy(t, f, sizeof(mat3));
    *set = true;
}

bool sg_affine_keras(double theta_deg, double tx, double ty, double shear_deg, double zx,
                     double zy, int h, int w, sg_affine *out)
{
    /* numpy.deg2rad(x) = x * (pi / 180). */
    const double deg = 3.141592653589793 / 180.0;
    mat3 t = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    bool set = false;
    if (theta_deg != 0.0) {
        double a = theta_deg * deg;
        const mat3 r = {{cos(a), -sin(a), 0}, {sin(a), cos(a), 0}, {0, 0, 1}};
        compose(t, &set, r);
    }
    if (tx != 0.0 || ty != 0.0) {
        const mat3 s = {{1, 0, tx}, {0, 1, ty}, {0, 0, 1}};
        compose(t, &set, s);
    }
    if (shear_deg != 0.0) {
        double a = shear_deg * deg;
        const mat3 s = {{1, -sin(a), 0}, {0, cos(a), 0}, {0, 0, 1}};
        compose(t, &set, s);
    }
    if (zx != 1.0 || zy != 1.0) {
        const mat3 z = {{zx, 0, 0}, {0, zy, 0}, {0, 0, 1}};
        compose(t, &set, z);
    }
    if (set) {
        double ox = (double)h / 2 + 0.5, oy = (double)w / 2 + 0.5;
        const mat3 offset = {{1, 0, ox}, {0, 1, oy}, {0, 0, 1}};
        const mat3 reset = {{1, 0, -ox}, {0, 1, -oy}, {0, 0, 1}};
        mat3_mul(offset, t, t);
        mat3_mul(t, reset, t);
    }
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++) out->m[i][j] = t[i][j];
    return set;
}

/* ------------------------------------------------------------- sampling */

/* scipy's map_coordinate for our border modes (step 1 above). Integer
 * divisions of scipy are trunc() in double here: the same values for any
 * coordinate below 2^53, and no undefined float -> int conversion. */
static double fold_coordinate(double p, int n, sg_border mode)
{
    if (p < 0.0) {
        switch (mode) {
        case SG_BORDER_CONSTANT: return -1.0;
        case SG_BORDER_EDGE: return 0.0;
        case SG_BORDER_SYMMETRIC: {
            if (n <= 1) return 0.0;
            double s = 2.0 * n;
            if (p < -s) p = s * trunc(-p / s) + p;
            return p < -n ? p + s : -p - 1.0;
        }
        case SG_BORDER_REFLECT101: {
            if (n <= 1) return 0.0;
            double s = 2.0 * n - 2.0;
            p = s * trunc(-p / s) + p;
            return p <= 1 - n ? p + s : -p;
        }
        case SG_BORDER_WRAP: {
            if (n <= 1) return 0.0;
            double s = n - 1.0;
            return p + s * (trunc(-p / s) + 1.0);
        }
        }
    } else if (p > n - 1) {
        switch (mode) {
        case SG_BORDER_CONSTANT: return -1.0;
        case SG_BORDER_EDGE: return n - 1.0;
        case SG_BORDER_SYMMETRIC: {
            if (n <= 1) return 0.0;
            double s = 2.0 * n;
            p -= s * trunc(p / s);
            return p >= n ? s - p - 1.0 : p;
        }
        case SG_BORDER_REFLECT101: {
            if (n <= 1) return 0.0;
            double s = 2.0 * n - 2.0;
            p -= s * trunc(p / s);
            return p >= n ? s - p : p;
        }
        case SG_BORDER_WRAP: {
            if (n <= 1) return 0.0;
            double s = n - 1.0;
            return p - s * trunc(p / s);
        }
        }
    }
    return p;
}

/* A bilinear tap index outside [0, n) after folding (step 2 above). */
static int tap_index(int i, int n, sg_border mode)
{
    if (i >= 0 && i < n) return i;
    if (n <= 1) return 0;
    bool symmetric = mode == SG_BORDER_EDGE || mode == SG_BORDER_SYMMETRIC;
    return sg_border_index(i, n, symmetric ? SG_BORDER_SYMMETRIC : SG_BORDER_REFLECT101);
}

/* The two taps and weights along one axis; false when the output is cval. */
static bool axis_taps(double p, int n, sg_border mode, int tap[2], double weight[2])
{
    double q = fold_coordinate(p, n, mode);
    if (!(q > -1.0)) return false; /* constant mode outside, or NaN */
    double f = floor(q);
    int i0 = (int)f;
    tap[0] = tap_index(i0, n, mode);
    tap[1] = tap_index(i0 + 1, n, mode);
    weight[0] = 1.0 - (q - f);
    weight[1] = 1.0 - weight[0];
    return true;
}

sg_err sg_fimage_warp_affine(const sg_fimage *in, const sg_affine *m, sg_border fill, float cval,
                             sg_fimage *out)
{
    sg_err err = sg_fimage_check("warp_affine", "input", in);
    if (err == SG_OK) err = sg_fimage_check("warp_affine", "output", out);
    if (err) return err;
    if (out->c != in->c)
        return sg_error_set(SG_ERR_SHAPE, "warp_affine: input has %d channels, output %d", in->c,
                            out->c);
    if (fill < SG_BORDER_CONSTANT || fill > SG_BORDER_WRAP)
        return sg_error_set(SG_ERR_INVALID, "warp_affine: unknown fill mode %d", (int)fill);
    if (!m) return sg_error_set(SG_ERR_INVALID, "warp_affine: no matrix");
    /* Coordinates must stay far below 2^53 for the folding to be exact. */
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            if (!(fabs(m->m[i][j]) <= 1e9))
                return sg_error_set(SG_ERR_INVALID, "warp_affine: matrix entry [%d][%d] = %g, expected "
                                    "a finite value of magnitude <= 1e9", i, j, m->m[i][j]);
    if (in->data == out->data)
        return sg_error_set(SG_ERR_INVALID, "warp_affine: input and output must not share memory");

    const int C = in->c, IH = in->h, IW = in->w;
    const size_t in_plane = (size_t)IH * IW, out_plane = (size_t)out->h * out->w;
    for (int r = 0; r < out->h; r++)
        for (int c = 0; c < out->w; c++) {
            size_t o = (size_t)r * out->w + c;
            /* scipy: icoor = 0; icoor += r * m0; icoor += c * m1; icoor += offset. */
            double pr = r * m->m[0][0] + c * m->m[0][1] + m->m[0][2];
            double pc = r * m->m[1][0] + c * m->m[1][1] + m->m[1][2];
            int tr[2], tc[2];
            double wr[2], wc[2];
            if (!axis_taps(pr, IH, fill, tr, wr) || !axis_taps(pc, IW, fill, tc, wc)) {
                for (int ch = 0; ch < C; ch++) out->data[ch * out_plane + o] = cval;
                continue;
            }
            for (int ch = 0; ch < C; ch++) {
                const float *src = in->data + ch * in_plane;
                double t = 0.0;
                for (int a = 0; a < 2; a++)
                    for (int b = 0; b < 2; b++)
                        t += (double)src[(size_t)tr[a] * IW + tc[b]] * wr[a] * wc[b];
                out->data[ch * out_plane + o] = (float)t;
            }
        }
    return SG_OK;
}

sg_err sg_fimage_rotate(const sg_fimage *in, double theta_deg, sg_border fill, float cval,
                        sg_fimage *out)
{
    sg_err err = sg_fimage_check("rotate", "input", in);
    if (err == SG_OK) err = sg_fimage_check("rotate", "output", out);
    if (err) return err;
    if (out->c != in->c || out->h != in->h || out->w != in->w)
        return sg_error_set(SG_ERR_SHAPE, "rotate: input %d x %d x %d, output %d x %d x %d: expected "
                            "the same shape", in->c, in->h, in->w, out->c, out->h, out->w);
    sg_affine m;
    if (!sg_affine_keras(theta_deg, 0, 0, 0, 1, 1, in->h, in->w, &m)) {
        memmove(out->data, in->data, sg_fimage_numel(in->c, in->h, in->w) * sizeof(float));
        return SG_OK;
    }
    return sg_fimage_warp_affine(in, &m, fill, cval, out);
}
