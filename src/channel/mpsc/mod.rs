//! A multi-producer, single-consumer channel, bounded or unbounded.
//!
//! [`bounded`] and [`unbounded`] return a [`Sender`] (clone it for more producers) and the
//! one [`Receiver`]. Values arrive in the order they were sent (per sender, and across
//! senders in the order their sends completed).
//!
//! ```
//! use tulipa::channel::mpsc;
//!
//! tulipa::run(async {
//!     let (tx, mut rx) = mpsc::bounded(8);
//!     for id in 0..3 {
//!         let tx = tx.clone();
//!         tulipa::spawn(async move {
//!             tx.send(id).await.unwrap();
//!         })
//!         .detach();
//!     }
//!     drop(tx); // the receiver sees `None` once every sender is gone
//!     let mut got = Vec::new();
//!     while let Some(id) = rx.recv().await {
//!         got.push(id);
//!     }
//!     got.sort();
//!     assert_eq!(got, [0, 1, 2]);
//! });
//! ```
//!
//! # Capacity
//!
//! `bounded(n)` holds exactly `n` values: the `n`-th send completes at once and the
//! `n + 1`-th waits until the receiver takes one, however many senders there are (unlike
//! `futures-channel`, whose `channel(n)` holds `n` plus one per sender). `unbounded()` never
//! makes a send wait. Senders waiting for room are served first in, first out.
//!
//! # Closing
//!
//! * When every [`Sender`] is dropped, the receiver gets the values still buffered, then
//!   `None`.
//! * [`Receiver::close`] refuses further sends (each hands its value back in a [`SendError`],
//!   waiting senders included) and lets the receiver drain what is buffered.
//! * Dropping the [`Receiver`] closes the channel and drops the buffered values; senders get
//!   their values back.
//!
//! # Executor-agnostic, thread-safe
//!
//! Built on the same core as [`crate::queue::Queue`], using only [`std::task::Waker`]:
//! senders and the receiver may live on different loops or threads (they are `Send` and
//! `Sync` when the values are `Send`).
//!
//! # Streams
//!
//! tulipa does not depend on `futures-core`, so [`Receiver`] does not implement its `Stream`
//! trait; [`Receiver::poll_recv`] is the `poll_next` such an implementation needs.

// Maintainer notes: the protocol.
//
// A channel is an `Arc<Chan>`: the queue core (FIFO store, capacity n, or 0 for unbounded)
// and a count of live senders. The core's protocol (src/queue/core.rs) does all the work;
// this module only maps the channel's events onto it:
//
// 1. `send` is the core's put, `recv` its get (with the receiver's own wait-list slot, so
//    that `poll_recv` can park without a future), `try_*` its `try_*`.
// 2. The sender count rises on clone and falls on drop (AcqRel); the drop that takes it to 0
//    shuts the core down gracefully: the receiver drains, then gets `None`. No sender can
//    appear after that (a new one is only made by cloning a live one).
// 3. `Receiver::close` shuts the core down gracefully; dropping the receiver shuts it down
//    immediately (the buffered values are dropped, outside the lock, and blocked senders
//    get theirs back).
// 4. Before `try_recv` takes a value, the receiver gives up a parked `poll_recv` slot: a
//    value promised to that slot would otherwise be invisible to `try_recv`.

mod error;
mod receiver;
mod sender;

pub use error::{SendError, TryRecvError, TrySendError};
pub use receiver::{Receiver, RecvFuture};
pub use sender::{SendFuture, Sender};

use crate::loom::atomic::AtomicUsize;
use crate::loom::Arc;
use crate::queue::{Core, Store};

/// What the senders and the receiver share.
struct Chan<T> {
    core: Core<T>,
    senders: AtomicUsize,
}

/// A channel that holds at most `capacity` values.
///
/// # Panics
///
/// If `capacity` is 0: a channel without room could never take a value. Use
/// [`unbounded`] for no limit, or a [`crate::channel::oneshot`] for a hand-over.
///
/// ```
/// use tulipa::channel::mpsc;
///
/// let (tx, mut rx) = mpsc::bounded(2);
/// tx.try_send(1).unwrap();
/// tx.try_send(2).unwrap();
/// assert!(tx.try_send(3).unwrap_err().is_full()); // exactly 2
/// assert_eq!(rx.try_recv(), Ok(1));
/// ```
#[track_caller]
pub fn bounded<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    assert!(
        capacity > 0,
        "mpsc::bounded(0): a channel needs room for at least one value; \
         use mpsc::unbounded() for no limit"
    );
    channel(capacity)
}

/// A channel without a limit: [`Sender::send`] never waits and [`Sender::try_send`] fails
/// only when the channel is closed.
///
/// ```
/// use tulipa::channel::mpsc;
///
/// let (tx, mut rx) = mpsc::unbounded();
/// for i in 0..10_000 {
///     tx.try_send(i).unwrap();
/// }
/// assert_eq!(rx.len(), 10_000);
/// assert_eq!(rx.try_recv(), Ok(0));
/// ```
pub fn unbounded<T>() -> (Sender<T>, Receiver<T>) {
    channel(0)
}

fn channel<T>(maxsize: usize) -> (Sender<T>, Receiver<T>) {
    let chan = Arc::new(Chan {
        core: Core::new(maxsize, Store::fifo()),
        senders: AtomicUsize::new(1),
    });
    (Sender::new(chan.clone()), Receiver::new(chan))
}
