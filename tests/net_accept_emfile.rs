//! `accept` at the descriptor limit: EMFILE comes back as an error (no hang, no panic, the
//! pending connection stays queued), and accepting works again once descriptors free up.
//! The test binary re-runs itself under `sh -c 'ulimit -n 64'` so the limit is low enough
//! to reach; the child's half is a no-op in normal runs.
#![cfg(not(target_arch = "wasm32"))]

use std::fs::File;
use std::process::Command;
use std::time::Duration;

use tulipa::net::TcpListener;

#[path = "support/mod.rs"]
mod support;
use support::within;

const CHILD: &str = "TULIPA_EMFILE_CHILD";
const EMFILE: i32 = 24;

/// Opens /dev/null until the process is out of descriptors.
fn exhaust() -> Vec<File> {
    let mut held = Vec::new();
    loop {
        match File::open("/dev/null") {
            Ok(f) => held.push(f),
            Err(e) if e.raw_os_error() == Some(EMFILE) => return held,
            Err(e) => panic!("open: {e}"),
        }
    }
}

#[test]
fn child_accept_at_the_descriptor_limit() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    within(Duration::from_secs(60), || {
        tulipa::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let mut held = exhaust();
            // Free one descriptor for the client; the kernel queues the connection.
            held.pop();
            let _client = std::net::TcpStream::connect(addr).unwrap();
            for _ in 0..3 {
                let e = listener.accept().await.unwrap_err();
                assert_eq!(e.raw_os_error(), Some(EMFILE), "{e}");
            }
            drop(held);
            let (stream, peer) = listener.accept().await.unwrap();
            assert_eq!(peer, _client.local_addr().unwrap());
            drop(stream);
        })
    });
    println!("child: accept recovered after EMFILE");
}

#[test]
fn accept_reports_emfile_and_recovers() {
    if std::env::var_os(CHILD).is_some() {
        return;
    }
    let exe = std::env::current_exe().unwrap();
    let out = Command::new("sh")
        .args(["-c", "ulimit -n 64 && exec \"$0\" \"$@\""])
        .arg(exe)
        .args([
            "--exact",
            "child_accept_at_the_descriptor_limit",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .output()
        .expect("running `sh` (to lower the descriptor limit with ulimit)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("child: accept recovered after EMFILE"),
        "child failed: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
