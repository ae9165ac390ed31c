#!/bin/sh
# tests/cross-deps.sh TARGET... - install what `make test-arm`, `make test-riscv`
# and `make test-oldcpu` need (Debian/Ubuntu, as root); those targets install
# nothing themselves. .ci/run calls it. TARGET is aarch64, riscv64 or oldcpu.
#   aarch64  gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user, and the
#            Check library for arm64 from Debian through multiarch
#            (dpkg --add-architecture arm64; check:arm64 ships static
#            libcheck.a, libsubunit.a for the cross linker in /usr/lib/aarch64-linux-gnu).
#   riscv64  gcc-riscv64-linux-gnu, libc6-dev-riscv64-cross, qemu-user (no Check:
#            bookworm has no riscv64 packages; the digests are checked through the CLI).
#   oldcpu   qemu-user (qemu-x86_64 -cpu Westmere).
set -eu
pkgs=
arm64=no
for t in "$@"; do
    case $t in
        aarch64) pkgs="$pkgs gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user check:arm64"; arm64=yes ;;
        riscv64) pkgs="$pkgs gcc-riscv64-linux-gnu libc6-dev-riscv64-cross qemu-user" ;;
        oldcpu) pkgs="$pkgs qemu-user" ;;
        *) echo "tests/cross-deps.sh: unknown target '$t' (expected aarch64, riscv64 or oldcpu)" >&2; exit 2 ;;
    esac
done
[ -n "$pkgs" ] || { echo "usage: sh tests/cross-deps.sh aarch64|riscv64|oldcpu..." >&2; exit 2; }
missing=
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
prefix=
[ "$(id -u)" = 0 ] || prefix="sudo -n "
update=no
if [ $arm64 = yes ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    # shellcheck disable=SC2086 # prefix is empty or "sudo -n "
    ${prefix}dpkg --add-architecture arm64
    update=yes
fi
echo "tests/cross-deps.sh: installing$missing" >&2
# shellcheck disable=SC2086
if [ $update = yes ] || ! ${prefix}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null; then
    ${prefix}apt-get update -qq
    # shellcheck disable=SC2086
    ${prefix}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
