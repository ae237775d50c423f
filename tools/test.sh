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

log=$(mktemp)
bazel test //... "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# One plain closing line: "N passed, N failed".
passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|FAILED TO BUILD)' "$log")
echo "bazel test: ${passed} passed, ${failed} failed"
rm -f "$log"
exit "$status"
