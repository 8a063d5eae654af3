//! loom models of `SettableFuture` and `CancelToken`: every interleaving of completion,
//! cancellation, waiter registration and callbacks across threads.
//!
//! Run with `CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" cargo test --release --test
//! loom_future`. Six models are exhaustive; the one with three blocking threads is bounded to
//! three preemptions (exhaustive, it takes about four minutes). All seven take about 5 s.

#![cfg(loom)]

use loom::future::block_on;
use loom::sync::atomic::{AtomicUsize, Ordering};
use loom::sync::Arc;
use loom::thread;

use tulipa::future::{FutureError, SetError, SettableFuture};
use tulipa::CancelToken;

type Fut = SettableFuture<u32, ()>;

/// Explores every interleaving (no preemption bound).
fn model(f: impl Fn() + Sync + Send + 'static) {
    loom::model::Builder::new().check(f);
}

/// Explores interleavings with at most `bound` preemptions: for the models with three
/// threads that each block, whose exhaustive run takes minutes.
fn model_bounded(bound: usize, f: impl Fn() + Sync + Send + 'static) {
    let mut b = loom::model::Builder::new();
    b.preemption_bound = Some(bound);
    b.check(f);
}

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
            let waker = futures_noop_waker();
            let mut cx = std::task::Context::from_waker(&waker);
            let _ = std::future::Future::poll(std::pin::Pin::new(&mut w), &mut cx);
        }
        t.join().unwrap();
        assert_eq!(block_on(fut.wait()), Ok(2));
        assert!(format!("{fut:?}").contains("waiters: 0"), "{fut:?}");
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
    });
}

fn futures_noop_waker() -> std::task::Waker {
    std::task::Waker::noop().clone()
}
