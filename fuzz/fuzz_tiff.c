/* fuzz/fuzz_tiff.c - the TIFF decoder on arbitrary bytes. */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode(sg_tiff_decode, data, size);
}
