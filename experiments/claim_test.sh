#!/bin/sh
# Runs the runner at a tier inside the test's private folder. The runner exits
# 1 when a claim fails, so the test fails with it; claim lines go to the log.
exec "$@" --out="${TEST_TMPDIR:-/tmp}/out"
