/* core/safetensors.h - reading and writing .safetensors files.
 *
 * Format (https://huggingface.co/docs/safetensors): 8-byte little-endian
 * header length N, N bytes of JSON {"name": {"dtype": "F32", "shape": [..],
 * "data_offsets": [begin, end]}, ..., "__metadata__": {"k": "v"}}, then the
 * raw little-endian tensor bytes. Offsets are relative to the end of the header.
 * Reading converts every tensor to float32 (F32, F16, BF16, F64 and the
 * integer/bool dtypes); writing stores F32. A corrupt or truncated file gives
 * SG_ERR_FORMAT / SG_ERR_IO with a message naming the file and the field,
 * never a crash. */
#ifndef SG_SAFETENSORS_H
#define SG_SAFETENSORS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/tensor.h"

typedef enum sg_dtype {
    SG_DTYPE_F32, SG_DTYPE_F16, SG_DTYPE_BF16, SG_DTYPE_F64,
    SG_DTYPE_I64, SG_DTYPE_I32, SG_DTYPE_I16, SG_DTYPE_I8,
    SG_DTYPE_U8, SG_DTYPE_U16, SG_DTYPE_U32, SG_DTYPE_U64, SG_DTYPE_BOOL,
    SG_DTYPE_COUNT
} sg_dtype;

/* "F32", "BF16", ... as in the safetensors header. */
const char *sg_dtype_name(sg_dtype dtype);
int sg_dtype_size(sg_dtype dtype);
/* The dtype named `name` ("F32", ...); false if it is not one of ours. */
bool sg_dtype_from_name(const char *name, sg_dtype *out);

/* IEEE half (F16) and bfloat16 bit patterns to float, exactly (subnormals,
 * infinities and NaN payloads kept): 0x3C00 -> 1.0, 0x0001 -> 2^-24,
 * bf16 0x3F80 -> 1.0. */
float sg_f16_to_f32(uint16_t bits);
float sg_bf16_to_f32(uint16_t bits);
/* Convert n elements of `dtype` stored at src (little-endian, or big-endian
 * if big_endian) to float32. Integers round to nearest float, bool is 0/1. */
void sg_dtype_to_f32(sg_dtype dtype, const void *src, int64_t n, bool big_endian, float *dst);

typedef struct sg_st_tensor {
    char *name;
    sg_dtype dtype;              /* as stored in the file */
    int ndim;
    int64_t shape[SG_MAX_DIMS];
    int64_t numel;
    float *data;                 /* converted to float32; NULL after a header-only read */
} sg_st_tensor;

typedef struct sg_safetensors {
    sg_st_tensor *tensors;       /* in file order of their data offsets */
    int count;
    char **meta_keys, **meta_values;
    int meta_count;
} sg_safetensors;

/* Largest header accepted on read (the reference implementation's limit). */
#define SG_SAFETENSORS_MAX_HEADER (100u * 1000u * 1000u)

/* Read a whole file. On failure *out is empty and nothing leaks. Checks, as
 * the reference implementation does: header length within the file and the
 * limit, the header a JSON object, every tensor with a known dtype, a shape
 * of non-negative integers (at most SG_MAX_DIMS), data_offsets [begin, end]
 * with end - begin = numel * dtype size, tensors tiling the data section with
 * no gap, overlap or trailing bytes, no duplicate names, __metadata__ a map
 * of strings to strings. */
sg_err sg_safetensors_read(const char *path, sg_safetensors *out);
/* Read only the header (names, dtypes, shapes, metadata); data stays NULL. */
sg_err sg_safetensors_read_header(const char *path, sg_safetensors *out);
const sg_st_tensor *sg_safetensors_find(const sg_safetensors *f, const char *name);
/* A metadata value, or NULL. */
const char *sg_safetensors_meta(const sg_safetensors *f, const char *key);
void sg_safetensors_free(sg_safetensors *f);

/* One tensor to write. */
typedef struct sg_st_entry {
    const char *name;
    int ndim;
    const int64_t *shape;
    const float *data;
} sg_st_entry;

/* Write F32 tensors and string metadata (meta_kv = key0, value0, key1, ...,
 * meta_count pairs) atomically: to a temporary file beside `path`, flushed,
 * then renamed. Laid out as Python's safetensors.torch.save_file lays out
 * F32 tensors: "__metadata__" first, tensors sorted by name, compact JSON
 * padded with spaces to a multiple of 8 bytes. Duplicate names are refused. */
sg_err sg_safetensors_write(const char *path, const sg_st_entry *entries, int count,
                            const char *const *meta_kv, int meta_count);

#endif
