//! Chaining and restoring: a handler installed before tulipa keeps being called while
//! tulipa listens and is put back exactly when the last tulipa user leaves; "ignore" and
//! "default" are restored too; a handler installed over tulipa's is left alone. The tests
//! change process-wide state, so they hold one lock each.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tulipa::signal::{add_signal_handler, remove_signal_handler, signal, SignalKind};

static SERIAL: Mutex<()> = Mutex::new(());
static CALLS: AtomicUsize = AtomicUsize::new(0);

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

extern "C" fn counting(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {
    CALLS.fetch_add(1, Ordering::SeqCst);
}

fn current(sig: libc::c_int) -> libc::sigaction {
    // SAFETY: a null new action only reads the current one into `cur`.
    unsafe {
        let mut cur: libc::sigaction = std::mem::zeroed();
        assert_eq!(libc::sigaction(sig, std::ptr::null(), &mut cur), 0);
        cur
    }
}

fn set(sig: libc::c_int, handler: usize, flags: libc::c_int) {
    // SAFETY: installs SIG_DFL, SIG_IGN or `counting`, which only touches an atomic.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = handler;
        sa.sa_flags = flags;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(sig, &sa, std::ptr::null_mut()), 0);
    }
}

fn raise(sig: libc::c_int) {
    // SAFETY: raise(3) on this thread; every test installs a handler first.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

fn run<F: std::future::Future + 'static>(f: F) -> F::Output
where
    F::Output: 'static,
{
    tulipa::run(async move {
        tulipa::time::timeout(Duration::from_secs(20), f)
            .await
            .expect("timed out: lost wakeup")
    })
}

#[test]
fn a_previous_handler_is_chained_and_restored_exactly() {
    let _s = serial();
    let mine = counting as *const () as usize;
    set(libc::SIGUSR2, mine, libc::SA_SIGINFO | libc::SA_RESTART);
    run(async move {
        let mut a = signal(SignalKind::user_defined2()).unwrap();
        let mut b = signal(SignalKind::user_defined2()).unwrap();
        assert_ne!(
            current(libc::SIGUSR2).sa_sigaction,
            mine,
            "tulipa did not install"
        );
        let before = CALLS.load(Ordering::SeqCst);
        raise(libc::SIGUSR2);
        a.recv().await.unwrap();
        b.recv().await.unwrap();
        assert_eq!(
            CALLS.load(Ordering::SeqCst),
            before + 1,
            "the previous handler was not called once"
        );
        drop(a);
        assert_ne!(
            current(libc::SIGUSR2).sa_sigaction,
            mine,
            "restored while a listener is left"
        );
        drop(b);
        let now = current(libc::SIGUSR2);
        assert_eq!(now.sa_sigaction, mine);
        assert_eq!(
            now.sa_flags & (libc::SA_SIGINFO | libc::SA_RESTART),
            libc::SA_SIGINFO | libc::SA_RESTART
        );
    });
    set(libc::SIGUSR2, libc::SIG_DFL, 0);
}

#[test]
fn remove_signal_handler_restores_default_and_ignore() {
    let _s = serial();
    for (disposition, name) in [(libc::SIG_DFL, "default"), (libc::SIG_IGN, "ignore")] {
        set(libc::SIGHUP, disposition, 0);
        run(async move {
            add_signal_handler(SignalKind::hangup(), || {}).unwrap();
            assert_ne!(current(libc::SIGHUP).sa_sigaction, disposition);
            assert!(remove_signal_handler(SignalKind::hangup()).unwrap());
            assert_eq!(
                current(libc::SIGHUP).sa_sigaction,
                disposition,
                "{name} not restored"
            );
        });
    }
    set(libc::SIGHUP, libc::SIG_DFL, 0);
}

#[test]
fn a_handler_installed_over_tulipas_is_left_in_place() {
    let _s = serial();
    let mine = counting as *const () as usize;
    set(libc::SIGWINCH, libc::SIG_DFL, 0);
    run(async move {
        let l = signal(SignalKind::window_change()).unwrap();
        set(libc::SIGWINCH, mine, libc::SA_SIGINFO); // another library, after tulipa
        drop(l);
        assert_eq!(
            current(libc::SIGWINCH).sa_sigaction,
            mine,
            "tulipa clobbered a newer handler"
        );
    });
    set(libc::SIGWINCH, libc::SIG_DFL, 0);
}

#[test]
fn a_handler_left_at_loop_end_is_removed_with_the_loop() {
    let _s = serial();
    set(libc::SIGUSR1, libc::SIG_IGN, 0);
    run(async {
        add_signal_handler(SignalKind::user_defined1(), || {}).unwrap();
        assert_ne!(current(libc::SIGUSR1).sa_sigaction, libc::SIG_IGN);
    });
    assert_eq!(
        current(libc::SIGUSR1).sa_sigaction,
        libc::SIG_IGN,
        "not restored at loop end"
    );
    set(libc::SIGUSR1, libc::SIG_DFL, 0);
}
