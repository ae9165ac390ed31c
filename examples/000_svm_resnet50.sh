#!/bin/sh
# examples/000_svm_resnet50.sh - paper 000's linear SVM on ResNet-50 features:
# ResNet-50 without its classifier (ImageNet weights), global average pool ->
# 2048 numbers per image at 224 x 224, a linear SVM with C = 1 (scikit-learn's
# LinearSVC: squared hinge, dual coordinate descent), an 80/20 split; RGB
# standardised with ImageNet's mean and std, and the grayscale variant in
# [0, 1] (the RGB stem summed over its channels: the same as a gray image
# given as R = G = B).
#
#   sh examples/000_svm_resnet50.sh WEIGHTS DATA [OUT]
#
# WEIGHTS: torchvision's resnet50 ImageNet state dict saved as safetensors
# (torchvision names; `safetensors.torch.save_file(model.state_dict(), F)`),
# which steelgrad cannot download. DATA: a folder per class (SteelBlastQC's
# two, NEU-CLS's six). OUT (default runs/000_svm) gets split.csv (80 % train,
# 20 % "val": the paper's test part), the train and val folders (symbolic
# links), the features and labels (.npy), the two SVMs and, per variant,
# eval_<variant>.json: accuracy, per-class and macro precision / recall / F1,
# ROC-AUC, confusion. STEELGRAD names the binary (default build/steelgrad).
set -eu
[ $# -ge 2 ] || { echo "usage: sh examples/000_svm_resnet50.sh WEIGHTS DATA [OUT]" >&2; exit 2; }
weights=$1
data=$2
out=${3:-runs/000_svm}
sg=${STEELGRAD:-build/steelgrad}
mkdir -p "$out"
"$sg" data split "$data" --ratios 80,20,0 --seed 42 -o "$out/split.csv"
# The two parts as class folders of links (features reads class folders).
for part in train val; do
    rm -rf "${out:?}/$part"
    tr -d '\r' < "$out/split.csv" | grep ",$part\$" | while IFS=, read -r path label _; do
        case $path in /*) src=$path ;; *) src=$(cd "$(dirname "$path")" && pwd)/$(basename "$path") ;; esac
        mkdir -p "$out/$part/$label"
        ln -sf "$src" "$out/$part/$label/"
    done
done
for variant in rgb gray; do
    channels=3
    [ "$variant" = gray ] && channels=1
    for part in train val; do
        "$sg" features --weights "$weights" --model resnet50 --classes 1000 --channels "$channels" \
            --data "$out/$part" -o "$out/X_${part}_$variant.npy" --labels "$out/y_$part.npy"
    done
    "$sg" svm train --features "$out/X_train_$variant.npy" --labels "$out/y_train.npy" --C 1 \
        -o "$out/svm_$variant.safetensors"
    "$sg" svm eval --svm "$out/svm_$variant.safetensors" --features "$out/X_val_$variant.npy" \
        --labels "$out/y_val.npy" > "$out/eval_$variant.json.tmp"
    mv "$out/eval_$variant.json.tmp" "$out/eval_$variant.json"
    echo "$variant: $(head -c 300 "$out/eval_$variant.json")"
done
