#!/bin/sh
# Writes a report with //:reproduce (two synthetic specs at the smoke tier,
# each with a figure), opens it in headless Chromium and checks that the page
# is not blank and that every figure image loaded.
#   $1 reproduce binary, $2 the experiments folder, $3 png_stats.py
set -u
reproduce=$1 experiments=$2 png_stats=$3
tmp=${TEST_TMPDIR:-$(mktemp -d)}

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  echo "FAIL: chromium is not installed: run tools/setup.sh (it installs Debian's chromium)"
  exit 1
fi

"$reproduce" --tier=smoke --only=fig2_river_valley,table_speedup --threads=1 \
  --experiments_dir="$experiments" --reference_dir="$tmp/no_references" \
  --out="$tmp/out" > "$tmp/reproduce.log" 2>&1
rc=$?
cat "$tmp/reproduce.log"
if [ "$rc" -ne 0 ]; then
  echo "FAIL: reproduce exited $rc"
  exit 1
fi
page="$tmp/out/report/index.html"
figures=$(grep -o '<img ' "$page" | wc -l)
if [ "$figures" -lt 2 ]; then
  echo "FAIL: the report embeds $figures figures; expected one per experiment (2)"
  exit 1
fi
if grep -Eq '(src|href)="(https?:)?//' "$page"; then
  echo "FAIL: the report loads something from the network"
  exit 1
fi

# Chromium as root needs --no-sandbox; its profile goes to the test's folder.
run_browser() {
  HOME="$tmp" timeout 120 "$browser" --headless --no-sandbox --disable-gpu \
    --disable-dev-shm-usage --hide-scrollbars --no-first-run \
    --user-data-dir="$tmp/profile" --window-size=1300,1800 \
    --virtual-time-budget=5000 "$@" "file://$page" 2>> "$tmp/chromium.log"
}
run_browser --dump-dom > "$tmp/dom.html"
body=$(grep -o '<body[^>]*>' "$tmp/dom.html" | head -1)
echo "after load: $body"
# The page's own script marks every image after load (report.cc, kImageCheck).
case "$body" in
  *"data-images-total=\"$figures\""*"data-images-broken=\"0\""*) ;;
  *)
    echo "FAIL: expected all $figures figures loaded (data-images-broken=\"0\"): $body"
    tail -5 "$tmp/chromium.log"
    exit 1 ;;
esac

run_browser --screenshot="$tmp/shot.png" > /dev/null
if [ ! -s "$tmp/shot.png" ]; then
  echo "FAIL: chromium wrote no screenshot"
  tail -5 "$tmp/chromium.log"
  exit 1
fi
set -- $(python3 "$png_stats" "$tmp/shot.png")
echo "screenshot ${1}x${2}: drawn fraction $3, $4 distinct colours"
# A blank page is all white (fraction 0, 1 colour). The report's first
# screen holds text, tables and a figure: measured about 0.1 and over 1,000
# colours; 0.02 and 50 reject blank or text-only pages with a wide margin.
if ! awk -v f="$3" -v c="$4" 'BEGIN { exit !(f >= 0.02 && c >= 50) }'; then
  echo "FAIL: the screenshot is blank or shows no figure"
  exit 1
fi
echo "PASS"
