//! A channel for one value: the [`Sender`] sends it once, the [`Receiver`] awaits it.
//!
//! ```
//! use tulipa::channel::oneshot;
//!
//! tulipa::run(async {
//!     let (tx, rx) = oneshot::channel();
//!     tulipa::spawn(async move {
//!         let _ = tx.send("the answer");
//!     })
//!     .detach();
//!     assert_eq!(rx.await, Ok("the answer"));
//! });
//! ```
//!
//! * If the sender is dropped without sending, the receiver gets [`RecvError`].
//! * If the receiver is dropped (or [closed](Receiver::close)) first, [`Sender::send`] hands
//!   the value back, and [`Sender::closed`] resolves, so a producer can stop work nobody
//!   waits for.
//!
//! Both halves are `Send` (and `Sync`) when the value is `Send`: the value may cross threads.

// Maintainer notes: the protocol.
//
// One `crate::loom::Mutex<State>` shared through an `Arc`:
//
//   value        the sent value, until the receiver takes it
//   sent         set by `send`: with `value` empty, the receiver already took it (polling
//                again is then a bug, reported by a panic, not a `RecvError`)
//   tx_gone      the sender was consumed by `send` or dropped
//   rx_closed    the receiver was dropped or called `close`
//   rx_waker     the receiver's waker while it waits; tx_waker: `Sender::closed`'s
//
// 1. `send` fails (handing the value back) iff `rx_closed`; else it stores the value, sets
//    `sent`, and wakes `rx_waker`.
// 2. Dropping the sender (after `send` or not) sets `tx_gone` and wakes `rx_waker`.
// 3. The receiver's poll: a value → take it; else `tx_gone` → `RecvError`; else store the
//    waker. `try_recv` is the same without the waker.
// 4. `close` and dropping the receiver set `rx_closed` and wake `tx_waker`; dropping also
//    takes the value out, to drop it after unlocking.
// 5. Wakers are taken under the lock and woken after it; values are never dropped under it,
//    and neither are wakers (a replaced or cleared one is taken out and dropped after it):
//    with an executor whose waker owns its task, dropping the last one drops that task's
//    future, which may hold the other half of this channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::loom::{lock, Arc, Mutex};

struct State<T> {
    value: Option<T>,
    sent: bool,
    tx_gone: bool,
    rx_closed: bool,
    rx_waker: Option<Waker>,
    tx_waker: Option<Waker>,
}

/// Makes a oneshot channel.
///
/// ```
/// let (tx, mut rx) = tulipa::channel::oneshot::channel();
/// tx.send(5).unwrap();
/// assert_eq!(rx.try_recv(), Ok(5));
/// ```
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(State {
        value: None,
        sent: false,
        tx_gone: false,
        rx_closed: false,
        rx_waker: None,
        tx_waker: None,
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared },
    )
}

fn wake(waker: Option<Waker>) {
    if let Some(w) = waker {
        w.wake();
    }
}

/// The sending half: [`send`](Sender::send) consumes it.
///
/// ```
/// use tulipa::channel::oneshot;
///
/// tulipa::run(async {
///     let (tx, rx) = oneshot::channel::<u8>();
///     drop(tx); // never sent
///     assert_eq!(rx.await, Err(oneshot::RecvError));
/// });
/// ```
pub struct Sender<T> {
    shared: Arc<Mutex<State<T>>>,
}

impl<T> Sender<T> {
    /// Sends `value`, or hands it back if the receiver was dropped or closed (rule 1).
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::oneshot::channel();
    /// drop(rx);
    /// assert_eq!(tx.send("unheard"), Err("unheard"));
    /// ```
    pub fn send(self, value: T) -> Result<(), T> {
        let mut s = lock(&self.shared);
        if s.rx_closed {
            return Err(value);
        }
        s.value = Some(value);
        s.sent = true;
        let waker = s.rx_waker.take();
        drop(s);
        wake(waker);
        Ok(()) // dropping `self` now marks the sender gone (rule 2)
    }

    /// Whether the receiver was dropped or closed: a send would hand the value back.
    ///
    /// ```
    /// let (tx, mut rx) = tulipa::channel::oneshot::channel::<u8>();
    /// assert!(!tx.is_closed());
    /// rx.close();
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shared).rx_closed
    }

    /// Waits until the receiver is dropped or closed: nobody will take the value, so the
    /// work that would produce it can stop.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let (mut tx, rx) = tulipa::channel::oneshot::channel::<u8>();
    ///     tulipa::spawn(async move { drop(rx) }).detach();
    ///     tx.closed().await;
    ///     assert!(tx.send(1).is_err());
    /// });
    /// ```
    pub fn closed(&mut self) -> Closed<'_, T> {
        Closed { tx: self }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut s = lock(&self.shared);
        s.tx_gone = true;
        let stale = s.tx_waker.take();
        let waker = s.rx_waker.take();
        drop(s);
        drop(stale); // rule 5
        wake(waker);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Sender")
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::closed`]: resolves when the receiver is dropped or closed.
///
/// # Cancel safety
///
/// Cancel safe: it only waits.
///
/// ```
/// tulipa::run(async {
///     let (mut tx, mut rx) = tulipa::channel::oneshot::channel::<u8>();
///     rx.close();
///     tx.closed().await; // ready at once
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Closed<'a, T> {
    tx: &'a mut Sender<T>,
}

impl<T> Future for Closed<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = lock(&self.tx.shared);
        if s.rx_closed {
            return Poll::Ready(());
        }
        let stale = match &mut s.tx_waker {
            Some(w) if w.will_wake(cx.waker()) => None,
            slot => slot.replace(cx.waker().clone()),
        };
        drop(s);
        drop(stale); // rule 5
        Poll::Pending
    }
}

impl<T> Drop for Closed<'_, T> {
    fn drop(&mut self) {
        // Rule 5: taken out under the lock (a temporary), dropped after it.
        let stale = lock(&self.tx.shared).tx_waker.take();
        drop(stale);
    }
}

impl<T> fmt::Debug for Closed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("oneshot::Closed").finish_non_exhaustive()
    }
}

/// The receiving half, itself a future of the value: `Ok(value)`, or [`RecvError`] if the
/// sender was dropped without sending.
///
/// # Panics
///
/// Polled again after it returned the value (or after [`Receiver::try_recv`] took it).
///
/// Awaiting it spends one unit of the task's cooperative budget when it completes, and
/// yields first if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
///
/// # Cancel safety
///
/// Cancel safe when polled through `&mut` (in a `timeout`, a race): the value stays in the
/// channel until a poll returns it. Dropping the receiver itself drops a value already sent
/// (and makes a later [`Sender::send`] fail), since nobody can receive it any more.
///
/// ```
/// use std::time::Duration;
///
/// tulipa::run(async {
///     tulipa::time::pause();
///     let (tx, mut rx) = tulipa::channel::oneshot::channel();
///     assert!(tulipa::time::timeout(Duration::from_secs(1), &mut rx).await.is_err());
///     tx.send("still here").unwrap();
///     assert_eq!(rx.await, Ok("still here"));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Receiver<T> {
    shared: Arc<Mutex<State<T>>>,
}

impl<T> Receiver<T> {
    /// Takes the value without waiting, or reports [`TryRecvError::Empty`] (not sent yet) or
    /// [`TryRecvError::Closed`] (the sender was dropped without sending, or the value was
    /// already received).
    ///
    /// ```
    /// use tulipa::channel::oneshot::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = oneshot::channel();
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.send(1).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let mut s = lock(&self.shared);
        match s.value.take() {
            Some(v) => Ok(v),
            None if s.tx_gone => Err(TryRecvError::Closed),
            None => Err(TryRecvError::Empty),
        }
    }

    /// Refuses the value: a later [`Sender::send`] hands it back, and [`Sender::closed`]
    /// resolves. A value sent before `close` can still be received.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let (tx, mut rx) = tulipa::channel::oneshot::channel::<u8>();
    ///     rx.close();
    ///     assert_eq!(tx.send(3), Err(3));
    ///     assert!(rx.await.is_err());
    /// });
    /// ```
    pub fn close(&mut self) {
        let mut s = lock(&self.shared);
        s.rx_closed = true;
        let waker = s.tx_waker.take();
        drop(s);
        wake(waker);
    }
}

impl<T> Future for Receiver<T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        crate::coop::budgeted(cx, |cx| self.poll_unbudgeted(cx))
    }
}

impl<T> Receiver<T> {
    fn poll_unbudgeted(&self, cx: &mut Context<'_>) -> Poll<Result<T, RecvError>> {
        let mut s = lock(&self.shared);
        if let Some(v) = s.value.take() {
            return Poll::Ready(Ok(v));
        }
        if s.tx_gone {
            let taken = s.sent;
            drop(s);
            assert!(
                !taken,
                "oneshot Receiver polled after its value was received"
            );
            return Poll::Ready(Err(RecvError));
        }
        let stale = match &mut s.rx_waker {
            Some(w) if w.will_wake(cx.waker()) => None,
            slot => slot.replace(cx.waker().clone()),
        };
        drop(s);
        drop(stale); // rule 5
        Poll::Pending
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let mut s = lock(&self.shared);
        s.rx_closed = true;
        let stale = s.rx_waker.take();
        let value = s.value.take();
        let waker = s.tx_waker.take();
        drop(s);
        drop(stale); // rule 5
        drop(value);
        wake(waker);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = lock(&self.shared);
        f.debug_struct("oneshot::Receiver")
            .field("sent", &s.sent)
            .field("ready", &s.value.is_some())
            .finish()
    }
}

/// The sender was dropped without sending a value.
///
/// ```
/// tulipa::run(async {
///     let (tx, rx) = tulipa::channel::oneshot::channel::<()>();
///     drop(tx);
///     let err = rx.await.unwrap_err();
///     assert_eq!(err.to_string(), "the oneshot sender was dropped without sending");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the oneshot sender was dropped without sending")
    }
}

impl std::error::Error for RecvError {}

/// Why [`Receiver::try_recv`] returned no value.
///
/// ```
/// use tulipa::channel::oneshot::{self, TryRecvError};
///
/// let (tx, mut rx) = oneshot::channel::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TryRecvError {
    /// No value yet; the sender may still send one.
    Empty,
    /// No value will come: the sender was dropped without sending, or the value was already
    /// received.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("no value has been sent yet"),
            TryRecvError::Closed => f.write_str("no value will be received"),
        }
    }
}

impl std::error::Error for TryRecvError {}
