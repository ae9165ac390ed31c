/* fuzz/fuzz_png.c - the PNG decoder on arbitrary bytes. */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode(sg_png_decode, data, size);
}
