//! loom models of the queue core under contention: a bounded(1) queue, a putter and a getter
//! on two threads, one side cancelling. Run with
//! `CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" cargo test --release --test loom_queue`.
//!
//! Each model checks, over every interleaving loom explores, that no item is lost or
//! duplicated, that a cancelled put never inserts, and that no wakeup is lost (a lost wakeup
//! leaves a `block_on` parked forever, which loom reports as a deadlock). The wakers are the
//! counting ones of `support/loom_waker.rs`: a waker dropped or woken under the queue's lock,
//! or kept after its future is gone, fails the model.
#![cfg(loom)]

use std::task::Poll;

use loom::sync::Arc;
use loom::thread;
use tulipa::channel::{broadcast, mpsc, oneshot, watch};
use tulipa::queue::{Queue, QueueShutDown};

#[path = "support/loom_waker.rs"]
mod loom_waker;
use loom_waker::{assert_released, block_on, model, poll_once};

/// The getter polls a `get` once and drops it (cancelled, perhaps after an item was promised
/// to it), then gets until shutdown: it must still receive both items, once each.
#[test]
fn loom_cancelled_get_loses_no_item() {
    model(|| {
        let q = Arc::new(Queue::new(1));
        let putter = {
            let q = q.clone();
            thread::spawn(move || {
                block_on(q.put(1)).unwrap();
                block_on(q.put(2)).unwrap();
                q.shutdown(false);
            })
        };
        let mut got = Vec::new();
        let mut get = q.get();
        if let Poll::Ready(r) = poll_once(&mut get) {
            got.push(r.unwrap());
        }
        drop(get);
        while let Ok(v) = block_on(q.get()) {
            got.push(v);
        }
        putter.join().unwrap();
        assert_eq!(got, [1, 2], "each item once, in order");
        assert_eq!(q.qsize(), 0);
        assert_released();
    });
}

/// The putter polls a `put` once and gives it up (cancelled, perhaps after a slot was
/// promised to it), then puts another item: the abandoned item is never inserted unless
/// that first poll completed it, and the slot it may have held is passed on.
#[test]
fn loom_cancelled_put_never_inserts_and_passes_its_slot() {
    model(|| {
        let q = Arc::new(Queue::new(1));
        q.try_put(1).unwrap();
        let getter = {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(v) = block_on(q.get()) {
                    got.push(v);
                }
                got
            })
        };
        let mut put = q.put(2);
        let first_got_in = match poll_once(&mut put) {
            Poll::Ready(r) => {
                r.unwrap();
                true
            }
            Poll::Pending => false,
        };
        let recovered = put.into_inner();
        assert_eq!(recovered.is_none(), first_got_in);
        block_on(q.put(3)).unwrap();
        q.shutdown(false);
        let got = getter.join().unwrap();
        let want: &[i32] = if first_got_in { &[1, 2, 3] } else { &[1, 3] };
        assert_eq!(got, want);
        assert_eq!(q.unfinished_tasks(), want.len());
        assert_released();
    });
}

/// A putter blocked on a full queue and a shutdown from the other thread: the putter gets
/// its item back (or got in before the shutdown), and the getter drains what got in.
#[test]
fn loom_shutdown_wakes_a_blocked_putter() {
    model(|| {
        let q = Arc::new(Queue::new(1));
        q.try_put(1).unwrap();
        let putter = {
            let q = q.clone();
            thread::spawn(move || block_on(q.put(2)))
        };
        q.shutdown(false);
        let r = putter.join().unwrap();
        let mut drained = Vec::new();
        while let Ok(v) = q.try_get() {
            drained.push(v);
        }
        assert_eq!(
            r,
            Err(QueueShutDown(2)),
            "the queue was full until shutdown"
        );
        assert_eq!(drained, [1]);
        assert_released();
    });
}

/// Two getters on two threads, one of which gives up its `get` after one poll, and a put
/// from a third: the item goes to the getter that stays, whichever was promised it first.
#[test]
fn loom_promise_of_a_cancelled_getter_passes_to_the_other() {
    model(|| {
        let q = Arc::new(Queue::new(1));
        let quitter = {
            let q = q.clone();
            thread::spawn(move || {
                let mut get = q.get();
                let r = poll_once(&mut get);
                drop(get);
                match r {
                    Poll::Ready(r) => vec![r.unwrap()],
                    Poll::Pending => Vec::new(),
                }
            })
        };
        let stayer = {
            let q = q.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                while let Ok(v) = block_on(q.get()) {
                    got.push(v);
                }
                got
            })
        };
        block_on(q.put(7)).unwrap();
        let quit_got = quitter.join().unwrap();
        // Release the stayer once the quitter is done: either it took 7 or 7 is for the stayer.
        q.shutdown(false);
        let stay_got = stayer.join().unwrap();
        let mut all = [quit_got, stay_got].concat();
        all.sort();
        assert_eq!(all, [7], "the item is received exactly once");
        assert_released();
    });
}

/// Two putters on a full bounded(1) queue, one of which gives its `put` up after one poll,
/// and a getter on a third thread: a slot promised to the quitter passes to the other
/// putter, and the quitter's item is in the queue only if its one poll completed it.
#[test]
fn loom_slot_of_a_cancelled_putter_passes_to_the_other() {
    model(|| {
        let q = Arc::new(Queue::new(1));
        q.try_put(0).unwrap();
        let quitter = {
            let q = q.clone();
            thread::spawn(move || {
                let mut put = q.put(1);
                let r = poll_once(&mut put);
                drop(put);
                matches!(r, Poll::Ready(Ok(())))
            })
        };
        let stayer = {
            let q = q.clone();
            thread::spawn(move || block_on(q.put(2)).unwrap())
        };
        let mut got = vec![block_on(q.get()).unwrap()];
        let quit_put = quitter.join().unwrap();
        let total = if quit_put { 3 } else { 2 };
        while got.len() < total {
            got.push(block_on(q.get()).unwrap());
        }
        stayer.join().unwrap();
        assert_eq!(q.qsize(), 0);
        got.sort();
        let want: &[i32] = if quit_put { &[0, 1, 2] } else { &[0, 2] };
        assert_eq!(got, want);
        assert_released();
    });
}

/// mpsc: the last sender dropping on one thread while the receiver waits on the other:
/// the receiver sees every value, then `None`.
#[test]
fn loom_mpsc_last_sender_drop_wakes_the_receiver() {
    model(|| {
        let (tx, mut rx) = mpsc::bounded(1);
        let sender = thread::spawn(move || {
            block_on(tx.send(1)).unwrap();
            block_on(tx.send(2)).unwrap();
        });
        let mut got = Vec::new();
        while let Some(v) = block_on(rx.recv()) {
            got.push(v);
        }
        sender.join().unwrap();
        assert_eq!(got, [1, 2]);
        assert_released();
    });
}

/// oneshot across threads: a send from one thread reaches a receiver parked on the other,
/// and a receiver dropped on one thread wakes `Sender::closed` on the other.
#[test]
fn loom_oneshot_send_and_close_across_threads() {
    model(|| {
        let (tx, rx) = oneshot::channel();
        let sender = thread::spawn(move || tx.send(5));
        assert_eq!(block_on(rx), Ok(5));
        assert_eq!(sender.join().unwrap(), Ok(()));

        let (mut tx, rx) = oneshot::channel::<u8>();
        let dropper = thread::spawn(move || drop(rx));
        block_on(tx.closed());
        assert_eq!(tx.send(1), Err(1));
        dropper.join().unwrap();
        assert_released();
    });
}

/// watch and broadcast: a value sent on one thread wakes a receiver parked on the other,
/// which then sees it (watch: the latest; broadcast: each in order, then Closed).
#[test]
fn loom_watch_and_broadcast_wake_a_parked_receiver() {
    model(|| {
        let (tx, mut rx) = watch::channel(0);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        // The sender sends before it drops, so the change is reported either way.
        assert_eq!(block_on(rx.changed()), Ok(()));
        assert_eq!(*rx.borrow(), 1);
        sender.join().unwrap();

        let (tx, mut rx) = broadcast::channel(1);
        let sender = thread::spawn(move || {
            tx.send(1).unwrap();
        });
        assert_eq!(block_on(rx.recv()), Ok(1));
        assert_eq!(block_on(rx.recv()), Err(broadcast::RecvError::Closed));
        sender.join().unwrap();
        assert_released();
    });
}
