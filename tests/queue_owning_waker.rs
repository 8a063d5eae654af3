//! No queue drops a waker while it holds its own lock.
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

use std::task::Poll;
use std::time::Duration;

use owning_waker::{drop_parked_waiter, leak, parked, poll_elsewhere, repoll_parked_waiter};
use support::within;
use tulipa::queue::{LifoQueue, PriorityQueue, Queue};

const LIMIT: Duration = Duration::from_secs(5);

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
fn queue_put_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(Queue::new(1));
        q.try_put(1).unwrap();
        let other = parked(q.put(2));
        let mut put = q.put(3);
        let (_task, out) = repoll_parked_waiter(other, &mut put);
        assert!(out.is_pending());
        assert_eq!(q.try_get(), Ok(1));
        assert!(
            poll_elsewhere(&mut put).is_ready(),
            "the freed slot goes to the put"
        );
        assert_eq!(q.try_get(), Ok(3));
    });
}

#[test]
fn queue_join_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(Queue::new(0));
        q.try_put(1).unwrap();
        let other = parked(q.join());
        drop_parked_waiter(other, q.join());
        assert_eq!(q.try_get(), Ok(1));
        q.task_done().unwrap();
        assert_eq!(poll_elsewhere(&mut q.join()), Poll::Ready(()));
    });
}

#[test]
fn queue_join_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let q = leak(Queue::new(0));
        q.try_put(1).unwrap();
        let other = parked(q.join());
        let mut join = q.join();
        let (_task, out) = repoll_parked_waiter(other, &mut join);
        assert!(out.is_pending());
        assert_eq!(q.try_get(), Ok(1));
        q.task_done().unwrap();
        assert_eq!(poll_elsewhere(&mut join), Poll::Ready(()));
    });
}
