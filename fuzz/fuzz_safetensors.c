/* fuzz/fuzz_safetensors.c - the safetensors reader must return an error or a
 * consistent file, never crash, on any bytes. */
#include <string.h>

#include "core/safetensors.h"
#include "fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_temp(data, size, ".safetensors");
    if (!path) return 0;
    sg_safetensors f;
    if (sg_safetensors_read(path, &f) == SG_OK) {
        /* Touch everything the reader claims to hold. */
        volatile float sink = 0;
        for (int i = 0; i < f.count; i++)
            for (int64_t k = 0; k < f.tensors[i].numel; k++) sink += f.tensors[i].data[k];
        for (int i = 0; i < f.meta_count; i++) sink += (float)strlen(f.meta_values[i]);
        (void)sink;
        sg_safetensors_free(&f);
    }
    return 0;
}
