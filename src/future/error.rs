//! The errors of [`SettableFuture`](super::SettableFuture): why it gave no value, and why it
//! refused one.

use std::fmt;

use crate::task::Cancelled;

/// Why a [`SettableFuture`](super::SettableFuture) gave no value.
///
/// ```
/// use tulipa::future::{FutureError, SettableFuture};
///
/// let fut: SettableFuture<u8, &str> = SettableFuture::new();
/// assert_eq!(fut.result(), Err(FutureError::NotDone));
/// fut.set_exception("bad input").unwrap();
/// assert_eq!(fut.result(), Err(FutureError::Exception("bad input")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FutureError<E> {
    /// The future was cancelled ([`SettableFuture::cancel`](super::SettableFuture::cancel)), with the message given to
    /// [`SettableFuture::cancel_with`](super::SettableFuture::cancel_with), if any.
    Cancelled(Cancelled),
    /// The future was completed with [`SettableFuture::set_exception`](super::SettableFuture::set_exception).
    Exception(E),
    /// The future is still pending (asyncio's `InvalidStateError`): only
    /// [`SettableFuture::result`](super::SettableFuture::result) reports this; awaiting waits instead.
    NotDone,
}

impl<E> FutureError<E> {
    /// Whether the future was cancelled.
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<()> = tulipa::future::SettableFuture::new();
    /// fut.cancel();
    /// assert!(fut.result().unwrap_err().is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self, FutureError::Cancelled(_))
    }
}

impl<E: fmt::Display> fmt::Display for FutureError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FutureError::Cancelled(c) => write!(f, "future was cancelled{}", CancelMsg(c)),
            FutureError::Exception(e) => e.fmt(f),
            FutureError::NotDone => f.write_str("future is not done: its result is not set"),
        }
    }
}

struct CancelMsg<'a>(&'a Cancelled);

impl fmt::Display for CancelMsg<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.message() {
            Some(m) => write!(f, ": {m}"),
            None => Ok(()),
        }
    }
}

impl<E: fmt::Debug + fmt::Display> std::error::Error for FutureError<E> {}

/// A [`SettableFuture`](super::SettableFuture) refused a result or an exception because it was already complete;
/// the value is handed back.
///
/// ```
/// use tulipa::future::{SetError, SettableFuture};
///
/// let fut: SettableFuture<&str, ()> = SettableFuture::new();
/// fut.set_result("first").unwrap();
/// let err = fut.set_result("second").unwrap_err();
/// assert!(matches!(err, SetError::Done("second")));
/// assert_eq!(err.into_inner(), "second");
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetError<V> {
    /// The future already had a value or an exception: two sides both tried to complete it.
    Done(V),
    /// The future had been cancelled: the consumer gave up before the producer finished.
    Cancelled(V),
}

impl<V> SetError<V> {
    /// The refused value.
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<i32, ()> = tulipa::future::SettableFuture::new();
    /// fut.cancel();
    /// assert_eq!(fut.set_result(5).unwrap_err().into_inner(), 5);
    /// ```
    pub fn into_inner(self) -> V {
        match self {
            SetError::Done(v) | SetError::Cancelled(v) => v,
        }
    }
}

impl<V> fmt::Debug for SetError<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::Done(_) => f.write_str("Done(..)"),
            SetError::Cancelled(_) => f.write_str("Cancelled(..)"),
        }
    }
}

impl<V> fmt::Display for SetError<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::Done(_) => f.write_str("future already has a result"),
            SetError::Cancelled(_) => f.write_str("future was cancelled"),
        }
    }
}

impl<V> std::error::Error for SetError<V> {}

pub(crate) fn cancelled_error(message: Option<Box<str>>) -> Cancelled {
    Cancelled::new(message)
}
