#!/usr/bin/env python3
"""Judges a testssl.sh JSON report (--jsonfile) of tulipa's example TLS server.

The rules (`make tls-scan`):
  * no finding at MEDIUM severity or above (nor a FATAL or WARN: a scan that could not
    finish proves nothing);
  * TLS 1.2 and 1.3 offered, SSLv2, SSLv3, TLS 1.0 and 1.1 not offered;
  * every offered cipher suite forward secret (ECDHE/DHE, or TLS 1.3) and AEAD (GCM,
    ChaCha20-Poly1305, CCM), and the server's order decides;
  * the findings that prove the scan ran are present (so an empty or cut-short report
    fails instead of passing).

Prints one line per check, then `tls-scan: P checks passed, F failed (N findings)`; exits
non-zero if any check failed.

    scripts/tls-scan-check.py target/tls-scan/scan.json
"""
import json
import re
import sys

FAILING_SEVERITIES = {"MEDIUM", "HIGH", "CRITICAL", "FATAL", "WARN"}
# Findings a complete default scan of a TLS 1.2 + 1.3 server always has.
REQUIRED = [
    "SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3",
    "cipherlist_NULL", "cipherlist_aNULL", "cipherlist_EXPORT", "cipherlist_LOW",
    "cipherlist_3DES_IDEA", "cipherlist_AVERAGE", "cipherlist_STRONG",
    "PFS", "cipher_order", "cipherorder_TLSv1_2", "cipherorder_TLSv1_3",
    "cert_trust", "cert_chain_of_trust", "cert_validityPeriod", "cert_crlDistributionPoints",
    "heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego", "secure_client_renego",
    "CRIME_TLS", "POODLE_SSL", "fallback_SCSV", "SWEET32", "FREAK", "DROWN", "LOGJAM",
    "BEAST", "LUCKY13", "RC4",
]
# AEAD bulk ciphers as testssl.sh names them in its cipher lines ("Encryption" column).
AEAD = {"AESGCM", "ChaCha20", "AESCCM", "AESCCM8", "ARIAGCM", "CAMELLIAGCM"}
# Key exchanges with forward secrecy as testssl.sh names them ("ECDH 253", "DH 2048").
FORWARD_SECRET = re.compile(r"^(ECDH|DH)\b")
TLS13_SUITES = re.compile(r"^TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256|AES_128_CCM(_8)?_SHA256)$")
TLS12_SUITES = re.compile(r"^(ECDHE|DHE)-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305|AES(128|256)-CCM8?)$")


def main(path):
    with open(path) as f:
        findings = json.load(f)
    if isinstance(findings, dict):  # --jsonfile-pretty
        findings = [f for scan in findings.get("scanResult", []) for k, v in scan.items()
                    if isinstance(v, list) for f in v]
    by_id = {}
    for f in findings:
        by_id.setdefault(f["id"], []).append(f)

    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
            print(f"  ok    {what}")
        else:
            failed += 1
            print(f"  FAIL  {what}")

    def finding(fid):
        return by_id[fid][0]["finding"] if fid in by_id else None

    for fid in REQUIRED:
        check(fid in by_id, f"{fid} was tested")

    for f in findings:
        sev = f.get("severity", "")
        check(sev not in FAILING_SEVERITIES, f"{sev:8} {f['id']}: {f.get('finding', '')}")

    for fid in ["SSLv2", "SSLv3", "TLS1", "TLS1_1"]:
        v = finding(fid)
        check(v is not None and v.startswith("not offered"), f"{fid} not offered ({v})")
    for fid in ["TLS1_2", "TLS1_3"]:
        v = finding(fid)
        check(v is not None and v.startswith("offered"), f"{fid} offered ({v})")
    for fid in ["cipherorder_SSLv3", "cipherorder_TLSv1", "cipherorder_TLSv1_1"]:
        check(fid not in by_id, f"no {fid} (no suites for an old protocol)")

    check(finding("cipher_order") == "server", f"the server's cipher order decides ({finding('cipher_order')})")
    check(finding("PFS") == "offered", f"forward secrecy offered ({finding('PFS')})")

    # Each suite the scan saw offered, in testssl.sh's cipher line: hexcode, OpenSSL name,
    # key exchange (two words), encryption, bits, IANA name.
    suites = [f for fid, fs in by_id.items() if re.fullmatch(r"cipher_x[0-9a-f]+", fid) for f in fs]
    check(len(suites) > 0, f"the offered suites were enumerated ({len(suites)})")
    for f in suites:
        cols = f["finding"].split()
        if len(cols) < 6:
            check(False, f"cipher line understood: {f['finding']!r}")
            continue
        name, kx, enc = cols[1], " ".join(cols[2:4]), cols[4]
        check(FORWARD_SECRET.match(kx) is not None and enc in AEAD,
              f"{name}: forward secret ({kx}) and AEAD ({enc})")
    for proto, pattern in [("TLSv1_3", TLS13_SUITES), ("TLSv1_2", TLS12_SUITES)]:
        names = (finding(f"cipherorder_{proto}") or "").split()
        check(len(names) > 0, f"{proto} offers suites ({' '.join(names)})")
        for n in names:
            check(pattern.match(n) is not None, f"{proto} suite {n} is forward secret AEAD")

    print(f"tls-scan: {passed} checks passed, {failed} failed ({len(findings)} findings)")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
