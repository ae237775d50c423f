#!/usr/bin/env bash
# Failures of network runs reach the command line: a malformed SHA256SUMS, a
# partial CIFAR-10 folder, a corrupt checkpoint, --resume with nothing to
# resume and --resume with another spec's checkpoint. Each is made to happen
# here on a tiny ResNet over a synthetic CIFAR-10 folder (no data set
# needed) and must be reported: one error line and exit 2, or for the
# resume without a checkpoint, a line on stderr and resumed_from in the Result.
set -u
run="$1"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
checks=0

# A CIFAR-10 folder with one training batch of 8 all-zero records (label 0).
data="$tmp/data"
mkdir -p "$data/cifar10"
head -c $((8 * 3073)) /dev/zero >"$data/cifar10/data_batch_1.bin"
(cd "$data" && sha256sum cifar10/data_batch_1.bin >SHA256SUMS)

spec() {  # spec NAME TRAIN_EXAMPLES LR
  cat >"$tmp/$1.textproto" <<SPEC
name: "clinet"
engine { network {} }
problem { network { model: "resnet18" dataset: "cifar10" width: 0.0625 train_examples: $2 } }
optimizer { kind: SGD batch_size: 4 }
iterations: 2
checkpoint { every: 1 }
schedules { label: "c" constant { lr: $3 } }
no_claims_reason: "a test of failure reporting, not a measurement"
SPEC
}
spec tiny 8 0.01
spec other 8 0.02
spec all_records 0 0.01

# expect NAME WANT_RC WANT_STDERR_SUBSTRING ARGS...
expect() {
  local name="$1" want_rc="$2" want="$3"
  shift 3
  checks=$((checks + 1))
  "$run" --progress=false --threads=1 "$@" >"$tmp/stdout" 2>"$tmp/stderr"
  local rc=$?
  if [[ $rc -ne $want_rc ]]; then
    echo "FAIL $name: exit $rc, expected $want_rc:"; cat "$tmp/stderr"; failures=$((failures + 1))
  elif [[ -n "$want" ]] && ! grep -qF -- "$want" "$tmp/stderr"; then
    echo "FAIL $name: stderr lacks '$want':"; cat "$tmp/stderr"; failures=$((failures + 1))
  else
    echo "ok   $name: $(head -c 300 "$tmp/stderr")"
  fi
}

# The run works on the good folder and records the file it read.
expect good_folder 0 "" --spec="$tmp/tiny.textproto" --data_dir="$data" --out="$tmp/good"
checks=$((checks + 1))
if grep -q 'path: "cifar10/data_batch_1.bin"' "$tmp/good/result.textproto" &&
   grep -q "sha256: \"$(sha256sum <"$data/cifar10/data_batch_1.bin" | cut -c1-64)\"" "$tmp/good/result.textproto" &&
   grep -q '"libtorch"' "$tmp/good/result.textproto"; then
  echo "ok   provenance: data file, checksum and LibTorch version recorded"
else
  echo "FAIL provenance:"; grep -A3 "data_files\|versions" "$tmp/good/result.textproto"; failures=$((failures + 1))
fi

# A garbage line in SHA256SUMS.
bad="$tmp/bad_sums"
cp -a "$data" "$bad"
echo "this line is garbage" >>"$bad/SHA256SUMS"
expect garbage_sums 2 "SHA256SUMS line 2: expected '<64 hex digits>  <path>'" \
  --spec="$tmp/tiny.textproto" --data_dir="$bad" --out="$tmp/o1"

# A partial CIFAR-10 folder: train_examples 0 means all five batches.
expect partial_cifar 2 "data_batch_2.bin' is missing" \
  --spec="$tmp/all_records.textproto" --data_dir="$data" --out="$tmp/o2"

# A corrupt checkpoint under --resume.
mkdir -p "$tmp/o3/checkpoints/c"
echo "not a checkpoint" >"$tmp/o3/checkpoints/c/last.pt"
expect corrupt_checkpoint 2 "last.pt' cannot be read" \
  --spec="$tmp/tiny.textproto" --data_dir="$data" --out="$tmp/o3" --resume

# --resume with nothing to resume: said on stderr, the run starts over.
expect resume_nothing 0 "resume: no checkpoint at $tmp/o4/checkpoints/c/last.pt" \
  --spec="$tmp/tiny.textproto" --data_dir="$data" --out="$tmp/o4" --resume

# --resume of the same spec continues from its checkpoint (step 2, the end)
# and the Result says so. The finished run's record is removed first (a run
# killed after its last checkpoint has none; with it, --resume takes the
# finished run as it is, tests/workers_cli_test.sh).
rm -f "$tmp/o4/checkpoints/c/finished.pb"
expect resume_same 0 "" --spec="$tmp/tiny.textproto" --data_dir="$data" --out="$tmp/o4" --resume
checks=$((checks + 1))
if grep -q "resumed_from: 2" "$tmp/o4/result.textproto"; then
  echo "ok   resumed_from: in the Result"
else
  echo "FAIL resumed_from: not in the Result"; failures=$((failures + 1))
fi

# --resume with another spec's checkpoint (a different learning rate).
expect resume_other_spec 2 "was written by a different run" \
  --spec="$tmp/other.textproto" --data_dir="$data" --out="$tmp/o4" --resume

echo "$((checks - failures)) passed, $failures failed"
exit $((failures > 0))
