#!/bin/sh
# examples/002_detect.sh - defect localisation on NEU-DET from scratch, then
# the boxes drawn on some test images.
#
#   sh examples/002_detect.sh [grid|multi|single] [NEU-DET] [OUT]
#
#   grid    the dense per-cell head (objectness, class, box per cell of the
#           backbone's 8 x 8 map; per-class NMS) on the plain CNN x2 at 128 px
#           gray, horizontal flips, cosine lr, 16 epochs; docs/RESULTS.md has its
#           mAP (the default)
#   multi   paper 002's multi-defect head: 4 slots of class-or-"no defect" and
#           box, paper 002's CNN at 64 px, 12 epochs (the RESULTS.md row)
#   single  paper 002's single-defect head (one class and box per image)
#
# Test set: the images whose number is a multiple of 5 (360 of 1800), as
# `steelgrad detect` splits. STEELGRAD names the binary (default: steelgrad
# on PATH). Writes OUT/weights.safetensors, OUT/metrics.json and
# OUT/boxes/<i>_<image>.png with one JSON line per image on stdout.
set -eu
head=${1:-grid}
det=${2:-../shared/data/neu-det}
out=${3:-runs/det_$head}
sg=${STEELGRAD:-steelgrad}
[ -f "$det/annotations/crazing_1.xml" ] || { echo "002_detect.sh: $det is not NEU-DET" >&2; exit 1; }
case $head in
grid) "$sg" detect --data "$det" --model cnn --width-mult 2 --size 128 --head grid --hflip --schedule cosine \
        --epochs 16 --batch 32 --lr 1e-3 -o "$out" ;;
multi) "$sg" detect --data "$det" --model cnn002 --size 64 --slots 4 --epochs 12 --batch 32 --lr 1e-3 -o "$out" ;;
single) "$sg" detect --data "$det" --model cnn002 --size 64 --slots 1 --epochs 10 --batch 32 --lr 1e-3 -o "$out" ;;
*) echo "002_detect.sh: expected grid, multi or single, got '$head'" >&2; exit 2 ;;
esac
# the 5th, 10th, ... 30th image of each class: test images
set --
for c in crazing inclusion patches pitted_surface rolled-in_scale scratches; do
    for k in 5 10 15 20 25 30; do set -- "$@" "$det/images/${c}_$k.jpg"; done
done
"$sg" detect predict --weights "$out/weights.safetensors" -o "$out/boxes" --threshold 0.3 "$@"
