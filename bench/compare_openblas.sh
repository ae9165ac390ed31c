#!/bin/sh
# bench/compare_openblas.sh - steelgrad's SGEMM beside OpenBLAS's, same shapes, same run.
#
#   sh bench/compare_openblas.sh [THREADS...]        (default: 1 2)
#
# Installs Debian's libopenblas-dev when it is missing (apt-get; needs root), builds
# bench/openblas_sgemm.c against it into build/bench/ (only here: steelgrad itself never
# links a BLAS), then for each thread count runs `steelgrad bench sgemm` and OpenBLAS three
# ways: with its own CPU detection, and forced to OPENBLAS_CORETYPE=SkylakeX and Haswell
# (OpenBLAS 0.3.21 does not know every new CPU and may fall back to SSE3 kernels). The last
# lines give, per shape and thread count, our GFLOP/s over the best OpenBLAS configuration
# ({"bench":"sgemm_openblas_ratio",...,"ours_over_best":..}; issue 9 wants >= 1).
# Never part of `make test`; never pass/fail. Needs build/steelgrad (make) and python3.
set -eu
cd "$(dirname "$0")/.."
SHAPES=${SHAPES:-1024x1024x1024,64x3136x576,256x3136x64,512x784x1152,2048x49x512}
THREADS=${*:-1 2}
if ! [ -e /usr/include/x86_64-linux-gnu/cblas.h ] || ! ls /usr/lib/*/openblas*/libopenblas.so >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev >/dev/null
fi
LIB=$(ls -d /usr/lib/*/openblas-pthread 2>/dev/null | head -1)
[ -n "$LIB" ] || { echo "compare_openblas: no openblas-pthread library under /usr/lib" >&2; exit 1; }
mkdir -p build/bench
cc -std=c11 -O2 -I"$(dirname "$(ls /usr/include/*/cblas.h /usr/include/cblas.h 2>/dev/null | head -1)")" \
    bench/openblas_sgemm.c -o build/bench/openblas_sgemm -L"$LIB" -Wl,-rpath,"$LIB" -lopenblas
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for t in $THREADS; do
    build/steelgrad bench sgemm --threads "$t" --shapes "$SHAPES" | tee -a "$OUT"
    OPENBLAS_NUM_THREADS=$t build/bench/openblas_sgemm "$SHAPES" 0.5 auto | tee -a "$OUT"
    for core in SkylakeX Haswell; do
        OPENBLAS_CORETYPE=$core OPENBLAS_NUM_THREADS=$t build/bench/openblas_sgemm "$SHAPES" 0.5 "$core" | tee -a "$OUT"
    done
done
python3 - "$OUT" <<'PY'
import json, os, sys
ours, theirs = {}, {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = (r["shape"], int(r["threads"]))
    if r["bench"] == "sgemm":
        ours[key] = r["gflops"]
    else:
        best = theirs.get(key)
        if best is None or r["gflops"] > best[0]:
            theirs[key] = (r["gflops"], r["coretype"])
for key, g in ours.items():
    if key in theirs:
        print(json.dumps({"bench": "sgemm_openblas_ratio", "shape": key[0], "threads": key[1], "gflops_ours": g,
                          "gflops_openblas_best": theirs[key][0], "best_coretype": theirs[key][1],
                          "ours_over_best": round(g / theirs[key][0], 3), "load1": round(os.getloadavg()[0], 2)}))
PY
