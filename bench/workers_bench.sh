#!/usr/bin/env bash
# bench:workers: one spec at one tier on 1 worker of 1 thread against 2
# workers of 1 thread each (torchrun's environment on loopback), the two
# alternating, --repeats times; prints each wall time, the medians and their
# ratio (2 workers / 1; the goal for Figure 3's cpu tier on 2 cores is below
# 0.6), and checks that both wrote the same Result. With --ranks_per_run=2
# the 2 workers train each run together (data parallel) instead of taking
# runs in turn; their Result then differs from 1 worker's by rounding
# (tests/data_parallel_cli_test bounds it), so it is not compared. Never a
# test.
#
#   bazel run //bench:workers -- [--spec=experiments/fig3_warmup_schedules.textproto]
#       [--tier=cpu] [--repeats=1] [--ranks_per_run=1]
#       (needs WARMUP_DATA_DIR for network specs)
set -u
run="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
cd "${BUILD_WORKSPACE_DIRECTORY:-.}"
spec=experiments/fig3_warmup_schedules.textproto tier=cpu repeats=1 per_run=1
for arg in "$@"; do
  case "$arg" in
    --spec=*) spec="${arg#--spec=}" ;;
    --tier=*) tier="${arg#--tier=}" ;;
    --repeats=*) repeats="${arg#--repeats=}" ;;
    --ranks_per_run=*) per_run="${arg#--ranks_per_run=}" ;;
    *) echo "bench:workers: unknown argument '$arg'" >&2; exit 2 ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags=(--spec="$spec" --tier="$tier" --threads=1 --plot=false --progress=false)
port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

one() {
  local start; start=$(now)
  "$run" "${flags[@]}" --out="$tmp/one" >"$tmp/one.log" 2>&1 || { cat "$tmp/one.log"; exit 1; }
  awk -v a="$(now)" -v b="$start" 'BEGIN { printf "%.1f", a - b }'
}
two() {
  local start p; start=$(now); p=$(port)
  RANK=1 LOCAL_RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p \
    "$run" "${flags[@]}" --ranks_per_run="$per_run" --out="$tmp/two" >"$tmp/two1.log" 2>&1 &
  RANK=0 LOCAL_RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$p \
    "$run" "${flags[@]}" --ranks_per_run="$per_run" --out="$tmp/two" >"$tmp/two0.log" 2>&1 ||
    { cat "$tmp/two0.log"; exit 1; }
  wait || { cat "$tmp/two1.log"; exit 1; }
  awk -v a="$(now)" -v b="$start" 'BEGIN { printf "%.1f", a - b }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "bench:workers: $spec, tier $tier, $per_run rank(s) per run, $(nproc) cores," \
  "load $(cut -d' ' -f1-3 /proc/loadavg), $repeats repeat(s), alternating"
ones=() twos=()
for ((r = 1; r <= repeats; ++r)); do
  ones+=("$(one)"); twos+=("$(two)")
  echo "repeat $r: 1 worker ${ones[-1]} s, 2 workers ${twos[-1]} s"
done
m1=$(printf '%s\n' "${ones[@]}" | median) m2=$(printf '%s\n' "${twos[@]}" | median)
same=$(cmp -s <(sed '/^provenance {/,/^}/d' "$tmp/one/result.textproto") \
              <(sed '/^provenance {/,/^}/d' "$tmp/two/result.textproto") && echo yes || echo NO)
((per_run > 1)) && same="not compared (data parallel)"
goal=" (goal < 0.6)"
((per_run > 1)) && goal=""  # the goal is the one of runs taken in turn
printf 'median: 1 worker %.1f s, 2 workers %.1f s; ratio %.3f%s; same Result: %s\n' \
  "$m1" "$m2" "$(awk -v a="$m2" -v b="$m1" 'BEGIN { print a / b }')" "$goal" "$same"
