#!/usr/bin/env bash
# The GPU check. On a machine with a GPU it
#   1. runs the device tests (lib/trainer:device_test) on the GPU;
#   2. runs every network figure's smoke tier on CUDA through //:reproduce
#      and compares it with the stored (CPU) smoke reference under the rule
#      every machine is held to (docs/reproducibility.md): a GPU is one more
#      machine whose kernels round differently;
#   3. times 200 training steps and one measurement of each network figure at
#      the paper tier on CUDA, and prints each figure's projected wall time;
#   4. with two GPUs or more, trains one run on 2 ranks averaging through
#      NCCL against one rank (tests/data_parallel_cli_test.sh on CUDA).
# Without a GPU it runs the same on the CPU (timing 2 steps, to check the
# timer, not to project) and ends with one line saying the CUDA comparison
# was skipped.
#
#   tools/gpu_check.sh                 build (with Bazel, --config=cuda), then check
#   tools/gpu_check.sh --bundle-only   only build gpu_bundle/ to carry to a GPU machine
#
# gpu_bundle/ holds the four binaries and the non-torch shared libraries they
# need (Abseil, protobuf; at most 60 MiB). Where Bazel is missing (a GPU
# machine with torch 2.11 but no Debian packages) the script runs from an
# existing gpu_bundle/. LibTorch comes from the torch package that python3
# imports there, else from WARMUP_TORCH_DIR or .venv/. Data: WARMUP_DATA_DIR
# (CIFAR-10 and TinyShakespeare, see tools/download_data.sh).
# Environment: GPU_CHECK_THREADS (CPU threads, default 4; 1 below 8 cores), GPU_CHECK_OUT
# (work folder, default out/gpu_check).
set -uo pipefail
cd "$(dirname "$0")/.."

bundle=gpu_bundle
figures=(fig1a_resnet18_cifar10 fig1b_nanogpt_shakespeare fig3_warmup_schedules fig3b_nanogpt_warmup)
# Four CPU threads where there are 8 cores or more, else one (two threads on
# a busy 2-core machine stall at OpenMP barriers).
threads=${GPU_CHECK_THREADS:-$(( $(nproc) >= 8 ? 4 : 1 ))}
work=${GPU_CHECK_OUT:-out/gpu_check}

die() { echo "gpu_check: $*" >&2; exit 2; }

build_bundle() {
  bazel build --config=cuda //experiments:run //lib/reproduce:reproduce \
    //tools/gpu_check:step_timer //lib/trainer:device_test ||
    die "bazel build --config=cuda failed"
  rm -rf "$bundle" && mkdir -p "$bundle/bin" "$bundle/lib"
  cp bazel-bin/experiments/run bazel-bin/lib/reproduce/reproduce \
    bazel-bin/tools/gpu_check/step_timer bazel-bin/lib/trainer/device_test "$bundle/bin/"
  chmod u+w "$bundle"/bin/*
  # Every shared library they load except torch's, CUDA's and glibc's/gcc's
  # (those come from the torch install where the check runs).
  ldd "$bundle"/bin/* | awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
    grep -vE '/(libtorch|libc10|libgomp|libcu|libnv|libnccl|libcaffe2)[^/]*$' |
    grep -vE '/(libc|libm|libdl|librt|libpthread|libgcc_s|libstdc\+\+)\.so[^/]*$' |
    while read -r lib; do cp -L "$lib" "$bundle/lib/"; done
  local mib=$(( $(du -sk "$bundle" | cut -f1) / 1024 ))
  echo "gpu_check: $bundle/ built: $(ls "$bundle/bin" | tr '\n' ' ')+ $(ls "$bundle/lib" | wc -l) libraries, ${mib} MiB"
  ((mib <= 60)) || die "$bundle/ is ${mib} MiB, over the 60 MiB a GPU machine takes"
}

torch_lib_dir() {
  local d
  d=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null) &&
    [[ -f "$d/libtorch_cpu.so" ]] && { echo "$d"; return; }
  [[ -n "${WARMUP_TORCH_DIR:-}" ]] && { echo "$WARMUP_TORCH_DIR/lib"; return; }
  d=$(ls -d .venv/lib/python3*/site-packages/torch/lib 2>/dev/null | head -n 1)
  [[ -n "$d" ]] && { echo "$(cd "$d" && pwd)"; return; }
  return 1
}

if [[ "${1:-}" == --bundle-only ]]; then build_bundle; exit 0; fi
[[ $# -eq 0 ]] || die "unknown option '$1' (expected nothing or --bundle-only)"
if command -v bazel >/dev/null; then
  build_bundle
elif [[ ! -x "$bundle/bin/run" ]]; then
  die "no Bazel here and no $bundle/: run tools/gpu_check.sh --bundle-only where Bazel is, and copy $bundle/ here"
fi

torch_lib=$(torch_lib_dir) || die "no torch found: install torch 2.11.0 (pip), set WARMUP_TORCH_DIR, or run tools/setup.sh"
# torch's own libraries, and the NVIDIA wheels' beside it (the binaries load
# libcudart directly).
cuda_libs=$(ls -d "$torch_lib"/../../nvidia/*/lib 2>/dev/null | tr '\n' ':')
export LD_LIBRARY_PATH="$(pwd)/$bundle/lib:$torch_lib:$cuda_libs${LD_LIBRARY_PATH:-}"
export WARMUP_DATA_DIR=${WARMUP_DATA_DIR:-}
[[ -n "$WARMUP_DATA_DIR" && -d "$WARMUP_DATA_DIR" ]] ||
  die "set WARMUP_DATA_DIR to the data folder (CIFAR-10, TinyShakespeare; tools/download_data.sh DIR fetches them)"
echo "gpu_check: LibTorch from $torch_lib"
# The CUDA build loads torch's whole CUDA runtime (cuDNN, cuBLAS, cuFile, ...)
# even on the CPU: say which libraries are missing before anything runs.
missing=$(ldd "$bundle"/bin/* 2>/dev/null | awk '$2 == "=>" && $3 == "not" {print $1}' | sort -u | tr '\n' ' ')
[[ -z "$missing" ]] ||
  die "the CUDA build needs libraries that are not installed: ${missing}(torch's CUDA runtime: run tools/setup.sh --full, or set WARMUP_TORCH_DIR to a torch 2.11 install that has them)"

if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
  gpu=1
  echo "gpu_check: $(nvidia-smi -L | head -n 1)"
else
  gpu=0
  echo "gpu_check: no GPU visible (nvidia-smi); running the CPU half only"
fi

failed=0
mkdir -p "$work"
echo "== device tests"
"$bundle/bin/device_test" > "$work/device_test.log" 2>&1 || { echo "gpu_check: device tests FAILED"; failed=1; }
grep -E '^\[  (PASSED|FAILED|SKIPPED) +\] [0-9]+ test|^\[  FAILED  \] [A-Z]' "$work/device_test.log"

device=cpu; ((gpu)) && device=cuda
for fig in "${figures[@]}"; do
  echo "== $fig, smoke tier on $device against the stored reference"
  begin=$SECONDS
  "$bundle/bin/reproduce" --tier=smoke --only="$fig" --device="$device" --threads="$threads" \
    --plot=false --experiments_dir=experiments --reference_dir=experiments/reference \
    --out="$work/reproduce" --rerun > "$work/$fig.log" 2>&1
  status=$?
  echo "  exit $status in $((SECONDS - begin)) s: $(grep -E "^\[1/1\] $fig: ran" "$work/$fig.log" | sed 's/^[^:]*: //')"
  grep -E "^(DRIFT|FAILED|ERROR) |reference winner .*moved" "$work/$fig.log"
  grep -E "^References:" "$work/$fig.log" | head -n 1
  ((status == 0)) || failed=1
done

echo "== paper tier: step time and projected wall time per figure"
if ((gpu)); then timing=(--device=cuda --steps=200); else timing=(--device=cpu --steps=2 --warmup_steps=1 --measure=false); fi
for fig in "${figures[@]}"; do
  "$bundle/bin/step_timer" --spec="experiments/$fig.textproto" --tier=paper \
    --threads="$threads" "${timing[@]}" || failed=1
done

echo "== one run on 2 ranks (data parallel)"
gpus=0
((gpu)) && gpus=$(nvidia-smi -L | wc -l)
if ((gpus >= 2)); then
  mkdir -p "$work/data_parallel"
  DATA_PARALLEL_FLAGS=--device=cuda TEST_TMPDIR="$work/data_parallel" \
    bash tests/data_parallel_cli_test.sh "$bundle/bin/run" || failed=1
else
  echo "  skipped: NCCL needs a GPU per rank, and this machine has $gpus"
fi

if ((failed)); then
  echo "gpu_check: FAILED (see above)"
  exit 1
fi
if ((gpu)); then
  echo "gpu_check: every network figure's smoke tier on CUDA passes its claims and agrees with the stored CPU reference"
else
  echo "gpu_check: CUDA comparison skipped: no GPU on this machine (CPU smoke runs and the timer ran; paper-tier times above are CPU times, not projections for a GPU)"
fi
