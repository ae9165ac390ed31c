/* core/cpu.h - CPU features and the instruction set the kernels use.
 *
 * A feature counts only if the CPU has it AND the OS saves its registers on a
 * context switch (OSXSAVE + XGETBV for the AVX and AVX-512 state), so an old
 * plant PC or a VM that hides AVX gets the scalar path, never SIGILL.
 * SG_ISA=<name> (core/isa.h lists them) forces a choice; forcing one the
 * machine lacks is an error (sg_init reports it). */
#ifndef SG_CPU_H
#define SG_CPU_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/isa.h"

typedef struct sg_cpu_features {
    char vendor[16];
    char brand[64];
    bool sse2, avx, fma, f16c, avx2;
    bool avx512f, avx512bw, avx512dq, avx512vl, avx512_bf16, amx;
    bool os_avx;      /* XCR0 has SSE and AVX state */
    bool os_avx512;   /* XCR0 has opmask and ZMM state */
    bool neon;        /* AArch64: getauxval(AT_HWCAP) has HWCAP_ASIMD */
} sg_cpu_features;

const sg_cpu_features *sg_cpu(void);
/* Whether this machine (CPU + OS) can run kernels of `isa`. */
bool sg_isa_supported(sg_isa isa);
/* The best ISA we have kernels for on this machine (the last supported entry
 * of SG_ISA_LIST). */
sg_isa sg_isa_best(void);
/* "avx2"; "?" for a value outside the list. */
const char *sg_isa_name(sg_isa isa);
/* One line on what the ISA is ("x86-64 AVX2 + FMA"). */
const char *sg_isa_description(sg_isa isa);
/* The ISA whose kernels `isa` runs where it has none of its own (itself for scalar). */
sg_isa sg_isa_fallback(sg_isa isa);
/* Every ISA name joined by `sep` into buf ("scalar|avx2|avx512|neon"); returns buf. */
const char *sg_isa_names_joined(const char *sep, char *buf, size_t cap);
/* Parse a name ("avx2"); SG_ERR_INVALID if unknown. */
sg_err sg_isa_parse(const char *name, sg_isa *out);
/* Space-separated list of the features found ("sse2 avx fma avx2 ..."). */
const char *sg_cpu_feature_string(void);

#endif
