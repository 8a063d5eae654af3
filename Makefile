# tulipa's checks. On a fresh machine, `make test` installs what is missing, then runs
# everything; run it again and the installs are skipped.
#
#   make test        setup, then fmt, clippy (native + wasm), native tests + doctests, the
#                    portable suite in headless Chrome and under Node.js, wasm-pack (test and
#                    build of examples/browser), the chat example end to end, the loom models,
#                    the testssl.sh scan (tls-scan), the tour; ends with "T passed, F failed"
#   make setup       install what is missing (see scripts/setup.sh)
#   make web-check   wasm-pack test --headless --chrome web-tests + wasm-pack build of
#                    examples/browser, then run the built page in Node and headless Chromium
#   make loom        the loom models of the cross-thread primitives (also a leg of make test)
#   make coverage    native line coverage of the tulipa crate (cargo-llvm-cov)
#   make tour        cargo run --example tour
#   make bench       cargo run --release -p tulipa-benches (installs wrk first if missing)
#   make bench-instructions  the cooperative budget's cost in instructions (cachegrind; budget
#                    on vs off on pingpong and channel), free of the machine's noise
#   make bench-browser  the WebSocket echo in headless Chromium: tulipa::ws vs a plain
#                    wasm-bindgen-futures + web-sys client (rates and wasm sizes)
#   make fuzz        the cargo-fuzz targets of fuzz/ (WebSocket frames and handshake, the
#                    differential codec check against tungstenite, TLS sessions fed
#                    arbitrary peer bytes), each for FUZZ_SECS seconds (default 60)
#   make miri        the portable sim_test! bodies under Miri (nightly; see scripts/miri.sh)
#   make legs LEGS="native chrome"   some of the legs of `make test` (see scripts/test.sh)
#   make tls-scan    testssl.sh against examples/tls_server (tulipa's default ServerConfig) on
#                    loopback; fails on a finding at MEDIUM+, a protocol other than TLS 1.2/1.3
#                    or a suite that is not forward-secret AEAD (report in target/tls-scan/);
#                    also the tls-scan leg of make test
#   make sanitize    the native tests under AddressSanitizer + LeakSanitizer (nightly,
#                    -Zbuild-std, target/asan); SANITIZE="--test rt_native" for a subset
#   make soak SECS=600  TCP/TLS/WebSocket echo and subprocess churn on one runtime for SECS
#                    seconds (default 600, at least 60), RSS and fds sampled every 10 s; fails
#                    on any error or > 5 % growth after warm-up (examples/soak.rs, scripts/soak.sh)

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CARGO_HOME ?= $(HOME)/.cargo
export PATH := $(CARGO_HOME)/bin:$(PATH)
# One target/ for every crate and every leg (the workspace's own).
export CARGO_TARGET_DIR := $(ROOT)/target

# The one place the wasm-bindgen version is kept is web-tests/Cargo.toml's
# `wasm-bindgen = "=X"` pin (the library itself takes a range); setup checks that every other
# pin (and Cargo.lock) agrees.
export WASM_BINDGEN_VERSION := $(shell sed -n 's/^wasm-bindgen = "=\([0-9][0-9.]*\)".*/\1/p' $(ROOT)/web-tests/Cargo.toml | head -n1)
export WASM_PACK_VERSION := 0.15.1
export LLVM_COV_VERSION := 0.9.1

ifeq ($(WASM_BINDGEN_VERSION),)
$(error could not read the wasm-bindgen = "=X" pin from $(ROOT)/web-tests/Cargo.toml)
endif

.PHONY: test setup setup-coverage web-check coverage tour bench bench-instructions bench-browser legs loom fuzz miri

FUZZ_SECS ?= 60
FUZZ_TARGETS := ws_frames ws_handshake ws_differential tls_session

setup:
	@$(ROOT)/scripts/setup.sh all

test: setup
	@$(ROOT)/scripts/test.sh

legs: setup
	@$(ROOT)/scripts/test.sh $(LEGS)

web-check: setup
	@$(ROOT)/scripts/test.sh wasm-pack-test wasm-pack-build

loom: setup
	@$(ROOT)/scripts/test.sh loom

bench-browser: setup
	cd $(ROOT) && for v in tulipa-ws plain; do \
		wasm-pack build --release --target web --no-opt --out-dir pkg-$$v benches/browser -- --features $$v || exit 1; \
	done
	cd $(ROOT) && cargo build --release --example ws_echo_server
	cd $(ROOT) && node benches/browser/bench.mjs $(CARGO_TARGET_DIR)/release/examples/ws_echo_server 5

# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP=1 lets the stable toolchain take them.
# Its own target dir: the fuzzing build flags would invalidate the normal cache.
fuzz:
	@$(ROOT)/scripts/setup.sh fuzz
	cd $(ROOT)/fuzz && for t in $(FUZZ_TARGETS); do \
		CARGO_TARGET_DIR=$(ROOT)/target/fuzz RUSTC_BOOTSTRAP=1 cargo fuzz run $$t -- \
			-max_total_time=$(FUZZ_SECS) -timeout=10 || exit 1; \
	done

# Miri on the deterministic-host test bodies (the list and what is left out: scripts/miri.sh).
miri:
	@$(ROOT)/scripts/miri.sh

setup-coverage:
	@$(ROOT)/scripts/setup.sh coverage

coverage: setup-coverage
	cd $(ROOT) && cargo llvm-cov -p tulipa --summary-only | tee $(CARGO_TARGET_DIR)/coverage-summary.txt
	@awk '/^TOTAL/ { printf "tulipa native line coverage: %s (%s of %s lines not covered)\n", $$10, $$9, $$8 }' \
		$(CARGO_TARGET_DIR)/coverage-summary.txt

tour:
	cd $(ROOT) && cargo run --example tour

bench:
	@$(ROOT)/scripts/setup.sh bench
	cd $(ROOT) && cargo run --release -p tulipa-benches

bench-instructions:
	@$(ROOT)/scripts/bench-instructions.sh

# --- independent checks: testssl.sh scan, AddressSanitizer, soak ---------------------------
.PHONY: tls-scan sanitize soak
SANITIZE ?=
SECS ?= 600

tls-scan: setup
	@$(ROOT)/scripts/tls-scan.sh

sanitize:
	@$(ROOT)/scripts/sanitize.sh $(SANITIZE)

soak:
	@$(ROOT)/scripts/soak.sh $(SECS)
