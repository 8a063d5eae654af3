//! No synchronization primitive (and no `CancelToken`) drops a waker while it holds its own
//! lock.
//!
//! Under an executor whose waker owns its task (`support/owning_waker.rs`), dropping a
//! parked task's last waker drops the task's future, and what that future holds (a permit,
//! a guard, another parked waiter of the same primitive) re-enters the primitive from its
//! destructor. Each test parks a waiter with the waker of a task that holds such a thing, lets
//! the executor forget the task, and then takes the primitive's cancel path (the waiter is
//! dropped) or its re-poll path (the waiter is polled by another task, which displaces the
//! waker). Dropping that waker under the primitive's lock deadlocks (std's `Mutex` is not
//! re-entrant), so each test runs under the `within` watchdog and fails instead of hanging.
#![cfg(not(target_arch = "wasm32"))]

#[path = "support/mod.rs"]
mod support;

#[path = "support/owning_waker.rs"]
mod owning_waker;

use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use owning_waker::{drop_parked_waiter, leak, parked, poll_elsewhere, repoll_parked_waiter};
use support::within;
use tulipa::sync::{
    Barrier, BoundedSemaphore, Condition, Event, Lock, OnceCell, RwLock, Semaphore,
};
use tulipa::CancelToken;

const LIMIT: Duration = Duration::from_secs(5);

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
        assert!(
            lock.try_write().is_ok(),
            "the task's write guard was released"
        );
    });
}

#[test]
fn rwlock_write_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let lock = leak(RwLock::new(0));
        let reader = lock.try_read().unwrap();
        drop_parked_waiter(reader, Box::pin(lock.write()));
        assert!(
            lock.try_write().is_ok(),
            "the task's read guard was released"
        );
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
        let init = parked(Box::pin(cell.get_or_init(std::future::pending::<u32>)));
        drop_parked_waiter(init, Box::pin(cell.get_or_init(|| async { 1 })));
        // The turn was passed back: a new caller initialises at once.
        let mut again = Box::pin(cell.get_or_init(|| async { 2 }));
        assert_eq!(poll_elsewhere(&mut again), Poll::Ready(&2));
    });
}

#[test]
fn rwlock_read_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let lock = leak(RwLock::new(3));
        let writer = lock.try_write().unwrap();
        let mut read = Box::pin(lock.read());
        let (_task, out) = repoll_parked_waiter(writer, &mut read);
        assert!(out.is_pending());
        let Poll::Ready(r) = poll_elsewhere(&mut read) else {
            panic!("the released write lock lets the queued reader in");
        };
        assert_eq!(*r, 3);
    });
}

#[test]
fn condition_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let cond = leak(Condition::new(5));
        let other = parked(cond.wait(cond.try_lock().unwrap()));
        let mut wait = cond.wait(cond.try_lock().unwrap());
        let (_task, out) = repoll_parked_waiter(other, &mut wait);
        assert!(out.is_pending());
        assert!(format!("{cond:?}").contains("waiters: 1"), "{cond:?}");
        cond.notify(1);
        let Poll::Ready(g) = poll_elsewhere(&mut wait) else {
            panic!("the notified waiter relocks at once");
        };
        assert_eq!(*g, 5);
    });
}

#[test]
fn event_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let event = leak(Event::new());
        let other = parked(Box::pin(event.wait()));
        let mut wait = Box::pin(event.wait());
        let (_task, out) = repoll_parked_waiter(other, &mut wait);
        assert!(out.is_pending());
        event.set();
        assert_eq!(poll_elsewhere(&mut wait), Poll::Ready(()));
    });
}

#[test]
fn barrier_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let barrier = leak(Barrier::new(3));
        let other = parked(Box::pin(barrier.wait()));
        let mut wait = Box::pin(barrier.wait());
        let (_task, out) = repoll_parked_waiter(other, &mut wait);
        assert!(out.is_pending());
        assert_eq!(
            barrier.n_waiting(),
            1,
            "the dropped task's arrival was withdrawn"
        );
    });
}

#[test]
fn once_cell_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let cell = leak(OnceCell::new());
        let init = parked(Box::pin(cell.get_or_init(std::future::pending::<u32>)));
        let mut get = Box::pin(cell.get_or_init(|| async { 1 }));
        let (_task, out) = repoll_parked_waiter(init, &mut get);
        assert!(out.is_pending());
        // The dropped initialiser passed its turn to the queued caller, which runs its own.
        assert_eq!(poll_elsewhere(&mut get), Poll::Ready(&1));
    });
}

#[test]
fn cancel_token_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let token = CancelToken::new();
        let other = parked(token.cancelled());
        drop_parked_waiter(other, token.cancelled());
        token.cancel();
        assert_eq!(poll_elsewhere(&mut token.cancelled()), Poll::Ready(()));
    });
}

#[test]
fn cancel_token_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let token = CancelToken::new();
        let other = parked(token.cancelled());
        let mut wait = token.cancelled();
        let (_task, out) = repoll_parked_waiter(other, &mut wait);
        assert!(out.is_pending());
        token.cancel();
        assert_eq!(poll_elsewhere(&mut wait), Poll::Ready(()));
    });
}
