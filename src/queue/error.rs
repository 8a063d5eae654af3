//! The ways a queue operation can be refused. Errors that refuse an item hand it back.

use std::fmt;

/// The queue was shut down ([`super::Queue::shutdown`]); asyncio's `QueueShutDown`.
///
/// [`Queue::put`](super::Queue::put) fails with `QueueShutDown<T>`, which hands the item
/// back; [`Queue::get`](super::Queue::get) fails with `QueueShutDown` (`QueueShutDown<()>`)
/// once the queue is shut down and holds nothing more to get.
///
/// ```
/// use tulipa::queue::{Queue, QueueShutDown};
///
/// tulipa::run(async {
///     let q = Queue::new(0);
///     q.shutdown(false);
///     let QueueShutDown(item) = q.put("refused").await.unwrap_err();
///     assert_eq!(item, "refused");
///     assert_eq!(q.get().await, Err(QueueShutDown(())));
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueShutDown<T = ()>(pub T);

impl<T> QueueShutDown<T> {
    /// The item that was refused.
    ///
    /// ```
    /// let q = tulipa::queue::Queue::new(0);
    /// q.shutdown(false);
    /// tulipa::run(async move {
    ///     assert_eq!(q.put(7).await.unwrap_err().into_inner(), 7);
    /// });
    /// ```
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueueShutDown(..)")
    }
}

impl<T> fmt::Display for QueueShutDown<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the queue is shut down")
    }
}

impl<T> std::error::Error for QueueShutDown<T> {}

/// Why [`Queue::try_put`](super::Queue::try_put) refused an item; the item is handed back.
///
/// ```
/// use tulipa::queue::{Queue, TryPutError};
///
/// let q = Queue::new(1);
/// q.try_put(1).unwrap();
/// assert_eq!(q.try_put(2), Err(TryPutError::Full(2)));
/// q.shutdown(false);
/// assert_eq!(q.try_put(3), Err(TryPutError::ShutDown(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TryPutError<T> {
    /// The queue holds `maxsize` items (or its free slots are promised to putters that were
    /// woken and have not run yet). Retry later, or wait with [`Queue::put`](super::Queue::put).
    Full(T),
    /// The queue was shut down: it accepts nothing more.
    ShutDown(T),
}

impl<T> TryPutError<T> {
    /// The item that was refused.
    ///
    /// ```
    /// let q = tulipa::queue::Queue::new(1);
    /// q.try_put('a').unwrap();
    /// assert_eq!(q.try_put('b').unwrap_err().into_inner(), 'b');
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            TryPutError::Full(t) | TryPutError::ShutDown(t) => t,
        }
    }

    /// Whether the queue was full.
    ///
    /// ```
    /// let q = tulipa::queue::Queue::new(1);
    /// q.try_put(()).unwrap();
    /// assert!(q.try_put(()).unwrap_err().is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        matches!(self, TryPutError::Full(_))
    }

    /// Whether the queue was shut down.
    ///
    /// ```
    /// let q = tulipa::queue::Queue::new(0);
    /// q.shutdown(false);
    /// assert!(q.try_put(()).unwrap_err().is_shut_down());
    /// ```
    pub fn is_shut_down(&self) -> bool {
        matches!(self, TryPutError::ShutDown(_))
    }
}

impl<T> fmt::Debug for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("Full(..)"),
            TryPutError::ShutDown(_) => f.write_str("ShutDown(..)"),
        }
    }
}

impl<T> fmt::Display for TryPutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryPutError::Full(_) => f.write_str("the queue is full"),
            TryPutError::ShutDown(_) => f.write_str("the queue is shut down"),
        }
    }
}

impl<T> std::error::Error for TryPutError<T> {}

impl<T> From<QueueShutDown<T>> for TryPutError<T> {
    fn from(e: QueueShutDown<T>) -> Self {
        TryPutError::ShutDown(e.0)
    }
}

/// Why [`Queue::try_get`](super::Queue::try_get) returned no item.
///
/// ```
/// use tulipa::queue::{Queue, TryGetError};
///
/// let q = Queue::<u8>::new(0);
/// assert_eq!(q.try_get(), Err(TryGetError::Empty));
/// q.shutdown(false);
/// assert_eq!(q.try_get(), Err(TryGetError::ShutDown));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TryGetError {
    /// No item is available (any the queue holds are promised to getters that were woken and
    /// have not run yet). Retry later, or wait with [`Queue::get`](super::Queue::get).
    Empty,
    /// The queue was shut down and holds nothing more to get.
    ShutDown,
}

impl fmt::Display for TryGetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryGetError::Empty => f.write_str("the queue is empty"),
            TryGetError::ShutDown => f.write_str("the queue is shut down"),
        }
    }
}

impl std::error::Error for TryGetError {}

/// [`Queue::task_done`](super::Queue::task_done) was called more times than items were put:
/// the caller's bookkeeping is off (asyncio raises `ValueError` here).
///
/// ```
/// let q = tulipa::queue::Queue::<u8>::new(0);
/// let err = q.task_done().unwrap_err();
/// assert_eq!(err.to_string(), "task_done() called more times than items were put");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called more times than items were put")
    }
}

impl std::error::Error for TaskDoneError {}
