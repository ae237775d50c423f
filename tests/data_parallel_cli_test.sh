#!/usr/bin/env bash
# One run trained by several ranks (data parallel over c10d's Gloo, ranks
# started as torchrun starts them, loopback): each rank computes on its
# half of every batch and of the measurement examples, and the ranks
# average losses, gradients and Hessian-vector products. A small NanoGPT on
# a generated text; no data set needed.
#  - 2 ranks vs 1 process at the same global batch: every loss, learning
#    rate, gap and curvature value agrees within TOLERANCE (below).
#  - 4 workers as 2 teams of 2 ranks: bit for bit the Result of 1 team.
#  - --resume from the checkpoint rank 0 wrote, with rank 1 given no folder
#    of its own: bit for bit the uninterrupted Result (resumed_from aside).
#  - What cannot be split is refused with exit status 2.
set -u
run="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# Relative tolerance, 2 ranks against 1 (each column scaled by its largest
# |value|). The two sum a batch's 8 examples in another order (the mean of
# two means of 4, through the all-reduce), so float32 rounding (6e-8
# relative) differs from the first step; in a stable run that difference
# stays near rounding (largest measured here: 5.4e-7, a Lanczos estimate),
# so 1e-4 leaves a margin of about 200. Each mutation measured fails it by
# three orders of magnitude: a rank's gradient not averaged, 0.47; the
# ranks drawing different batches, 0.43; Hessian-vector products not
# averaged, 0.21. A run near instability (a loss spike) amplifies rounding
# instead, about 3x per step (measured at peak rate 0.5): these schedules
# stay below that.
TOLERANCE=1e-4

data="$tmp/data"
mkdir -p "$data/tinyshakespeare"
LC_ALL=C awk 'BEGIN { srand(11); n = split("the of and to in that is was he for it with as his", w, " ");
  for (i = 0; i < 900; ++i) printf "%s%s", w[int(rand() * n) + 1], (i % 12 == 11) ? ".\n" : " " }' \
  >"$data/tinyshakespeare/input.txt"
export WARMUP_DATA_DIR="$data"

spec="$tmp/parallel.textproto"
cat >"$spec" <<'SPEC'
name: "parallel"
engine { network {} }
problem { network { model: "nanogpt" dataset: "tinyshakespeare" layers: 2 heads: 2 embedding: 32 context: 16 dropout: 0 train_examples: 3000 } }
optimizer { kind: SGD batch_size: 8 momentum: 0.9 }
iterations: 40
seeds: [1, 2]
record { every: 1 }
checkpoint { every: 30 }
profile { every: 10 examples: 8 max_hvps: 20 }
schedules { label: "theory" theory_warmup { c: 1.9 k0: 11.1 krho: 0.00307 rho: 1 f_star: 0 max_lr: 0 ema: 0 } }
schedules { label: "warm" linear_warmup { peak_lr: 0.2 warmup_steps: 10 } }
no_claims_reason: "a test of runs trained by several ranks"
SPEC

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
numbers() { sed '/^provenance {/,/^}/d' "$1/result.textproto"; }
# same A B: the two folders' Results are equal but for provenance and the
# step each run resumed from (a few differing lines shown otherwise).
same() {
  cmp -s <(numbers "$1" | grep -v resumed_from) <(numbers "$2" | grep -v resumed_from) && return
  diff <(numbers "$1" | grep -v resumed_from) <(numbers "$2" | grep -v resumed_from) | head -6
  return 1
}
# DATA_PARALLEL_FLAGS: more flags for every run (tools/gpu_check.sh passes
# --device=cuda, so that the ranks average through NCCL).
read -r -a more <<<"${DATA_PARALLEL_FLAGS:-}"
flags=(--spec="$spec" --threads=1 --plot=false --progress=false --worker_timeout=10 "${more[@]}")

# ranks N OUT [ARGS...]: N workers (torchrun's environment), rank 0 here and
# the others in the background; every rank's log in OUT.rank<k>.log. Extra
# arguments go to every rank; RANK1_OUT, when set, is rank 1's --out.
ranks() {
  local n="$1" out="$2" port; shift 2
  port=$(free_port)
  local pids=()
  for ((k = n - 1; k >= 1; --k)); do
    local o="$out"
    [[ $k -eq 1 && -n "${RANK1_OUT:-}" ]] && o="$RANK1_OUT"
    RANK=$k LOCAL_RANK=$k WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$run" "${flags[@]}" --out="$o" "$@" >"$out.rank$k.log" 2>&1 &
    pids+=($!)
  done
  RANK=0 LOCAL_RANK=0 WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
    "$run" "${flags[@]}" --out="$out" "$@" >"$out.rank0.log" 2>&1
  local rc=$?
  for p in "${pids[@]}"; do wait "$p" || rc=$((rc == 0 ? 99 : rc)); done
  return $rc
}

# The largest difference between two folders' run series (every
# <run>-seed<k>__<metric>.csv, each column scaled by its largest |value|),
# as "<difference> <file>:<line>"; "missing <file>" if a file is absent.
largest_difference() {
  local worst="0 none"
  for a in "$1"/*-seed*__*.csv; do
    local b="$2/$(basename "$a")"
    [[ -f "$b" ]] || { echo "missing $(basename "$a")"; return; }
    worst=$(paste -d, "$a" "$b" | awk -F, -v f="$(basename "$a")" -v worst="$worst" '
      NR > 1 { n = NF / 2; for (i = 1; i <= n; ++i) { a[NR, i] = $i; b[NR, i] = $(i + n);
        s = $i < 0 ? -$i : $i; if (s > scale[i]) scale[i] = s } rows = NR }
      END { split(worst, w, " "); m = w[1]; where = w[2];
        for (r = 2; r <= rows; ++r) for (i = 1; i <= n; ++i) {
          d = a[r, i] - b[r, i]; d = d < 0 ? -d : d; if (scale[i] > 0) d /= scale[i];
          if (d > m || d != d) { m = d; where = f ":" r } }
        printf "%.3g %s\n", m, where }')
  done
  echo "$worst"
}

# The same over the runs' scalars (<run>/seed<k>.<name>: initial gradient
# and HVP norms, initial and final loss, peak rate, counts), each relative
# to the larger |value| of the two; "missing <name>" if one lacks it.
scalar_difference() {
  awk '/^scalars \{/ { getline; name = $2; getline; value = ($1 == "value:") ? $2 : 0;
         if (name ~ /\/seed[0-9]+\./) print FILENAME, name, value }' \
    "$1/result.textproto" "$2/result.textproto" |
    awk -v first="$1/result.textproto" '
      $1 == first { a[$2] = $3; next } { b[$2] = $3 }
      END { m = 0; where = "none";
        for (k in a) { if (!(k in b)) { print "missing", k; exit }
          d = a[k] - b[k]; d = d < 0 ? -d : d; s = a[k] < 0 ? -a[k] : a[k];
          t = b[k] < 0 ? -b[k] : b[k]; if (t > s) s = t; if (s > 0) d /= s;
          if (d > m || d != d) { m = d; where = k } }
        printf "%.3g %s\n", m, where }'
}

"$run" "${flags[@]}" --out="$tmp/one" >"$tmp/one.log" 2>&1 || { fail "one process"; cat "$tmp/one.log"; }

if ! ranks 2 "$tmp/two" --ranks_per_run=2; then
  fail "two ranks"; tail -5 "$tmp"/two.rank*.log
else
  read -r diff where <<<"$(largest_difference "$tmp/one" "$tmp/two")"
  if [[ "$diff" == missing ]] ||
     ! awk -v d="$diff" -v t="$TOLERANCE" 'BEGIN { exit !(d <= t) }'; then
    fail "two ranks: largest relative difference from one process $diff at $where" \
      "(tolerance $TOLERANCE)"
  else
    echo "ok   two ranks agree with one process: largest relative difference $diff at" \
      "$where (tolerance $TOLERANCE)"
  fi
  read -r diff where <<<"$(scalar_difference "$tmp/one" "$tmp/two")"
  if [[ "$diff" == missing ]] || ! awk -v d="$diff" -v t="$TOLERANCE" 'BEGIN { exit !(d <= t) }'
  then
    fail "two ranks: the runs' scalars differ from one process's by $diff at $where"
  else
    echo "ok   the runs' scalars agree too: largest relative difference $diff at $where"
  fi
fi

# Through torchrun itself (its agent hosts the store) when tools/test.sh
# found it usable: the 2-rank Result bit for bit.
if [[ -n "${WARMUP_TORCHRUN:-}" ]]; then
  "$WARMUP_TORCHRUN" --no-python --nnodes=1 --nproc_per_node=2 --master_addr=127.0.0.1 \
    --master_port="$(free_port)" "$run" "${flags[@]}" --ranks_per_run=2 --out="$tmp/torchrun" \
    >"$tmp/torchrun.log" 2>&1
  rc=$?
  if [[ $rc -ne 0 ]] || ! same "$tmp/two" "$tmp/torchrun"; then
    fail "torchrun: exit $rc, or a Result other than the 2-rank one"; tail -20 "$tmp/torchrun.log"
  else
    echo "ok   torchrun --nproc_per_node=2 --ranks_per_run=2 writes the 2-rank Result"
  fi
else
  echo "skip torchrun: WARMUP_TORCHRUN is not set (tools/test.sh sets it after tools/setup.sh --full)"
fi

if ! ranks 4 "$tmp/four" --ranks_per_run=2; then
  fail "four workers"; tail -5 "$tmp"/four.rank*.log
elif ! same "$tmp/two" "$tmp/four"; then
  fail "four workers in teams of two: the Result differs from one team's"
else
  echo "ok   four workers in two teams of two ranks write the Result of one team"
fi

# Resume: without the finished records, each run continues from step 30,
# the checkpoint rank 0 wrote; rank 1 has an empty folder of its own.
rm -f "$tmp"/two/checkpoints/*/finished.pb
if ! RANK1_OUT="$tmp/elsewhere" ranks 2 "$tmp/two" --ranks_per_run=2 --resume; then
  fail "resume"; tail -5 "$tmp"/two.rank*.log
elif [[ $(grep -c "resumed_from: 30" "$tmp/two/result.textproto") -ne 4 ]]; then
  fail "resume: not every run resumed from step 30"; grep resumed_from "$tmp/two/result.textproto"
elif ! same "$tmp/two" "$tmp/four"; then
  fail "resume: the Result differs from the uninterrupted one"
else
  echo "ok   resume from rank 0's checkpoints (rank 1 without them): the uninterrupted Result"
fi

# A checkpoint rank 0 cannot load stops every rank of the run with its
# reason (rank 1, which has no folder, must not start over and wait).
rm -f "$tmp"/two/checkpoints/*/finished.pb
run_dir=$(ls -d "$tmp"/two/checkpoints/*/ | head -n 1)
rm -f "$run_dir/last.pt" && mkdir "$run_dir/last.pt"
begin=$SECONDS
RANK1_OUT="$tmp/elsewhere2" ranks 2 "$tmp/two" --ranks_per_run=2 --resume
rc=$?
if [[ $rc -eq 0 ]] || ! grep -q "cannot be read" "$tmp/two.rank0.log" ||
   ! grep -q "cannot be read" "$tmp/two.rank1.log"; then
  fail "unreadable checkpoint: exit $rc"; tail -3 "$tmp"/two.rank*.log
else
  echo "ok   an unreadable checkpoint stops both ranks with its reason ($((SECONDS - begin)) s)"
fi

# Dropout: each rank draws from a stream seeded by run, rank and step, so a
# resumed run draws what the uninterrupted one drew.
sed -e 's/dropout: 0 /dropout: 0.1 /' "$spec" >"$tmp/dropout.textproto"
grep -q "dropout: 0.1 " "$tmp/dropout.textproto" || fail "the dropout spec was not made"
if ! ranks 2 "$tmp/drop" --ranks_per_run=2 --spec="$tmp/dropout.textproto"; then
  fail "dropout"; tail -5 "$tmp"/drop.rank*.log
else
  mkdir -p "$tmp/drop.uninterrupted" && cp "$tmp/drop/result.textproto" "$tmp/drop.uninterrupted/"
  rm -f "$tmp"/drop/checkpoints/*/finished.pb
  ranks 2 "$tmp/drop" --ranks_per_run=2 --spec="$tmp/dropout.textproto" --resume ||
    fail "dropout resume"
  if ! same "$tmp/drop.uninterrupted" "$tmp/drop"; then
    fail "dropout: the resumed Result differs from the uninterrupted one"
  else
    echo "ok   dropout 0.1 on 2 ranks: a resumed run draws what the uninterrupted one drew"
  fi
fi

# Refused, exit status 2, with the reason.
expect_refusal() {  # NAME PATTERN LOG
  local rc="$4"
  if [[ $rc -ne 2 ]] || ! grep -q -- "$2" "$3"; then
    fail "$1: exit $rc, wanted 2 and '$2'"; cat "$3"
  else
    echo "ok   $1 refused: $(grep -o -- "$2.*" "$3" | head -1 | head -c 150)"
  fi
}
"$run" "${flags[@]}" --out="$tmp/single" --ranks_per_run=2 >"$tmp/single.log" 2>&1
expect_refusal "a single process with --ranks_per_run=2" "needs that many workers per run" \
  "$tmp/single.log" $?
if [[ -z "${DATA_PARALLEL_FLAGS:-}" ]]; then  # on GPUs, 3 ranks need 3 GPUs
  ranks 3 "$tmp/three" --ranks_per_run=3
  expect_refusal "batch 8 on 3 ranks" "optimizer.batch_size (8) must split into 3 equal shares" \
    "$tmp/three.rank0.log" $?
fi
resnet='model: "resnet18" dataset: "cifar10" width: 0.0625 train_examples: 64'
sed -e "s/model: \"nanogpt\".*train_examples: 3000/$resnet/" "$spec" >"$tmp/resnet.textproto"
mkdir -p "$data/cifar10"
head -c $((64 * 3073)) /dev/zero >"$data/cifar10/data_batch_1.bin"
ranks 2 "$tmp/resnet" --ranks_per_run=2 --spec="$tmp/resnet.textproto"
expect_refusal "ResNet (BatchNorm) on 2 ranks" "normalises with BatchNorm over the batch" \
  "$tmp/resnet.rank0.log" $?

[[ $failures -eq 0 ]] || { echo "$failures failure(s)"; exit 1; }
