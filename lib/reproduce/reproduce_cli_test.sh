#!/bin/sh
# //:reproduce end to end on a small deterministic spec of its own (GD on a
# river valley, well under a second): --update_reference writes a reference,
# a finished output is reused, a changed spec reruns, a moved reference
# drifts with exit status 1 and is named, a claim that fails is named, an
# unwritable report exits 3, bad flags exit 2, and --reference_from turns a
# Result file into a reference.
#   $1 reproduce binary
set -u
reproduce=$1
tmp=${TEST_TMPDIR:-$(mktemp -d)}
rm -rf "$tmp/experiments" "$tmp/out"
mkdir -p "$tmp/experiments"
spec="$tmp/experiments/toy_river.textproto"
cat > "$spec" <<'SPEC'
name: "toy_river"
engine { synthetic {} }
problem {
  river_valley { mu: 0.05 lambda0: 1 lambda1: 1 }
  init: [10, 0.5]
}
optimizer { kind: GD }
iterations: 500
record { every: 5 loss: true gap: true lr: true }
schedules {
  label: "theory_warmup"
  theory_warmup { c: 1.0 k0: 1.0 krho: 1.4472135955 rho: 1.0 f_star: 0 }
}
schedules {
  label: "constant"
  constant { lr: 0.01 }
}
claims {
  id: "theory_descends"
  metric: "theory_warmup.gap_increases"
  op: LE
  threshold: 0
  rationale: "Descent lemma: exact."
}
default_tier: "smoke"
tiers { name: "smoke" overrides { } }
figure { panels { title: "gap" metric: "gap" log_y: true } }
SPEC
reference="$tmp/experiments/reference/toy_river.smoke.json"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
run() {
  "$reproduce" --tier=smoke --threads=1 --plot=false --experiments_dir="$tmp/experiments" \
    --out="$tmp/out" "$@" > "$tmp/log" 2>&1
  rc=$?
}

run --update_reference
[ "$rc" -eq 0 ] || fail "first run exited $rc (want 0: the claim passes)"
grep -q "toy_river: ran" "$tmp/log" || fail "first run did not run"
[ -s "$reference" ] || fail "--update_reference wrote no $reference"
# A tracked reference carries no machine path (the command line hides --out's).
grep -q "$tmp" "$reference" && fail "the reference records this machine's path $tmp"
[ -s "$tmp/out/report/index.html" ] && [ -s "$tmp/out/report/report.md" ] || fail "no report"

run
[ "$rc" -eq 0 ] || fail "second run exited $rc"
grep -q "finished output reused" "$tmp/log" || fail "second run did not reuse the finished output"
grep -q "reference [1-9][0-9]* OK, 0 DRIFT" "$tmp/log" || fail "no reference comparison"

# Two workers (torchrun's environment on loopback): worker 0 reuses the
# finished output and hands its Result to worker 1; with --rerun both run it
# and worker 0 alone writes the report. --update_reference needs one worker.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
two() {  # rank 0's exit status in rc0, rank 1's in rc
  local r pid
  for r in 1 0; do
    RANK=$r WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$reproduce" --tier=smoke \
      --threads=1 --plot=false --experiments_dir="$tmp/experiments" --out="$tmp/out" "$@" \
      > "$tmp/log$r" 2>&1 &
    [ "$r" -eq 1 ] && pid=$!
  done
  wait $!; rc0=$?
  wait "$pid"; rc=$?
}
two
[ "$rc0" -eq 0 ] && [ "$rc" -eq 0 ] || fail "two workers exited $rc0 and $rc"
grep -q "finished output reused" "$tmp/log0" || fail "worker 0 did not reuse the finished output"
port=$((port + 1))
rm -rf "$tmp/out/report"
two --rerun
[ "$rc0" -eq 0 ] && [ "$rc" -eq 0 ] || fail "two workers with --rerun exited $rc0 and $rc"
grep -q "toy_river: ran" "$tmp/log0" || fail "worker 0 did not run with --rerun"
[ -s "$tmp/out/report/report.md" ] || fail "no report from worker 0"
RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port run --update_reference
[ "$rc" -eq 2 ] && grep -q "update_reference runs on one worker" "$tmp/log" \
  || fail "--update_reference on two workers: rc $rc"

# Another thread count or figures on: the finished output is not reused.
run --threads=2
grep -q "toy_river: ran" "$tmp/log" || fail "a different --threads reused the finished output"
run --threads=2 --plot=true
grep -q "toy_river: ran" "$tmp/log" || fail "--plot=true reused an output made without figures"

# A changed spec (a comment suffices: the hash changes) reruns.
echo "# changed" >> "$spec"
run
grep -q "toy_river: ran" "$tmp/log" || fail "a changed spec was not rerun"

# A stored value moved (a digit put in front) drifts under the 1e-9 rule.
sed -i 's/\("name": "theory_warmup.sum_lr", "value": \)/\11/' "$reference"
run
[ "$rc" -eq 1 ] || fail "drift exited $rc, want 1"
grep -q "^DRIFT toy_river: reference scalar theory_warmup.sum_lr: .* DRIFT" "$tmp/log" \
  || fail "the drifted scalar is not named"

# A claim that cannot hold fails and is named.
sed -i 's/threshold: 0$/threshold: -1/' "$spec"
run
[ "$rc" -eq 1 ] || fail "a failing claim exited $rc, want 1"
grep -q "^FAILED toy_river: claim theory_descends" "$tmp/log" || fail "the failed claim is not named"

# Bad input: exit 2 with one line.
run --only=no_such_spec
[ "$rc" -eq 2 ] && grep -q "no spec named 'no_such_spec'" "$tmp/log" || fail "--only typo: rc $rc"
run --tier=huge
[ "$rc" -eq 2 ] && grep -q "tier must be smoke, cpu or paper" "$tmp/log" || fail "--tier typo: rc $rc"

# A report that cannot be written is an error (exit status 3), not a quiet 0:
# the report folder is a plain file here.
sed -i 's/threshold: -1$/threshold: 0/' "$spec"
: > "$tmp/not_a_folder"
run --report_dir="$tmp/not_a_folder"
[ "$rc" -eq 3 ] && grep -q "^ERROR report: " "$tmp/log" || fail "unwritable report: rc $rc"

# A Result made elsewhere becomes the reference without a run.
rm "$reference"
"$reproduce" --experiments_dir="$tmp/experiments" \
  --reference_from="$tmp/out/reproduce/smoke/toy_river/result.json" > "$tmp/log" 2>&1 \
  || fail "--reference_from exited $?"
grep -q '"experiment": "toy_river"' "$reference" || fail "--reference_from wrote no reference"
"$reproduce" --experiments_dir="$tmp/experiments" --reference_from="$tmp/nothing.json" \
  > "$tmp/log" 2>&1
[ "$?" -eq 2 ] || fail "--reference_from a missing file should exit 2"

[ "$fails" -eq 0 ] && echo PASS || cat "$tmp/log"
exit "$fails"
