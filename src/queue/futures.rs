//! The futures returned by `put`, `get` and `join`, shared by every queue kind.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::core::{Core, Slot};
use super::error::QueueShutDown;

/// The future of [`Queue::put`](super::Queue::put) (and of the same method on
/// [`LifoQueue`](super::LifoQueue) and [`PriorityQueue`](super::PriorityQueue)): resolves once
/// the item is in the queue, or with [`QueueShutDown`] (handing the item back) if the queue is
/// shut down first.
///
/// Putters wait in FIFO order: a slot that frees up goes to the putter that has waited
/// longest, and a newcomer (`try_put` included) never takes a slot promised to a waiter.
///
/// # Cancel safety
///
/// Cancel safe. Dropping the future before it completes leaves the queue untouched: the
/// item was not inserted (it is dropped with the future, or recovered with
/// [`Put::into_inner`]), and a slot that had been promised to this putter passes to the next
/// waiting putter. A put never inserts its item twice.
///
/// ```
/// use std::time::Duration;
/// use tulipa::queue::Queue;
///
/// tulipa::run(async {
///     tulipa::time::pause();
///     let q = Queue::new(1);
///     q.put("first").await.unwrap();
///     // The queue is full: this put waits, times out, and inserts nothing.
///     let r = tulipa::time::timeout(Duration::from_secs(1), q.put("second")).await;
///     assert!(r.is_err());
///     assert_eq!(q.qsize(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T> {
    core: &'a Core<T>,
    item: Option<T>,
    slot: Slot,
}

// The item is never pinned: it is moved into the queue by value.
impl<T> Unpin for Put<'_, T> {}

impl<'a, T> Put<'a, T> {
    pub(crate) fn new(core: &'a Core<T>, item: T) -> Put<'a, T> {
        Put {
            core,
            item: Some(item),
            slot: None,
        }
    }

    /// Gives up the put and returns the item, or `None` if the put already completed (the
    /// item is in the queue, or was handed back in the error). Like dropping the future, this
    /// passes on a slot promised to it.
    ///
    /// Use it to keep an item whose put timed out: poll the put through `&mut`, then take the
    /// item back.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tulipa::queue::Queue;
    ///
    /// tulipa::run(async {
    ///     tulipa::time::pause();
    ///     let q = Queue::new(1);
    ///     q.try_put(1).unwrap();
    ///     let mut put = q.put(2);
    ///     let r = tulipa::time::timeout(Duration::from_millis(10), &mut put).await;
    ///     assert!(r.is_err());
    ///     assert_eq!(put.into_inner(), Some(2));
    /// });
    /// ```
    pub fn into_inner(mut self) -> Option<T> {
        self.core.cancel_put(&mut self.slot);
        self.item.take()
    }
}

impl<T> Future for Put<'_, T> {
    type Output = Result<(), QueueShutDown<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        crate::coop::budgeted(cx, |cx| {
            this.core.poll_put(&mut this.slot, &mut this.item, cx)
        })
    }
}

impl<T> Drop for Put<'_, T> {
    fn drop(&mut self) {
        self.core.cancel_put(&mut self.slot);
    }
}

impl<T> fmt::Debug for Put<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("done", &self.item.is_none())
            .field("parked", &self.slot.is_some())
            .finish()
    }
}

/// The future of [`Queue::get`](super::Queue::get) (and of the same method on
/// [`LifoQueue`](super::LifoQueue) and [`PriorityQueue`](super::PriorityQueue)): resolves with
/// the next item, or with [`QueueShutDown`] once the queue is shut down and holds nothing
/// more to get.
///
/// Getters wait in FIFO order: the item that arrives goes to the getter that has waited
/// longest, and a newcomer (`try_get` included) never takes an item promised to a waiter.
///
/// # Cancel safety
///
/// Cancel safe: a cancelled get never loses an item. An item is taken out of the queue only
/// in the poll that returns it; until then it stays in the queue, even when it had already
/// been promised to this getter (the getter was woken but had not run when it was dropped),
/// and then it passes to the next waiting getter or stays for the next `get`.
///
/// ```
/// use std::time::Duration;
/// use tulipa::queue::Queue;
///
/// tulipa::run(async {
///     tulipa::time::pause();
///     let q = Queue::new(0);
///     let r = tulipa::time::timeout(Duration::from_secs(1), q.get()).await;
///     assert!(r.is_err()); // nothing came
///     q.put(5).await.unwrap();
///     assert_eq!(q.get().await, Ok(5));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T> {
    core: &'a Core<T>,
    slot: Slot,
    done: bool,
}

impl<'a, T> Get<'a, T> {
    pub(crate) fn new(core: &'a Core<T>) -> Get<'a, T> {
        Get {
            core,
            slot: None,
            done: false,
        }
    }
}

impl<T> Future for Get<'_, T> {
    type Output = Result<T, QueueShutDown>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        assert!(!self.done, "queue `Get` polled after completion");
        let this = &mut *self;
        let out = crate::coop::budgeted(cx, |cx| this.core.poll_get(&mut this.slot, cx));
        this.done = out.is_ready();
        out
    }
}

impl<T> Drop for Get<'_, T> {
    fn drop(&mut self) {
        self.core.cancel_get(&mut self.slot);
    }
}

impl<T> fmt::Debug for Get<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("done", &self.done)
            .field("parked", &self.slot.is_some())
            .finish()
    }
}

/// The future of [`Queue::join`](super::Queue::join) (and of the same method on
/// [`LifoQueue`](super::LifoQueue) and [`PriorityQueue`](super::PriorityQueue)): resolves
/// when every item put has been matched by a `task_done` call (or dropped by an immediate
/// shutdown).
///
/// # Cancel safety
///
/// Cancel safe: it only waits, and dropping it changes nothing.
///
/// ```
/// use tulipa::queue::Queue;
///
/// tulipa::run(async {
///     let q = Queue::new(0);
///     q.join().await; // nothing unfinished: ready at once
///     q.put(1).await.unwrap();
///     q.get().await.unwrap();
///     q.task_done().unwrap();
///     q.join().await;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T> {
    core: &'a Core<T>,
    slot: Slot,
}

impl<'a, T> Join<'a, T> {
    pub(crate) fn new(core: &'a Core<T>) -> Join<'a, T> {
        Join { core, slot: None }
    }
}

impl<T> Future for Join<'_, T> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        this.core.poll_join(&mut this.slot, cx)
    }
}

impl<T> Drop for Join<'_, T> {
    fn drop(&mut self) {
        self.core.cancel_join(&mut self.slot);
    }
}

impl<T> fmt::Debug for Join<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Join")
            .field("parked", &self.slot.is_some())
            .finish()
    }
}
