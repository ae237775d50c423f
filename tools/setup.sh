#!/usr/bin/env bash
# Installs every Debian 12 package this project needs. Idempotent: packages
# already installed are left alone, and a second run installs nothing.
# Run as root (or through sudo).
set -euo pipefail

packages=(
  bazel-bootstrap       # Bazel 4.2.3, never downloads
  bazel-rules-java      # local @rules_java (see WORKSPACE)
  g++
  libabsl-dev           # Abseil 20220623: flags, strings, status
  libeigen3-dev
  libtorch-dev          # LibTorch 1.13.1, CPU
  libprotobuf-dev
  protobuf-compiler
  libgtest-dev
  libgmock-dev
  gnuplot-nox           # figures (pngcairo, pdfcairo)
  chromium              # the report test opens out/report/index.html headless
  libopenblas0-pthread  # fast BLAS for LibTorch's linear layers
  python3-numpy         # Python references of the benchmarks only
  python3-torch
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages already installed"
  exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run this script as root (sudo tools/setup.sh)" >&2
  exit 2
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
echo "setup: done"
