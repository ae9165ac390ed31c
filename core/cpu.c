/* core/cpu.c - cpuid / xgetbv feature detection (see cpu.h). */
#include "core/cpu.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define SG_X86 1
#endif
#if defined(__linux__) && (defined(__aarch64__) || defined(__riscv))
#include <sys/auxv.h>   /* getauxval(AT_HWCAP) */
#define SG_HWCAP 1
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

#if defined(__aarch64__)
/* Ask the kernel (HWCAP_ASIMD, bit 1) rather than assume: AArch64 makes
 * Advanced SIMD mandatory for general-purpose cores, but a kernel or emulator
 * may not offer it. Elsewhere than Linux it is assumed. */
static void detect_arm64(void)
{
    strcpy(F.vendor, "arm64 (aarch64)");
#ifdef SG_HWCAP
    unsigned long hw = getauxval(AT_HWCAP);
    F.neon = hw & (1ul << 1);
#else
    F.neon = true;
#endif
}
#endif

#if defined(__riscv)
/* AT_HWCAP holds one bit per single-letter extension ('a' = bit 0): the ISA
 * string ("rv64imafdcv") is the CPU line; there are no riscv kernels yet. */
static void detect_riscv(void)
{
    int used = snprintf(F.vendor, sizeof F.vendor, "rv%d", (int)__riscv_xlen);
#ifdef SG_HWCAP
    unsigned long hw = getauxval(AT_HWCAP);
    for (int b = 0; b < 26 && used < (int)sizeof F.vendor - 1; b++)
        if (hw & (1ul << b)) F.vendor[used++] = (char)('a' + b), F.vendor[used] = '\0';
#endif
    snprintf(F.brand, sizeof F.brand, "RISC-V %s", F.vendor);
}
#endif

static void detect(void)
{
#ifdef SG_X86
    detect_x86();
#elif defined(__aarch64__)
    detect_arm64();
#elif defined(__riscv)
    detect_riscv();
#else
    snprintf(F.vendor, sizeof F.vendor, "unknown CPU");
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
    /* No x86 or Arm feature: say what the CPU is (the RISC-V ISA string) or "none". */
    if (!used) snprintf(feature_string, sizeof feature_string, "%s", F.vendor[0] ? F.vendor : "none");
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

/* ---- the ISA registry (core/isa.h) ------------------------------------------- */

/* Whether this machine (CPU + OS) can run an ISA's kernels: one function per
 * entry of SG_ISA_LIST, named isa_detect_<name> (a missing one fails the build). */
static bool isa_detect_scalar(const sg_cpu_features *f) { return (void)f, true; }
static bool isa_detect_avx2(const sg_cpu_features *f) { return f->avx2 && f->fma && f->os_avx; }
static bool isa_detect_avx512(const sg_cpu_features *f)
{
    return f->avx512f && f->avx512bw && f->avx512dq && f->avx512vl && f->os_avx512 && f->fma &&
           isa_detect_avx2(f);
}
static bool isa_detect_neon(const sg_cpu_features *f) { return f->neon; }

typedef struct isa_entry {
    const char *name, *description;
    sg_isa fallback;
    bool (*detect)(const sg_cpu_features *);
} isa_entry;

static const isa_entry isas[] = {
#define ISA_ENTRY_(ID, name, FALLBACK, description) {#name, description, SG_ISA_##FALLBACK, isa_detect_##name},
    SG_ISA_LIST(ISA_ENTRY_)
#undef ISA_ENTRY_
};
_Static_assert(sizeof isas / sizeof isas[0] == SG_ISA_COUNT, "one registry entry per sg_isa value");
/* A fallback must come earlier in the list, so tables can be filled in order. */
#define ISA_FALLBACK_EARLIER_(ID, name, FALLBACK, description) \
    _Static_assert(SG_ISA_##FALLBACK < SG_ISA_##ID || SG_ISA_##ID == SG_ISA_SCALAR, \
                   #name ": its fallback must be an earlier entry of SG_ISA_LIST");
SG_ISA_LIST(ISA_FALLBACK_EARLIER_)
#undef ISA_FALLBACK_EARLIER_
_Static_assert(SG_ISA_SCALAR == 0, "scalar is the first entry: the reference every table starts from");

static bool valid(sg_isa isa) { return (int)isa >= 0 && isa < SG_ISA_COUNT; }

bool sg_isa_supported(sg_isa isa) { return valid(isa) && isas[isa].detect(sg_cpu()); }

const char *sg_isa_name(sg_isa isa) { return valid(isa) ? isas[isa].name : "?"; }

const char *sg_isa_description(sg_isa isa) { return valid(isa) ? isas[isa].description : "?"; }

sg_isa sg_isa_fallback(sg_isa isa) { return valid(isa) ? isas[isa].fallback : SG_ISA_SCALAR; }

const char *sg_isa_names_joined(const char *sep, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap) buf[0] = '\0';
    for (int i = 0; i < SG_ISA_COUNT && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? sep : "", isas[i].name);
    return buf;
}

sg_err sg_isa_parse(const char *name, sg_isa *out)
{
    for (int i = 0; i < SG_ISA_COUNT; i++)
        if (strcmp(name, isas[i].name) == 0) {
            *out = (sg_isa)i;
            return SG_OK;
        }
    char names[128];
    return sg_error_set(SG_ERR_INVALID, "unknown ISA '%s' (expected one of %s)", name,
                        sg_isa_names_joined(", ", names, sizeof names));
}

sg_isa sg_isa_best(void)
{
    for (int i = SG_ISA_COUNT - 1; i > 0; i--)
        if (sg_isa_supported((sg_isa)i)) return (sg_isa)i;
    return SG_ISA_SCALAR;
}
