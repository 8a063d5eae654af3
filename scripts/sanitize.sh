#!/usr/bin/env bash
# `make sanitize`: the native test suite of the tulipa crate (unit tests and every
# integration test file; doctests are left out) under AddressSanitizer with leak detection,
# on the nightly toolchain. It is its own target, not a leg of `make test`: the
# instrumented build is slow and the flags need nightly.
#
#   scripts/sanitize.sh                   every native test binary
#   scripts/sanitize.sh --test rt_native  some of them (cargo test target selection)
#
# The build goes to target/asan (the sanitizer flags would invalidate the normal cache).
# `--target` is given so that RUSTFLAGS reach only the target's code, not the build scripts
# and proc macros (which run inside the uninstrumented compiler). The standard library is
# rebuilt instrumented (-Zbuild-std, which needs the nightly rust-src component) so that
# rustc accepts linking it with sanitized crates and ASan also sees std's allocations.
# Any AddressSanitizer or LeakSanitizer report fails the run, as does a failing test.
# The log is target/asan/sanitize.log.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
TRIPLE=x86_64-unknown-linux-gnu
export CARGO_TARGET_DIR="$ROOT/target/asan"
mkdir -p "$CARGO_TARGET_DIR"
LOG="$CARGO_TARGET_DIR/sanitize.log"

command -v rustup >/dev/null 2>&1 || { echo "sanitize: rustup is needed" >&2; exit 1; }
rustup toolchain list | grep -q '^nightly' || {
    echo "sanitize: installing the nightly toolchain"
    rustup toolchain install nightly --profile minimal || exit 1
}
rustup component list --installed --toolchain nightly | grep -q '^rust-src' || {
    echo "sanitize: installing rust-src for nightly (-Zbuild-std)"
    rustup component add rust-src --toolchain nightly || exit 1
}

# -Cforce-frame-pointers: readable stacks in the reports at little cost.
export RUSTFLAGS="-Zsanitizer=address -Cforce-frame-pointers=yes"
# detect_leaks: LeakSanitizer at exit. Each test binary's report names the binary.
# scripts/lsan.supp lists the leaks the tests make on purpose (one, with its reason).
export LSAN_OPTIONS="suppressions=$ROOT/scripts/lsan.supp:print_suppressions=1"
export ASAN_OPTIONS="detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1"
export RUST_BACKTRACE=1
# The instrumented build runs several times slower: the tests' hang deadlines (tests/support
# `within`, the portable harness) are stretched by this factor; they catch hangs, not speed.
export TULIPA_TEST_TIMEOUT_SCALE=${TULIPA_TEST_TIMEOUT_SCALE:-10}

selection=("$@")
((${#selection[@]})) || selection=(--lib --tests)

start=$SECONDS
echo "sanitize: cargo +nightly test -Zbuild-std --target $TRIPLE -p tulipa ${selection[*]} (log: $LOG)"
cargo +nightly test -Zbuild-std --target "$TRIPLE" -p tulipa "${selection[@]}" --no-fail-fast 2>&1 |
    tee "$LOG"
rc=${PIPESTATUS[0]}

reports=$(grep -cE '^(==[0-9]+==)?ERROR: (AddressSanitizer|LeakSanitizer)' "$LOG" || true)
passed=$(awk '/^test result:/ { for (k = 2; k <= NF; k++) if ($k ~ /^passed/) s += $(k - 1) } END { print s + 0 }' "$LOG")
failed=$(awk '/^test result:/ { for (k = 2; k <= NF; k++) if ($k ~ /^failed/) s += $(k - 1) } END { print s + 0 }' "$LOG")
bins=$(grep -c '^test result:' "$LOG" || true)
printf 'sanitize: %s test binaries, %s passed, %s failed, %s sanitizer reports, %ss\n' \
    "$bins" "$passed" "$failed" "$reports" "$((SECONDS - start))"
if ((reports > 0)); then
    grep -nE -A3 '^(==[0-9]+==)?ERROR: (AddressSanitizer|LeakSanitizer)' "$LOG" | head -n 60 >&2
    echo "sanitize: FAILED: sanitizer reports above (full log: $LOG)" >&2
    exit 1
fi
if ((rc != 0 || bins == 0)); then
    echo "sanitize: FAILED: cargo test exit $rc (log: $LOG)" >&2
    exit 1
fi
echo "sanitize: OK (no sanitizer reports)"
