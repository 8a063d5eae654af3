//! Shared by the native test binaries (`#[path = "support/mod.rs"] mod support;`).

use std::sync::mpsc::{channel, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// Runs `f` and fails the test binary (exits 101 with the test's name) if it has not
/// returned within `limit` of real time: a lost wakeup fails instead of hanging the run.
///
/// The limit is stretched by [`timeout_scale`] (an instrumented build runs several times
/// slower; the deadline is there to catch a hang, not to time the code).
pub fn within<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let limit = limit * timeout_scale();
    let name = thread::current().name().unwrap_or("?").to_owned();
    let (done, watched) = channel::<()>();
    thread::spawn(move || {
        if let Err(RecvTimeoutError::Timeout) = watched.recv_timeout(limit) {
            eprintln!("test {name} still running after {limit:?}: lost wakeup or hang");
            std::process::exit(101);
        }
    });
    let out = f();
    let _ = done.send(());
    out
}

/// The factor the tests' hang deadlines are multiplied by: `TULIPA_TEST_TIMEOUT_SCALE`, a
/// whole number from 1 to 100 (`make sanitize` sets it), else 1. Any other value fails the
/// test, naming the variable, rather than being ignored.
pub fn timeout_scale() -> u32 {
    match std::env::var("TULIPA_TEST_TIMEOUT_SCALE") {
        Err(std::env::VarError::NotPresent) => 1,
        Ok(v) => match v.parse::<u32>() {
            Ok(n @ 1..=100) => n,
            _ => {
                panic!("TULIPA_TEST_TIMEOUT_SCALE must be a whole number from 1 to 100, not {v:?}")
            }
        },
        Err(e) => panic!("TULIPA_TEST_TIMEOUT_SCALE: {e}"),
    }
}

/// Re-runs the test `name` of this test binary with `PATH` pointing nowhere, so that no peer
/// program (openssl, python3, socat, nc, ip, gnutls-cli, ...) can be found, and checks that it
/// FAILS and names the fix (`make setup`). A test that cannot reach its peer must fail: one
/// that returned early instead would pass without having run.
#[allow(dead_code)]
#[track_caller]
pub fn assert_fails_without_peers(name: &str) {
    let exe = std::env::current_exe().unwrap();
    let out = std::process::Command::new(exe)
        .args(["--exact", name, "--nocapture", "--test-threads=1"])
        .env("PATH", "/nonexistent-tulipa-path")
        .output()
        .unwrap();
    // Indented, so that the child's "test result:" lines in a failure message are not
    // counted as this binary's by scripts/test.sh.
    let text: String = [&out.stdout[..], &out.stderr[..]]
        .iter()
        .flat_map(|b| {
            String::from_utf8_lossy(b)
                .lines()
                .map(|l| format!("  | {l}\n"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        text.contains("| running 1 test"),
        "{name} is not a test of this binary:\n{text}"
    );
    assert!(
        !out.status.success(),
        "{name} passed with no peer programs on PATH: it skipped instead of failing\n{text}"
    );
    assert!(
        text.contains("make setup"),
        "{name} failed without naming the fix (`make setup`):\n{text}"
    );
}

/// Checks that `program` can be run (`program arg`), and fails the test if not: a test that
/// cannot reach its peer must fail, never pass without having run. `make setup` installs
/// the peers (scripts/setup.sh: openssl, python3 + websockets, socat, netcat-openbsd,
/// iproute2, gnutls-bin).
#[allow(dead_code)]
#[track_caller]
pub fn require(program: &str, arg: &str) {
    if let Err(e) = std::process::Command::new(program)
        .arg(arg)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
    {
        panic!(
            "this test needs `{program}`, which cannot be run ({e}): run `make setup` \
             (scripts/setup.sh installs it) and run the test again"
        );
    }
}
