//! Writing to a child that exited returns BrokenPipe and never kills the process, even with
//! SIGPIPE set back to its default action (terminate). Rust sets SIGPIPE to "ignore" before
//! `main`; this binary undoes that, so a SIGPIPE would kill it and fail the run. One test:
//! the disposition is process-wide.
#![cfg(not(target_arch = "wasm32"))]

#[path = "process/common.rs"]
mod common;

use tulipa::process::{Command, Stdio};

#[test]
fn broken_pipe_not_death_with_default_sigpipe() {
    // SAFETY: sets SIGPIPE's disposition to the default; no handler code is involved.
    let prev = unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    assert_ne!(prev, libc::SIG_ERR);
    // SAFETY: a null new action only reads the current one.
    let now = unsafe {
        let mut cur: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut cur);
        cur.sa_sigaction
    };
    assert_eq!(now, libc::SIG_DFL);
    common::run(60, async {
        for size in [1, 4096, 65_536, 1 << 20] {
            let mut child = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
            let mut stdin = child.stdin.take().unwrap();
            assert!(child.wait().await.unwrap().success());
            let err = stdin.write_all(&vec![7u8; size]).await.unwrap_err();
            assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe, "size {size}");
            // And again: the pipe stays broken, the process stays alive.
            assert_eq!(
                stdin.write(b"x").await.unwrap_err().kind(),
                std::io::ErrorKind::BrokenPipe
            );
        }
        // A child that reads a little, then exits while we write.
        let mut child = Command::new("head")
            .args(["-c", "100"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let err = child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(&vec![1u8; 8 << 20])
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
        assert!(child.wait().await.unwrap().success());
        let mut child = Command::new("head")
            .args(["-c", "100"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.communicate(Some(&vec![b'a'; 8 << 20])).await.unwrap();
        assert_eq!(out.stdout.len(), 100);
    });
    // Nothing pending either: restoring the mask delivered nothing.
    // SAFETY: sigpending fills the set; sigismember reads it.
    let pending = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut set);
        libc::sigismember(&set, libc::SIGPIPE)
    };
    assert_eq!(pending, 0);
}
