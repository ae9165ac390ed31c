/* fuzz/fuzz_json.c - the JSON parser on arbitrary bytes (no NUL needed). */
#include "core/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_json *j = NULL;
    if (sg_json_parse((const char *)data, size, "fuzz", &j) == SG_OK) sg_json_free(j);
    return 0;
}
