#!/bin/sh
# A real change must drift. Runs one spec's smoke tier with one setting
# changed (a sed expression applied to a copy of the spec) through
# //:reproduce against the stored smoke reference, and passes when
# reproduce exits 1 with a DRIFT line for a quantity matching the pattern.
#   $1 reproduce binary  $2 spec name  $3 sed expression
#   $4 extended regular expression the drifted quantity must match
set -u
reproduce=$1
name=$2
edit=$3
want=$4
tmp=${TEST_TMPDIR:-$(mktemp -d)}
rm -rf "$tmp/experiments" "$tmp/out"
mkdir -p "$tmp/experiments"
cp experiments/*.textproto "$tmp/experiments/"
sed -i "$edit" "$tmp/experiments/$name.textproto"
if cmp -s "experiments/$name.textproto" "$tmp/experiments/$name.textproto"; then
  echo "FAIL: the edit '$edit' changed nothing in $name.textproto"
  exit 1
fi
"$reproduce" --tier=smoke --only="$name" --threads=1 --plot=false \
  --experiments_dir="$tmp/experiments" --reference_dir=experiments/reference \
  --out="$tmp/out" > "$tmp/log" 2>&1
rc=$?
grep -E "^DRIFT" "$tmp/log"
if [ "$rc" -ne 1 ]; then
  cat "$tmp/log"
  echo "FAIL: with '$edit' reproduce exited $rc; a drift exits 1"
  exit 1
fi
if ! grep -qE "^DRIFT $name: reference ($want)" "$tmp/log"; then
  echo "FAIL: with '$edit' nothing matching '$want' drifted"
  exit 1
fi
echo "PASS: '$edit' drifts $(grep -cE '^DRIFT' "$tmp/log") quantities of $name"
