#!/bin/sh
# examples/neu_gradcam_point.sh - train examples/neu_gradcam.conf on NEU-CLS,
# choose the Grad-CAM layer(s) by the pointing game on the NEU-DET copies of
# the val part, then score that choice once on the test part's (docs/EXPLAIN.md).
#
#   sh examples/neu_gradcam_point.sh [NEU-CLS [NEU-DET [RUN]]]
#
# Defaults: ../shared/data/neu-cls, ../shared/data/neu-det, runs/neu_point; an
# existing RUN/best.safetensors is reused. STEELGRAD names the binary
# (default build/steelgrad). Prints the val line of every candidate, then the
# test lines of the chosen one (gradcam) and of features.14 alone.
set -eu
cls=${1:-../shared/data/neu-cls}
det=${2:-../shared/data/neu-det}
run=${3:-runs/neu_point}
sg=${STEELGRAD:-build/steelgrad}
[ -f "$run/best.safetensors" ] || "$sg" train --data "$cls" --recipe examples/neu_gradcam.conf --out "$run"
sh examples/neu_det_test_part.sh "$run/split.csv" "$run/det_val" "$det" val
sh examples/neu_det_test_part.sh "$run/split.csv" "$run/det_test" "$det" test
best= best_pg=-1
for layer in features.14 features.15 features.11,features.14 features.14,features.15 \
             features.10,features.14 features.10,features.14,features.15; do
    line=$("$sg" explain --evaluate --weights "$run/best.safetensors" --data "$run/det_val" \
           --method gradcam --layer "$layer")
    echo "val: $line"
    pg=$(echo "$line" | sed 's/.*"pointing_game":\([0-9.]*\).*/\1/')
    if awk "BEGIN { exit !($pg > $best_pg) }"; then best=$layer best_pg=$pg; fi
done
echo "chosen on val: $best ($best_pg)"
for layer in "$best" features.14; do
    echo "test: $("$sg" explain --evaluate --weights "$run/best.safetensors" --data "$run/det_test" \
                  --method gradcam --layer "$layer")"
done
