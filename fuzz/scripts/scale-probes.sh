#!/bin/sh
# Times the release binary on the scaling probes written by
#   cargo run --release -p telltale-testkit --bin make-scale-inputs -- DIR
# Usage: fuzz/scripts/scale-probes.sh DIR   (from the repository root, after cargo build --release)
# A probe whose 32 MiB time is far more than 4× its 8 MiB time is superlinear; 300 s is the hang guard.
set -u
DIR=${1:?usage: scale-probes.sh DIR}
BIN=${TELLTALE:-target/release/telltale}
OUT=$(mktemp -d)
for p in "$DIR"/*-8; do
  k=$(basename "$p" -8)
  for mb in 8 32; do
    r=$( { /usr/bin/time -f "%e s, %M KB" timeout 300 "$BIN" check -q -o "$OUT/$k-$mb" \
          "$DIR/$k-$mb" > /dev/null 2> "$OUT/err"; echo "exit $?" >> "$OUT/err"; } 2>&1 )
    echo "$k $mb MiB: $(tail -n 2 "$OUT/err" | tr '\n' ' ')"
  done
done
rm -rf "$OUT"
