//! loom models of `SettableFuture` and `CancelToken`: every interleaving of completion,
//! cancellation, waiter registration and callbacks across threads.
//!
//! Run with `CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" cargo test --release --test
//! loom_future`. Six models are exhaustive; the one with three blocking threads is bounded to
//! three preemptions. All seven take a few seconds. The wakers are the counting ones of
//! `support/loom_waker.rs`: a waker dropped or woken under the future's lock, or kept after
//! its `Waiter` is gone, fails the model.

#![cfg(loom)]

use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use tulipa::future::{FutureError, SetError, SettableFuture};
use tulipa::CancelToken;

#[path = "support/loom_waker.rs"]
mod loom_waker;
use loom_waker::{assert_released, block_on, model, model_bounded, poll_once};

type Fut = SettableFuture<u32, ()>;

/// A completion on another thread races the waiter's registration: the waiter must be woken
/// whichever side takes the lock first (a lost wakeup is a loom deadlock).
#[test]
fn loom_future_set_from_another_thread_races_a_waiter() {
    model(|| {
        let fut = Fut::new();
        let setter = fut.clone();
        let t = thread::spawn(move || setter.set_result(7).unwrap());
        assert_eq!(block_on(fut.wait()), Ok(7));
        t.join().unwrap();
        assert_released();
    });
}

/// Two waiters on two threads and a setter on a third: both are woken.
#[test]
fn loom_future_two_waiters_on_two_threads_are_both_woken() {
    model_bounded(3, || {
        let fut = Fut::new();
        let other = fut.clone();
        let waiter = thread::spawn(move || block_on(other.wait()));
        let setter = fut.clone();
        let t = thread::spawn(move || setter.set_result(1).unwrap());
        assert_eq!(block_on(fut.wait()), Ok(1));
        assert_eq!(waiter.join().unwrap(), Ok(1));
        t.join().unwrap();
        assert_released();
    });
}

/// `cancel` races `set_result`: exactly one wins, the loser's value comes back, and a waiter
/// sees the winner's outcome.
#[test]
fn loom_future_cancel_races_set() {
    model(|| {
        let fut = Fut::new();
        let (c, s) = (fut.clone(), fut.clone());
        let canceller = thread::spawn(move || c.cancel());
        let setter = thread::spawn(move || s.set_result(5));
        let out = block_on(fut.wait());
        let cancelled = canceller.join().unwrap();
        let set = setter.join().unwrap();
        match (&out, cancelled, set) {
            (Ok(5), false, Ok(())) => {}
            (Err(FutureError::Cancelled(_)), true, Err(SetError::Cancelled(5))) => {}
            other => panic!("inconsistent outcome: {other:?}"),
        }
        assert_eq!(fut.cancelled(), cancelled);
        assert_released();
    });
}

/// A waiter dropped while the future is completed elsewhere: no panic, no stale entry, and
/// a later waiter still gets the result.
#[test]
fn loom_future_dropped_waiter_races_completion() {
    model(|| {
        let fut = Fut::new();
        let setter = fut.clone();
        let t = thread::spawn(move || setter.set_result(2).unwrap());
        {
            // Poll once (it may or may not park), then drop it.
            let mut w = fut.wait();
            let _ = poll_once(&mut w);
        }
        t.join().unwrap();
        assert_eq!(block_on(fut.wait()), Ok(2));
        assert!(format!("{fut:?}").contains("waiters: 0"), "{fut:?}");
        assert_released();
    });
}

/// Callbacks added on one thread while another completes the future (no loop: callbacks run
/// inline in whichever thread drains them): each runs exactly once, in order.
#[test]
fn loom_future_callbacks_race_completion_and_run_once_in_order() {
    model(|| {
        let fut = Fut::new();
        let log = Arc::new(loom::sync::Mutex::new(Vec::new()));
        let runs = Arc::new(AtomicUsize::new(0));
        let (f2, l2, r2) = (fut.clone(), log.clone(), runs.clone());
        let adder = thread::spawn(move || {
            for i in 0..2 {
                let (l, r) = (l2.clone(), r2.clone());
                f2.add_done_callback(move |_| {
                    l.lock().unwrap().push(i);
                    r.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        fut.set_result(1).unwrap();
        adder.join().unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert_eq!(*log.lock().unwrap(), [0, 1]);
        assert_released();
    });
}

/// A parent cancelled on one thread while a child is created and awaited on another: the
/// child is cancelled either way, and its waiter is woken.
#[test]
fn loom_cancel_token_cancel_races_child_creation_and_waiter() {
    model(|| {
        let root = CancelToken::new();
        let r = root.clone();
        let t = thread::spawn(move || {
            let child = r.child();
            block_on(child.cancelled());
            child.is_cancelled()
        });
        root.cancel();
        assert!(t.join().unwrap());
        assert_released();
    });
}

/// Dropping the last handle of a middle token races the root's cancellation: the grandchild
/// is still cancelled.
#[test]
fn loom_cancel_token_drop_races_cancel() {
    model(|| {
        let root = CancelToken::new();
        let child = root.child();
        let grandchild = child.child();
        let dropper = thread::spawn(move || drop(child));
        let r = root.clone();
        let canceller = thread::spawn(move || r.cancel());
        dropper.join().unwrap();
        canceller.join().unwrap();
        assert!(grandchild.is_cancelled());
        block_on(grandchild.cancelled());
        assert_released();
    });
}
