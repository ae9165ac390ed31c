#!/bin/sh
# tests/install_test.sh - `make install` into a staging folder (PREFIX and
# DESTDIR), then examples/embed.c built against the installed headers and
# library with pkg-config, once against the shared library and once static,
# and its answer compared with `steelgrad predict` on the same image.
#   sh tests/install_test.sh            (BUILD=dir for another build folder, JOBS=N for make -j, default 2)
set -eu
build=${BUILD:-build}
tmp=$(mktemp -d /tmp/sg_install_XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
prefix=/opt/steelgrad
make -s -j"${JOBS:-2}" BUILD="$build" install PREFIX="$prefix" DESTDIR="$tmp/stage" > "$tmp/make.log" 2>&1 || { cat "$tmp/make.log"; exit 1; }
root=$tmp/stage$prefix
for f in bin/steelgrad lib/libsteelgrad.a lib/libsteelgrad.so include/steelgrad/core/tensor.h \
         include/steelgrad/train/eval.h lib/pkgconfig/steelgrad.pc; do
    [ -e "$root/$f" ] || { echo "install test: FAIL ($f not installed)"; exit 1; }
done
# The .pc names the final PREFIX; point it at the staging copy.
sed "s|^prefix=.*|prefix=$root|" "$root/lib/pkgconfig/steelgrad.pc" > "$tmp/steelgrad.pc"
export PKG_CONFIG_PATH="$tmp"
cc=${CC:-cc}
$cc -std=c11 -Wall -Wextra -Werror examples/embed.c $(pkg-config --cflags --libs steelgrad) -o "$tmp/embed_shared"
$cc -std=c11 -Wall -Wextra -Werror examples/embed.c $(pkg-config --cflags steelgrad) \
    "$root/lib/libsteelgrad.a" -lm -pthread -o "$tmp/embed_static"
bin=$root/bin/steelgrad
"$bin" synth --out "$tmp/synth" --per-class 6 --size 32 > /dev/null
"$bin" train --quiet --data "$tmp/synth/images" --model cnn --size 32 --epochs 2 --batch 16 --out "$tmp/run" > /dev/null
img=$tmp/synth/images/patches/patches_0.png
want=$("$bin" predict --weights "$tmp/run/best.safetensors" "$img" | sed 's/  \[.*//; s/ (\(.*\))/ \1/')
got_shared=$(LD_LIBRARY_PATH="$root/lib" "$tmp/embed_shared" "$tmp/run/best.safetensors" "$img")
got_static=$("$tmp/embed_static" "$tmp/run/best.safetensors" "$img")
ldd "$tmp/embed_shared" | grep -q "libsteelgrad.so" || { echo "install test: FAIL (embed_shared does not use the .so)"; exit 1; }
if [ "$got_shared" = "$want" ] && [ "$got_static" = "$want" ]; then
    echo "install test: PASS ($got_static; shared and static builds agree with steelgrad predict)"
else
    echo "install test: FAIL (predict '$want', shared '$got_shared', static '$got_static')"
    exit 1
fi
