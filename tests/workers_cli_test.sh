#!/usr/bin/env bash
# A spec's runs spread over workers as torchrun starts them (RANK,
# WORLD_SIZE, MASTER_ADDR, MASTER_PORT set by hand here, and through
# torchrun itself when WARMUP_TORCHRUN names a working one): 2 workers on loopback write the same
# Result as 1 (provenance aside), a killed worker stops the job with its rank
# and run named, and --resume finishes only what is missing. A tiny ResNet
# on a synthetic CIFAR-10 folder; no data set needed.
set -u
run="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# 64 records of seeded pseudo-random pixels, labels 0-9.
data="$tmp/data"
mkdir -p "$data/cifar10"
LC_ALL=C awk 'BEGIN { srand(7); for (r = 0; r < 64; ++r) { printf "%c", r % 10;
  for (i = 0; i < 3072; ++i) printf "%c", int(rand() * 256) } }' >"$data/cifar10/data_batch_1.bin"
export WARMUP_DATA_DIR="$data"

spec="$tmp/spread.textproto"
cat >"$spec" <<'SPEC'
name: "spread"
engine { network {} }
problem { network { model: "resnet18" dataset: "cifar10" width: 0.0625 train_examples: 64 augment: false } }
optimizer { kind: SGD batch_size: 8 momentum: 0.9 }
iterations: 12
seeds: [1, 2, 3]
profile { every: 4 examples: 8 max_hvps: 5 }
schedules { label: "constant" constant { lr: 0.05 } }
schedules { label: "warm" linear_warmup { peak_lr: 0.1 warmup_steps: 4 } }
tuned {
  label: "tuned"
  schedule { constant { lr: 0.1 } }
  rate_grid: [0.01, 0.03, 0.1]
  rule: ANY
  objective: "final_loss"
  tuning_seeds: [7, 8]
}
no_claims_reason: "a test of how runs are spread over workers"
SPEC

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# The Result without its provenance (times, command line, host).
numbers() { sed '/^provenance {/,/^}/d' "$1/result.textproto"; }
flags=(--spec="$spec" --threads=1 --plot=false --progress=false --worker_timeout=3)

"$run" "${flags[@]}" --out="$tmp/one" >"$tmp/one.log" 2>&1 || { fail "one worker"; cat "$tmp/one.log"; }

# Two workers: rank 1 in the background, rank 0 here.
port=$(free_port)
two() {  # two OUT [ARGS...]: both ranks, each its own log; rank 0's exit status
  local out="$1"; shift
  RANK=1 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$run" "${flags[@]}" --out="$out" "$@" >"$out.rank1.log" 2>&1 &
  rank1=$!
  RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$run" "${flags[@]}" --out="$out" "$@" >"$out.rank0.log" 2>&1
}
two "$tmp/two"; rc=$?
wait "$rank1"; rc1=$?
if [[ $rc -ne 0 || $rc1 -ne 0 ]]; then
  fail "two workers: exit $rc and $rc1"; cat "$tmp/two.rank0.log" "$tmp/two.rank1.log"
elif ! cmp -s <(numbers "$tmp/one") <(numbers "$tmp/two"); then
  fail "two workers: the Result differs from one worker's"; diff <(numbers "$tmp/one") <(numbers "$tmp/two") | head
else
  echo "ok   two workers write the same Result as one ($(grep -c '^scalars' "$tmp/two/result.textproto") scalars)"
fi

# The same through torchrun itself (its agent hosts the store) when
# tools/test.sh found it usable.
if [[ -n "${WARMUP_TORCHRUN:-}" ]]; then
  "$WARMUP_TORCHRUN" --no-python --nnodes=1 --nproc_per_node=2 --master_addr=127.0.0.1 \
    --master_port="$(free_port)" "$run" "${flags[@]}" --out="$tmp/torchrun" >"$tmp/torchrun.log" 2>&1
  rc=$?
  if [[ $rc -ne 0 ]] || ! cmp -s <(numbers "$tmp/one") <(numbers "$tmp/torchrun"); then
    fail "torchrun: exit $rc, or a Result other than one worker's"; tail -20 "$tmp/torchrun.log"
  else
    echo "ok   torchrun --nproc_per_node=2 writes the same Result as one worker"
  fi
else
  echo "skip torchrun: WARMUP_TORCHRUN is not set (tools/test.sh sets it after tools/setup.sh --full)"
fi

# Kill rank 1 once it has finished a run of the main phase: rank 0 stops
# within --worker_timeout, naming rank 1 and what it was doing.
port=$(free_port)
out="$tmp/killed"
two "$out" & job=$!
for _ in $(seq 600); do
  [[ -n "$(ls "$out"/checkpoints/warm-seed*/finished.pb 2>/dev/null)" ]] && break
  sleep 0.1
done
pkill -9 -o -f -- "--out=$out( |$)"  # the oldest of the two: rank 1 starts first
sleep 0.1
wait "$job"; rc=$?
if [[ $rc -eq 0 ]] || ! grep -q "worker 1 of 2 stopped responding .* while training runs/" "$out.rank0.log"; then
  fail "killed worker: exit $rc"; cat "$out.rank0.log"
else
  echo "ok   killed worker: $(grep -o 'worker 1 of 2 stopped.*' "$out.rank0.log" | head -c 160)"
fi

# --resume on one worker finishes what is missing: the same Result, and the
# runs finished before the kill are not trained again.
# A record rewritten gets a new inode (it is written atomically: a new file
# renamed over the old).
before=$(cd "$out/checkpoints" && for f in */finished.pb; do echo "$f $(stat -c %i "$f")"; done)
"$run" "${flags[@]}" --out="$out" --resume >"$tmp/resume.log" 2>&1 || { fail "resume"; cat "$tmp/resume.log"; }
kept=0
while read -r f stamp; do
  [[ "$(stat -c %i "$out/checkpoints/$f")" == "$stamp" ]] && kept=$((kept + 1))
done <<<"$before"
if ! cmp -s <(numbers "$tmp/one") <(numbers "$out"); then
  fail "resume: the Result differs from an uninterrupted run's"
elif [[ $kept -lt 1 ]]; then
  fail "resume: every finished run was trained again"
else
  echo "ok   resume: same Result; $kept finished runs kept, not retrained"
fi

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
