#!/usr/bin/env bash
# The cooperative budget's cost in instructions, free of the machine's noise: runs the
# `pingpong` and `channel` bench children (one fresh process each) under valgrind's
# cachegrind with the budget on (`tulipa`) and off (`tulipa-unconstrained`, every task under
# `tulipa::task::unconstrained`) at two sizes, and prints the instructions per item of the
# difference between the two sizes (start-up cancels out: the same items both ways) and the
# budget's cost in percent of it.
# Wall-clock ratios come from `make bench` (interleaved rounds); this is their complement.
#
#   scripts/bench-instructions.sh [SCALE]     (default 0.1; the second size is 2 x SCALE)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "bench-instructions: valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
scale=${1:-0.1}
cargo build --release -q -p tulipa-benches
bin=${CARGO_TARGET_DIR:-target}/release/tulipa-benches
irefs() { # workload variant scale -> instructions executed
    valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
        "$bin" __child "$1" "$2" "$3" 2>&1 >/dev/null |
        sed -n 's/.*I *refs: *\([0-9,]*\).*/\1/p' | tr -d ,
}
big=$(python3 -c "print($scale * 2)")
printf '%-9s %-22s %18s\n' workload variant "instructions 2S-S"
for w in pingpong channel; do
    declare -A per=()
    for v in tulipa tulipa-unconstrained; do
        a=$(irefs "$w" "$v" "$scale")
        b=$(irefs "$w" "$v" "$big")
        [[ -n $a && -n $b ]] || { echo "bench-instructions: no count for $w $v" >&2; exit 1; }
        per[$v]=$((b - a))
        printf '%-9s %-22s %18s\n' "$w" "$v" "${per[$v]}"
    done
    python3 -c "on, off = ${per[tulipa]}, ${per[tulipa-unconstrained]}; print(f'{\"$w\":<9} budget cost {100 * (on - off) / off:+.2f} % of the instructions ')"
done
