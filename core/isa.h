/* core/isa.h - the one list of instruction sets steelgrad has kernels for.
 *
 * Everything else is generated from SG_ISA_LIST: the sg_isa enum, the names
 * SG_ISA accepts, the detection table (core/cpu.c needs a function
 * isa_detect_<name>, or the build fails), the priority order, the --help and
 * error texts and `steelgrad info` (static assertions keep the arrays in step
 * with the enum). Porting to a new CPU starts with one line here (see
 * docs/PORTING.md).
 *
 *   X(ID, name, FALLBACK, description)
 *     ID        the enum's suffix: SG_ISA_<ID>
 *     name      what SG_ISA=, --help and `info` say
 *     FALLBACK  the ISA whose kernels it runs where it has none of its own
 *               (an earlier entry; scalar for the first SIMD level)
 * Entries are in increasing priority: the last one the machine supports is
 * used unless SG_ISA says otherwise (no machine has both an x86 and an Arm
 * entry, so their relative order does not matter). */
#ifndef SG_ISA_H
#define SG_ISA_H

#define SG_ISA_LIST(X)                                                     \
    X(SCALAR, scalar, SCALAR, "portable C, every CPU")                     \
    X(AVX2, avx2, SCALAR, "x86-64 AVX2 + FMA")                             \
    X(AVX512, avx512, AVX2, "x86-64 AVX-512 F, BW, DQ, VL")                \
    X(NEON, neon, SCALAR, "AArch64 Advanced SIMD (ASIMD)")

typedef enum sg_isa {
#define SG_ISA_ENUM_(ID, name, fallback, description) SG_ISA_##ID,
    SG_ISA_LIST(SG_ISA_ENUM_)
#undef SG_ISA_ENUM_
    SG_ISA_COUNT
} sg_isa;

#endif
