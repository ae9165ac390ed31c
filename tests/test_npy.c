/* tests/test_npy.c - NumPy .npy files (core/npy.h).
 *
 * Reference files written by numpy 1.24 are in tests/golden/data/npy_*.npy
 * (made by tests/golden/gen_npy.py, which documents their values): the
 * reader must decode them all (every dtype family, big-endian, Fortran order,
 * versions 1/2/3) and the writer must reproduce numpy's bytes exactly.
 * Malformed headers, every truncation and every bit flip of a valid file
 * must give an error naming the file, never a crash (ASan in `make sanitize`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "tests/testfiles.h"
#include "tests/testutil.h"

static const char *golden(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", sg_test_golden_dir(), name);
    return buf;
}

static void read_npy_ok(const char *name, sg_npy *a, sg_dtype dtype, int ndim, const int64_t *shape)
{
    const char *p = golden(name);
    ck_assert_msg(sg_npy_read(p, a) == SG_OK, "%s", sg_error_message());
    ck_assert_msg(a->dtype == dtype, "%s: dtype %s, expected %s", name, sg_dtype_name(a->dtype),
                  sg_dtype_name(dtype));
    ck_assert_int_eq(a->ndim, ndim);
    for (int d = 0; d < ndim; d++) ck_assert_int_eq(a->shape[d], shape[d]);
    ck_assert_int_eq(a->numel, sg_shape_numel(ndim, shape));
}

START_TEST(npy_reads_files_written_by_numpy)
{
    sg_npy a;
    read_npy_ok("npy_f32_2x3.npy", &a, SG_DTYPE_F32, 2, (int64_t[]){2, 3});
    for (int k = 0; k < 6; k++) ck_assert(a.data[k] == k * 0.5f - 1);
    sg_npy_free(&a);
    read_npy_ok("npy_f32_5.npy", &a, SG_DTYPE_F32, 1, (int64_t[]){5});
    for (int k = 0; k < 5; k++) ck_assert(a.data[k] == k / 4.0f);
    sg_npy_free(&a);
    read_npy_ok("npy_f32_scalar.npy", &a, SG_DTYPE_F32, 0, NULL);
    ck_assert(a.numel == 1 && a.data[0] == 3.5f);
    sg_npy_free(&a);
    read_npy_ok("npy_u8_2x2x3.npy", &a, SG_DTYPE_U8, 3, (int64_t[]){2, 2, 3});
    for (int k = 0; k < 12; k++) ck_assert(a.data[k] == k * 20);
    sg_npy_free(&a);
    read_npy_ok("npy_f64_be_2x2.npy", &a, SG_DTYPE_F64, 2, (int64_t[]){2, 2});
    for (int k = 0; k < 4; k++) ck_assert(a.data[k] == (float)((k + 1) / 3.0 * (k % 2 ? -1 : 1)));
    sg_npy_free(&a);
    /* Fortran order: transposed into C order on read. */
    read_npy_ok("npy_i16_fortran_2x3x4.npy", &a, SG_DTYPE_I16, 3, (int64_t[]){2, 3, 4});
    for (int k = 0; k < 24; k++) ck_assert_msg(a.data[k] == k - 5, "element %d: %g", k, a.data[k]);
    sg_npy_free(&a);
    read_npy_ok("npy_bool_4.npy", &a, SG_DTYPE_BOOL, 1, (int64_t[]){4});
    ck_assert(a.data[0] == 1 && a.data[1] == 0 && a.data[2] == 1 && a.data[3] == 1);
    sg_npy_free(&a);
    read_npy_ok("npy_f16_6.npy", &a, SG_DTYPE_F16, 1, (int64_t[]){6});
    ck_assert(a.data[0] == 1 && a.data[1] == -2 && a.data[2] == 65504 && a.data[3] == ldexpf(1, -24) &&
              a.data[4] == ldexpf(1, -14) && isinf(a.data[5]));
    sg_npy_free(&a);
    const char *versions[] = {"npy_i64_3_v2.npy", "npy_i64_3_v3.npy"};
    for (int v = 0; v < 2; v++) {
        read_npy_ok(versions[v], &a, SG_DTYPE_I64, 1, (int64_t[]){3});
        ck_assert(a.data[0] == -7 && a.data[1] == 0 && a.data[2] == 1099511627776.0f);
        sg_npy_free(&a);
    }
}
END_TEST

static void expect_same_file(const char *got_path, const char *want_path)
{
    size_t n, m;
    unsigned char *got = sg_test_read_bytes(got_path, &n), *want = sg_test_read_bytes(want_path, &m);
    ck_assert_msg(n == m, "%s: %zu bytes, numpy wrote %zu", got_path, n, m);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(got[i] == want[i], "%s byte %zu: 0x%02x, numpy wrote 0x%02x", want_path, i,
                      got[i], want[i]);
    free(got);
    free(want);
}

START_TEST(npy_write_matches_numpy_bytes_and_round_trips)
{
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "out.npy");
    float a[6], b[5], s = 3.5f;
    for (int k = 0; k < 6; k++) a[k] = k * 0.5f - 1;
    for (int k = 0; k < 5; k++) b[k] = k / 4.0f;
    ck_assert_int_eq(sg_npy_write_f32(p, 2, (int64_t[]){2, 3}, a), SG_OK);
    expect_same_file(p, golden("npy_f32_2x3.npy"));
    ck_assert_int_eq(sg_npy_write_f32(p, 1, (int64_t[]){5}, b), SG_OK);
    expect_same_file(p, golden("npy_f32_5.npy"));
    ck_assert_int_eq(sg_npy_write_f32(p, 0, NULL, &s), SG_OK);
    expect_same_file(p, golden("npy_f32_scalar.npy"));
    uint8_t u[12];
    for (int k = 0; k < 12; k++) u[k] = (uint8_t)(k * 20);
    ck_assert_int_eq(sg_npy_write_u8(p, 3, (int64_t[]){2, 2, 3}, u), SG_OK);
    expect_same_file(p, golden("npy_u8_2x2x3.npy"));

    /* A 4-D round trip, bit-exact. */
    int64_t shape[] = {2, 3, 4, 5};
    float x[120];
    sg_test_fill_normal(x, 120, 3, 2.0f);
    ck_assert_int_eq(sg_npy_write_f32(p, 4, shape, x), SG_OK);
    sg_npy r;
    ck_assert_int_eq(sg_npy_read(p, &r), SG_OK);
    ck_assert(r.ndim == 4 && r.numel == 120 && memcmp(r.data, x, sizeof x) == 0);
    sg_npy_free(&r);
    /* Headers of every rank are 64-byte aligned and '\n'-terminated
     * (empty arrays of shape (0, 7, ...) keep the files small). */
    for (int nd = 0; nd <= SG_MAX_DIMS; nd++) {
        int64_t zero_shape[SG_MAX_DIMS] = {0, 7, 7, 7, 7, 7};
        ck_assert_int_eq(sg_npy_write_f32(p, nd, zero_shape, x), SG_OK);
        size_t n;
        unsigned char *raw = sg_test_read_bytes(p, &n);
        size_t hlen = raw[8] | (size_t)raw[9] << 8;
        ck_assert_uint_eq((10 + hlen) % 64, 0);
        ck_assert_int_eq(raw[10 + hlen - 1], '\n');
        free(raw);
        ck_assert_int_eq(sg_npy_read(p, &r), SG_OK);
        ck_assert_int_eq(r.ndim, nd);
        sg_npy_free(&r);
    }
    sg_test_expect_code(sg_npy_write_f32(p, 7, shape, x), SG_ERR_SHAPE, p, NULL);
    ck_assert_int_eq(sg_test_count_names(dir, ".tmp."), 0);
    sg_test_remove_tree(dir);
}
END_TEST

/* An .npy (version 1.0) with a given header dict and data bytes. */
static void write_npy_raw(const char *p, const char *dict, const void *data, size_t n)
{
    size_t h = strlen(dict);
    unsigned char *buf = malloc(10 + h + n + 1);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)h, buf[9] = (unsigned char)(h >> 8);
    memcpy(buf + 10, dict, h);
    if (n) memcpy(buf + 10 + h, data, n);
    sg_test_write_bytes(p, buf, 10 + h + n);
    free(buf);
}

typedef struct bad_npy {
    const char *dict;
    size_t data_bytes;
    sg_err code;
    const char *needle;
} bad_npy;

START_TEST(npy_rejects_malformed_files_naming_file_and_field)
{
    static const bad_npy bad[] = {
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }\n", 8, SG_ERR_FORMAT, "truncated"},
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", 8, SG_ERR_UNSUPPORTED, "'<c8'"},
        {"{'descr': '<x4', 'fortran_order': False, 'shape': (1,), }\n", 4, SG_ERR_FORMAT, "'<x4' is not a dtype"},
        {"{'descr': '<f3', 'fortran_order': False, 'shape': (1,), }\n", 4, SG_ERR_UNSUPPORTED, "'<f3'"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n", 4, SG_ERR_UNSUPPORTED, "structured"},
        {"{'descr': '<f4', 'shape': (1,), }\n", 4, SG_ERR_FORMAT, "must give descr, fortran_order and shape"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'x': 1}\n", 4, SG_ERR_FORMAT, "unknown or repeated key"},
        {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (1,)}\n", 4, SG_ERR_FORMAT, "unknown or repeated key"},
        {"{'descr': '<f4', 'fortran_order': false, 'shape': (1,), }\n", 4, SG_ERR_FORMAT, "True or False"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1), }\n", 4, SG_ERR_FORMAT, "(n,)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n", 4, SG_ERR_FORMAT, "non-negative integer"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1), }\n", 4, SG_ERR_UNSUPPORTED, "more than 6"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }\n", 4, SG_ERR_FORMAT, "overflows"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }\n", 4, SG_ERR_FORMAT, "truncated"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x\n", 4, SG_ERR_FORMAT, "after the header dict"},
        {"['descr']\n", 4, SG_ERR_FORMAT, "expected '{'"},
    };
    const char *dir = sg_test_tmpdir();
    char *p = sg_test_path(dir, "bad.npy");
    unsigned char zeros[16] = {0};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_npy_raw(p, bad[i].dict, zeros, bad[i].data_bytes);
        sg_npy a;
        sg_err err = sg_npy_read(p, &a);
        const char *msg = sg_error_message();
        ck_assert_msg(err == bad[i].code && strstr(msg, bad[i].needle) && strstr(msg, p),
                      "case %zu: expected %s with \"%s\" and the file name, got %s: %s", i,
                      sg_err_name(bad[i].code), bad[i].needle, sg_err_name(err), msg);
        ck_assert_ptr_null(a.data);
    }
    /* Trailing bytes after the data are ignored, as numpy.load does. */
    write_npy_raw(p, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", zeros, 9);
    sg_npy a;
    ck_assert_int_eq(sg_npy_read(p, &a), SG_OK);
    sg_npy_free(&a);
    sg_test_write_bytes(p, "\x93NUMPX\x01\x00\x00\x00", 10);
    sg_test_expect_code(sg_npy_read(p, &a), SG_ERR_FORMAT, p, "magic");
    sg_test_write_bytes(p, "\x93NUMPY\x04\x00\x00\x00", 10);
    sg_test_expect_code(sg_npy_read(p, &a), SG_ERR_UNSUPPORTED, p, "version 4.0");
    sg_test_write_bytes(p, "\x93NUMPY\x01\x00\xff\x00{}", 12);
    sg_test_expect_code(sg_npy_read(p, &a), SG_ERR_FORMAT, p, "runs past the end");
    char *missing = sg_test_path(dir, "missing.npy");
    sg_test_expect_code(sg_npy_read(missing, &a), SG_ERR_IO, missing, "No such file");

    /* Every truncation and bit flip of numpy's own Fortran-order file. */
    size_t n;
    unsigned char *valid = sg_test_read_bytes(golden("npy_i16_fortran_2x3x4.npy"), &n);
    unsigned char *buf = malloc(n);
    for (size_t len = 0; len < n; len++) {
        sg_test_write_bytes(p, valid, len);
        ck_assert_msg(sg_npy_read(p, &a) != SG_OK, "truncation to %zu accepted", len);
        ck_assert_msg(strstr(sg_error_message(), p), "%s", sg_error_message());
    }
    for (size_t at = 0; at < n; at++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(buf, valid, n);
            buf[at] ^= (unsigned char)(1 << bit);
            sg_test_write_bytes(p, buf, n);
            if (sg_npy_read(p, &a) == SG_OK) sg_npy_free(&a);
            else ck_assert_msg(strstr(sg_error_message(), p), "%s", sg_error_message());
        }
    }
    free(buf);
    free(valid);
    sg_test_remove_tree(dir);
}
END_TEST

static Suite *npy_suite(void)
{
    Suite *s = suite_create("npy");
    SG_ADD_TEST(s, npy_reads_files_written_by_numpy, 30);
    SG_ADD_TEST(s, npy_write_matches_numpy_bytes_and_round_trips, 30);
    SG_ADD_TEST(s, npy_rejects_malformed_files_naming_file_and_field, 120);
    return s;
}

SG_TEST_MAIN(npy_suite)
