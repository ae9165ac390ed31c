/* core/cpu.c - cpuid / xgetbv feature detection (see cpu.h). */
#include "core/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SG_X86 1
#endif

static sg_cpu_features F;
static char feature_string[256];
static pthread_once_t once = PTHREAD_ONCE_INIT;

#ifdef SG_X86
static unsigned long long read_xcr0(void)
{
    unsigned eax, edx;
    /* xgetbv with ecx = 0, encoded as bytes so no -mxsave flag is needed. */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}

static void detect_x86(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return;
    unsigned max_leaf = a;
    memcpy(F.vendor, &b, 4);
    memcpy(F.vendor + 4, &d, 4);
    memcpy(F.vendor + 8, &c, 4);
    __get_cpuid(1, &a, &b, &c, &d);
    F.sse2 = d & (1u << 26);
    bool osxsave = c & (1u << 27);
    F.avx = c & (1u << 28);
    F.fma = c & (1u << 12);
    F.f16c = c & (1u << 29);
    if (osxsave) {
        unsigned long long xcr0 = read_xcr0();
        F.os_avx = (xcr0 & 0x6) == 0x6;
        F.os_avx512 = F.os_avx && (xcr0 & 0xe0) == 0xe0;
    }
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        F.avx2 = b & (1u << 5);
        F.avx512f = b & (1u << 16);
        F.avx512dq = b & (1u << 17);
        F.avx512bw = b & (1u << 30);
        F.avx512vl = b & (1u << 31);
        F.amx = d & (1u << 24);
        __cpuid_count(7, 1, a, b, c, d);
        F.avx512_bf16 = a & (1u << 5);
    }
    if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
        unsigned *w = (unsigned *)F.brand;
        for (unsigned leaf = 0; leaf < 3; leaf++)
            __get_cpuid(0x80000002 + leaf, &w[leaf * 4], &w[leaf * 4 + 1], &w[leaf * 4 + 2],
                        &w[leaf * 4 + 3]);
        F.brand[48] = '\0';
    }
}
#endif

static void detect(void)
{
#ifdef SG_X86
    detect_x86();
#elif defined(__aarch64__)
    F.neon = true;  /* Advanced SIMD is mandatory on AArch64 */
    strcpy(F.vendor, "arm64");
#endif
    struct { const char *name; bool on; } list[] = {
        {"sse2", F.sse2}, {"avx", F.avx && F.os_avx}, {"fma", F.fma}, {"f16c", F.f16c},
        {"avx2", F.avx2 && F.os_avx}, {"avx512f", F.avx512f && F.os_avx512},
        {"avx512bw", F.avx512bw && F.os_avx512}, {"avx512dq", F.avx512dq && F.os_avx512},
        {"avx512vl", F.avx512vl && F.os_avx512}, {"avx512_bf16", F.avx512_bf16 && F.os_avx512},
        {"amx", F.amx}, {"neon", F.neon},
    };
    size_t used = 0;
    for (size_t i = 0; i < sizeof list / sizeof list[0]; i++)
        if (list[i].on && used < sizeof feature_string)
            used += (size_t)snprintf(feature_string + used, sizeof feature_string - used, "%s%s",
                                     used ? " " : "", list[i].name);
}

const sg_cpu_features *sg_cpu(void)
{
    pthread_once(&once, detect);
    return &F;
}

const char *sg_cpu_feature_string(void)
{
    sg_cpu();
    return feature_string;
}

bool sg_isa_supported(sg_isa isa)
{
    const sg_cpu_features *f = sg_cpu();
    switch (isa) {
    case SG_ISA_SCALAR: return true;
    case SG_ISA_AVX2: return f->avx2 && f->fma && f->os_avx;
    case SG_ISA_AVX512:
        return f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl && f->os_avx512 && f->fma;
    case SG_ISA_NEON: return f->neon;
    default: return false;
    }
}

static const char *names[SG_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon"};

const char *sg_isa_name(sg_isa isa) { return isa >= 0 && isa < SG_ISA_COUNT ? names[isa] : "?"; }

sg_err sg_isa_parse(const char *name, sg_isa *out)
{
    for (int i = 0; i < SG_ISA_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (sg_isa)i;
            return SG_OK;
        }
    return sg_error_set(SG_ERR_INVALID, "unknown ISA '%s' (expected scalar, avx2, avx512 or neon)",
                        name);
}

sg_isa sg_isa_best(void)
{
    if (sg_isa_supported(SG_ISA_AVX512)) return SG_ISA_AVX512;
    if (sg_isa_supported(SG_ISA_AVX2)) return SG_ISA_AVX2;
    if (sg_isa_supported(SG_ISA_NEON)) return SG_ISA_NEON;
    return SG_ISA_SCALAR;
}
