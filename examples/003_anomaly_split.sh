#!/bin/sh
# examples/003_anomaly_split.sh - paper 003's anomaly protocol on NEU-CLS:
# "patches" is the healthy class. Every 5th patches image (in natural file
# order: Pa_5, Pa_10, ...) is held out, so the autoencoder trains on 240
# healthy images and is scored on 60 unseen healthy ones and on all 1500
# images of the five defect classes.
#
#   sh examples/003_anomaly_split.sh OUT [NEU-CLS]
#
# Writes OUT/train/patches, OUT/test/<class> and OUT/pairs/<defect>/{patches,
# <defect>} (the 60 healthy test images against one defect class) as
# symbolic links.
set -eu
out=$1
src=$(cd "${2:-../shared/data/neu-cls}" && pwd)
[ -d "$src/patches" ] || { echo "003_anomaly_split.sh: $src has no patches/ folder" >&2; exit 1; }
mkdir -p "$out/train/patches" "$out/test/patches"
out=$(cd "$out" && pwd)
i=0
for f in $(ls "$src/patches" | sort -t_ -k2 -n); do
    i=$((i + 1))
    if [ $((i % 5)) -eq 0 ]; then ln -sf "$src/patches/$f" "$out/test/patches/"; else ln -sf "$src/patches/$f" "$out/train/patches/"; fi
done
for c in crazing inclusion pitted_surface rolled-in_scale scratches; do
    mkdir -p "$out/test/$c" "$out/pairs/$c"
    ln -sf "$src/$c/"* "$out/test/$c/"
    ln -sfn "$out/test/patches" "$out/pairs/$c/patches"
    ln -sfn "$out/test/$c" "$out/pairs/$c/$c"
done
echo "$(ls "$out/train/patches" | wc -l) healthy training images, $(ls "$out/test/patches" | wc -l) healthy test images"
