//! No channel (mpsc, oneshot, broadcast, watch) drops a waker while it holds its own lock.
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
use tulipa::channel::{broadcast, mpsc, oneshot, watch};

const LIMIT: Duration = Duration::from_secs(5);

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
        assert!(
            rx.try_recv().is_err(),
            "neither cancelled send went through"
        );
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
        assert_eq!(
            poll_elsewhere(&mut rx),
            Poll::Ready(Err(oneshot::RecvError))
        );
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
fn mpsc_recv_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::bounded::<u8>(1);
        let mut recv = Box::pin(rx.recv());
        let (_task, out) = repoll_parked_waiter(tx, &mut recv);
        assert!(out.is_pending());
        assert_eq!(
            poll_elsewhere(&mut recv),
            Poll::Ready(None),
            "the last sender went away"
        );
    });
}

#[test]
fn mpsc_send_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = mpsc::bounded::<u8>(1);
        let tx = leak(tx);
        tx.try_send(1).unwrap();
        let other = parked(Box::pin(tx.send(2)));
        let mut send = Box::pin(tx.send(3));
        let (_task, out) = repoll_parked_waiter(other, &mut send);
        assert!(out.is_pending());
        assert_eq!(rx.try_recv(), Ok(1));
        assert!(matches!(poll_elsewhere(&mut send), Poll::Ready(Ok(()))));
        assert_eq!(rx.try_recv(), Ok(3));
    });
}

#[test]
fn oneshot_closed_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let (mut tx, rx) = oneshot::channel::<u8>();
        let mut closed = Box::pin(tx.closed());
        let (_task, out) = repoll_parked_waiter(rx, &mut closed);
        assert!(out.is_pending());
        assert_eq!(
            poll_elsewhere(&mut closed),
            Poll::Ready(()),
            "the receiver went away"
        );
    });
}

#[test]
fn broadcast_recv_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = broadcast::channel::<u8>(4);
        let other = tx.subscribe();
        let mut recv = Box::pin(rx.recv());
        let (_task, out) = repoll_parked_waiter(other, &mut recv);
        assert!(out.is_pending());
        assert_eq!(tx.receiver_count(), 1);
        assert_eq!(tx.send(9), Ok(1));
        assert!(matches!(poll_elsewhere(&mut recv), Poll::Ready(Ok(9))));
    });
}

#[test]
fn watch_changed_repoll_drops_the_displaced_waker_after_unlocking() {
    within(LIMIT, || {
        let (tx, mut rx) = watch::channel(0u8);
        let other = rx.clone();
        let mut changed = Box::pin(rx.changed());
        let (_task, out) = repoll_parked_waiter(other, &mut changed);
        assert!(out.is_pending());
        assert_eq!(tx.receiver_count(), 1);
        tx.send(1).unwrap();
        assert!(matches!(poll_elsewhere(&mut changed), Poll::Ready(Ok(()))));
    });
}
