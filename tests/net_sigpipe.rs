//! Writing to a closed peer never kills the process with SIGPIPE, even when SIGPIPE has its
//! default action (fatal).
//!
//! Rust programs (test binaries included) ignore SIGPIPE at start-up, so an in-process test
//! proves nothing. This test re-runs its own binary as a child that first puts SIGPIPE back
//! to its default action (as a C host program embedding tulipa might), checks that in
//! /proc/self/status, then breaks pipes on TCP and Unix streams, with plain writes,
//! vectored writes and `sendfile`; a SIGPIPE would kill it, which the parent sees. A control
//! child shows that the same set-up does kill a plain `write(2)`.
#![cfg(not(target_arch = "wasm32"))]

use std::io;
use std::process::Command;
use std::time::Duration;

use tulipa::net::{TcpListener, TcpStream, UnixStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

const CHILD: &str = "TULIPA_SIGPIPE_CHILD";
const SIGPIPE_BIT: u64 = 1 << (13 - 1);

/// The signal mask named `field` (SigIgn, SigCgt) from /proc/self/status.
fn signal_mask(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))
        .unwrap();
    u64::from_str_radix(line.split_whitespace().nth(1).unwrap(), 16).unwrap()
}

/// Puts SIGPIPE back to its default action (fatal), undoing Rust's start-up "ignore".
fn default_sigpipe() {
    // SAFETY: setting a standard signal's disposition to SIG_DFL installs no handler code;
    // it runs before this process starts any thread of its own.
    let old = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR);
}

/// The child's half: runs only under the parent test (with `CHILD` set).
#[test]
fn child_breaks_pipes_with_default_sigpipe() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    default_sigpipe();
    assert_eq!(
        signal_mask("SigIgn") & SIGPIPE_BIT,
        0,
        "SIGPIPE is ignored: the test setup did not work"
    );
    assert_eq!(signal_mask("SigCgt") & SIGPIPE_BIT, 0, "SIGPIPE is caught");
    within(Duration::from_secs(60), || {
        tulipa::run(async {
            // TCP: the peer closed normally, then with a reset.
            for linger in [None, Some(Duration::ZERO)] {
                let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
                let mut c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
                let (s, _) = l.accept().await.unwrap();
                s.set_linger(linger).unwrap();
                drop(s);
                tulipa::sleep(Duration::from_millis(10)).await;
                let err = loop {
                    match c.write(&[0u8; 65536]).await {
                        Ok(_) => tulipa::yield_now().await,
                        Err(e) => break e,
                    }
                };
                assert!(
                    matches!(
                        err.kind(),
                        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                    ),
                    "{err}"
                );
                // A few more writes, scalar and vectored, into the broken pipe.
                assert!(c.write(b"again").await.is_err());
                let bufs = [io::IoSlice::new(b"a"), io::IoSlice::new(b"b")];
                assert!(std::future::poll_fn(|cx| c.poll_send_vectored(cx, &bufs))
                    .await
                    .is_err());
            }
            // sendfile, which has no MSG_NOSIGNAL, into a fresh broken connection.
            let path = std::env::temp_dir().join(format!("tulipa-sigpipe-{}", std::process::id()));
            std::fs::write(&path, vec![7u8; 1 << 20]).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let mut c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let (s, _) = l.accept().await.unwrap();
            drop(s);
            tulipa::sleep(Duration::from_millis(10)).await;
            let err = loop {
                match c.sendfile(&file, 0, None).await {
                    Ok(_) => tulipa::yield_now().await,
                    Err(e) => break e,
                }
            };
            assert!(
                matches!(
                    err.kind(),
                    io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                ),
                "{err}"
            );
            let (mut a, b) = UnixStream::pair().unwrap();
            drop(b);
            let e = a.sendfile(&file, 0, None).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
            // Unix stream.
            let (mut a, b) = UnixStream::pair().unwrap();
            drop(b);
            let e = a.write(b"x").await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::BrokenPipe);
            let (a, b) = UnixStream::pair().unwrap();
            drop(b);
            let (_r, mut w) = a.into_split();
            assert_eq!(
                w.write_all(b"x").await.unwrap_err().kind(),
                io::ErrorKind::BrokenPipe
            );
        })
    });
    println!("child: survived every broken pipe");
}

/// The control child: a plain `write(2)` into a broken pipe, which must kill it (showing
/// that the set-up really leaves SIGPIPE fatal).
#[test]
fn child_control_plain_write_dies() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    default_sigpipe();
    use std::io::Write;
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    drop(b);
    // Through a File, the write is a plain write(2) (std's socket writes use
    // send(MSG_NOSIGNAL) nowadays): SIGPIPE.
    let mut f = std::fs::File::from(std::os::fd::OwnedFd::from(a));
    let _ = f.write(b"x");
    println!("child: survived a plain write");
}

/// Runs one child test of this binary with `CHILD` set.
fn run_child(test: &str) -> std::process::Output {
    let exe = std::env::current_exe().unwrap();
    Command::new(&exe)
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .output()
        .unwrap()
}

#[test]
fn broken_pipes_do_not_kill_a_process_with_default_sigpipe() {
    use std::os::unix::process::ExitStatusExt;
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    // The control: the same set-up kills a plain write(2) with SIGPIPE.
    let control = run_child("child_control_plain_write_dies");
    assert_eq!(
        control.status.signal(),
        Some(13),
        "the control child should die of SIGPIPE: {:?}\n{}",
        control.status,
        String::from_utf8_lossy(&control.stdout)
    );
    let out = run_child("child_breaks_pipes_with_default_sigpipe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("child: survived every broken pipe"),
        "child failed ({:?}; a SIGPIPE death shows as signal 13):\n{stdout}\n{stderr}",
        out.status
    );
}
