/* fuzz/fuzz_npy.c - the .npy reader on arbitrary bytes. */
#include "core/npy.h"
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp(data, size, ".npy");
    if (!path) return 0;
    sg_npy a;
    if (sg_npy_read(path, &a) == SG_OK) {
        volatile float sink = 0;
        for (int64_t k = 0; k < a.numel; k++) sink += a.data[k];
        (void)sink;
        sg_npy_free(&a);
    }
    return 0;
}
