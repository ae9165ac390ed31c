/* fuzz/fuzz_pnm.c - the PNM decoder on arbitrary bytes. */
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_decode(sg_pnm_decode, data, size);
}
