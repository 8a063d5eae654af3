//! Reaping test bodies, run once with pidfds (process_reap.rs) and once with the SIGCHLD
//! fallback (process_reap_sigchld.rs). `setup()` is defined by each binary.

use std::os::fd::{FromRawFd, OwnedFd};
use std::rc::Rc;

use super::common::{run, zombies};
use tulipa::process::{Command, Stdio};

/// A blocking pipe (both ends close-on-exec), for children to share as stdin.
fn blocking_pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills the two-element array with new descriptors on success.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) }, 0);
    // SAFETY: both descriptors were just created and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// 100 children (10 tasks × 10) block reading one shared pipe; closing its write end makes
/// them all exit at the same moment, each with its own code.
pub fn ten_tasks_ten_children_exit_together() {
    let _serial = super::setup();
    run(60, async {
        let (read, write) = blocking_pipe();
        let mut tasks = Vec::new();
        for t in 0..10 {
            let mut children = Vec::new();
            for c in 0..10 {
                let code = t * 10 + c + 1;
                let child = Command::new("sh")
                    .args(["-c", "cat >/dev/null; exit \"$1\"", "sh", &code.to_string()])
                    .stdin(Stdio::from(read.try_clone().unwrap()))
                    .spawn()
                    .unwrap();
                children.push((code, child));
            }
            tasks.push(tulipa::spawn_local(async move {
                let mut seen = Vec::new();
                for (code, mut child) in children {
                    let status = child.wait().await.unwrap();
                    assert_eq!(status.code(), Some(code), "child {}", child.pid());
                    seen.push(code);
                }
                seen
            }));
        }
        drop(read);
        tulipa::yield_now().await; // every task is now waiting
        drop(write); // EOF for all 100 at once
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        all.sort_unstable();
        assert_eq!(all, (1..=100).collect::<Vec<_>>());
        assert!(zombies().is_empty(), "zombies left: {:?}", zombies());
    });
}

/// A child spawned with std keeps its exit status for std's `wait`.
pub fn a_std_child_is_not_reaped_by_tulipa() {
    let _serial = super::setup();
    let mut std_child = std::process::Command::new("sh")
        .args(["-c", "exit 7"])
        .spawn()
        .unwrap();
    run(30, async {
        // Let the std child exit, and make tulipa reap several of its own meanwhile.
        for _ in 0..20 {
            let mut c = Command::new("true").spawn().unwrap();
            assert!(c.wait().await.unwrap().success());
        }
        let mut dropped = Command::new("true").spawn().unwrap();
        dropped.wait().await.unwrap();
    });
    assert_eq!(std_child.wait().unwrap().code(), Some(7));
}

/// A child dropped without a loop is an orphan, reaped at the next spawn.
pub fn a_child_dropped_outside_a_loop_is_reaped_later() {
    let _serial = super::setup();
    let mut child = run(30, async {
        Command::new("sh")
            .args(["-c", "read x"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap()
    });
    let pid = child.pid();
    drop(child.stdin.take()); // EOF: it exits, and nobody waits
    drop(child);
    let zombie_seen = (0..2000).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(1));
        zombies().contains(&pid)
    });
    assert!(zombie_seen, "the orphan did not become a zombie");
    run(30, async move {
        let mut c = Command::new("true").spawn().unwrap(); // reaps the orphans first
        c.wait().await.unwrap();
        assert!(!zombies().contains(&pid), "orphan {pid} still a zombie");
    });
}

/// A child dropped inside a loop is reaped by a task of that loop as soon as it exits.
pub fn a_child_dropped_in_a_loop_is_reaped_when_it_exits() {
    let _serial = super::setup();
    run(30, async {
        let mut child = Command::new("sh")
            .args(["-c", "read x"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.pid();
        let stdin = child.stdin.take().unwrap();
        drop(child);
        drop(stdin);
        super::common::reaped(pid).await;
        let _ = Rc::new(()); // keeps the loop's task local
    });
}

/// A child held by a task still alive when its loop ends is reaped later (the loop's
/// teardown drops the task, and with it the child, onto the orphan list).
pub fn a_child_alive_at_loop_teardown_is_reaped_later() {
    let _serial = super::setup();
    let pid = tulipa::run(async {
        let mut child = Command::new("sh")
            .args(["-c", "read x"])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.pid();
        tulipa::spawn(async move {
            let _ = child.wait().await; // never finishes: stdin stays open while it waits
        })
        .detach();
        tulipa::yield_now().await;
        pid
    }); // teardown: the task and its child (and its stdin pipe) are dropped
    let zombie_seen = (0..2000).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(1));
        zombies().contains(&pid)
    });
    assert!(zombie_seen, "the child did not exit after its stdin closed");
    run(30, async move {
        let mut c = Command::new("true").spawn().unwrap();
        c.wait().await.unwrap();
        assert!(!zombies().contains(&pid), "{pid} still a zombie");
    });
}

/// Four loops on four threads spawn and wait for children at the same time: each exit
/// reaches the loop whose child it is.
pub fn children_of_several_loops_at_once() {
    let _serial = super::setup();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            std::thread::spawn(move || {
                run(60, async move {
                    let mut children = Vec::new();
                    for c in 0..25 {
                        let code = t * 25 + c + 1;
                        let child = Command::new("sh")
                            .args(["-c", "exit \"$1\"", "sh", &code.to_string()])
                            .spawn()
                            .unwrap();
                        children.push((code, child));
                    }
                    for (code, mut child) in children {
                        assert_eq!(child.wait().await.unwrap().code(), Some(code));
                    }
                })
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(zombies().is_empty(), "zombies: {:?}", zombies());
}
