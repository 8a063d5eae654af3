//! `LifoQueue`: last in, first out (asyncio's `LifoQueue`).

use std::fmt;

use super::core::Core;
use super::error::{TaskDoneError, TryGetError, TryPutError};
use super::futures::{Get, Join, Put};
use super::store::Store;
#[cfg(doc)]
use super::Queue;

/// A last-in, first-out queue (a stack) for tasks (asyncio's `LifoQueue`), with an optional
/// bound. Apart from the order in which items come out, it behaves exactly as [`Queue`].
///
/// Share it by reference or through an `Arc`; it is `Send + Sync` when its items are `Send`.
/// See the [module docs](super) for capacity, fairness, shutdown and cancellation.
///
/// ```
/// use tulipa::queue::LifoQueue;
///
/// tulipa::run(async {
///     let q = LifoQueue::new(0);
///     for page in ["home", "docs", "api"] {
///         q.put(page).await.unwrap();
///     }
///     assert_eq!(q.get().await, Ok("api")); // the last visited comes back first
///     assert_eq!(q.get().await, Ok("docs"));
/// });
/// ```
pub struct LifoQueue<T> {
    core: Core<T>,
}

impl<T> LifoQueue<T> {
    /// A queue holding at most `maxsize` items; `0` means unbounded (as in asyncio).
    ///
    /// The bound is exact: with `maxsize = n`, the `n`-th item fits and the `n + 1`-th waits.
    ///
    /// ```
    /// let q = tulipa::queue::LifoQueue::new(2);
    /// q.try_put('a').unwrap();
    /// q.try_put('b').unwrap();
    /// assert!(q.try_put('c').is_err());
    /// ```
    pub fn new(maxsize: usize) -> LifoQueue<T> {
        LifoQueue {
            core: Core::new(maxsize, Store::lifo()),
        }
    }

    /// The bound given to [`LifoQueue::new`] (`0`: unbounded).
    ///
    /// ```
    /// assert_eq!(tulipa::queue::LifoQueue::<u8>::new(8).maxsize(), 8);
    /// ```
    pub fn maxsize(&self) -> usize {
        self.core.maxsize()
    }

    /// The number of items in the queue (never more than `maxsize`).
    ///
    /// ```
    /// let q = tulipa::queue::LifoQueue::new(0);
    /// q.try_put(1).unwrap();
    /// q.try_put(2).unwrap();
    /// assert_eq!(q.qsize(), 2);
    /// ```
    pub fn qsize(&self) -> usize {
        self.core.qsize()
    }

    /// Whether a [`get`](LifoQueue::get) would have to wait: the queue holds no item, or only
    /// items already promised to getters that were woken and have not run yet.
    ///
    /// ```
    /// let q = tulipa::queue::LifoQueue::new(0);
    /// assert!(q.empty());
    /// q.try_put(1).unwrap();
    /// assert!(!q.empty());
    /// ```
    pub fn empty(&self) -> bool {
        self.core.empty()
    }

    /// Whether a [`put`](LifoQueue::put) would have to wait: the queue holds `maxsize` items, or
    /// its free slots are promised to putters that were woken and have not run yet. Never
    /// true for an unbounded queue.
    ///
    /// ```
    /// let q = tulipa::queue::LifoQueue::new(1);
    /// assert!(!q.full());
    /// q.try_put(1).unwrap();
    /// assert!(q.full());
    /// ```
    pub fn full(&self) -> bool {
        self.core.full()
    }

    /// Puts `item` on top of the queue, waiting while it is full.
    ///
    /// Fails with [`QueueShutDown`](super::QueueShutDown), handing the item back, if the
    /// queue is shut down before the item gets in.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled put inserted nothing, and a slot promised to it passes to the
    /// next putter. See [`Put`].
    ///
    /// ```
    /// tulipa::run(async {
    ///     let q = tulipa::queue::LifoQueue::new(1);
    ///     q.put("job").await.unwrap();
    ///     assert_eq!(q.qsize(), 1);
    /// });
    /// ```
    pub fn put(&self, item: T) -> Put<'_, T> {
        Put::new(&self.core, item)
    }

    /// Puts `item` without waiting (asyncio's `put_nowait`), or hands it back in
    /// [`TryPutError::Full`] or [`TryPutError::ShutDown`].
    ///
    /// ```
    /// use tulipa::queue::{LifoQueue, TryPutError};
    ///
    /// let q = LifoQueue::new(1);
    /// assert_eq!(q.try_put(1), Ok(()));
    /// assert_eq!(q.try_put(2), Err(TryPutError::Full(2)));
    /// ```
    pub fn try_put(&self, item: T) -> Result<(), TryPutError<T>> {
        self.core.try_put(item)
    }

    /// Takes the newest item (the last put), waiting while the queue is empty.
    ///
    /// After [`shutdown`](LifoQueue::shutdown) it still returns the items left (unless the
    /// shutdown was immediate), then fails with [`QueueShutDown`](super::QueueShutDown).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled get never loses an item; one promised to it stays in the
    /// queue for the next getter. See [`Get`].
    ///
    /// ```
    /// tulipa::run(async {
    ///     let q = tulipa::queue::LifoQueue::new(0);
    ///     q.put(1).await.unwrap();
    ///     q.put(2).await.unwrap();
    ///     assert_eq!(q.get().await, Ok(2));
    ///     assert_eq!(q.get().await, Ok(1));
    /// });
    /// ```
    pub fn get(&self) -> Get<'_, T> {
        Get::new(&self.core)
    }

    /// Takes the newest item without waiting (asyncio's `get_nowait`), or reports
    /// [`TryGetError::Empty`] or [`TryGetError::ShutDown`].
    ///
    /// ```
    /// use tulipa::queue::{LifoQueue, TryGetError};
    ///
    /// let q = LifoQueue::new(0);
    /// assert_eq!(q.try_get(), Err(TryGetError::Empty));
    /// q.try_put(3).unwrap();
    /// assert_eq!(q.try_get(), Ok(3));
    /// ```
    pub fn try_get(&self) -> Result<T, TryGetError> {
        self.core.try_get()
    }

    /// Tells the queue that the processing of one item taken from it is complete; when every
    /// item put has been matched this way, [`join`](LifoQueue::join) returns.
    ///
    /// Calling it more times than items were put is a [`TaskDoneError`], and changes nothing.
    ///
    /// ```
    /// let q = tulipa::queue::LifoQueue::new(0);
    /// q.try_put(1).unwrap();
    /// q.try_get().unwrap();
    /// assert!(q.task_done().is_ok());
    /// assert!(q.task_done().is_err()); // one item, one task_done
    /// ```
    pub fn task_done(&self) -> Result<(), TaskDoneError> {
        self.core.task_done()
    }

    /// The number of items put and not yet matched by [`task_done`](LifoQueue::task_done)
    /// (asyncio's private `_unfinished_tasks`, made public).
    ///
    /// ```
    /// let q = tulipa::queue::LifoQueue::new(0);
    /// q.try_put(1).unwrap();
    /// q.try_get().unwrap();
    /// assert_eq!(q.unfinished_tasks(), 1); // taken, not yet done
    /// ```
    pub fn unfinished_tasks(&self) -> usize {
        self.core.unfinished()
    }

    /// Waits until every item put has been matched by [`task_done`](LifoQueue::task_done).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits. See [`Join`].
    ///
    /// ```
    /// use std::sync::Arc;
    ///
    /// tulipa::run(async {
    ///     let q = Arc::new(tulipa::queue::LifoQueue::new(0));
    ///     for job in 0..3 {
    ///         q.put(job).await.unwrap();
    ///     }
    ///     let worker = tulipa::spawn({
    ///         let q = q.clone();
    ///         async move {
    ///             while let Ok(_job) = q.get().await {
    ///                 q.task_done().unwrap();
    ///             }
    ///         }
    ///     });
    ///     q.join().await; // all three processed
    ///     q.shutdown(false);
    ///     worker.await.unwrap();
    /// });
    /// ```
    pub fn join(&self) -> Join<'_, T> {
        Join::new(&self.core)
    }

    /// Shuts the queue down (asyncio 3.13's `shutdown`).
    ///
    /// From now on every put fails with [`QueueShutDown`](super::QueueShutDown), handing its
    /// item back; putters waiting for room are woken with that error. Getters waiting on an
    /// empty queue are woken with [`QueueShutDown`](super::QueueShutDown).
    ///
    /// * `immediate = false`: the items still queued stay; gets keep returning them and fail
    ///   only once the queue is empty. [`join`](LifoQueue::join) still waits for their
    ///   [`task_done`](LifoQueue::task_done).
    /// * `immediate = true`: the items still queued are dropped, the unfinished count is
    ///   lowered by their number, and [`join`](LifoQueue::join) returns once it reaches zero; every
    ///   get fails from now on.
    ///
    /// Calling it again is allowed: an immediate shutdown after a graceful one drops what is
    /// left.
    ///
    /// ```
    /// use tulipa::queue::{LifoQueue, QueueShutDown};
    ///
    /// tulipa::run(async {
    ///     let q = LifoQueue::new(0);
    ///     for i in 1..=3 {
    ///         q.put(i).await.unwrap();
    ///     }
    ///     q.shutdown(false);
    ///     assert_eq!(q.put(4).await, Err(QueueShutDown(4))); // refused, handed back
    ///     assert_eq!(q.get().await, Ok(3)); // a graceful shutdown still drains
    ///     q.task_done().unwrap();
    ///     q.shutdown(true); // drops 2 and 1, and counts them as done
    ///     assert_eq!(q.get().await, Err(QueueShutDown(())));
    ///     q.join().await; // nothing unfinished
    /// });
    /// ```
    pub fn shutdown(&self, immediate: bool) {
        self.core.shutdown(immediate);
    }

    /// Whether [`shutdown`](LifoQueue::shutdown) was called.
    ///
    /// ```
    /// let q = tulipa::queue::LifoQueue::<u8>::new(0);
    /// assert!(!q.is_shutdown());
    /// q.shutdown(false);
    /// assert!(q.is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        self.core.is_shutdown()
    }
}

impl<T> fmt::Debug for LifoQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LifoQueue")
            .field("maxsize", &self.maxsize())
            .field("qsize", &self.qsize())
            .field("shutdown", &self.is_shutdown())
            .finish()
    }
}
