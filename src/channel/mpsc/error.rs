//! The ways an mpsc send or receive can be refused. Errors that refuse a value hand it back.

use std::fmt;

/// The channel is closed: the [`Receiver`](super::Receiver) was dropped or called
/// [`close`](super::Receiver::close). The value that could not be sent is handed back.
///
/// ```
/// use tulipa::channel::mpsc;
///
/// tulipa::run(async {
///     let (tx, rx) = mpsc::bounded(4);
///     drop(rx);
///     let mpsc::SendError(value) = tx.send("lost?").await.unwrap_err();
///     assert_eq!(value, "lost?"); // no: handed back
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that could not be sent.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::mpsc::unbounded();
    /// drop(rx);
    /// tulipa::run(async move {
    ///     assert_eq!(tx.send(9).await.unwrap_err().into_inner(), 9);
    /// });
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the channel is closed")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// Why [`Sender::try_send`](super::Sender::try_send) refused a value; the value is handed
/// back.
///
/// ```
/// use tulipa::channel::mpsc::{self, TrySendError};
///
/// let (tx, mut rx) = mpsc::bounded(1);
/// tx.try_send(1).unwrap();
/// assert_eq!(tx.try_send(2), Err(TrySendError::Full(2)));
/// rx.close();
/// assert_eq!(tx.try_send(3), Err(TrySendError::Closed(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrySendError<T> {
    /// The channel holds its capacity of values (or its free slots are promised to senders
    /// that were woken and have not run yet). Never happens on an unbounded channel.
    Full(T),
    /// The receiver was dropped or closed the channel.
    Closed(T),
}

impl<T> TrySendError<T> {
    /// The value that could not be sent.
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::mpsc::bounded(1);
    /// tx.try_send('a').unwrap();
    /// assert_eq!(tx.try_send('b').unwrap_err().into_inner(), 'b');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TrySendError::Full(t) | TrySendError::Closed(t) => t,
        }
    }

    /// Whether the channel was full.
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::mpsc::bounded(1);
    /// tx.try_send(()).unwrap();
    /// assert!(tx.try_send(()).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TrySendError::Full(_))
    }

    /// Whether the channel was closed.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::mpsc::bounded(1);
    /// drop(rx);
    /// assert!(tx.try_send(()).unwrap_err().is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self, TrySendError::Closed(_))
    }
}

impl<T> fmt::Debug for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("Full(..)"),
            TrySendError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for TrySendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrySendError::Full(_) => f.write_str("the channel is full"),
            TrySendError::Closed(_) => f.write_str("the channel is closed"),
        }
    }
}

impl<T> std::error::Error for TrySendError<T> {}

/// Why [`Receiver::try_recv`](super::Receiver::try_recv) returned no value.
///
/// ```
/// use tulipa::channel::mpsc::{self, TryRecvError};
///
/// let (tx, mut rx) = mpsc::unbounded::<u8>();
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
/// drop(tx);
/// assert_eq!(rx.try_recv(), Err(TryRecvError::Closed));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TryRecvError {
    /// No value is buffered, and a sender may still send one.
    Empty,
    /// No value is buffered and none will come: every sender was dropped, or the receiver
    /// closed the channel.
    Closed,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("the channel is empty"),
            TryRecvError::Closed => f.write_str("the channel is empty and closed"),
        }
    }
}

impl std::error::Error for TryRecvError {}
