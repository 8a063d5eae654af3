//! Shared by the native test binaries (`#[path = "support/mod.rs"] mod support;`).

use std::sync::mpsc::{channel, RecvTimeoutError};
use std::thread;
use std::time::Duration;

/// Runs `f` and fails the test binary (exits 101 with the test's name) if it has not
/// returned within `limit` of real time: a lost wakeup fails instead of hanging the run.
pub fn within<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
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
