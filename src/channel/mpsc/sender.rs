//! The sending half of an mpsc channel.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::{SendError, TrySendError};
use super::Chan;
use crate::loom::atomic::Ordering;
use crate::loom::Arc;
use crate::queue::{Put, QueueShutDown, TryPutError};

/// The sending half of an mpsc channel; clone it for more producers.
///
/// `Send + Sync` when the values are `Send`: senders on several threads may feed one
/// receiver.
///
/// ```
/// use tulipa::channel::mpsc;
///
/// tulipa::run(async {
///     let (tx, mut rx) = mpsc::unbounded();
///     let tx2 = tx.clone();
///     tx.send("from tx").await.unwrap();
///     tx2.send("from tx2").await.unwrap();
///     assert_eq!(rx.recv().await, Some("from tx"));
///     assert_eq!(rx.recv().await, Some("from tx2"));
/// });
/// ```
pub struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    pub(super) fn new(chan: Arc<Chan<T>>) -> Sender<T> {
        Sender { chan }
    }

    /// Sends `value`, waiting while the channel is full.
    ///
    /// Fails with [`SendError`], handing the value back, if the channel is closed before the
    /// value gets in (the receiver was dropped or called [`close`](super::Receiver::close)).
    ///
    /// Spends one unit of the task's cooperative budget when it completes, and yields first
    /// if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled send has not sent its value (it is dropped with the future,
    /// or recovered with [`SendFuture::into_inner`]), never sends it twice, and room promised
    /// to it passes to the next waiting sender.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let (tx, mut rx) = tulipa::channel::mpsc::bounded(1);
    ///     tx.send(1).await.unwrap();
    ///     assert_eq!(rx.recv().await, Some(1));
    /// });
    /// ```
    pub fn send(&self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            put: self.chan.core.put(value),
        }
    }

    /// Sends `value` without waiting, or hands it back in [`TrySendError::Full`] or
    /// [`TrySendError::Closed`]. On an unbounded channel this is the synchronous send.
    ///
    /// ```
    /// use tulipa::channel::mpsc::{self, TrySendError};
    ///
    /// let (tx, _rx) = mpsc::bounded(1);
    /// assert_eq!(tx.try_send('a'), Ok(()));
    /// assert_eq!(tx.try_send('b'), Err(TrySendError::Full('b')));
    /// ```
    pub fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.chan.core.try_put(value).map_err(|e| match e {
            TryPutError::Full(v) => TrySendError::Full(v),
            TryPutError::ShutDown(v) => TrySendError::Closed(v),
        })
    }

    /// Whether the channel is closed: the receiver was dropped or called
    /// [`close`](super::Receiver::close), so every send will fail.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::mpsc::bounded::<u8>(1);
    /// assert!(!tx.is_closed());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.chan.core.is_shutdown()
    }

    /// The capacity given to [`bounded`](super::bounded), or `None` for an unbounded channel.
    ///
    /// ```
    /// use tulipa::channel::mpsc;
    /// assert_eq!(mpsc::bounded::<u8>(16).0.max_capacity(), Some(16));
    /// assert_eq!(mpsc::unbounded::<u8>().0.max_capacity(), None);
    /// ```
    pub fn max_capacity(&self) -> Option<usize> {
        Some(self.chan.core.maxsize()).filter(|n| *n > 0)
    }

    /// The number of values buffered in the channel.
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::mpsc::unbounded();
    /// tx.try_send(1).unwrap();
    /// assert_eq!(tx.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.chan.core.qsize()
    }

    /// Whether no value is buffered in the channel.
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::mpsc::unbounded::<u8>();
    /// assert!(tx.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `self` and `other` send into the same channel.
    ///
    /// ```
    /// use tulipa::channel::mpsc;
    /// let (a, _rx) = mpsc::unbounded::<u8>();
    /// let (b, _rx2) = mpsc::unbounded::<u8>();
    /// assert!(a.same_channel(&a.clone()));
    /// assert!(!a.same_channel(&b));
    /// ```
    pub fn same_channel(&self, other: &Sender<T>) -> bool {
        Arc::ptr_eq(&self.chan, &other.chan)
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        // Rule 2: the count only grows from a live sender, so Relaxed is enough here.
        self.chan.senders.fetch_add(1, Ordering::Relaxed);
        Sender {
            chan: self.chan.clone(),
        }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        if self.chan.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.chan.core.shutdown(false); // rule 2: the receiver drains, then sees None
        }
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender")
            .field("len", &self.len())
            .field("max_capacity", &self.max_capacity())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// The future of [`Sender::send`]: resolves once the value is in the channel, or with
/// [`SendError`] (handing the value back) if the channel is closed first.
///
/// # Cancel safety
///
/// Cancel safe: dropping it before it completes sends nothing, and room promised to it
/// passes to the next waiting sender. [`SendFuture::into_inner`] recovers the value.
///
/// ```
/// use std::time::Duration;
/// use tulipa::channel::mpsc;
///
/// tulipa::run(async {
///     tulipa::time::pause();
///     let (tx, mut rx) = mpsc::bounded(1);
///     tx.send(1).await.unwrap();
///     let timed_out = tulipa::time::timeout(Duration::from_secs(1), tx.send(2)).await;
///     assert!(timed_out.is_err());
///     drop(tx);
///     assert_eq!(rx.recv().await, Some(1));
///     assert_eq!(rx.recv().await, None); // 2 was never sent
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<'a, T> {
    put: Put<'a, T>,
}

impl<T> SendFuture<'_, T> {
    /// Gives up the send and returns the value, or `None` if the send already completed.
    /// Like dropping the future, this passes on room promised to it.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// tulipa::run(async {
    ///     tulipa::time::pause();
    ///     let (tx, _rx) = tulipa::channel::mpsc::bounded(1);
    ///     tx.try_send("first").unwrap();
    ///     let mut send = tx.send("second");
    ///     assert!(tulipa::time::timeout(Duration::from_millis(5), &mut send).await.is_err());
    ///     assert_eq!(send.into_inner(), Some("second"));
    /// });
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.put.into_inner()
    }
}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.put)
            .poll(cx)
            .map_err(|QueueShutDown(v)| SendError(v))
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture").finish_non_exhaustive()
    }
}
