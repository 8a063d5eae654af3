//! No primitive drops a waker while it holds its own lock.
//!
//! Under an executor whose waker owns its task (`support/owning_waker.rs`), dropping a
//! parked task's last waker drops the task's future, and what that future holds (a permit,
//! a guard, another parked waiter of the same primitive) re-enters the primitive from its
//! destructor. Each test parks a waiter with the waker of a task that holds such a thing, lets
//! the executor forget the task, and then takes the primitive's cancel path (the waiter is
//! dropped) or its re-poll path (the waiter is polled by another task, which displaces the
//! waker). Dropping that waker under the primitive's lock deadlocks (std's `Mutex` is not
//! re-entrant), so each test runs under the `within` watchdog and fails instead of hanging.

#[path = "support/mod.rs"]
mod support;

#[path = "support/owning_waker.rs"]
mod owning_waker;

use std::future::Future;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use owning_waker::{drop_parked_waiter, poll_elsewhere, repoll_parked_waiter};
use support::within;
use tulipa::channel::{broadcast, mpsc, oneshot, watch};
use tulipa::future::SettableFuture;
use tulipa::queue::{LifoQueue, PriorityQueue, Queue};
use tulipa::sync::{
    Barrier, BoundedSemaphore, Condition, Event, Lock, OnceCell, RwLock, Semaphore,
};

const LIMIT: Duration = Duration::from_secs(5);

/// A primitive that borrowed futures must outlive the 'static task that holds them.
fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}

/// Polls `f` once with a waker that owns nothing, so that it parks; returns it.
fn parked<F: Future + Unpin>(mut f: F) -> F {
    assert!(poll_elsewhere(&mut f).is_pending(), "it must park");
    f
}

#[test]
fn semaphore_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let sem = Arc::new(Semaphore::new(1));
        let permit = sem.clone().try_acquire_owned().unwrap();
        drop_parked_waiter(permit, sem.clone().acquire_owned());
        assert_eq!(sem.available_permits(), 1, "the task's permit came back");
    });
}

#[test]
fn semaphore_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let sem = Arc::new(Semaphore::new(1));
        let permit = sem.clone().try_acquire_owned().unwrap();
        let mut acquire = sem.clone().acquire_owned();
        let (_task, first) = repoll_parked_waiter(permit, &mut acquire);
        assert!(first.is_pending());
        // The permit the dropped task gave back was handed to the re-polled waiter.
        let Poll::Ready(p) = poll_elsewhere(&mut acquire) else {
            panic!("the released permit goes to the queued acquire");
        };
        assert_eq!(p.num_permits(), 1);
        assert_eq!(sem.available_permits(), 0);
    });
}

#[test]
fn bounded_semaphore_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let sem = Arc::new(BoundedSemaphore::new(1));
        let permit = sem.clone().try_acquire_owned().unwrap();
        drop_parked_waiter(permit, sem.clone().acquire_owned());
        assert_eq!(sem.available_permits(), 1);
    });
}

#[test]
fn lock_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let lock = Arc::new(Lock::new(0));
        let guard = lock.clone().try_lock_owned().unwrap();
        drop_parked_waiter(guard, lock.clone().lock_owned());
        assert!(!lock.locked(), "the task's guard unlocked it");
    });
}

#[test]
fn lock_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let lock = Arc::new(Lock::new(0));
        let mut guard = lock.clone().try_lock_owned().unwrap();
        *guard = 7;
        let mut fut = lock.clone().lock_owned();
        let (_task, first) = repoll_parked_waiter(guard, &mut fut);
        assert!(first.is_pending());
        let Poll::Ready(g) = poll_elsewhere(&mut fut) else {
            panic!("the lock goes to the queued waiter");
        };
        assert_eq!(*g, 7);
    });
}

#[test]
fn rwlock_read_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let lock = leak(RwLock::new(0));
        let writer = lock.try_write().unwrap();
        drop_parked_waiter(writer, Box::pin(lock.read()));
        assert!(lock.try_write().is_ok(), "the task's write guard was released");
    });
}

#[test]
fn rwlock_write_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let lock = leak(RwLock::new(0));
        let reader = lock.try_read().unwrap();
        drop_parked_waiter(reader, Box::pin(lock.write()));
        assert!(lock.try_write().is_ok(), "the task's read guard was released");
    });
}

#[test]
fn condition_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let cond = leak(Condition::new(()));
        // The task holds a waiter of the same condition; its drop leaves the list.
        let other = parked(cond.wait(cond.try_lock().unwrap()));
        drop_parked_waiter(other, cond.wait(cond.try_lock().unwrap()));
        assert!(!cond.locked());
        assert!(format!("{cond:?}").contains("waiters: 0"), "{cond:?}");
    });
}

#[test]
fn event_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let event = leak(Event::new());
        let other = parked(Box::pin(event.wait()));
        drop_parked_waiter(other, Box::pin(event.wait()));
        event.set();
        assert!(event.is_set());
    });
}

#[test]
fn barrier_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let barrier = leak(Barrier::new(3));
        let other = parked(Box::pin(barrier.wait()));
        drop_parked_waiter(other, Box::pin(barrier.wait()));
        assert_eq!(barrier.n_waiting(), 0, "both arrivals were withdrawn");
    });
}

#[test]
fn once_cell_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let cell = leak(OnceCell::new());
        // The task holds the turn to initialise (an initialiser that never finishes).
        let init = parked(Box::pin(
            cell.get_or_init(|| std::future::pending::<u32>()),
        ));
        drop_parked_waiter(init, Box::pin(cell.get_or_init(|| async { 1 })));
        // The turn was passed back: a new caller initialises at once.
        let mut again = Box::pin(cell.get_or_init(|| async { 2 }));
        assert_eq!(poll_elsewhere(&mut again), Poll::Ready(&2));
    });
}

#[test]
fn queue_get_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(Queue::new(0));
        let other = parked(q.get());
        drop_parked_waiter(other, q.get());
        q.try_put(1).unwrap();
        assert_eq!(q.try_get(), Ok(1));
    });
}

#[test]
fn queue_put_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(Queue::new(1));
        q.try_put(1).unwrap();
        let other = parked(q.put(2));
        drop_parked_waiter(other, q.put(3));
        assert_eq!(q.try_get(), Ok(1));
        assert!(q.try_get().is_err(), "neither cancelled put inserted");
    });
}

#[test]
fn queue_get_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(Queue::new(0));
        let other = parked(q.get());
        let mut get = q.get();
        let (_task, out) = repoll_parked_waiter(other, &mut get);
        assert!(out.is_pending());
        q.try_put(5).unwrap();
        assert_eq!(poll_elsewhere(&mut get), Poll::Ready(Ok(5)));
    });
}

#[test]
fn lifo_queue_get_and_put_cancel_drop_the_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(LifoQueue::new(1));
        let other = parked(q.get());
        drop_parked_waiter(other, q.get());
        q.try_put(1).unwrap();
        let other = parked(q.put(2));
        drop_parked_waiter(other, q.put(3));
        assert_eq!(q.try_get(), Ok(1));
        assert!(q.try_get().is_err());
    });
}

#[test]
fn priority_queue_get_and_put_cancel_drop_the_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(PriorityQueue::new(1));
        let other = parked(q.get());
        drop_parked_waiter(other, q.get());
        q.try_put(1).unwrap();
        let other = parked(q.put(2));
        drop_parked_waiter(other, q.put(3));
        assert_eq!(q.try_get(), Ok(1));
        assert!(q.try_get().is_err());
    });
}

#[test]
fn mpsc_recv_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::bounded::<u8>(1);
        // The task holds the last sender: dropping it closes the channel.
        drop_parked_waiter(tx, Box::pin(rx.recv()));
        assert!(rx.is_closed());
    });
}

#[test]
fn mpsc_send_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::bounded::<u8>(1);
        let tx = leak(tx);
        tx.try_send(1).unwrap();
        let other = parked(Box::pin(tx.send(2)));
        drop_parked_waiter(other, Box::pin(tx.send(3)));
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(rx.try_recv().is_err(), "neither cancelled send went through");
    });
}

#[test]
fn oneshot_receiver_drop_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, rx) = oneshot::channel::<u8>();
        // The task holds the sender; the receiver's drop clears its waker.
        drop_parked_waiter(tx, rx);
    });
}

#[test]
fn oneshot_receiver_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = oneshot::channel::<u8>();
        let (_task, out) = repoll_parked_waiter(tx, &mut rx);
        // The displaced waker took the sender with it: the channel is closed.
        assert_eq!(out, Poll::Pending);
        assert_eq!(poll_elsewhere(&mut rx), Poll::Ready(Err(oneshot::RecvError)));
    });
}

#[test]
fn oneshot_closed_drop_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let (mut tx, rx) = oneshot::channel::<u8>();
        // The task holds the receiver; the `closed` future's drop clears its waker.
        drop_parked_waiter(rx, Box::pin(tx.closed()));
        assert!(tx.is_closed());
    });
}

#[test]
fn broadcast_recv_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = broadcast::channel::<u8>(4);
        let other = tx.subscribe();
        drop_parked_waiter(other, Box::pin(rx.recv()));
        assert_eq!(tx.receiver_count(), 1);
    });
}

#[test]
fn watch_changed_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = watch::channel(0u8);
        let other = rx.clone();
        drop_parked_waiter(other, Box::pin(rx.changed()));
        assert_eq!(tx.receiver_count(), 1);
    });
}

#[test]
fn settable_future_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let fut: SettableFuture<u8, ()> = SettableFuture::new();
        // The first waiter takes the inline slot; the task holds it, and the waiter under
        // test parks in the list.
        let first = parked(fut.wait());
        drop_parked_waiter(first, fut.wait());
        fut.set_result(3).unwrap();
        assert_eq!(poll_elsewhere(&mut fut.wait()), Poll::Ready(Ok(3)));
    });
}

#[test]
fn settable_future_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let fut: SettableFuture<u8, ()> = SettableFuture::new();
        let first = parked(fut.wait());
        let mut second = fut.wait();
        let (_task, out) = repoll_parked_waiter(first, &mut second);
        assert!(out.is_pending());
        fut.set_result(4).unwrap();
        assert_eq!(poll_elsewhere(&mut second), Poll::Ready(Ok(4)));
    });
}
