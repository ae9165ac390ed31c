/* fuzz/fuzz_inflate.c - zlib-wrapped inflate on arbitrary bytes, output capped. */
#include <stdlib.h>

#include "data/inflate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = NULL;
    size_t out_len = 0, used = 0;
    sg_inflate_alloc(data, size, SG_INFLATE_ZLIB, 1 << 22, &out, &out_len, &used, "fuzz");
    free(out);
    return 0;
}
