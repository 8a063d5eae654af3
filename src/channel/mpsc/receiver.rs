//! The receiving half of an mpsc channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::TryRecvError;
use super::Chan;
use crate::loom::Arc;
use crate::queue::{Slot, TryGetError};

/// The receiving half of an mpsc channel: there is one, and receiving takes `&mut self`.
///
/// Dropping it closes the channel and drops the values still buffered; senders then get
/// their values back.
///
/// ```
/// use tulipa::channel::mpsc;
///
/// tulipa::run(async {
///     let (tx, mut rx) = mpsc::bounded(4);
///     tulipa::spawn(async move {
///         for word in ["a", "b", "c"] {
///             tx.send(word).await.unwrap();
///         }
///     })
///     .detach();
///     let mut words = String::new();
///     while let Some(w) = rx.recv().await {
///         words.push_str(w);
///     }
///     assert_eq!(words, "abc");
/// });
/// ```
pub struct Receiver<T> {
    chan: Arc<Chan<T>>,
    /// Where `poll_recv` is parked in the core's getters list, if it is.
    slot: Slot,
}

impl<T> Receiver<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Receiver<T> {
        Receiver { chan, slot: None }
    }

    /// Receives the next value, waiting while the channel is empty; `None` once the channel
    /// is closed (every sender dropped, or [`close`](Receiver::close) called) and empty.
    ///
    /// Spends one unit of the task's cooperative budget when it completes, and yields first
    /// if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a value is taken out of the channel only by the poll that returns it, so
    /// a cancelled `recv` (a timeout, a lost race) loses nothing; the next `recv` gets it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// tulipa::run(async {
    ///     tulipa::time::pause();
    ///     let (tx, mut rx) = tulipa::channel::mpsc::unbounded();
    ///     assert!(tulipa::time::timeout(Duration::from_secs(1), rx.recv()).await.is_err());
    ///     tx.send(7).await.unwrap();
    ///     assert_eq!(rx.recv().await, Some(7));
    /// });
    /// ```
    pub fn recv(&mut self) -> RecvFuture<'_, T> {
        RecvFuture { rx: self }
    }

    /// Polls for the next value: `Ready(Some(value))`, `Ready(None)` once the channel is
    /// closed and empty, or `Pending` (the waker in `cx` is woken when that changes). This is
    /// what a `Stream::poll_next` implementation calls.
    ///
    /// While it returns `Pending` the receiver keeps its place (and any value promised to
    /// it) until it is polled again, calls [`try_recv`](Receiver::try_recv), or is dropped.
    ///
    /// ```
    /// use std::future::poll_fn;
    ///
    /// tulipa::run(async {
    ///     let (tx, mut rx) = tulipa::channel::mpsc::unbounded();
    ///     tx.try_send(1).unwrap();
    ///     drop(tx);
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, Some(1));
    ///     assert_eq!(poll_fn(|cx| rx.poll_recv(cx)).await, None);
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        crate::coop::budgeted(cx, |cx| self.chan.core.poll_get(&mut self.slot, cx)).map(Result::ok)
    }

    /// Takes the next value without waiting, or reports [`TryRecvError::Empty`] or
    /// [`TryRecvError::Closed`].
    ///
    /// ```
    /// use tulipa::channel::mpsc::{self, TryRecvError};
    ///
    /// let (tx, mut rx) = mpsc::bounded(2);
    /// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
    /// tx.try_send(5).unwrap();
    /// assert_eq!(rx.try_recv(), Ok(5));
    /// ```
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        // Rule 4: a value promised to our own parked slot must be visible here.
        self.chan.core.cancel_get(&mut self.slot);
        self.chan.core.try_get().map_err(|e| match e {
            TryGetError::Empty => TryRecvError::Empty,
            _ => TryRecvError::Closed,
        })
    }

    /// Closes the channel: every send from now on fails with its value handed back (senders
    /// waiting for room too), while the values already buffered can still be received.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let (tx, mut rx) = tulipa::channel::mpsc::bounded(4);
    ///     tx.send(1).await.unwrap();
    ///     rx.close();
    ///     assert_eq!(tx.send(2).await.unwrap_err().0, 2);
    ///     assert_eq!(rx.recv().await, Some(1));
    ///     assert_eq!(rx.recv().await, None);
    /// });
    /// ```
    pub fn close(&mut self) {
        self.chan.core.shutdown(false);
    }

    /// Whether the channel is closed: every sender was dropped or [`close`](Receiver::close)
    /// was called. Values may still be buffered.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::mpsc::unbounded::<u8>();
    /// drop(tx);
    /// assert!(rx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.core.is_shutdown()
    }

    /// The number of values buffered.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::mpsc::bounded(4);
    /// tx.try_send(()).unwrap();
    /// tx.try_send(()).unwrap();
    /// assert_eq!(rx.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.core.qsize()
    }

    /// Whether no value is buffered.
    ///
    /// ```
    /// let (_tx, rx) = tulipa::channel::mpsc::bounded::<u8>(4);
    /// assert!(rx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The capacity given to [`bounded`](super::bounded), or `None` for an unbounded channel.
    ///
    /// ```
    /// let (_tx, rx) = tulipa::channel::mpsc::bounded::<u8>(3);
    /// assert_eq!(rx.max_capacity(), Some(3));
    /// ```
    pub fn max_capacity(&self) -> Option<usize> {
        Some(self.chan.core.maxsize()).filter(|n| *n > 0)
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        self.chan.core.cancel_get(&mut self.slot);
        self.chan.core.shutdown(true); // rule 3
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver")
            .field("len", &self.len())
            .field("max_capacity", &self.max_capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Receiver::recv`]: the next value, or `None` once the channel is closed and
/// empty.
///
/// # Cancel safety
///
/// Cancel safe: dropping it loses no value; the next `recv` gets it.
///
/// ```
/// tulipa::run(async {
///     let (tx, mut rx) = tulipa::channel::mpsc::bounded(1);
///     let recv = rx.recv();
///     drop(recv); // gave up: nothing lost
///     tx.send('x').await.unwrap();
///     assert_eq!(rx.recv().await, Some('x'));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct RecvFuture<'a, T> {
    rx: &'a mut Receiver<T>,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        self.rx.poll_recv(cx)
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        // Leave no parked slot behind: a value promised to it stays in the channel.
        let rx = &mut *self.rx;
        rx.chan.core.cancel_get(&mut rx.slot);
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}
