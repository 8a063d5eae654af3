//! The settable future drops no waker while it holds its own lock.
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

use owning_waker::{drop_parked_waiter, parked, poll_elsewhere, repoll_parked_waiter};
use support::within;
use tulipa::future::SettableFuture;

const LIMIT: Duration = Duration::from_secs(5);

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

/// The inline slot (`first`, taken by the first waiter) on the cancel path: `first` is
/// parked and dropped again, so that the waiter under test takes the inline slot while the
/// task holds a waiter from the list.
#[test]
fn settable_future_first_slot_cancel_drops_the_waker_after_unlocking() {
    within(LIMIT, || {
        let fut: SettableFuture<u8, ()> = SettableFuture::new();
        let first = parked(fut.wait());
        let listed = parked(fut.wait());
        drop(first);
        drop_parked_waiter(listed, fut.wait());
        fut.set_result(6).unwrap();
        assert_eq!(poll_elsewhere(&mut fut.wait()), Poll::Ready(Ok(6)));
    });
}

/// The inline slot on the re-poll path (set up as above).
#[test]
fn settable_future_first_slot_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let fut: SettableFuture<u8, ()> = SettableFuture::new();
        let first = parked(fut.wait());
        let listed = parked(fut.wait());
        drop(first);
        let mut mine = fut.wait();
        let (_task, out) = repoll_parked_waiter(listed, &mut mine);
        assert!(out.is_pending());
        fut.set_result(5).unwrap();
        assert_eq!(poll_elsewhere(&mut mine), Poll::Ready(Ok(5)));
    });
}
