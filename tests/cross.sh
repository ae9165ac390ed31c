#!/bin/sh
# tests/cross.sh TARGET - the cross and old-CPU test runs (make test-arm,
# test-riscv, test-oldcpu). Installs nothing: when a tool is missing it names
# the command that installs it (sh tests/cross-deps.sh TARGET).
#   aarch64  build-aarch64/: the library, the CLI and every Check suite built
#            by aarch64-linux-gnu-gcc and run under qemu-aarch64 (whose CPU has
#            NEON: the suites run the NEON table, test_digest and the twin
#            tests also scalar). SUITES='digest kernels' runs only those suites.
#   riscv64  build-riscv64/: the library and the CLI by riscv64-linux-gnu-gcc,
#            `info` and the digest runs (tests/digest.sh) under qemu-riscv64.
#   oldcpu   build/steelgrad under qemu-x86_64 -cpu Westmere (no AVX, no FMA):
#            `info` must name the scalar ISA and the digests must match.
# Environment: JOBS (make -j, default 2), CK_TIMEOUT_MULTIPLIER (default 10:
# Check's per-test timeouts, scaled for emulation).
set -eu
target=${1:-}
jobs=${JOBS:-2}
say() { printf 'tests/cross.sh: %s\n' "$*" >&2; }
need() {  # need TOOL...: each on PATH, else say how to install
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 && continue
        say "$tool is missing; install the $target toolchain with: sh tests/cross-deps.sh $target (as root)"
        exit 2
    done
}
case $target in
    aarch64 | riscv64)
        triple=$target-linux-gnu
        qemu=qemu-$target
        need "$triple-gcc" "$qemu"
        # Dynamic binaries: qemu finds the target's loader and libc here.
        QEMU_LD_PREFIX=/usr/$triple
        export QEMU_LD_PREFIX
        build=build-$target
        ;;
    oldcpu) need qemu-x86_64 ;;
    *) say "usage: sh tests/cross.sh aarch64|riscv64|oldcpu"; exit 2 ;;
esac

case $target in
aarch64)
    # Static binaries: dynamically linked ones hang under qemu-aarch64 7.2 in
    # pthread_create and fork (the guest spins before clone; static ones run
    # the same code fine). --allow-multiple-definition lets test_train_engine's
    # malloc counter (it wraps __libc_malloc) replace libc.a's malloc.
    # Check for arm64 comes from Debian's multiarch check:arm64 (static libs).
    check_libs="-lcheck -lsubunit -lrt"
    if [ ! -f /usr/include/check.h ] || [ ! -f "/usr/lib/$triple/libcheck.a" ]; then
        say "the Check library for arm64 is missing (check:arm64); install it with: sh tests/cross-deps.sh aarch64 (as root)"
        exit 2
    fi
    suites=
    for s in ${SUITES:-}; do suites="$suites $build/tests/test_${s#test_}"; done
    set -- CC="$triple-gcc" BUILD="$build" SG_NO_INSTALL=1 CHECK_LIBS="$check_libs" SG_RUNNER="$qemu" \
        LDFLAGS="-static -Wl,--allow-multiple-definition"
    [ -z "$suites" ] || set -- "$@" TEST_BIN="${suites# }"
    CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10} exec make -j"$jobs" "$@" test
    ;;
riscv64)
    make -j"$jobs" CC="$triple-gcc" BUILD="$build" all
    "$qemu" "$build/steelgrad" info
    SG_BIN="$qemu $build/steelgrad" SG_DIGEST_ISAS=scalar exec sh tests/digest.sh
    ;;
oldcpu)
    bin="qemu-x86_64 -cpu Westmere build/steelgrad"
    info=$($bin info) || { say "$bin info failed"; exit 1; }
    printf '%s\n' "$info"
    printf '%s\n' "$info" | grep -q '^isa: *scalar ' || { say "$bin info: expected 'isa: scalar' on a CPU without AVX"; exit 1; }
    if SG_ISA=avx2 $bin info >/dev/null 2>&1; then say "SG_ISA=avx2 on Westmere should be refused"; exit 1; fi
    SG_BIN=$bin SG_DIGEST_ISAS=scalar exec sh tests/digest.sh
    ;;
esac
