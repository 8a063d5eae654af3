#!/usr/bin/env bash
# `make tls-scan` (also the tls-scan leg of `make test`): testssl.sh, an independent TLS
# scanner, against tulipa's default ServerConfig. examples/tls_server.rs runs on loopback
# with a self-signed certificate for localhost that it makes at start-up (trusted here with
# --add-ca); testssl.sh runs its default scan (protocols, cipher categories, forward
# secrecy, server preferences and defaults, certificate, vulnerabilities, client
# simulation) and writes JSON and CSV to target/tls-scan/; scripts/tls-scan-check.py then
# fails the run on any finding at MEDIUM or above, on a protocol other than TLS 1.2/1.3,
# on a suite that is not forward secret AEAD, or on a report that is missing findings.
# Takes two to three minutes.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="$CARGO_TARGET_DIR/tls-scan"
mkdir -p "$OUT"
# testssl.sh refuses to overwrite its output files.
rm -f "$OUT"/scan.json "$OUT"/scan.csv "$OUT"/scan.log "$OUT"/server.out "$OUT"/cert.pem "$OUT"/stdin

die() { printf 'tls-scan: ERROR: %s\n' "$*" >&2; exit 1; }
command -v testssl >/dev/null 2>&1 || die "testssl (Debian package testssl.sh) is not on PATH: run make setup"
command -v python3 >/dev/null 2>&1 || die "python3 is not on PATH: run make setup"

cargo build --quiet --example tls_server || die "building examples/tls_server.rs failed"

# The server exits when its stdin reaches end of file, which happens when this script (the
# only writer of the fifo) exits, however it exits; its own 600 s limit is the backstop.
mkfifo "$OUT/stdin"
"$CARGO_TARGET_DIR/debug/examples/tls_server" 127.0.0.1:0 600 "$OUT/cert.pem" \
    <"$OUT/stdin" >"$OUT/server.out" 2>&1 &
SERVER=$!
exec 3>"$OUT/stdin"
trap 'exec 3>&-; kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null' EXIT

port=
for _ in $(seq 100); do
    port=$(sed -n 's/^PORT \([0-9]*\)$/\1/p' "$OUT/server.out")
    [[ -n $port ]] && break
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.1
done
[[ -n $port ]] || die "the example server did not start: $(cat "$OUT/server.out")"

start=$SECONDS
echo "tls-scan: testssl against tulipa's examples/tls_server on localhost:$port (log: $OUT/scan.log)"
# --ip: scan loopback, not whatever localhost resolves to first; --warnings off: no
# interactive questions; --color 0: a plain log.
timeout 600 testssl --quiet --color 0 --warnings off --ip 127.0.0.1 \
    --add-ca "$OUT/cert.pem" --jsonfile "$OUT/scan.json" --csvfile "$OUT/scan.csv" \
    "localhost:$port" >"$OUT/scan.log" 2>&1
rc=$?
took=$((SECONDS - start))
# testssl's exit status is not a verdict (it counts oddities); the checker judges.
[[ -s $OUT/scan.json ]] || die "testssl wrote no JSON (exit $rc after ${took}s); see $OUT/scan.log"
kill -0 "$SERVER" 2>/dev/null || die "the example server died during the scan: $(cat "$OUT/server.out")"
python3 scripts/tls-scan-check.py "$OUT/scan.json"
verdict=$?
echo "tls-scan: testssl took ${took}s (exit $rc); report: $OUT/scan.json, $OUT/scan.csv"
exit "$verdict"
