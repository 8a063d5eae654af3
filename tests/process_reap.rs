//! Reaping with pidfds (the default on Linux 5.3+): every exit delivered, no stolen exits,
//! no zombies from dropped children. The same bodies run with the SIGCHLD fallback in
//! process_reap_sigchld.rs.
#![cfg(not(target_arch = "wasm32"))]

#[path = "process/common.rs"]
mod common;
#[path = "process/reap_bodies.rs"]
mod reap_bodies;

use std::sync::{Mutex, MutexGuard};

static SERIAL: Mutex<()> = Mutex::new(());

/// Serialises the tests of this binary (zombie checks are process-wide).
fn setup() -> MutexGuard<'static, ()> {
    assert!(std::env::var_os("TULIPA_PROCESS_REAPER").is_none());
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

#[test]
fn ten_tasks_ten_children_exit_together() {
    reap_bodies::ten_tasks_ten_children_exit_together();
}

#[test]
fn a_std_child_is_not_reaped_by_tulipa() {
    reap_bodies::a_std_child_is_not_reaped_by_tulipa();
}

#[test]
fn a_child_dropped_outside_a_loop_is_reaped_later() {
    reap_bodies::a_child_dropped_outside_a_loop_is_reaped_later();
}

#[test]
fn a_child_dropped_in_a_loop_is_reaped_when_it_exits() {
    reap_bodies::a_child_dropped_in_a_loop_is_reaped_when_it_exits();
}

#[test]
fn pidfd_mode_leaves_sigchld_alone() {
    let _serial = setup();
    common::run(30, async {
        let mut c = tulipa::process::Command::new("sleep")
            .arg("0.05")
            .spawn()
            .unwrap();
        // SAFETY: a null new action only reads SIGCHLD's current one.
        let handler = unsafe {
            let mut cur: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut cur);
            cur.sa_sigaction
        };
        assert_eq!(
            handler,
            libc::SIG_DFL,
            "pidfd mode installed a SIGCHLD handler"
        );
        c.wait().await.unwrap();
    });
}

#[test]
fn a_child_alive_at_loop_teardown_is_reaped_later() {
    reap_bodies::a_child_alive_at_loop_teardown_is_reaped_later();
}

#[test]
fn children_of_several_loops_at_once() {
    reap_bodies::children_of_several_loops_at_once();
}
