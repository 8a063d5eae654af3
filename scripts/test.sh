#!/usr/bin/env bash
# Runs every check of `make test` (after `make setup`): formatting, clippy on both targets,
# the native tests and doctests, the portable suite in headless Chrome and under Node.js,
# wasm-pack as a user runs it, the chat example end to end, the loom models, the testssl.sh
# scan of tulipa's TLS server (`make tls-scan`), and the tour. Each test leg checks that it
# ran as many tests as the sources define, so a leg that silently runs nothing fails.
#
# Every leg runs even if an earlier one failed; the run ends with a summary and the line
# "T passed, F failed". Logs go to target/make-logs/.
#
#   scripts/test.sh              every leg
#   scripts/test.sh LEG...       some legs: fmt clippy clippy-wasm native chrome node
#                                wasm-pack-test wasm-pack-build chat loom tls-scan tour
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LOGS="$CARGO_TARGET_DIR/make-logs"
mkdir -p "$LOGS"

# Settings that would make the wasm runner skip tests or pick another browser or mode.
unset WASM_BINDGEN_USE_BROWSER WASM_BINDGEN_USE_NODE_EXPERIMENTAL WASM_BINDGEN_USE_DENO \
    WASM_BINDGEN_TEST_ONLY_NODE WASM_BINDGEN_TEST_ONLY_WEB GECKODRIVER SAFARIDRIVER NODE_ARGS

WEB_PACKAGES=(-p tulipa -p tulipa-web-tests -p tulipa-browser-example -p tulipa-chat-example)

# --- expected counts, from the sources ------------------------------------------------------

# The portable tests of tests/portable/ that run on a target (native or web): the
# portable_test!/sim_test! invocations not gated away from it, plus, natively, plain #[test]s.
portable_count() {
    awk -f scripts/count-portable.awk tests/portable/*.rs | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# #[test] attributes in the given files (a floor: macros may generate more).
test_attr_count() {
    (($#)) || { echo 0; return; }
    cat "$@" | grep -Ec '^[[:space:]]*#\[test\]' || true
}

# Whether a test file is compiled out of a native `cargo test` by a crate-level cfg: loom
# models (`#![cfg(loom)]`, run with RUSTFLAGS="--cfg loom") and wasm-only files.
native_cfg_off() {
    local gate
    gate=$(grep -E '^#!\[cfg\(' "$1" || true)
    [[ -n $gate ]] || return 1
    [[ $gate == *loom* ]] && return 0
    [[ $gate == *'target_arch = "wasm32"'* && $gate != *'not(target_arch = "wasm32")'* ]]
}

# The source files compiled into the native library, from the dep-info file of the unit-test
# binary that the native leg built (so files not wired in with `mod` yet do not count).
native_lib_files() {
    local bin
    bin=$(grep -oE 'Running unittests src/lib.rs \([^)]+\)' "$LOGS/native.log" | head -n1 |
        sed -E 's/.*\((.*)\)/\1/')
    [[ -n $bin && -f $bin.d ]] || return 1
    sed -n 's/^\(.*\.rs\):$/\1/p' "$bin.d" | xargs -r realpath -m --relative-to="$ROOT" |
        grep -E '^(src|targets)/' | sort -u
}

# "binary passed failed ignored" for every "test result:" line of a cargo test log.
results() {
    awk '
        /^ *Running unittests / { bin = $3 }
        /^ *Running [^ ]+\.rs / { bin = $2 }
        /^ *Doc-tests / { bin = "doctests" }
        /^test result:/ {
            p = f = i = 0
            for (k = 2; k <= NF; k++) {
                if ($k ~ /^passed/) p = $(k - 1)
                if ($k ~ /^failed/) f = $(k - 1)
                if ($k ~ /^ignored/) i = $(k - 1)
            }
            print bin, p, f, i
        }' "$1"
}

# --- legs ---------------------------------------------------------------------------------

declare -A PASSED=() FAILED=()
LEGS_RUN=()
LEGS_FAILED=()
PROBLEMS=()

problem() {
    PROBLEMS+=("[$CURRENT] $*")
    printf '\n!!! [%s] %s\n' "$CURRENT" "$*" >&2
}

# run NAME CMD...: runs one leg with its output shown and kept in target/make-logs/NAME.log.
run() {
    CURRENT=$1
    shift
    local log="$LOGS/$CURRENT.log" start=$SECONDS rc
    printf '\n==> [%s] %s\n' "$CURRENT" "$*"
    "$@" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    printf '<== [%s] exit %s after %ss\n' "$CURRENT" "$rc" "$((SECONDS - start))"
    LEGS_RUN+=("$CURRENT")
    ((rc == 0)) || problem "command failed (exit $rc); log: $log"
    return "$rc"
}

# A leg without test counts (formatting, lints, the tour): pass or fail.
finish_check() {
    if (($1 == 0)); then PASSED[$CURRENT]=0; else FAILED[$CURRENT]=1; LEGS_FAILED+=("$CURRENT"); fi
}

# Sums a leg's "test result:" lines into PASSED/FAILED and reports failures in them.
tally() {
    local log="$LOGS/$CURRENT.log" bin p f i sum_p=0 sum_f=0
    while read -r bin p f i; do
        sum_p=$((sum_p + p))
        sum_f=$((sum_f + f))
        ((f == 0)) || problem "$bin: $f failed"
    done < <(results "$log")
    PASSED[$CURRENT]=$sum_p
    FAILED[$CURRENT]=$sum_f
}

# expect_bin BIN OP N: the binary's passed (+ ignored) count compared with N (eq or ge).
expect_bin() {
    local want_bin=$1 op=$2 want=$3 got
    got=$(results "$LOGS/$CURRENT.log" | awk -v b="$want_bin" '$1 == b { n++; s += $2 + $4 } END { print n ? s : "none" }')
    if [[ $got == none ]]; then
        problem "$want_bin did not run (no 'test result' line for it)"
        return 1
    fi
    if [[ $op == eq && $got != "$want" ]] || ((got < want)); then
        problem "$want_bin ran $got tests; the sources define $([[ $op == eq ]] && echo exactly || echo at least) $want"
        return 1
    fi
    printf '    count check: %s ran %s tests (%s %s from the sources)\n' \
        "$want_bin" "$got" "$([[ $op == eq ]] && echo "=" || echo ">=")" "$want"
}

# Marks the leg failed if it had problems, or ran no tests at all.
close_leg() {
    local rc=$1 before=$2
    if ((${PASSED[$CURRENT]:-0} == 0)); then
        problem "no tests ran"
    fi
    if ((rc != 0 || ${#PROBLEMS[@]} > before)); then
        LEGS_FAILED+=("$CURRENT")
        # A failed leg counts as at least one failure, even if no test reported one.
        ((${FAILED[$CURRENT]:-0} > 0)) || FAILED[$CURRENT]=1
    fi
}

leg_fmt() {
    run fmt cargo fmt --all -- --check
    finish_check $?
}

leg_clippy() {
    run clippy cargo clippy --workspace --all-targets -- -D warnings
    finish_check $?
}

leg_clippy_wasm() {
    # Never --workspace on wasm: the benches crate and mio do not build for wasm32.
    run clippy-wasm cargo clippy "${WEB_PACKAGES[@]}" --target wasm32-unknown-unknown \
        --all-targets -- -D warnings
    finish_check $?
}

leg_native() {
    local before=${#PROBLEMS[@]} rc f
    # --no-fail-fast: every test binary runs and reports, not only those before a failure.
    run native cargo test -p tulipa --no-fail-fast
    rc=$?
    tally
    # Unit tests, each integration test file, the doctests: all must have run.
    local sources
    if ! sources=$(native_lib_files); then
        problem "no dep-info for the unit-test binary: cannot count the library's tests"
        sources=""
    fi
    # shellcheck disable=SC2086
    expect_bin src/lib.rs ge "$(test_attr_count $sources)"
    expect_bin tests/portable.rs eq "$(portable_count native)"
    for f in tests/*.rs; do
        [[ $f == tests/portable.rs ]] && continue
        if native_cfg_off "$f"; then
            expect_bin "$f" ge 0 # built (compiled out by its cfg), so no tests to count
        else
            expect_bin "$f" ge "$(test_attr_count "$f")"
        fi
    done
    # shellcheck disable=SC2086
    expect_bin doctests ge "$([[ -n $sources ]] && awk -f scripts/count-doctests.awk $sources || echo 0)"
    close_leg "$rc" "$before"
}

wasm_test_env=(
    env CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
    WASM_BINDGEN_TEST_TIMEOUT=120
)

# The browser test files of web-tests/tests/: all but node.rs. Each must be marked
# run_in_browser: a browser run silently skips a file that is not.
browser_test_files() {
    local f
    for f in web-tests/tests/*.rs; do
        [[ $f == web-tests/tests/node.rs ]] && continue
        echo "$f"
    done
}

# Expected counts of a browser run of web-tests: tests/portable.rs runs every portable body;
# every other file at least as many tests as it has #[wasm_bindgen_test] attributes.
expect_browser_bins() {
    local f n
    for f in $(browser_test_files); do
        if ! grep -q 'run_in_browser' "$f"; then
            problem "$f is not marked run_in_browser: browser runs skip it (add wasm_bindgen_test_configure!(run_in_browser))"
            continue
        fi
        if [[ $f == web-tests/tests/portable.rs ]]; then
            expect_bin tests/portable.rs eq "$(portable_count web)"
        else
            n=$(grep -Ec '^[[:space:]]*#\[(wasm_bindgen_test::)?wasm_bindgen_test\]' "$f" || true)
            expect_bin "tests/${f##*/}" ge "$n"
        fi
    done
}

# The native WebSocket echo server that web-tests/tests/web_ws.rs talks to, on loopback at
# a fixed port (the URL is compiled into the test binary: TULIPA_WS_ECHO_URL). Started
# before a browser leg, stopped after it.
WS_ECHO_ADDR=127.0.0.1:9301
export TULIPA_WS_ECHO_URL="ws://$WS_ECHO_ADDR"
WS_ECHO_PID=

start_ws_echo() {
    cargo build --quiet --example ws_echo_server || { problem "could not build the ws echo server"; return 1; }
    "$CARGO_TARGET_DIR/debug/examples/ws_echo_server" "$WS_ECHO_ADDR" >"$LOGS/ws-echo.log" 2>&1 &
    WS_ECHO_PID=$!
    local i
    for i in $(seq 100); do
        grep -q 'listening on' "$LOGS/ws-echo.log" && return 0
        kill -0 "$WS_ECHO_PID" 2>/dev/null || break
        sleep 0.1
    done
    problem "the ws echo server did not start on $WS_ECHO_ADDR (port taken?): $(cat "$LOGS/ws-echo.log")"
    return 1
}

stop_ws_echo() {
    [[ -n $WS_ECHO_PID ]] || return 0
    kill "$WS_ECHO_PID" 2>/dev/null
    wait "$WS_ECHO_PID" 2>/dev/null
    WS_ECHO_PID=
}
trap stop_ws_echo EXIT

leg_chrome() {
    local before=${#PROBLEMS[@]} rc
    CURRENT=chrome
    start_ws_echo
    # Every browser file of web-tests (ONLY_WEB skips node.rs, which the node leg runs);
    # --tests, not a doctest run: doctests are vacuous on wasm32.
    run chrome "${wasm_test_env[@]}" CHROMEDRIVER="$(command -v chromedriver)" \
        WASM_BINDGEN_TEST_ONLY_WEB=1 \
        cargo test -p tulipa-web-tests --target wasm32-unknown-unknown --tests --no-fail-fast
    rc=$?
    stop_ws_echo
    tally
    expect_browser_bins
    close_leg "$rc" "$before"
}

leg_node() {
    local before=${#PROBLEMS[@]} rc
    # tests/node.rs is not marked run_in_browser, so the runner uses Node. A test that never
    # completes would pass there; the preloaded watchdog fails the run instead.
    run node "${wasm_test_env[@]}" NODE_ARGS="--require=$ROOT/web-tests/watchdog.cjs" \
        cargo test -p tulipa-web-tests --target wasm32-unknown-unknown --test node
    rc=$?
    tally
    expect_bin tests/node.rs eq "$(portable_count web)"
    grep -q 'tulipa node watchdog armed' "$LOGS/node.log" ||
        problem "the Node watchdog was not loaded (NODE_ARGS ignored?)"
    close_leg "$rc" "$before"
}

# wasm-pack uses the wasm-bindgen CLI on PATH only if its version matches the crate's;
# otherwise it says "Installing wasm-bindgen..." and tries to download or build its own.
wasm_pack_used_path_tools() {
    if grep -q 'Installing wasm-bindgen' "$LOGS/$CURRENT.log"; then
        problem "wasm-pack installed its own wasm-bindgen: the CLI on PATH does not match the crate"
    fi
}

leg_wasm_pack_test() {
    local before=${#PROBLEMS[@]} rc
    CURRENT=wasm-pack-test
    start_ws_echo
    # As a user runs it. wasm-pack skips tests/node.rs here (it runs browser tests only).
    run wasm-pack-test wasm-pack test --headless --chrome web-tests
    rc=$?
    stop_ws_echo
    tally
    expect_browser_bins
    wasm_pack_used_path_tools
    close_leg "$rc" "$before"
}

leg_wasm_pack_build() {
    local rc
    # The browser example as a user builds it (wasm-opt is off in its Cargo.toml; --no-opt
    # says so again), then the built module is run in Node and the page in headless Chromium.
    rm -rf examples/browser/pkg
    run wasm-pack-build wasm-pack build --target web --no-opt examples/browser
    rc=$?
    if ((rc == 0)); then
        local before=${#PROBLEMS[@]}
        wasm_pack_used_path_tools
        ((${#PROBLEMS[@]} == before)) || rc=1
    fi
    if ((rc == 0)); then
        node examples/browser/check.mjs 2>&1 | tee -a "$LOGS/wasm-pack-build.log"
        rc=${PIPESTATUS[0]}
        ((rc == 0)) || problem "examples/browser/check.mjs failed"
    fi
    finish_check "$rc"
}

leg_chat() {
    local rc
    # The chat example end to end: the browser client built as a user builds it, the native
    # server and CLI, then two headless Chromium pages and the CLI exchange messages
    # (examples/chat/e2e.mjs drives chromedriver over WebDriver).
    rm -rf examples/chat/pkg
    CURRENT=chat
    run chat bash -c 'wasm-pack build --target web --no-opt examples/chat &&
        cargo build -p tulipa-chat-example --bins &&
        node examples/chat/e2e.mjs "$CARGO_TARGET_DIR/debug"'
    rc=$?
    if ((rc == 0)); then
        wasm_pack_used_path_tools
        grep -q 'chat e2e: OK' "$LOGS/chat.log" || { problem "the chat e2e did not report OK"; rc=1; }
    fi
    finish_check "$rc"
}

leg_loom() {
    local before=${#PROBLEMS[@]} rc f
    # loom models of the cross-thread primitives (sync, queues and channels, the settable
    # future), in release with --cfg loom, in their own target dir so that the normal build
    # cache stays valid.
    run loom env CARGO_TARGET_DIR="$CARGO_TARGET_DIR/loom" RUSTFLAGS="--cfg loom" \
        cargo test --release -p tulipa --test loom_sync --test loom_queue --test loom_future
    rc=$?
    tally
    for f in loom_sync loom_queue loom_future; do
        expect_bin "tests/$f.rs" eq "$(grep -c '#\[test\]' "$ROOT/tests/$f.rs")"
    done
    close_leg "$rc" "$before"
}

leg_tls_scan() {
    local rc
    # `make tls-scan`: testssl.sh against examples/tls_server (tulipa's default
    # ServerConfig). scripts/tls-scan.sh exits non-zero if the scan could not run or
    # scripts/tls-scan-check.py judged it unclean; the checker's own summary line must also
    # say that every check passed, so a script that stopped early cannot pass the leg.
    # Takes two to three minutes.
    run tls-scan scripts/tls-scan.sh
    rc=$?
    if ((rc == 0)) && ! grep -qE '^tls-scan: [1-9][0-9]* checks passed, 0 failed' "$LOGS/tls-scan.log"; then
        problem "the scan's checker (scripts/tls-scan-check.py) did not report a clean scan"
        rc=1
    fi
    finish_check "$rc"
}

leg_tour() {
    local rc
    run tour cargo run --quiet --example tour
    rc=$?
    if ((rc == 0)) && ! grep -q 'End of the tour' "$LOGS/tour.log"; then
        problem "the tour did not reach its end"
        rc=1
    fi
    finish_check "$rc"
}

ALL=(fmt clippy clippy-wasm native chrome node wasm-pack-test wasm-pack-build chat loom tls-scan tour)
SELECTED=("$@")
((${#SELECTED[@]})) || SELECTED=("${ALL[@]}")
START=$SECONDS
for leg in "${SELECTED[@]}"; do
    case $leg in
    fmt | clippy | clippy-wasm | native | chrome | node | wasm-pack-test | wasm-pack-build | chat | loom | tls-scan | tour)
        "leg_${leg//-/_}"
        ;;
    *)
        echo "unknown leg '$leg'; legs: ${ALL[*]}" >&2
        exit 2
        ;;
    esac
done

# --- summary ------------------------------------------------------------------------------
printf '\n==== summary (%ss) ====\n' "$((SECONDS - START))"
for leg in "${LEGS_RUN[@]}"; do
    status=ok
    [[ " ${LEGS_FAILED[*]} " == *" $leg "* ]] && status=FAILED
    if [[ $leg =~ ^(native|chrome|node|wasm-pack-test|loom)$ ]]; then
        printf '  %-16s %-6s %s passed, %s failed\n' "$leg" "$status" "${PASSED[$leg]:-0}" "${FAILED[$leg]:-0}"
    else
        printf '  %-16s %s\n' "$leg" "$status"
    fi
done
for p in "${PROBLEMS[@]}"; do
    printf '  problem: %s\n' "$p"
done
total_passed=0
total_failed=0
for leg in "${LEGS_RUN[@]}"; do
    total_passed=$((total_passed + ${PASSED[$leg]:-0}))
    total_failed=$((total_failed + ${FAILED[$leg]:-0}))
done
line=()
for leg in native chrome node wasm-pack-test loom; do
    [[ -v "PASSED[$leg]" ]] || continue
    case $leg in
    native) line+=("native: ${PASSED[$leg]} passed") ;;
    chrome) line+=("web(chrome): ${PASSED[$leg]} passed") ;;
    node) line+=("web(node): ${PASSED[$leg]} passed") ;;
    wasm-pack-test) line+=("wasm-pack(chrome): ${PASSED[$leg]} passed") ;;
    loom) line+=("loom: ${PASSED[$leg]} models passed") ;;
    esac
done
if ((${#line[@]})); then
    (IFS=,; printf '%s\n' "${line[*]}" | sed 's/,/, /g')
fi
echo "$total_passed passed, $total_failed failed"
((total_failed == 0 && ${#LEGS_FAILED[@]} == 0))
