/* core/kernels/table.c - filling the dispatch tables once at start-up.
 *
 * Every ISA of the registry (core/isa.h) gets a table. It starts as a copy of
 * its fallback's table (scalar for the first SIMD level, avx2 for avx512) and
 * then takes the kernels written for it, listed in register_kernels() below.
 * Each entry also records which ISA's implementation it holds, so
 * `steelgrad info` can say "sgemm: avx2 (avx512 runs the avx2 kernel)". */
#include "core/kernels/kernels.h"

#include <pthread.h>
#include <stdlib.h>

static sg_kernel_table tables[SG_ISA_COUNT];
static const sg_kernel_table *active;
static pthread_once_t once = PTHREAD_ONCE_INIT;

/* The kernels each ISA has of its own: one line per (family, ISA). A port adds
 * its lines here (docs/PORTING.md); families it leaves out run its fallback's. */
#define KERNEL(family, ISA, fn)                                      \
    if (isa == SG_ISA_##ISA) t->family = (fn), t->family##_isa = SG_ISA_##ISA
static void register_kernels(sg_isa isa, sg_kernel_table *t)
{
#if defined(__x86_64__) || defined(__i386__)
    KERNEL(sgemm, AVX2, sg_k_sgemm_avx2);
    KERNEL(sgemm, AVX512, sg_k_sgemm_avx512);
    KERNEL(sums, AVX2, sg_k_sums_avx2);
    KERNEL(sums, AVX512, sg_k_sums_avx512);
    KERNEL(dw_forward, AVX2, sg_k_dw_forward_avx2);
    KERNEL(dw_backward_data, AVX2, sg_k_dw_backward_data_avx2);
    KERNEL(dw_forward, AVX512, sg_k_dw_forward_avx512);
    KERNEL(dw_backward_data, AVX512, sg_k_dw_backward_data_avx512);
    /* normalisation and softmax (norm_avx2.c, norm_avx512.c): every family of SG_KERNEL_FAMILIES_NORM */
#define NORM_X86_(family, fn_type)                      \
    KERNEL(family, AVX2, sg_k_##family##_avx2);         \
    KERNEL(family, AVX512, sg_k_##family##_avx512);
    SG_KERNEL_FAMILIES_NORM(NORM_X86_)
    KERNEL(pool_max_forward, AVX2, sg_k_pool_max_forward_avx2);   /* pooling (pool_avx2.c, pool_avx512.c) */
    KERNEL(pool_max_forward, AVX512, sg_k_pool_max_forward_avx512);
    KERNEL(pool_gap_forward, AVX2, sg_k_pool_gap_forward_avx2);
    KERNEL(pool_gap_forward, AVX512, sg_k_pool_gap_forward_avx512);
    KERNEL(pool_gap_backward, AVX2, sg_k_pool_gap_backward_avx2);
    KERNEL(pool_gap_backward, AVX512, sg_k_pool_gap_backward_avx512);
    KERNEL(pool_avg_forward, AVX2, sg_k_pool_avg_forward_avx2);
    KERNEL(pool_avg_forward, AVX512, sg_k_pool_avg_forward_avx512);
    KERNEL(pool_max_backward, AVX2, sg_k_pool_max_backward_avx2);
    KERNEL(pool_max_backward, AVX512, sg_k_pool_max_backward_avx512);
    KERNEL(pool_avg_backward, AVX2, sg_k_pool_avg_backward_avx2);
    KERNEL(pool_avg_backward, AVX512, sg_k_pool_avg_backward_avx512);
#undef NORM_X86_
    /* im2col, col2im (conv_avx2.c, conv_avx512.c): every family of SG_KERNEL_FAMILIES_CONV */
#define GRID_X86_(family, fn_type)                      \
    KERNEL(family, AVX2, sg_k_##family##_avx2);         \
    KERNEL(family, AVX512, sg_k_##family##_avx512);
    SG_KERNEL_FAMILIES_CONV(GRID_X86_)
    /* resizing (resize_avx2.c, resize_avx512.c); bilinear backward is scalar only */
    GRID_X86_(up_nearest_forward, _) GRID_X86_(up_nearest_backward, _) GRID_X86_(up_bilinear_forward, _)
    /* reductions (reduce_avx2.c, reduce_avx512.c); the maximum's gradient is scalar only */
    GRID_X86_(reduce_sum_cols, _) GRID_X86_(reduce_max_runs, _) GRID_X86_(reduce_max_cols, _)
    GRID_X86_(reduce_sum_backward, _)
#undef GRID_X86_
#endif
#if defined(__aarch64__)
    KERNEL(sgemm, NEON, sg_k_sgemm_neon);
    KERNEL(sums, NEON, sg_k_sums_neon);
    /* normalisation and softmax (norm_neon.c) */
#define NORM_NEON_(family, fn_type) KERNEL(family, NEON, sg_k_##family##_neon);
    SG_KERNEL_FAMILIES_NORM(NORM_NEON_)
    KERNEL(pool_max_forward, NEON, sg_k_pool_max_forward_neon);   /* pooling (pool_neon.c) */
    KERNEL(pool_gap_forward, NEON, sg_k_pool_gap_forward_neon);
    KERNEL(pool_gap_backward, NEON, sg_k_pool_gap_backward_neon);
    KERNEL(pool_avg_forward, NEON, sg_k_pool_avg_forward_neon);
    KERNEL(pool_max_backward, NEON, sg_k_pool_max_backward_neon);
    KERNEL(pool_avg_backward, NEON, sg_k_pool_avg_backward_neon);
#undef NORM_NEON_
    /* im2col, col2im (conv_neon.c) */
#define GRID_NEON_(family, fn_type) KERNEL(family, NEON, sg_k_##family##_neon);
    SG_KERNEL_FAMILIES_CONV(GRID_NEON_)
    /* resizing (resize_neon.c) */
    GRID_NEON_(up_nearest_forward, _) GRID_NEON_(up_nearest_backward, _) GRID_NEON_(up_bilinear_forward, _)
    /* reductions (reduce_neon.c) */
    GRID_NEON_(reduce_sum_cols, _) GRID_NEON_(reduce_max_runs, _) GRID_NEON_(reduce_max_cols, _)
    GRID_NEON_(reduce_sum_backward, _)
#undef GRID_NEON_
#endif
    /* the elementwise families (optimiser updates, binary ops, activations) */
#if defined(__x86_64__) || defined(__i386__)
    KERNEL(sgd, AVX2, sg_k_sgd_avx2);
    KERNEL(adam, AVX2, sg_k_adam_avx2);
    KERNEL(sgd, AVX512, sg_k_sgd_avx512);
    KERNEL(adam, AVX512, sg_k_adam_avx512);
    KERNEL(ew_binary, AVX2, sg_k_ew_binary_avx2);
    KERNEL(ew_grad, AVX2, sg_k_ew_grad_avx2);
    KERNEL(act_forward, AVX2, sg_k_act_forward_avx2);
    KERNEL(act_backward, AVX2, sg_k_act_backward_avx2);
    KERNEL(mathf, AVX2, sg_k_mathf_avx2);
    KERNEL(rng_normal, AVX2, sg_k_rng_normal_avx2);
    KERNEL(ew_binary, AVX512, sg_k_ew_binary_avx512);
    KERNEL(ew_grad, AVX512, sg_k_ew_grad_avx512);
    KERNEL(act_forward, AVX512, sg_k_act_forward_avx512);
    KERNEL(act_backward, AVX512, sg_k_act_backward_avx512);
    KERNEL(mathf, AVX512, sg_k_mathf_avx512);
    KERNEL(rng_normal, AVX512, sg_k_rng_normal_avx512);
#endif
#if defined(__aarch64__)
    KERNEL(sgd, NEON, sg_k_sgd_neon);
    KERNEL(adam, NEON, sg_k_adam_neon);
    KERNEL(ew_binary, NEON, sg_k_ew_binary_neon);
    KERNEL(ew_grad, NEON, sg_k_ew_grad_neon);
    KERNEL(act_forward, NEON, sg_k_act_forward_neon);
    KERNEL(act_backward, NEON, sg_k_act_backward_neon);
    KERNEL(mathf, NEON, sg_k_mathf_neon);
    KERNEL(rng_normal, NEON, sg_k_rng_normal_neon);
#endif
    /* the data pipeline families (core/kernels/data_avx2.c, _avx512.c, _neon.c;
     * data/jpeg_avx2.c); crc32 has only its scalar twin */
#if defined(__x86_64__) || defined(__i386__)
    KERNEL(resize_h, AVX2, sg_k_resize_h_avx2);
    KERNEL(resize_v, AVX2, sg_k_resize_v_avx2);
    KERNEL(png_unfilter, AVX2, sg_k_png_unfilter_avx2);
    KERNEL(jpeg_idct, AVX2, sg_k_jpeg_idct_avx2);
    KERNEL(jpeg_ycc_rgb, AVX2, sg_k_jpeg_ycc_rgb_avx2);
    KERNEL(jpeg_upsample, AVX2, sg_k_jpeg_upsample_avx2);
    KERNEL(resize_v, AVX512, sg_k_resize_v_avx512);
    KERNEL(png_unfilter, AVX512, sg_k_png_unfilter_avx512);
#endif
#if defined(__aarch64__)
    KERNEL(resize_h, NEON, sg_k_resize_h_neon);
    KERNEL(resize_v, NEON, sg_k_resize_v_neon);
    KERNEL(png_unfilter, NEON, sg_k_png_unfilter_neon);
#endif
    (void)isa, (void)t;
}

static void fill_tables(void)
{
    sg_kernel_table *scalar = &tables[SG_ISA_SCALAR];
    scalar->isa = SG_ISA_SCALAR;
#define SCALAR_(family, fn_type) scalar->family = sg_k_##family##_scalar, scalar->family##_isa = SG_ISA_SCALAR;
    SG_KERNEL_FAMILIES(SCALAR_)
#undef SCALAR_
    /* Fallbacks come earlier in SG_ISA_LIST (core/cpu.c asserts it), so the
     * table copied is already complete; the ISA's own kernels then replace entries. */
    for (int i = 1; i < SG_ISA_COUNT; i++) {
        tables[i] = tables[sg_isa_fallback((sg_isa)i)];
        tables[i].isa = (sg_isa)i;
        register_kernels((sg_isa)i, &tables[i]);
    }
    active = &tables[sg_isa_best()];
}

const sg_kernel_table *sg_kernels_for(sg_isa isa)
{
    pthread_once(&once, fill_tables);
    if ((int)isa < 0 || isa >= SG_ISA_COUNT || !sg_isa_supported(isa)) return NULL;
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

static const char *const family_names[] = {
#define NAME_(family, fn_type) #family,
    SG_KERNEL_FAMILIES(NAME_)
#undef NAME_
};
_Static_assert(sizeof family_names / sizeof family_names[0] == SG_KERNEL_FAMILY_COUNT,
               "one name per kernel family");

const char *sg_kernel_family_name(int family)
{
    return family >= 0 && family < SG_KERNEL_FAMILY_COUNT ? family_names[family] : "?";
}

sg_isa sg_kernel_family_isa(const sg_kernel_table *t, int family)
{
    switch (family) {
#define CASE_(f, fn_type) case SG_KERNEL_##f: return t->f##_isa;
        SG_KERNEL_FAMILIES(CASE_)
#undef CASE_
    }
    return SG_ISA_SCALAR;
}
