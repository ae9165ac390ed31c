#!/bin/sh
# examples/000_cae_spc.sh - paper 000's unsupervised experiment on NEU-CLS:
# its convolutional autoencoder (cae000: 3 stride-2 convolutions, a 256-d
# latent, the mirrored decoder, sigmoid) trained on the healthy class only
# with MSE + lambda 0.1 on the latent code (--latent-l2), 128 x 128 gray,
# 50 epochs, Adam lr 1e-3, batch 32; then Statistical Process Control: an
# image is defective when its reconstruction error exceeds mu + 0.01 sigma of
# the training images' errors (`anomaly score --score spc`, C = 0.01).
#
# Paper 000 used SteelBlastQC ("ready for paint" as the healthy class), which
# is not available here; on NEU the healthy class is paper 003's "patches"
# (examples/003_anomaly_split.sh: 240 to train, 60 unseen + 1500 defects to
# score). docs/RESULTS.md has the figures.
#
#   sh examples/000_cae_spc.sh OUT [NEU-CLS] [STEELGRAD]
#
# Writes OUT/split (the folders), OUT/cae000 (the run), OUT/spc.json (all
# images) and OUT/spc_<class>.json (60 healthy against one defect class).
set -eu
out=$1
neu=${2:-../shared/data/neu-cls}
sg=${3:-build/steelgrad}
mkdir -p "$out"
sh "$(dirname "$0")/003_anomaly_split.sh" "$out/split" "$neu"
"$sg" anomaly train --data "$out/split/train" --healthy patches --model cae000 --size 128 \
    --epochs 50 --batch 32 --lr 1e-3 --latent-l2 0.1 --seed 0 -o "$out/cae000"
"$sg" anomaly score --run "$out/cae000" --data "$out/split/test" --score spc --spc-c 0.01 > "$out/spc.json"
for c in crazing inclusion pitted_surface rolled-in_scale scratches; do
    "$sg" anomaly score --run "$out/cae000" --data "$out/split/pairs/$c" --score spc --spc-c 0.01 > "$out/spc_$c.json"
done
echo "wrote $out/spc.json and $out/spc_<class>.json"
