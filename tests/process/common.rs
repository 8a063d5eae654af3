//! Helpers shared by the process_* test binaries.
#![allow(dead_code)]

use std::future::Future;
use std::time::Duration;

/// Runs `f` on a fresh runtime and fails (instead of hanging) after `secs` seconds.
pub fn run<F: Future + 'static>(secs: u64, f: F) -> F::Output
where
    F::Output: 'static,
{
    tulipa::run(async move {
        tulipa::time::timeout(Duration::from_secs(secs), f)
            .await
            .expect("test timed out: lost wakeup or hang")
    })
}

/// `n` bytes of a pattern that makes misplaced, lost or repeated bytes visible.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8).collect()
}

/// A python3 expression that writes `pattern(n)` to fd `fd`.
pub fn python_pattern(n: usize, fd: u32) -> String {
    format!(
        "import os\ndata = bytes(i % 251 for i in range({n}))\nv = memoryview(data)\nwhile v:\n    k = os.write({fd}, v[:65536])\n    v = v[k:]\n"
    )
}

/// Open descriptors of this process.
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Zombie children of this process (state Z in /proc/PID/stat with our pid as parent).
pub fn zombies() -> Vec<u32> {
    let me = std::process::id();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let (state, ppid) = (f.next(), f.next().and_then(|p| p.parse::<u32>().ok()));
        if state == Some("Z") && ppid == Some(me) {
            out.push(pid);
        }
    }
    out
}

/// Waits (polling /proc, bounded by the caller's timeout) until `pid` is gone: reaped.
pub async fn reaped(pid: u32) {
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        tulipa::sleep(Duration::from_millis(2)).await;
    }
}
