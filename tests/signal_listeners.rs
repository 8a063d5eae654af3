//! Signal listeners: every listener, in every loop, sees each delivery; the callback form
//! runs on its loop; bad signal numbers are typed errors. The tests change process-wide
//! signal state, so they hold one lock each.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tulipa::signal::{add_signal_handler, remove_signal_handler, signal, SignalError, SignalKind};

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
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

/// Sends `sig` to the whole process (any thread may take it).
fn kill_self(sig: libc::c_int) {
    // SAFETY: kill(2) with our own pid and a signal that has a handler installed.
    assert_eq!(unsafe { libc::kill(libc::getpid(), sig) }, 0);
}

/// Sends `sig` to this thread: delivered before `raise` returns.
fn raise(sig: libc::c_int) {
    // SAFETY: raise(3) with a signal that has a handler installed.
    assert_eq!(unsafe { libc::raise(sig) }, 0);
}

#[test]
fn sigusr1_to_self_wakes_every_listener_in_every_loop() {
    let _s = serial();
    // The other loop reports when it is ready and after each round: a delivery sent before
    // it has looked at the previous one would coalesce with it (as documented).
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    // A second loop on another thread, with two listeners of its own.
    let other = std::thread::spawn(move || {
        run(async move {
            let mut a = signal(SignalKind::user_defined1()).unwrap();
            let mut b = signal(SignalKind::user_defined1()).unwrap();
            ready_tx.send(()).unwrap();
            for _ in 0..2 {
                a.recv().await.unwrap();
                b.recv().await.unwrap();
                ready_tx.send(()).unwrap();
            }
            "other loop woken twice"
        })
    });
    ready_rx.recv().unwrap();
    run(async move {
        let mut listeners: Vec<_> = (0..3)
            .map(|_| signal(SignalKind::user_defined1()).unwrap())
            .collect();
        let woken = Rc::new(Cell::new(0));
        for round in 1..=2 {
            kill_self(libc::SIGUSR1);
            let tasks: Vec<_> = listeners
                .drain(..)
                .map(|mut l| {
                    let woken = woken.clone();
                    tulipa::spawn_local(async move {
                        l.recv().await.unwrap();
                        woken.set(woken.get() + 1);
                        l
                    })
                })
                .collect();
            for t in tasks {
                listeners.push(t.await.unwrap());
            }
            assert_eq!(woken.get(), 3 * round);
            // Each listener consumed the delivery: nothing more is ready.
            let l = &mut listeners[0];
            let pending =
                std::future::poll_fn(|cx| std::task::Poll::Ready(l.poll_recv(cx).is_pending()))
                    .await;
            assert!(pending);
            // Wait (bounded by the test's timeout) until the other loop saw this round too.
            while ready_rx.try_recv().is_err() {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
        }
    });
    assert_eq!(other.join().unwrap(), "other loop woken twice");
}

#[test]
fn deliveries_before_a_poll_coalesce() {
    let _s = serial();
    run(async {
        let mut l = signal(SignalKind::user_defined1()).unwrap();
        raise(libc::SIGUSR1);
        raise(libc::SIGUSR1);
        l.recv().await.unwrap();
        // Both deliveries were collected before the listener looked: at most one more is
        // reported, then none.
        let _ = tulipa::time::timeout(Duration::from_millis(20), l.recv()).await;
        assert!(tulipa::time::timeout(Duration::from_millis(20), l.recv())
            .await
            .is_err());
    });
}

#[test]
fn add_signal_handler_runs_the_callback_on_its_loop_each_time() {
    let _s = serial();
    run(async {
        let loop_thread = std::thread::current().id();
        let hits = Rc::new(Cell::new(0));
        let h = hits.clone();
        add_signal_handler(SignalKind::user_defined2(), move || {
            assert_eq!(std::thread::current().id(), loop_thread);
            h.set(h.get() + 1);
        })
        .unwrap();
        for n in 1..=3 {
            raise(libc::SIGUSR2);
            while hits.get() < n {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
        }
        // Replacing the handler: only the new one runs.
        let replaced = Rc::new(Cell::new(0));
        let r = replaced.clone();
        add_signal_handler(libc::SIGUSR2, move || r.set(r.get() + 1)).unwrap();
        raise(libc::SIGUSR2);
        while replaced.get() == 0 {
            tulipa::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(hits.get(), 3);
        assert!(remove_signal_handler(SignalKind::user_defined2()).unwrap());
        assert!(!remove_signal_handler(SignalKind::user_defined2()).unwrap());
    });
}

#[test]
fn listeners_and_children_are_send() {
    fn send<T: Send>() {}
    send::<tulipa::signal::Signal>();
    send::<tulipa::process::Child>();
    send::<tulipa::process::ChildStdin>();
    send::<tulipa::process::ChildStdout>();
    send::<tulipa::process::ChildStderr>();
}

#[test]
fn signals_that_cannot_be_handled_are_typed_errors() {
    let _s = serial();
    for sig in [
        libc::SIGKILL,
        libc::SIGSTOP,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
    ] {
        assert!(
            matches!(signal(SignalKind::from_raw(sig)), Err(SignalError::Forbidden(n)) if n == sig)
        );
    }
    for sig in [0, -1, 65, 1000] {
        assert!(
            matches!(signal(SignalKind::from_raw(sig)), Err(SignalError::Invalid(n)) if n == sig)
        );
    }
    run(async {
        let e = add_signal_handler(libc::SIGKILL, || {}).unwrap_err();
        assert!(matches!(e, SignalError::Forbidden(_)));
        let io: std::io::Error = e.into();
        assert_eq!(io.kind(), std::io::ErrorKind::InvalidInput);
        assert!(matches!(
            remove_signal_handler(0),
            Err(SignalError::Invalid(0))
        ));
    });
}
