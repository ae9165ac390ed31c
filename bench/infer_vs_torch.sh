#!/bin/sh
# bench/infer_vs_torch.sh - inference latency and memory, steelgrad beside PyTorch
# (torch.inference_mode) and, at batch 1, ONNX Runtime.
#
#   sh bench/infer_vs_torch.sh [STEPS [MODELS [BATCHES [THREADS [SIZE]]]]]
#   (defaults: 10 "mobilenetv2 resnet50" "1 32" "1 2" 224)
#
# For each model, batch and thread count, each in a fresh process (so each peak
# RSS is its own): bench/infer_torch.py, at batch 1 bench/infer_torch.py --ort
# (a "skipped" line when onnxruntime is not installed), then `steelgrad bench
# infer` (one warm-up forward + STEPS timed each), then one line with the
# ratios: ms ours / torch and ms ours / onnxruntime (<= 1 is the target of
# issue 9 at batch 1), peak RSS ours / torch (<= 1: issue 8's memory target).
# JSON lines; never pass/fail. The Python lines carry the 1-minute load
# average: on a shared machine the speeds are noise.
# Environment: STEELGRAD (default build/steelgrad), PYTHON (default /work/venv/bin/python).
set -eu
steps=${1:-10}; models=${2:-mobilenetv2 resnet50}; batches=${3:-1 32}
threads_list=${4:-1 2}; size=${5:-224}
sg=${STEELGRAD:-build/steelgrad}
python=${PYTHON:-/work/venv/bin/python}
here=$(dirname "$0")
field() { printf '%s\n' "$2" | sed -n "s/.*\"$1\": *\([-0-9.eE+]*\).*/\1/p"; }
ratio() { if [ -n "$1" ] && [ -n "$2" ]; then printf '%.3f' "$(echo "$1 / $2" | bc -l)"; else echo null; fi; }
for m in $models; do
    for b in $batches; do
        for t in $threads_list; do
            torch=$("$python" "$here/infer_torch.py" "$m" "$b" "$size" "$steps" "$t")
            printf '%s\n' "$torch"
            ort=
            if [ "$b" = 1 ]; then
                ort=$("$python" "$here/infer_torch.py" --ort "$m" "$b" "$size" "$steps" "$t")
                printf '%s\n' "$ort"
            fi
            ours=$("$sg" bench infer --model "$m" --batch "$b" --size "$size" --steps "$steps" --threads "$t")
            printf '%s\n' "$ours"
            printf '{"bench":"infer_ratio","model":"%s","batch":%s,"threads":%s,"ms_ours_over_torch":%s,"ms_ours_over_onnxruntime":%s,"peak_rss_ours_over_torch":%s}\n' \
                "$m" "$b" "$t" "$(ratio "$(field ms "$ours")" "$(field ms "$torch")")" \
                "$(ratio "$(field ms "$ours")" "$(field ms "$ort")")" \
                "$(ratio "$(field peak_rss_kb "$ours")" "$(field peak_rss_kb "$torch")")"
        done
    done
done
