#!/usr/bin/env bash
# Pairwise A/B of two bench variants of one workload: runs the two `tulipa-benches` children
# alternately N times and prints both medians and the median of the per-pair ratio B/A
# (with min..max). Tighter than `make bench`'s rounds on a noisy machine, because each pair
# runs back to back. Run it both ways round to rule out an ordering effect.
#
#   scripts/bench-pair.sh VARIANT_A VARIANT_B WORKLOAD [SCALE] [N]
#   scripts/bench-pair.sh tulipa tulipa-unconstrained pingpong 0.5 31
set -euo pipefail
cd "$(dirname "$0")/.."
(($# >= 3)) || { sed -n '2,8p' "$0" >&2; exit 2; }
va=$1 vb=$2 w=$3 scale=${4:-0.5} n=${5:-31}
cargo build --release -q -p tulipa-benches
bin=${CARGO_TARGET_DIR:-target}/release/tulipa-benches
first() { "$bin" __child "$w" "$1" "$scale" | sed -n 's/^RESULT [a-z_]*=\([0-9.e+-]*\).*/\1/p'; }
for _ in $(seq "$n"); do
    a=$(first "$va"); b=$(first "$vb")
    [[ -n $a && -n $b ]] || { echo "bench-pair: a child printed no result" >&2; exit 1; }
    echo "$a $b"
done | python3 -c '
import sys, statistics as st
r = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
q = [b / a for a, b in r]
print("%s median %.4g, %s median %.4g; per-pair %s/%s median %.4f (min %.3f, max %.3f), %d pairs"
      % (sys.argv[1], st.median(a for a, _ in r), sys.argv[2], st.median(b for _, b in r),
         sys.argv[2], sys.argv[1], st.median(q), min(q), max(q), len(q)))' "$va" "$vb"
