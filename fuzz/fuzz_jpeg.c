/* fuzz/fuzz_jpeg.c - the JPEG decoder on arbitrary bytes. */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode(sg_jpeg_decode, data, size);
}
