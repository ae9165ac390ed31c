#!/bin/sh
# tests/deps.sh - make sure the Check unit-test library is installed before
# `make test` / `make sanitize` build the suites; install it when it is not.
#
# Check present: does nothing (exit 0). Missing: picks the system's package
# manager (apt-get, dnf, yum, zypper, apk, pacman, brew - the first found on
# PATH), and runs its install command as root, or through `sudo -n` when that
# works without a password. Otherwise it prints the exact command for this
# system and exits 2. `make`, `make demo`, `make bench` never run this script.
#
# Environment:
#   CC                 the compiler `make` uses (the check compiles and links with it)
#   SG_NO_INSTALL=1    never install: print the command and exit 2 (air-gapped plants)
#   SG_DEPS_ASSUME_MISSING=1, SG_DEPS_UID=N
#                      for tests/test_deps.c only: treat Check as absent at the
#                      first look, and pretend to run as user id N.
set -u
CC=${CC:-cc}

have_check() {
    tmp=${TMPDIR:-/tmp}/sg_deps_$$
    printf '#include <check.h>\nint main(void) { return srunner_ntests_run(0); }\n' >"$tmp.c" 2>/dev/null || return 1
    libs=$(pkg-config --libs check 2>/dev/null || echo "-lcheck -lsubunit -lrt -lm -pthread")
    # shellcheck disable=SC2086
    $CC "$tmp.c" -o "$tmp" $libs >/dev/null 2>&1
    rc=$?
    rm -f "$tmp.c" "$tmp"
    return $rc
}

if [ "${SG_DEPS_ASSUME_MISSING:-0}" != 1 ] && have_check; then
    exit 0
fi

# The package manager and its install command.
manager=
for m in apt-get dnf yum zypper apk pacman brew; do
    if command -v "$m" >/dev/null 2>&1; then manager=$m; break; fi
done
case $manager in
    apt-get) install="apt-get install -y -q check pkg-config" ;;
    dnf)     install="dnf install -y check-devel pkgconf-pkg-config" ;;
    yum)     install="yum install -y check-devel pkgconfig" ;;
    zypper)  install="zypper --non-interactive install check-devel pkg-config" ;;
    apk)     install="apk add check-dev pkgconf" ;;
    pacman)  install="pacman -S --noconfirm --needed check pkgconf" ;;
    brew)    install="brew install check pkg-config" ;;
    *)       install= ;;
esac

say() { printf 'make test: %s\n' "$*" >&2; }

if [ -z "$install" ]; then
    say "the Check unit-test library (https://libcheck.github.io/check/) is missing and no known package manager was found; install Check and pkg-config, then run make test again"
    exit 2
fi
if [ "${SG_NO_INSTALL:-0}" = 1 ]; then
    say "the Check unit-test library is missing; SG_NO_INSTALL=1, so install it yourself: $install"
    exit 2
fi

# Who runs it: root as is; brew refuses root and installs as the user;
# anyone else through a password-less sudo, or not at all.
uid=${SG_DEPS_UID:-$(id -u)}
prefix=
if [ "$manager" != brew ] && [ "$uid" != 0 ]; then
    if sudo -n true >/dev/null 2>&1; then
        prefix="sudo -n "
    else
        say "the Check unit-test library is missing and installing it needs root; run: sudo $install"
        exit 2
    fi
fi

say "the Check unit-test library is missing; installing it: $prefix$install"
run() {
    if [ "$manager" = apt-get ]; then
        # shellcheck disable=SC2086
        ${prefix}env DEBIAN_FRONTEND=noninteractive $install
    else
        # shellcheck disable=SC2086
        $prefix$install
    fi
}
if ! run; then
    if [ "$manager" = apt-get ]; then
        say "the install failed; refreshing the package index (apt-get update) and trying once more"
        ${prefix}apt-get update -q && run
    else
        false
    fi || { say "installing Check failed; run it yourself: $prefix$install"; exit 1; }
fi
if ! have_check; then
    say "Check was installed but $CC still cannot build against it; see the output above"
    exit 1
fi
say "Check installed"
exit 0
