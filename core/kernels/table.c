/* core/kernels/table.c - filling the dispatch table once at start-up. */
#include "core/kernels/kernels.h"

#include <pthread.h>
#include <stdlib.h>

static const sg_kernel_table scalar_table = {
    .isa = SG_ISA_SCALAR,
    .sgemm = sg_k_sgemm_scalar,
};

/* Per-ISA tables start as the scalar one; SIMD files override entries here. */
static sg_kernel_table tables[SG_ISA_COUNT];
static const sg_kernel_table *active;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void fill_tables(void)
{
    for (int i = 0; i < SG_ISA_COUNT; i++) {
        tables[i] = scalar_table;
        tables[i].isa = (sg_isa)i;
    }
#if defined(__x86_64__) || defined(__i386__)
    /* AVX-512 machines run the AVX2 kernels until AVX-512 twins exist. */
    tables[SG_ISA_AVX2].sgemm = sg_k_sgemm_avx2;
    tables[SG_ISA_AVX512].sgemm = sg_k_sgemm_avx2;
#endif
    active = &tables[sg_isa_best()];
}

const sg_kernel_table *sg_kernels_for(sg_isa isa)
{
    pthread_once(&once, fill_tables);
    if (isa < 0 || isa >= SG_ISA_COUNT || !sg_isa_supported(isa)) return NULL;
    return &tables[isa];
}

const sg_kernel_table *sg_kernels(void)
{
    pthread_once(&once, fill_tables);
    return active;
}

sg_err sg_kernels_select(sg_isa isa)
{
    const sg_kernel_table *t = sg_kernels_for(isa);
    if (!t)
        return sg_error_set(SG_ERR_UNSUPPORTED, "SG_ISA=%s: this CPU/OS cannot run %s kernels (has: %s)",
                            sg_isa_name(isa), sg_isa_name(isa), sg_cpu_feature_string());
    active = t;
    return SG_OK;
}
