/* core/npy.h - NumPy .npy files (format versions 1.0, 2.0, 3.0).
 *
 * Reading accepts little- and big-endian f2/f4/f8, signed and unsigned
 * integers, and bool, C order (Fortran order is transposed on read), and
 * converts to float32. Writing stores '<f4', '<i4', '|u1' or '<u2'. Malformed files give
 * SG_ERR_FORMAT naming the file and the field. */
#ifndef SG_NPY_H
#define SG_NPY_H

#include <stdint.h>

#include "core/error.h"
#include "core/safetensors.h"  /* sg_dtype */

typedef struct sg_npy {
    sg_dtype dtype;              /* as stored */
    int ndim;
    int64_t shape[SG_MAX_DIMS];
    int64_t numel;
    float *data;                 /* converted to float32, malloc'd */
} sg_npy;

sg_err sg_npy_read(const char *path, sg_npy *out);
void sg_npy_free(sg_npy *a);
sg_err sg_npy_write_f32(const char *path, int ndim, const int64_t *shape, const float *data);
sg_err sg_npy_write_u8(const char *path, int ndim, const int64_t *shape, const uint8_t *data);
sg_err sg_npy_write_u16(const char *path, int ndim, const int64_t *shape, const uint16_t *data);
/* Labels and indices: stored as "<i4". */
sg_err sg_npy_write_i32(const char *path, int ndim, const int64_t *shape, const int32_t *data);

#endif
