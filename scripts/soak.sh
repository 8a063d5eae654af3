#!/usr/bin/env bash
# `make soak SECS=600`: examples/soak.rs, built in release, for SECS seconds (default 600,
# at least 60): TCP, TLS and WebSocket echo and subprocess churn on one tulipa runtime at a
# bounded load on loopback, RSS and open descriptors sampled every 10 s. It passes with no
# errors and no growth above 5 % after the warm-up (the rule is in the example's header).
# The output is kept in target/soak/soak-SECS.log. A 60 s run takes about 65 s once built.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

die() { printf 'soak: ERROR: %s\n' "$*" >&2; exit 1; }
SECS=${1:-600}
[[ $SECS =~ ^[0-9]+$ ]] && ((SECS >= 60)) || die "SECS must be a whole number of seconds, at least 60 (got '$SECS')"

cargo build --quiet --release --example soak || die "building examples/soak.rs failed"
OUT="$CARGO_TARGET_DIR/soak"
mkdir -p "$OUT"
LOG="$OUT/soak-$SECS.log"

# The soak has its own watchdog (SECS + 120 s); timeout(1) is the backstop should the
# process be unable to run it.
status=0
timeout --kill-after=10 $((SECS + 180)) "$CARGO_TARGET_DIR/release/examples/soak" "$SECS" 2>&1 \
    | tee "$LOG" || status=$?
verdict=$(tail -n 1 "$LOG")
# A zero exit without the verdict line (or the other way round) is a failure too.
if ((status == 0)) && [[ $verdict == "SOAK PASS" ]]; then
    echo "soak: passed ($LOG)"
    exit 0
fi
echo "soak: FAILED with status $status: ${verdict:-no verdict} ($LOG)" >&2
exit 1
