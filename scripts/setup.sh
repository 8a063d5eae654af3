#!/usr/bin/env bash
# Installs what `make test` needs and skips what is present, checking versions: run it as
# often as you like. Called by `make setup` (and `make setup-coverage` with `coverage`).
#
#   scripts/setup.sh           the wasm target, rustfmt + clippy, wasm-bindgen-cli,
#                              Chromium + chromedriver, Node.js, wasm-pack, python websockets,
#                              the native tests' peers (openssl, gnutls-bin, testssl.sh,
#                              socat, netcat-openbsd, iproute2, python3)
#   scripts/setup.sh coverage  llvm-tools-preview + cargo-llvm-cov
#   scripts/setup.sh bench     wrk (the load generator of the benches' http workload)
#
# Versions come from the Makefile (WASM_BINDGEN_VERSION is read from web-tests/Cargo.toml);
# run this through make. Debian packages are installed with apt-get when missing, which needs
# root (as on CI).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

: "${WASM_BINDGEN_VERSION:?run this through make (the Makefile reads it from web-tests/Cargo.toml)}"
: "${WASM_PACK_VERSION:?run this through make}"
: "${LLVM_COV_VERSION:?run this through make}"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

say() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# The version a tool reports (`tool --version` -> its last word), or nothing if absent.
tool_version() {
    command -v "$1" >/dev/null 2>&1 || return 0
    "$1" --version 2>/dev/null | head -n1 | awk '{print $NF}'
}

# --- version pins -----------------------------------------------------------------------
# The wasm-bindgen CLI must match the crate exactly, so every test, example and bench crate
# pins the crate with `=X` and X is the same everywhere (and in Cargo.lock); the library
# itself takes a caret range, so it must not pin.
check_pins() {
    local manifest pin bad=0
    if grep -q '^wasm-bindgen = "=' Cargo.toml; then
        printf 'setup: ERROR: the library pins wasm-bindgen exactly; it takes a range\n' >&2
        bad=1
    fi
    for manifest in web-tests/Cargo.toml examples/browser/Cargo.toml examples/chat/Cargo.toml benches/browser/Cargo.toml; do
        [[ -f $manifest ]] || continue
        while IFS= read -r pin; do
            if [[ $pin != "=$WASM_BINDGEN_VERSION" ]]; then
                printf 'setup: ERROR: %s pins wasm-bindgen = "%s", web-tests/Cargo.toml pins "=%s"\n' \
                    "$manifest" "$pin" "$WASM_BINDGEN_VERSION" >&2
                bad=1
            fi
        done < <(sed -n 's/^wasm-bindgen = "\([^"]*\)".*/\1/p' "$manifest")
    done
    if [[ -f Cargo.lock ]]; then
        local locked
        locked=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print}' Cargo.lock)
        for pin in $locked; do
            if [[ $pin != "$WASM_BINDGEN_VERSION" ]]; then
                printf 'setup: ERROR: Cargo.lock has wasm-bindgen %s, the pin is =%s\n' \
                    "$pin" "$WASM_BINDGEN_VERSION" >&2
                bad=1
            fi
        done
    fi
    ((bad == 0)) || die "make the wasm-bindgen pins agree (they must equal the CLI version)"
    say "wasm-bindgen pinned at =$WASM_BINDGEN_VERSION everywhere"
}

# --- rustup -----------------------------------------------------------------------------
setup_rustup() {
    command -v rustup >/dev/null 2>&1 || die "rustup not found: install Rust with rustup first"
    if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "wasm32-unknown-unknown target: present"
    else
        say "installing the wasm32-unknown-unknown target"
        rustup target add wasm32-unknown-unknown || die "rustup target add wasm32-unknown-unknown failed"
    fi
    local c installed missing=()
    installed=$(rustup component list --installed)
    for c in rustfmt clippy; do
        grep -q "^$c" <<<"$installed" || missing+=("$c")
    done
    if ((${#missing[@]})); then
        say "installing rustup components: ${missing[*]}"
        rustup component add "${missing[@]}" || die "rustup component add ${missing[*]} failed"
    else
        say "rustfmt, clippy: present"
    fi
}

# --- cargo-installed tools ----------------------------------------------------------------
setup_wasm_bindgen() {
    local v1 v2
    v1=$(tool_version wasm-bindgen)
    v2=$(tool_version wasm-bindgen-test-runner)
    if [[ $v1 == "$WASM_BINDGEN_VERSION" && $v2 == "$WASM_BINDGEN_VERSION" ]]; then
        say "wasm-bindgen-cli $WASM_BINDGEN_VERSION: present"
        return
    fi
    say "installing wasm-bindgen-cli =$WASM_BINDGEN_VERSION (found: '${v1:-none}'; takes a few minutes)"
    # Not --locked: the CLI's lockfile pins a crate version the registry no longer has.
    cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION" ||
        die "cargo install wasm-bindgen-cli --version =$WASM_BINDGEN_VERSION failed (see above)"
    v1=$(tool_version wasm-bindgen)
    v2=$(tool_version wasm-bindgen-test-runner)
    [[ $v1 == "$WASM_BINDGEN_VERSION" && $v2 == "$WASM_BINDGEN_VERSION" ]] ||
        die "wasm-bindgen-cli $WASM_BINDGEN_VERSION installed, but PATH finds $(command -v wasm-bindgen) at '$v1'"
}

setup_wasm_pack() {
    local v
    v=$(tool_version wasm-pack)
    if [[ $v == "$WASM_PACK_VERSION" ]]; then
        say "wasm-pack $WASM_PACK_VERSION: present"
        return
    fi
    say "installing wasm-pack =$WASM_PACK_VERSION (found: '${v:-none}'; takes a few minutes)"
    cargo install --locked wasm-pack --version "=$WASM_PACK_VERSION" ||
        die "cargo install --locked wasm-pack --version =$WASM_PACK_VERSION failed (see above)"
    v=$(tool_version wasm-pack)
    [[ $v == "$WASM_PACK_VERSION" ]] || die "wasm-pack $WASM_PACK_VERSION installed, but PATH finds '$v'"
}

setup_coverage() {
    if rustup component list --installed | grep -q '^llvm-tools'; then
        say "llvm-tools-preview: present"
    else
        say "installing llvm-tools-preview"
        rustup component add llvm-tools-preview || die "rustup component add llvm-tools-preview failed"
    fi
    local v
    v=$(cargo llvm-cov --version 2>/dev/null | awk '{print $NF}' || true)
    if [[ $v == "$LLVM_COV_VERSION" ]]; then
        say "cargo-llvm-cov $LLVM_COV_VERSION: present"
        return
    fi
    say "installing cargo-llvm-cov =$LLVM_COV_VERSION (found: '${v:-none}'; takes a few minutes)"
    cargo install --locked cargo-llvm-cov --version "=$LLVM_COV_VERSION" ||
        die "cargo install --locked cargo-llvm-cov --version =$LLVM_COV_VERSION failed (see above)"
    v=$(cargo llvm-cov --version 2>/dev/null | awk '{print $NF}' || true)
    [[ $v == "$LLVM_COV_VERSION" ]] || die "cargo-llvm-cov $LLVM_COV_VERSION installed, but cargo finds '$v'"
}

CARGO_FUZZ_VERSION=0.13.2
setup_fuzz() {
    local v
    v=$(cargo fuzz --version 2>/dev/null | awk '{print $NF}' || true)
    if [[ $v == "$CARGO_FUZZ_VERSION" ]]; then
        say "cargo-fuzz $CARGO_FUZZ_VERSION: present"
        return
    fi
    say "installing cargo-fuzz =$CARGO_FUZZ_VERSION (found: '${v:-none}'; takes a minute)"
    cargo install --locked cargo-fuzz --version "=$CARGO_FUZZ_VERSION" ||
        die "cargo install --locked cargo-fuzz --version =$CARGO_FUZZ_VERSION failed (see above)"
}

# --- Debian packages ------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
    if [[ $(id -u) != 0 ]]; then
        die "missing Debian packages: $*; install them as root: apt-get install -y $*"
    fi
    command -v apt-get >/dev/null 2>&1 || die "missing $*, and no apt-get to install them with"
    say "installing Debian packages: $*"
    if ((APT_UPDATED == 0)); then
        DEBIAN_FRONTEND=noninteractive apt-get update
        APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y "$@" </dev/null
}

# Major version from output such as "Chromium 142.0.7444.175 built on Debian ...".
major() { grep -oE '[0-9]+\.[0-9.]+' | head -n1 | cut -d. -f1; }

setup_chrome() {
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
    if ((${#missing[@]})); then
        # Both, so the browser and the driver come from the same Debian version.
        apt_install chromium chromium-driver
    fi
    command -v chromium >/dev/null 2>&1 || die "chromium still not on PATH after installing it"
    command -v chromedriver >/dev/null 2>&1 || die "chromedriver still not on PATH after installing it"
    local browser driver
    browser=$(chromium --version 2>/dev/null | major)
    driver=$(chromedriver --version 2>/dev/null | major)
    [[ -n $browser && $browser == "$driver" ]] ||
        die "chromium ($browser) and chromedriver ($driver) differ: reinstall both: apt-get install -y chromium chromium-driver"
    say "chromium + chromedriver $browser: present"
}

setup_node() {
    local v
    if ! command -v node >/dev/null 2>&1; then
        apt_install nodejs
    fi
    v=$(node --version 2>/dev/null | tr -d v | cut -d. -f1)
    # wasm-bindgen-test-runner and tulipa's web backend need ES modules, MessageChannel,
    # performance.now and setTimeout: Node 18 (Debian 12's) or later.
    [[ -n $v && $v -ge 18 ]] || die "Node.js >= 18 is needed, found '$(node --version 2>&1)'"
    say "node $(node --version): present"
}

# The Python `websockets` package: an independent WebSocket peer for tests/ws_interop.rs.
WEBSOCKETS_VERSION=17.4
setup_python_websockets() {
    command -v python3 >/dev/null 2>&1 || apt_install python3 python3-pip
    # tests/ws_peer/peer.py uses the websockets.asyncio API (websockets 13 or later; Debian
    # 12's python3-websockets is 10.4), so it comes from PyPI.
    if python3 -c 'import websockets.asyncio.server' >/dev/null 2>&1; then
        say "python websockets $(python3 -c 'import websockets; print(websockets.__version__)'): present"
        return
    fi
    python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
    say "installing python websockets==$WEBSOCKETS_VERSION"
    python3 -m pip install --quiet "websockets==$WEBSOCKETS_VERSION" ||
        python3 -m pip install --quiet --break-system-packages "websockets==$WEBSOCKETS_VERSION" ||
        die "pip install websockets failed"
}

# The independent peers of the native tests: openssl s_server/s_client and Python's ssl +
# asyncio (tests/tls_interop.rs, tests/transport_native.rs), gnutls-cli/gnutls-serv
# (tests/tls_gnutls.rs), testssl.sh (`make tls-scan`), socat and nc (tests/net_interop.rs),
# iproute2's `ip netns`, and the programs tests/process_*.rs run as children. A test whose
# peer is missing fails (it never passes without having run), so they are all installed here.
setup_tls_peers() {
    local missing=()
    command -v openssl >/dev/null 2>&1 || missing+=(openssl)
    command -v gnutls-cli >/dev/null 2>&1 || missing+=(gnutls-bin)
    command -v gnutls-serv >/dev/null 2>&1 || missing+=(gnutls-bin)
    command -v testssl >/dev/null 2>&1 || missing+=(testssl.sh)
    command -v python3 >/dev/null 2>&1 || missing+=(python3)
    command -v socat >/dev/null 2>&1 || missing+=(socat)
    command -v nc >/dev/null 2>&1 || missing+=(netcat-openbsd)
    # `ip netns` for the blackholed connect of tests/net_connect_timeout.rs.
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    if ((${#missing[@]})); then
        # shellcheck disable=SC2046
        apt_install $(printf '%s\n' "${missing[@]}" | sort -u)
    fi
    local p
    for p in openssl gnutls-cli gnutls-serv testssl socat nc ip python3; do
        command -v "$p" >/dev/null 2>&1 || die "$p is still not on PATH after installing it"
    done
    for p in sh cat tr wc head yes sleep; do
        command -v "$p" >/dev/null 2>&1 || die "$p is missing (coreutils): the process tests run it"
    done
    say "openssl, gnutls-bin, testssl.sh, python3, socat, nc, iproute2 and coreutils (test peers): present"
}

case "${1:-all}" in
all)
    check_pins
    setup_rustup
    setup_chrome
    setup_node
    setup_tls_peers
    setup_wasm_bindgen
    setup_wasm_pack
    setup_python_websockets
    ;;
coverage)
    setup_coverage
    ;;
bench)
    command -v wrk >/dev/null 2>&1 || apt_install wrk
    say "wrk: present"
    ;;
fuzz)
    setup_fuzz
    ;;
pins)
    check_pins
    ;;
*)
    die "usage: $0 [all|coverage|bench|fuzz|pins]"
    ;;
esac
