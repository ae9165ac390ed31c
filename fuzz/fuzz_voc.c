/* fuzz/fuzz_voc.c - the Pascal VOC XML reader on arbitrary bytes. */
#include <string.h>

#include "data/voc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sg_voc voc;
    if (sg_voc_parse((const char *)data, size, "fuzz.xml", &voc) == SG_OK) {
        volatile float sink = 0;  /* touch everything the parser returned */
        for (int i = 0; i < voc.n_objects; i++)
            sink += voc.objects[i].xmin + voc.objects[i].xmax + (float)strlen(voc.objects[i].name);
        for (int i = 0; i < voc.warnings.count; i++) sink += (float)strlen(voc.warnings.items[i]);
        sink += (float)strlen(voc.filename);
        (void)sink;
        sg_voc_free(&voc);
    }
    return 0;
}
