/* fuzz/fuzz_bmp.c - the BMP decoder on arbitrary bytes. */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode(sg_bmp_decode, data, size);
}
