#!/bin/sh
# Runs one spec at the smoke tier through //:reproduce (one LibTorch thread,
# as the claim tests) and compares it with experiments/reference/<name>.smoke.json.
# Exit 1 names each failed claim and each drifted quantity.
exec "$1" --tier=smoke --only="$2" --threads=1 --plot=false \
  --experiments_dir=experiments --out="${TEST_TMPDIR:-/tmp}/out"
