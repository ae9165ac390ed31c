/* core/init.c - sg_init: environment settings. */
#include "core/init.h"

#include <stdio.h>
#include <stdlib.h>

#include "core/cpu.h"
#include "core/kernels/kernels.h"
#include "core/pool.h"

/* "scalar, avx2" into buf: every ISA (all) or the ones this machine runs. */
static void isa_list(bool all, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < SG_ISA_COUNT && used < cap; i++)
        if (all || sg_isa_supported((sg_isa)i))
            used += (size_t)snprintf(buf + used, cap - used, "%s%s", used ? ", " : "", sg_isa_name((sg_isa)i));
}

sg_err sg_init(void)
{
    sg_err err = sg_threads_from_env();
    const char *isa_name = getenv("SG_ISA");
    if (err == SG_OK && isa_name && *isa_name) {
        sg_isa isa;
        char names[128];
        if (sg_isa_parse(isa_name, &isa) != SG_OK) {
            isa_list(true, names, sizeof names);
            return sg_error_set(SG_ERR_INVALID, "SG_ISA=%s: unknown ISA (expected one of %s)", isa_name, names);
        }
        if (sg_kernels_select(isa) != SG_OK) {
            isa_list(false, names, sizeof names);
            return sg_error_set(SG_ERR_UNSUPPORTED, "SG_ISA=%s: this CPU/OS cannot run %s kernels (usable here: %s)",
                                isa_name, isa_name, names);
        }
    }
    return err;
}
