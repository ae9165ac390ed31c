#!/bin/sh
# tests/browser_test.sh - the station's page in a real browser (Debian's
# chromium, headless), used as a person would: train a tiny checkpoint, start
# `steelgrad serve` on a free loopback port, open the page, choose an image
# file from disk in its file input (a NEU-CLS image when the data set is
# present, else one `steelgrad synth` wrote), read the class the page shows
# (it must be the class `steelgrad predict` gives for the same file), check
# that the Grad-CAM overlay is drawn, take a screenshot; then open the run's
# report.html (written by train) in the same browser, check its plots, ROC
# curves, misclassified thumbnails and Grad-CAM tiles, and screenshot it.
# tests/browser_cdp.py drives chromium through the DevTools protocol (Python
# standard library only).
#
#   sh tests/browser_test.sh [BIN]       BIN defaults to build/steelgrad
#   SG_SCREENSHOT=path.png              where the station screenshot goes (default
#                                       $tmp/station.png); the report's is path_report.png
#   SG_DATA_DIR=DIR                     where neu-cls/ is (default ../shared/data)
#
# Exits 0 on PASS, 1 on FAIL, and 0 with "browser test: SKIPPED (...)" when no
# chromium (or no python3 to drive it) can be found or started (.ci/run
# installs both first).
set -u
bin=${1:-build/steelgrad}
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chromium" ]; then
    echo "browser test: SKIPPED (no chromium on PATH; apt-get install chromium)"
    exit 0
fi
if ! command -v python3 > /dev/null; then
    echo "browser test: SKIPPED (no python3 to drive chromium; apt-get install python3)"
    exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d /tmp/sg_browser_XXXXXX)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$bin" synth --out "$tmp/synth" --per-class 8 --size 32 > "$tmp/log" 2>&1 &&
"$bin" train --quiet --data "$tmp/synth/images" --model cnn --size 32 --epochs 3 --batch 16 \
    --out "$tmp/run" >> "$tmp/log" 2>&1 || { cat "$tmp/log"; echo "browser test: FAIL (no checkpoint)"; exit 1; }

# The image to upload: a real NEU-CLS one when the data set is here.
neu=${SG_DATA_DIR:-$here/../../shared/data}/neu-cls
image=
if [ -d "$neu/scratches" ]; then
    image=$(find "$neu/scratches" -name '*.bmp' | sort | head -n 1)
fi
if [ -n "$image" ]; then
    source="NEU-CLS"
else
    echo "browser test: no NEU-CLS data in $neu: uploading an image steelgrad synth wrote instead"
    image=$(find "$tmp/synth/images/scratches" -name '*.png' | sort | head -n 1)
    source="synth"
fi
want=$("$bin" predict --json --weights "$tmp/run/best.safetensors" "$image" |
       sed -n 's/.*"class":"\([^"]*\)".*/\1/p')

"$bin" serve --weights "$tmp/run/best.safetensors" --port 0 > "$tmp/serve.out" 2>&1 &
pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/serve.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/serve.out"; echo "browser test: FAIL (server did not start)"; exit 1; }

mkdir -p "$tmp/shots"
result=$(timeout 240 python3 "$here/browser_cdp.py" "$chromium" "http://127.0.0.1:$port/" "$image" \
         "$tmp/run/report.html" "$tmp/shots")
rc=$?
if [ $rc -eq 3 ]; then
    echo "browser test: SKIPPED ($result)"
    exit 0
fi
shot=${SG_SCREENSHOT:-$tmp/station.png}
[ -f "$tmp/shots/station.png" ] && cp "$tmp/shots/station.png" "$shot"
[ -f "$tmp/shots/report.png" ] && cp "$tmp/shots/report.png" "${shot%.png}_report.png"
shown=$(printf '%s\n' "$result" | sed -n 's/^class=\([^ ]*\) .*/\1/p')
if [ $rc -eq 0 ] && [ -n "$want" ] && [ "$shown" != "$want" ]; then
    result="FAIL the page shows '$shown', steelgrad predict says '$want' ($result)"
    rc=1
fi
if [ $rc -eq 0 ]; then
    echo "browser test: PASS $source image $(basename "$image"): $result (screenshots: $shot, ${shot%.png}_report.png)"
    [ -z "${SG_SCREENSHOT:-}" ] || ls -l "$shot" "${shot%.png}_report.png"
    exit 0
fi
echo "browser test: ${result:-FAIL (no result)}; server log:"
cat "$tmp/serve.out"
exit 1
