#!/usr/bin/env bash
# Installs what this project needs. Idempotent: what is already installed is
# left alone, and a second run installs nothing and says so.
#
#   tools/setup.sh          Debian packages, and LibTorch: torch 2.11.0 (the
#                           PyTorch wheel, CUDA 13.0 build) in .venv/ with the
#                           two CUDA libraries its CPU library loads
#                           (libcudart.so.13, libcupti.so.13). Enough to
#                           build, test and run everything on CPU, and to
#                           compile and link --config=cuda.
#   tools/setup.sh --full   Also torch's whole CUDA runtime (cuDNN, cuBLAS,
#                           NCCL, ...), so that `import torch` works in .venv,
#                           plus NumPy and PyHessian: the Python side of the
#                           benchmarks, and running on a GPU.
#
# Run as root (or through sudo) when Debian packages are missing.
set -euo pipefail
cd "$(dirname "$0")/.."

full=0
case "${1:-}" in
  "") ;;
  --full) full=1 ;;
  *) echo "setup: unknown option '$1' (expected nothing or --full)" >&2; exit 2 ;;
esac

packages=(
  bazel-bootstrap       # Bazel 4.2.3, never downloads
  bazel-rules-java      # local @rules_java (see WORKSPACE)
  g++
  libabsl-dev           # Abseil 20220623: flags, strings, status
  libeigen3-dev
  libprotobuf-dev
  protobuf-compiler
  libgtest-dev
  libgmock-dev
  libgloo-dev           # Gloo's headers: LibTorch links Gloo but ships none (data-parallel runs)
  gnuplot-nox           # figures (pngcairo, pdfcairo)
  chromium              # the report test opens out/report/index.html headless
  python3-venv          # .venv/ for the torch wheel
)

# LibTorch's pins: torch as on the GPU machines, and the CUDA 13.0 runtime
# and CUPTI wheels that torch 2.11.0 itself requires (cuda-toolkit 13.0.2).
torch_pins=(
  torch==2.11.0
  nvidia-cuda-runtime==13.0.96
  nvidia-cuda-cupti==13.0.85
)
# --full: everything torch 2.11.0 requires (resolved by pip), NumPy, PyHessian.
full_pins=(
  torch==2.11.0
  numpy==2.4.6
  pyhessian==0.1
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} Debian packages already installed"
else
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: missing packages: ${missing[*]}" >&2
    echo "setup: run this script as root (sudo tools/setup.sh)" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  python3 -m venv .venv
fi

# Prints the pins whose exact version is not installed in .venv.
not_installed() {
  .venv/bin/python - "$@" <<'EOF'
import importlib.metadata, sys
for pin in sys.argv[1:]:
    name, version = pin.split("==")
    try:
        installed = importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed is None or installed.split("+")[0] != version:
        print(pin)
EOF
}

mapfile -t todo < <(not_installed "${torch_pins[@]}")
if ((${#todo[@]} == 0)); then
  echo "setup: LibTorch (${torch_pins[*]}) already in .venv"
else
  echo "setup: installing ${todo[*]} into .venv"
  .venv/bin/pip install --quiet --disable-pip-version-check --no-deps "${todo[@]}"
fi

if ((full)); then
  # `import torch` is the check: it loads every CUDA library torch needs.
  mapfile -t todo < <(not_installed "${full_pins[@]}")
  if ((${#todo[@]} == 0)) && .venv/bin/python -c "import torch, numpy, pyhessian" 2>/dev/null; then
    echo "setup: torch's CUDA runtime, NumPy and PyHessian already in .venv"
  else
    echo "setup: installing ${full_pins[*]} with their dependencies into .venv"
    .venv/bin/pip install --quiet --disable-pip-version-check "${full_pins[@]}"
  fi
fi
echo "setup: done"
