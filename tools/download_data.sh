#!/usr/bin/env bash
# Downloads the official data sets into DIR and checks them:
#   DIR/cifar10/data_batch_{1..5}.bin, test_batch.bin, batches.meta.txt
#   DIR/tinyshakespeare/input.txt
# then writes DIR/SHA256SUMS, which the loaders verify on every read.
# Usage: tools/download_data.sh DIR
set -euo pipefail
dir="${1:?usage: tools/download_data.sh DIR}"
mkdir -p "$dir/cifar10" "$dir/tinyshakespeare"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cifar_url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
cifar_md5="c32a1d4ab5d03f1284b67883e8d87530"  # published on the CIFAR-10 page
shakespeare_url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
shakespeare_sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"

echo "downloading CIFAR-10 (binary version, 163 MB)"
curl -fL --retry 3 -o "$tmp/cifar.tar.gz" "$cifar_url"
echo "$cifar_md5  $tmp/cifar.tar.gz" | md5sum -c -
tar -xzf "$tmp/cifar.tar.gz" -C "$tmp"
cp "$tmp"/cifar-10-batches-bin/data_batch_?.bin "$tmp"/cifar-10-batches-bin/test_batch.bin "$dir/cifar10/"
cp "$tmp"/cifar-10-batches-bin/batches.meta.txt "$dir/cifar10/"

echo "downloading TinyShakespeare"
curl -fL --retry 3 -o "$dir/tinyshakespeare/input.txt" "$shakespeare_url"
echo "$shakespeare_sha256  $dir/tinyshakespeare/input.txt" | sha256sum -c -

(cd "$dir" && sha256sum cifar10/* tinyshakespeare/input.txt > SHA256SUMS)
echo "data ready in $dir; use --data_dir=$dir or WARMUP_DATA_DIR=$dir"
