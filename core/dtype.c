/* core/dtype.c - the element types of safetensors and .npy files, and their
 * exact conversion to float32 (declared in core/safetensors.h).
 *
 * Bytes are assembled explicitly in the stored byte order, so the same code
 * reads little-endian files on a big-endian CPU and big-endian .npy files on
 * a little-endian one. */
#include <string.h>

#include "core/safetensors.h"

static const struct {
    const char *name;
    int size;
} dtype_info[SG_DTYPE_COUNT] = {
    [SG_DTYPE_F32] = {"F32", 4},  [SG_DTYPE_F16] = {"F16", 2}, [SG_DTYPE_BF16] = {"BF16", 2},
    [SG_DTYPE_F64] = {"F64", 8},  [SG_DTYPE_I64] = {"I64", 8}, [SG_DTYPE_I32] = {"I32", 4},
    [SG_DTYPE_I16] = {"I16", 2},  [SG_DTYPE_I8] = {"I8", 1},   [SG_DTYPE_U8] = {"U8", 1},
    [SG_DTYPE_U16] = {"U16", 2},  [SG_DTYPE_U32] = {"U32", 4}, [SG_DTYPE_U64] = {"U64", 8},
    [SG_DTYPE_BOOL] = {"BOOL", 1},
};

const char *sg_dtype_name(sg_dtype dtype)
{
    return (unsigned)dtype < SG_DTYPE_COUNT ? dtype_info[dtype].name : "?";
}

int sg_dtype_size(sg_dtype dtype)
{
    return (unsigned)dtype < SG_DTYPE_COUNT ? dtype_info[dtype].size : 0;
}

bool sg_dtype_from_name(const char *name, sg_dtype *out)
{
    for (int d = 0; d < SG_DTYPE_COUNT; d++) {
        if (strcmp(name, dtype_info[d].name) == 0) {
            *out = (sg_dtype)d;
            return true;
        }
    }
    return false;
}

static float f32_from_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* IEEE 754 binary16: 1 sign bit, 5 exponent bits (bias 15), 10 mantissa bits.
 *   exponent 1..30: (-1)^s * 2^(e-15) * 1.m   -> rebias the exponent to 127
 *   exponent 0:     (-1)^s * 2^-14 * 0.m      (subnormal; m = 0 is +-0)
 *   exponent 31:    m = 0 infinity, else NaN (payload kept in the top bits)
 * Every binary16 value is exactly a binary32 value, so this is exact. */
float sg_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0x1f) return f32_from_bits(sign | 0x7f800000u | (mant << 13));
    if (exp == 0) {
        if (mant == 0) return f32_from_bits(sign);
        /* Normalise: shift the leading 1 up to bit 10, lowering the exponent. */
        int e = -14;
        while (!(mant & 0x400)) {
            mant <<= 1;
            e--;
        }
        return f32_from_bits(sign | (uint32_t)(e + 127) << 23 | (mant & 0x3ff) << 13);
    }
    return f32_from_bits(sign | (exp - 15 + 127) << 23 | mant << 13);
}

/* bfloat16 is the top half of a binary32: same sign and exponent, 7 bits of
 * mantissa. Widening is a shift. */
float sg_bf16_to_f32(uint16_t b) { return f32_from_bits((uint32_t)b << 16); }

static uint64_t load(const unsigned char *p, int size, bool big_endian)
{
    uint64_t v = 0;
    if (big_endian)
        for (int i = 0; i < size; i++) v = v << 8 | p[i];
    else
        for (int i = size - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

void sg_dtype_to_f32(sg_dtype dtype, const void *src, int64_t n, bool big_endian, float *dst)
{
    const unsigned char *p = src;
    int size = sg_dtype_size(dtype);
    if (dtype == SG_DTYPE_F32 && big_endian != host_is_little_endian()) {
        memmove(dst, src, (size_t)n * 4);
        return;
    }
    for (int64_t i = 0; i < n; i++, p += size) {
        uint64_t v = load(p, size, big_endian);
        float f;
        switch (dtype) {
        case SG_DTYPE_F32: f = f32_from_bits((uint32_t)v); break;
        case SG_DTYPE_F16: f = sg_f16_to_f32((uint16_t)v); break;
        case SG_DTYPE_BF16: f = sg_bf16_to_f32((uint16_t)v); break;
        case SG_DTYPE_F64: {
            double d;
            memcpy(&d, &v, sizeof d);
            f = (float)d;
            break;
        }
        case SG_DTYPE_I64: f = (float)(int64_t)v; break;
        case SG_DTYPE_I32: f = (float)(int32_t)(uint32_t)v; break;
        case SG_DTYPE_I16: f = (float)(int16_t)(uint16_t)v; break;
        case SG_DTYPE_I8: f = (float)(int8_t)(uint8_t)v; break;
        case SG_DTYPE_U8: case SG_DTYPE_U16: case SG_DTYPE_U32: case SG_DTYPE_U64:
            f = (float)v;
            break;
        case SG_DTYPE_BOOL: f = v ? 1.0f : 0.0f; break;
        default: f = 0.0f; break;
        }
        dst[i] = f;
    }
}
