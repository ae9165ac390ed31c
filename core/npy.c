/* core/npy.c - NumPy .npy files (see npy.h).
 *
 * Format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 *   "\x93NUMPY", major, minor           magic and version (1.0, 2.0 or 3.0)
 *   HEADER_LEN                          uint16 LE (1.0) or uint32 LE (2.0, 3.0)
 *   header                              a Python dict literal, space-padded, '\n'-ended:
 *       {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *   data                                numel * itemsize bytes, C or Fortran order
 * The header is parsed by hand, not evaluated: exactly the three keys, each
 * once, with the value types numpy writes. Bytes after the data are ignored,
 * as numpy.load ignores them (np.save can append several arrays to one file). */
#include "core/npy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fileio.h"

#define NPY_MAX_HEADER (1u << 20)

void sg_npy_free(sg_npy *a)
{
    free(a->data);
    *a = (sg_npy){0};
}

/* ---- the header dict --------------------------------------------------- */

typedef struct header_parser {
    const char *s;
    size_t n, pos;
    const char *path;
} header_parser;

static sg_err header_error(const header_parser *h, const char *what)
{
    return sg_error_set(SG_ERR_FORMAT, "%s: npy header byte %zu: %s (header: %.*s)", h->path,
                        h->pos, what, (int)(h->n < 120 ? h->n : 120), h->s);
}

static void skip_space(header_parser *h)
{
    while (h->pos < h->n && (h->s[h->pos] == ' ' || h->s[h->pos] == '\t' ||
                             h->s[h->pos] == '\n' || h->s[h->pos] == '\r'))
        h->pos++;
}

static bool accept(header_parser *h, char c)
{
    skip_space(h);
    if (h->pos < h->n && h->s[h->pos] == c) {
        h->pos++;
        return true;
    }
    return false;
}

/* A Python string literal in ' or " quotes (no escapes in what numpy writes). */
static bool parse_str(header_parser *h, char *out, size_t size)
{
    skip_space(h);
    if (h->pos >= h->n || (h->s[h->pos] != '\'' && h->s[h->pos] != '"')) return false;
    char q = h->s[h->pos++];
    size_t k = 0;
    while (h->pos < h->n && h->s[h->pos] != q) {
        if (h->s[h->pos] == '\\' || k + 1 >= size) return false;
        out[k++] = h->s[h->pos++];
    }
    if (h->pos >= h->n) return false;
    h->pos++;
    out[k] = '\0';
    return true;
}

/* (d0, d1, ...) with an optional trailing comma; "()" is a 0-d array and
 * "(5,)" a 1-d one. Python 2 files may write 5L. */
static sg_err parse_shape(header_parser *h, sg_npy *a)
{
    if (!accept(h, '(')) return header_error(h, "expected '(' starting the shape tuple");
    a->ndim = 0;
    bool comma = false; /* was the last token a ','? */
    for (;;) {
        if (accept(h, ')')) break;
        skip_space(h);
        if (h->pos >= h->n || h->s[h->pos] < '0' || h->s[h->pos] > '9')
            return header_error(h, "expected a non-negative integer in the shape");
        int64_t v = 0;
        while (h->pos < h->n && h->s[h->pos] >= '0' && h->s[h->pos] <= '9') {
            int digit = h->s[h->pos++] - '0';
            if (v > (INT64_MAX - digit) / 10) return header_error(h, "shape dimension overflows");
            v = v * 10 + digit;
        }
        if (h->pos < h->n && h->s[h->pos] == 'L') h->pos++;
        if (a->ndim == SG_MAX_DIMS)
            return sg_error_set(SG_ERR_UNSUPPORTED, "%s: npy array has more than %d dimensions",
                                h->path, SG_MAX_DIMS);
        a->shape[a->ndim++] = v;
        comma = accept(h, ',');
        if (comma) continue;
        if (accept(h, ')')) break;
        return header_error(h, "expected ',' or ')' in the shape tuple");
    }
    /* "(5)" is the integer 5 in Python, not a tuple: numpy never writes it. */
    if (a->ndim == 1 && !comma) return header_error(h, "a 1-d shape must be written (n,)");
    return SG_OK;
}

/* '<f4', '>f8', '|u1', '|b1', '<i8', ...: byte order, kind, item size. */
static sg_err parse_descr(const char *path, const char *d, sg_dtype *dtype, bool *big_endian)
{
    const char *p = d;
    const uint16_t one = 1;
    bool host_big = *(const unsigned char *)&one == 0;
    *big_endian = host_big;
    if (*p == '<' || *p == '>' || *p == '|' || *p == '=') {
        if (*p == '<') *big_endian = false;
        if (*p == '>') *big_endian = true;
        p++;
    }
    char kind = *p ? *p++ : '\0';
    char *end;
    errno = 0;
    long size = *p >= '0' && *p <= '9' ? strtol(p, &end, 10) : -1;
    bool ok = size > 0 && *end == '\0';
    struct { char kind; long size; sg_dtype dtype; } table[] = {
        {'f', 2, SG_DTYPE_F16}, {'f', 4, SG_DTYPE_F32}, {'f', 8, SG_DTYPE_F64},
        {'i', 1, SG_DTYPE_I8},  {'i', 2, SG_DTYPE_I16}, {'i', 4, SG_DTYPE_I32}, {'i', 8, SG_DTYPE_I64},
        {'u', 1, SG_DTYPE_U8},  {'u', 2, SG_DTYPE_U16}, {'u', 4, SG_DTYPE_U32}, {'u', 8, SG_DTYPE_U64},
        {'b', 1, SG_DTYPE_BOOL},
    };
    for (size_t k = 0; ok && k < sizeof table / sizeof *table; k++) {
        if (table[k].kind == kind && table[k].size == size) {
            *dtype = table[k].dtype;
            return SG_OK;
        }
    }
    if (ok && strchr("fiubcUSOVMm", kind))
        return sg_error_set(SG_ERR_UNSUPPORTED, "%s: npy dtype '%s' is not supported "
                            "(float16/32/64, int, uint and bool are)", path, d);
    return sg_error_set(SG_ERR_FORMAT, "%s: npy header: descr '%s' is not a dtype", path, d);
}

static sg_err parse_header(const char *path, const char *text, size_t n, sg_npy *a,
                           bool *big_endian, bool *fortran)
{
    header_parser h = {text, n, 0, path};
    bool have_descr = false, have_order = false, have_shape = false;
    if (!accept(&h, '{')) return header_error(&h, "expected '{'");
    for (;;) {
        if (accept(&h, '}')) break;
        char key[32], value[64];
        if (!parse_str(&h, key, sizeof key)) return header_error(&h, "expected a quoted key");
        if (!accept(&h, ':')) return header_error(&h, "expected ':' after the key");
        sg_err err;
        if (strcmp(key, "descr") == 0 && !have_descr) {
            skip_space(&h);
            if (h.pos < h.n && h.s[h.pos] == '[')
                return sg_error_set(SG_ERR_UNSUPPORTED, "%s: structured npy dtypes are not supported",
                                    path);
            if (!parse_str(&h, value, sizeof value)) return header_error(&h, "expected a descr string");
            if ((err = parse_descr(path, value, &a->dtype, big_endian)) != SG_OK) return err;
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            skip_space(&h);
            if (h.n - h.pos >= 4 && memcmp(h.s + h.pos, "True", 4) == 0) {
                *fortran = true;
                h.pos += 4;
            } else if (h.n - h.pos >= 5 && memcmp(h.s + h.pos, "False", 5) == 0) {
                *fortran = false;
                h.pos += 5;
            } else {
                return header_error(&h, "fortran_order must be True or False");
            }
            have_order = true;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if ((err = parse_shape(&h, a)) != SG_OK) return err;
            have_shape = true;
        } else {
            return header_error(&h, "unknown or repeated key (expected descr, fortran_order, shape)");
        }
        if (accept(&h, ',')) continue;
        if (accept(&h, '}')) break;
        return header_error(&h, "expected ',' or '}'");
    }
    skip_space(&h);
    if (h.pos != h.n) return header_error(&h, "unexpected text after the header dict");
    if (!have_descr || !have_order || !have_shape)
        return header_error(&h, "the header must give descr, fortran_order and shape");
    return SG_OK;
}

/* ---- reading ----------------------------------------------------------- */

/* Fortran order (first index fastest) to C order (last index fastest). */
static void fortran_to_c(const float *src, float *dst, int ndim, const int64_t *shape, int64_t numel)
{
    int64_t stride[SG_MAX_DIMS], idx[SG_MAX_DIMS] = {0};
    int64_t s = 1;
    for (int d = 0; d < ndim; d++) {
        stride[d] = s;
        s *= shape[d];
    }
    int64_t off = 0; /* Fortran offset of idx */
    for (int64_t i = 0; i < numel; i++) {
        dst[i] = src[off];
        for (int d = ndim - 1; d >= 0; d--) { /* odometer, last index first */
            if (++idx[d] < shape[d]) {
                off += stride[d];
                break;
            }
            off -= stride[d] * (idx[d] - 1);
            idx[d] = 0;
        }
    }
}

sg_err sg_npy_read(const char *path, sg_npy *out)
{
    *out = (sg_npy){0};
    FILE *f;
    uint64_t file_size;
    sg_err err = sg_file_open_regular(path, &f, &file_size);
    if (err != SG_OK) return err;
    char *header = NULL;
    unsigned char *raw = NULL;
    float *tmp = NULL;
    unsigned char pre[12];
    if (file_size < 10 || fread(pre, 1, 10, f) != 10 || memcmp(pre, "\x93NUMPY", 6) != 0) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: not a .npy file (no \\x93NUMPY magic)", path);
        goto done;
    }
    int major = pre[6], minor = pre[7];
    if (major < 1 || major > 3 || minor != 0) {
        err = sg_error_set(SG_ERR_UNSUPPORTED, "%s: npy format version %d.%d (1.0, 2.0, 3.0 supported)",
                           path, major, minor);
        goto done;
    }
    uint64_t hlen = pre[8] | (uint64_t)pre[9] << 8, prefix = 10;
    if (major >= 2) {
        if (file_size < 12 || fread(pre + 10, 1, 2, f) != 2) {
            err = sg_error_set(SG_ERR_FORMAT, "%s: npy file truncated in the header length", path);
            goto done;
        }
        hlen |= (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
        prefix = 12;
    }
    if (hlen > NPY_MAX_HEADER || hlen > file_size - prefix) {
        err = sg_error_set(hlen > NPY_MAX_HEADER ? SG_ERR_LIMIT : SG_ERR_FORMAT,
                           "%s: npy header length %llu %s (file is %llu bytes)", path,
                           (unsigned long long)hlen,
                           hlen > NPY_MAX_HEADER ? "exceeds the 1 MiB limit" : "runs past the end",
                           (unsigned long long)file_size);
        goto done;
    }
    header = malloc(hlen + 1);
    if (!header || fread(header, 1, hlen, f) != hlen) {
        err = sg_error_set(header ? SG_ERR_IO : SG_ERR_NOMEM, "%s: cannot read the npy header", path);
        goto done;
    }
    header[hlen] = '\0';
    if (memchr(header, '\0', hlen)) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: npy header contains a NUL byte", path);
        goto done;
    }
    bool big_endian = false, fortran = false;
    if ((err = parse_header(path, header, hlen, out, &big_endian, &fortran)) != SG_OK) goto done;
    int64_t numel = sg_shape_numel(out->ndim, out->shape);
    uint64_t item = (uint64_t)sg_dtype_size(out->dtype);
    uint64_t avail = file_size - prefix - hlen;
    if (numel < 0 || (uint64_t)numel > avail / item) {
        err = sg_error_set(SG_ERR_FORMAT, "%s: npy data truncated: shape needs %lld elements of %llu "
                           "bytes, the file holds %llu bytes of data", path, (long long)numel,
                           (unsigned long long)item, (unsigned long long)avail);
        goto done;
    }
    if ((uint64_t)numel > SIZE_MAX / sizeof(float)) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: array too large for memory", path);
        goto done;
    }
    for (int d = out->ndim; d < SG_MAX_DIMS; d++) out->shape[d] = 1;
    out->numel = numel;
    size_t bytes = (size_t)numel * item;
    raw = malloc(bytes ? bytes : 1);
    out->data = malloc((size_t)numel * sizeof(float) + 1);
    if (!raw || !out->data) {
        err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory for %lld elements", path, (long long)numel);
        goto done;
    }
    if (fread(raw, 1, bytes, f) != bytes) {
        err = sg_error_set(SG_ERR_IO, "%s: cannot read the npy data: %s", path,
                           ferror(f) ? strerror(errno) : "file shrank while reading");
        goto done;
    }
    if (fortran && out->ndim > 1) {
        if (!(tmp = malloc((size_t)numel * sizeof(float) + 1))) {
            err = sg_error_set(SG_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
        sg_dtype_to_f32(out->dtype, raw, numel, big_endian, tmp);
        fortran_to_c(tmp, out->data, out->ndim, out->shape, numel);
    } else {
        sg_dtype_to_f32(out->dtype, raw, numel, big_endian, out->data);
    }
done:
    fclose(f);
    free(header);
    free(raw);
    free(tmp);
    if (err != SG_OK) sg_npy_free(out);
    return err;
}

/* ---- writing ----------------------------------------------------------- */

/* Header exactly as numpy 1.24 writes it (numpy.lib.format._write_array_header):
 * the dict with sorted keys, spare spaces so the first dimension can grow in
 * place (21 minus its digits), then spaces so that magic + length + header +
 * '\n' is a multiple of 64 bytes (a full 64 when it already is). */
static sg_err write_npy(const char *path, const char *descr, int ndim, const int64_t *shape,
                        const void *data, int item)
{
    if (ndim < 0 || ndim > SG_MAX_DIMS || (ndim && !shape))
        return sg_error_set(SG_ERR_SHAPE, "%s: cannot write an npy array of %d dimensions", path, ndim);
    int64_t numel = sg_shape_numel(ndim, shape);
    if (numel < 0 || numel > INT64_MAX / 8)
        return sg_error_set(SG_ERR_SHAPE, "%s: invalid npy shape", path);
    if (numel > 0 && !data) return sg_error_set(SG_ERR_INVALID, "%s: no data to write", path);
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
    for (int d = 0; d < ndim; d++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, d ? ", %lld" : "%lld", (long long)shape[d]);
    k += snprintf(dict + k, sizeof dict - (size_t)k, "%s), }", ndim == 1 ? "," : "");
    if (ndim > 0) {
        int digits = snprintf(NULL, 0, "%lld", (long long)shape[0]);
        for (int i = digits; i < 21; i++) dict[k++] = ' ';
    }
    int hlen = k + 1;                         /* + '\n' */
    int pad = 64 - (10 + hlen) % 64;
    char header[640];
    memcpy(header, "\x93NUMPY\x01\x00", 8);
    header[8] = (char)((hlen + pad) & 0xff);
    header[9] = (char)((hlen + pad) >> 8);
    memcpy(header + 10, dict, (size_t)k);
    memset(header + 10 + k, ' ', (size_t)pad);
    header[10 + k + pad] = '\n';

    sg_atomic_file af;
    sg_err err = sg_atomic_open(&af, path);
    if (err != SG_OK) return err;
    sg_atomic_write(&af, header, (size_t)(10 + hlen + pad));
    const uint16_t one = 1;
    if (item == 1 || *(const unsigned char *)&one == 1) {
        sg_atomic_write(&af, data, (size_t)item * (size_t)numel);
    } else {
        const unsigned char *p = data; /* big-endian host: swap each value */
        for (int64_t i = 0; i < numel; i++, p += item) {
            unsigned char b[4];
            for (int j = 0; j < item; j++) b[j] = p[item - 1 - j];
            sg_atomic_write(&af, b, (size_t)item);
        }
    }
    return sg_atomic_commit(&af);
}

sg_err sg_npy_write_f32(const char *path, int ndim, const int64_t *shape, const float *data)
{
    return write_npy(path, "<f4", ndim, shape, data, 4);
}

sg_err sg_npy_write_u8(const char *path, int ndim, const int64_t *shape, const uint8_t *data)
{
    return write_npy(path, "|u1", ndim, shape, data, 1);
}

sg_err sg_npy_write_u16(const char *path, int ndim, const int64_t *shape, const uint16_t *data)
{
    return write_npy(path, "<u2", ndim, shape, data, 2);
}

sg_err sg_npy_write_i32(const char *path, int ndim, const int64_t *shape, const int32_t *data)
{
    return write_npy(path, "<i4", ndim, shape, data, 4);
}
