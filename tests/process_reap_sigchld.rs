//! Reaping with the SIGCHLD fallback (forced with TULIPA_PROCESS_REAPER=sigchld, as on a
//! kernel without pidfds): the same bodies as process_reap.rs, plus chaining to a SIGCHLD
//! handler the program installed first.
#![cfg(not(target_arch = "wasm32"))]

#[path = "process/common.rs"]
mod common;
#[path = "process/reap_bodies.rs"]
mod reap_bodies;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, Once};

static SERIAL: Mutex<()> = Mutex::new(());

static CHAINED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_sigchld(_: libc::c_int) {
    CHAINED.fetch_add(1, Ordering::SeqCst);
}

/// Forces the fallback and installs the program's own SIGCHLD handler, once, before any
/// spawn of this binary; the guard serialises the tests (zombie checks are process-wide).
fn setup() -> MutexGuard<'static, ()> {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        std::env::set_var("TULIPA_PROCESS_REAPER", "sigchld");
        // SAFETY: installs a plain one-argument handler that only touches an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = count_sigchld as *const () as usize;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            assert_eq!(libc::sigaction(libc::SIGCHLD, &sa, std::ptr::null_mut()), 0);
        }
    });
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
fn the_fallback_chains_to_the_programs_sigchld_handler() {
    let _serial = setup();
    common::run(30, async {
        let before = CHAINED.load(Ordering::SeqCst);
        let mut c = tulipa::process::Command::new("sleep")
            .arg("0.05")
            .spawn()
            .unwrap();
        // SAFETY: a null new action only reads SIGCHLD's current one.
        let installed = unsafe {
            let mut cur: libc::sigaction = std::mem::zeroed();
            libc::sigaction(libc::SIGCHLD, std::ptr::null(), &mut cur);
            cur.sa_sigaction
        };
        assert_ne!(
            installed, count_sigchld as *const () as usize,
            "tulipa's handler is not installed"
        );
        assert!(c.wait().await.unwrap().success());
        assert!(
            CHAINED.load(Ordering::SeqCst) > before,
            "the program's handler was not called"
        );
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
