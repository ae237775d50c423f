#!/usr/bin/env bash
# A run killed with SIGKILL at any moment leaves its output folder either
# exactly as it was before the run or exactly as a finished run writes it:
# never a mix of old and new files, never a partial folder. Checkpoints in
# the folder survive either way.
#
# The old folder is a cpu-tier run of the spec plus a stale file and a
# checkpoint; the new one is a smoke-tier run (different CSVs). Kills happen
# (a) at each step of the folder swap (WARMUP_TEST_KILL_IN_COMMIT) and
# (b) after delays from the start of the run, as fractions of an
# uninterrupted run's duration.
set -u
run="$1"
spec="$2"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
checks=0

# One line per file: "<relative path> <sha256>", sorted.
listing() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 -r sha256sum | awk '{print $2, $1}'); }
names() { (cd "$1" && find . -type f | sort); }

"$run" --spec="$spec" --tier=cpu --out="$tmp/old" --plot=false >/dev/null 2>&1 || { echo "FAIL setup: cpu run"; exit 1; }
echo stale >"$tmp/old/stale_only_in_old.csv"
mkdir -p "$tmp/old/checkpoints/sgd" && echo weights >"$tmp/old/checkpoints/sgd/last.pt"
began=$(date +%s.%N)
"$run" --spec="$spec" --tier=smoke --out="$tmp/ref" --plot=false >/dev/null 2>&1 || { echo "FAIL setup: smoke run"; exit 1; }
seconds=$(awk -v a="$began" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
cp -a "$tmp/old/checkpoints" "$tmp/ref/"
listing "$tmp/old" >"$tmp/old.list"
names "$tmp/ref" >"$tmp/new.names"
# The CSVs are deterministic; result.* carry timestamps.
listing "$tmp/ref" | grep -v '^./result\.' >"$tmp/new.fixed"

# state DIR: prints "old", "new" or "mixed".
state() {
  if [[ "$(listing "$1")" == "$(cat "$tmp/old.list")" ]]; then echo old; return; fi
  if [[ "$(names "$1")" == "$(cat "$tmp/new.names")" ]] &&
     [[ "$(listing "$1" | grep -v '^./result\.')" == "$(cat "$tmp/new.fixed")" ]] &&
     grep -q "end_time" "$1/result.textproto"; then
    echo new; return
  fi
  echo mixed
}

# check NAME WANTED(old|new|either) DIR
check() {
  local got
  got=$(state "$3")
  checks=$((checks + 1))
  if [[ "$got" == "mixed" || ( "$2" != "either" && "$got" != "$2" ) ]]; then
    echo "FAIL $1: folder is $got, expected $2:"; names "$3"; failures=$((failures + 1))
  else
    echo "ok   $1: $got"
  fi
}

restore() { rm -rf "$tmp/out"; cp -a "$tmp/old" "$tmp/out"; }

for point in staged carried swapped; do
  restore
  WARMUP_TEST_KILL_IN_COMMIT=$point "$run" --spec="$spec" --tier=smoke --out="$tmp/out" \
    --plot=false >/dev/null 2>&1
  rc=$?
  [[ $rc -eq 137 ]] || { echo "FAIL kill_at_$point: exit $rc, expected 137 (SIGKILL)"; failures=$((failures + 1)); }
  if [[ $point == swapped ]]; then want=new; else want=old; fi
  check "kill_at_$point" $want "$tmp/out"
done

# Delays spread over the run, dense near its end where the folder is swapped.
for fraction in 0.1 0.5 0.8 0.9 0.95 1.0 1.05 1.1; do
  delay=$(awk -v f="$fraction" -v s="$seconds" 'BEGIN { printf "%.3f", f * s }')
  restore
  "$run" --spec="$spec" --tier=smoke --out="$tmp/out" --plot=false >/dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  check "kill_after_${delay}s" either "$tmp/out"
done

# A finished run after killed ones: the new folder, and no staging folder
# of a dead process left beside it.
restore
"$run" --spec="$spec" --tier=smoke --out="$tmp/out" --plot=false >/dev/null 2>&1
check "uninterrupted" new "$tmp/out"
checks=$((checks + 1))
if ls -A "$tmp" | grep -q '^\.out\.staging-'; then
  echo "FAIL leftovers: $(ls -A "$tmp" | grep staging)"; failures=$((failures + 1))
else
  echo "ok   leftovers: none"
fi

echo "$((checks - failures)) passed, $failures failed"
exit $((failures > 0))
