#!/bin/sh
# tests/browser_test.sh - the station's page in a real browser (Debian's
# chromium, headless): train a tiny checkpoint, start `steelgrad serve` on a
# free loopback port, load /?selftest=1 (the page draws a test image, posts it
# through the same code path as a dropped file, draws the class, the bars,
# the Grad-CAM overlay and a history row, then writes PASS or FAIL into
# #selftest), read the DOM, and take a screenshot of the page with a result;
# then open the run's report.html (written by train) and count its plots.
#
#   sh tests/browser_test.sh [BIN]       BIN defaults to build/steelgrad
#   SG_SCREENSHOT=path.png              where the screenshot goes (default $tmp/station.png)
#
# Exits 0 on PASS, 1 on FAIL, and 0 with "browser test: SKIPPED (...)" when no
# chromium can be found or started (.ci/run installs it first).
set -u
bin=${1:-build/steelgrad}
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chromium" ]; then
    echo "browser test: SKIPPED (no chromium on PATH; apt-get install chromium)"
    exit 0
fi
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

"$bin" serve --weights "$tmp/run/best.safetensors" --port 0 > "$tmp/serve.out" 2>&1 &
pid=$!
port=
for _ in $(seq 1 100); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$tmp/serve.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { cat "$tmp/serve.out"; echo "browser test: FAIL (server did not start)"; exit 1; }
url="http://127.0.0.1:$port/?selftest=1"

# --virtual-time-budget lets the page's fetches and image decodes finish
# before the DOM is dumped. A throw-away profile keeps runs independent.
flags="--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run
       --user-data-dir=$tmp/profile --virtual-time-budget=20000"
# shellcheck disable=SC2086
if ! timeout 120 "$chromium" $flags --dump-dom "$url" > "$tmp/dom.html" 2> "$tmp/chromium.err"; then
    if ! grep -q selftest "$tmp/dom.html" 2>/dev/null; then
        echo "browser test: SKIPPED (chromium cannot start here: $(tail -n 1 "$tmp/chromium.err"))"
        exit 0
    fi
fi
result=$(sed -n 's|.*<div id="selftest"[^>]*>\([^<]*\)</div>.*|\1|p' "$tmp/dom.html")
shot=${SG_SCREENSHOT:-$tmp/station.png}
# shellcheck disable=SC2086
timeout 120 "$chromium" $flags --hide-scrollbars --window-size=1100,760 --screenshot="$shot" "$url" \
    > /dev/null 2>&1 || true
# The run's report (train wrote it) in the same browser: every plot drawn.
report_svgs=0
# shellcheck disable=SC2086
if timeout 120 "$chromium" $flags --dump-dom "file://$tmp/run/report.html" > "$tmp/report_dom.html" 2>/dev/null; then
    report_svgs=$(grep -o '<svg' "$tmp/report_dom.html" | wc -l)
    # shellcheck disable=SC2086
    timeout 120 "$chromium" $flags --hide-scrollbars --window-size=1000,1400 \
        --screenshot="${shot%.png}_report.png" "file://$tmp/run/report.html" > /dev/null 2>&1 || true
fi
[ "$report_svgs" -ge 4 ] || result="FAIL report.html shows $report_svgs plots, expected 4 ($result)"
case "$result" in
PASS*)
    echo "browser test: $result, report plots=$report_svgs (screenshots: $shot, ${shot%.png}_report.png)"
    [ -z "${SG_SCREENSHOT:-}" ] || ls -l "$shot"
    exit 0 ;;
*)
    echo "browser test: FAIL (${result:-no result in the page}); server log:"
    cat "$tmp/serve.out"
    exit 1 ;;
esac
