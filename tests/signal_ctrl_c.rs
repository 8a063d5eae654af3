//! `ctrl_c` with a real SIGINT raised in the process; SIGINT's default action comes back
//! afterwards. One test: the disposition is process-wide.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

fn sigint_handler() -> usize {
    // SAFETY: a null new action only reads SIGINT's current one.
    unsafe {
        let mut cur: libc::sigaction = std::mem::zeroed();
        libc::sigaction(libc::SIGINT, std::ptr::null(), &mut cur);
        cur.sa_sigaction
    }
}

#[test]
fn ctrl_c_sees_sigint_and_restores_the_default() {
    // A process started in the background by a non-interactive shell (`make coverage &`,
    // some CI runners) inherits SIGINT ignored: start from the default action explicitly.
    // SAFETY: SIG_DFL installs no handler code; no other thread of this binary uses SIGINT.
    let old = unsafe { libc::signal(libc::SIGINT, libc::SIG_DFL) };
    assert_ne!(old, libc::SIG_ERR);
    assert_eq!(sigint_handler(), libc::SIG_DFL);
    tulipa::run(async {
        tulipa::time::timeout(Duration::from_secs(20), async {
            let waiter = tulipa::spawn_local(tulipa::signal::ctrl_c());
            // Until the waiter has run once, SIGINT would still end the process.
            while sigint_handler() == libc::SIG_DFL {
                tulipa::yield_now().await;
            }
            assert!(!waiter.is_finished());
            // SAFETY: raise(3) sends SIGINT to this thread; a handler is installed.
            assert_eq!(unsafe { libc::raise(libc::SIGINT) }, 0);
            waiter.await.unwrap().unwrap();
        })
        .await
        .expect("timed out: lost wakeup");
    });
    assert_eq!(
        sigint_handler(),
        libc::SIG_DFL,
        "SIGINT's default action was not restored"
    );
}
