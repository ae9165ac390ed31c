#!/bin/sh
# examples/neu_det_test_part.sh - the NEU-DET images (with their VOC boxes) of
# the test part of a NEU-CLS run, for `steelgrad explain --evaluate`: the
# classifier is judged on images it did not train on.
#
#   sh examples/neu_det_test_part.sh RUN/split.csv OUT [NEU-DET [PART]]
#
# PART: test (default), or val to choose a layer or method on images that
# early stopping saw but training did not, before the one look at test.
# Writes OUT/images and OUT/annotations (symbolic links into NEU-DET, default
# ../shared/data/neu-det) and OUT/by_class/<class>/{images,annotations} for
# per-class figures. NEU-CLS's <Xx>_<k>.bmp of class c is NEU-DET's c_<k>.jpg.
set -eu
split=$1
out=$2
part=${4:-test}
det=$(cd "${3:-../shared/data/neu-det}" && pwd)
[ -f "$det/annotations/crazing_1.xml" ] || { echo "neu_det_test_part.sh: $det is not NEU-DET" >&2; exit 1; }
mkdir -p "$out/images" "$out/annotations"
tr -d '\r' < "$split" | grep ",$part\$" | while IFS=, read -r path label _; do
    k=$(basename "$path" .bmp)
    k=${k#*_}
    for d in "$out" "$out/by_class/$label"; do
        mkdir -p "$d/images" "$d/annotations"
        ln -sf "$det/images/${label}_$k.jpg" "$d/images/"
        ln -sf "$det/annotations/${label}_$k.xml" "$d/annotations/"
    done
done
echo "$(ls "$out/images" | wc -l) $part images in $out"
