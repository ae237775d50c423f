#!/bin/sh
# Runs experiments at the smoke tier through //:reproduce, in one process and
# on one LibTorch thread (Bazel runs tests side by side on few cores): every
# claim is checked, each figure drawn, and each Result compared with its stored
# smoke reference (<experiments>/reference/<name>.smoke.json) when there is
# one. A spec that includes others runs after them and reuses their Results.
# Exit 1 names each failed claim and each drifted quantity.
#   $1 reproduce binary  $2 comma-separated spec names  $3 experiments folder
exec "$1" --tier=smoke --only="$2" --threads=1 --experiments_dir="${3:-experiments}" \
  --out="${TEST_TMPDIR:-/tmp}/out"
