/* core/init.c - sg_init: environment settings. */
#include "core/init.h"

#include <stdlib.h>

#include "core/cpu.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"

sg_err sg_init(void)
{
    sg_err err = sg_threads_from_env();
    const char *isa_name = getenv("SG_ISA");
    if (err == SG_OK && isa_name && *isa_name) {
        sg_isa isa;
        err = sg_isa_parse(isa_name, &isa);
        if (err == SG_OK) err = sg_kernels_select(isa);
    }
    return err;
}
