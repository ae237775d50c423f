#!/usr/bin/env bash
# Runs every test: `bazel test //...` with the data folder the network tests
# read. It is WARMUP_DATA_DIR when set; otherwise the official data sets are
# downloaded once into ~/.cache/warmup-theory/data (tools/download_data.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

if [[ -z "${WARMUP_DATA_DIR:-}" ]]; then
  WARMUP_DATA_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/warmup-theory/data"
  if [[ ! -f "$WARMUP_DATA_DIR/SHA256SUMS" ]]; then
    tools/download_data.sh "$WARMUP_DATA_DIR" || exit 2
  fi
fi
export WARMUP_DATA_DIR
# torchrun as users launch workers, when tools/setup.sh --full made it work
# (the default set-up's torch cannot be imported): //tests:workers_cli_test
# then launches through it too.
if [[ -z "${WARMUP_TORCHRUN:-}" && -x .venv/bin/torchrun ]] &&
   .venv/bin/python -c 'import torch.distributed.run' 2>/dev/null; then
  export WARMUP_TORCHRUN="$PWD/.venv/bin/torchrun"
fi

log=$(mktemp)
bazel test //... "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD)' "$log")
# Test cases that skipped themselves (GTEST_SKIP: those that need a GPU where
# there is none) are counted apart, never as passed, with their reason.
skipped=0
while read -r xml; do
  while read -r name; do
    echo "skipped: ${xml#bazel-testlogs/}: ${name}"
    skipped=$((skipped + 1))
  done < <(grep -oE '<testcase name="[^"]+"[^>]*result="skipped"' "$xml" | sed -E 's/<testcase name="([^"]+)".*/\1/')
done < <(find -L bazel-testlogs/ -name test.xml 2>/dev/null | sort)
reasons=$(find -L bazel-testlogs/ -name test.log -exec grep -h -A1 ': Skipped$' {} + 2>/dev/null |
  grep -vE ': Skipped$|^--$' | sort -u | head -n 3)
[[ -n "$reasons" ]] && echo "skipped because: ${reasons}"
# One plain closing line: "N passed, N failed, N skipped" (targets passed and
# failed; test cases skipped).
echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
rm -f "$log"
exit "$status"
