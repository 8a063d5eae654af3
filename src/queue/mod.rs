//! Queues for tasks: asyncio's `Queue`, `LifoQueue` and `PriorityQueue`.
//!
//! | asyncio | tulipa |
//! |---|---|
//! | `Queue(maxsize)` | [`Queue::new`] (and [`LifoQueue::new`], [`PriorityQueue::new`]) |
//! | `await q.put(item)`, `q.put_nowait(item)` | [`Queue::put`], [`Queue::try_put`] |
//! | `await q.get()`, `q.get_nowait()` | [`Queue::get`], [`Queue::try_get`] |
//! | `q.qsize()`, `q.empty()`, `q.full()`, `q.maxsize` | [`Queue::qsize`], [`Queue::empty`], [`Queue::full`], [`Queue::maxsize`] |
//! | `q.task_done()`, `await q.join()` | [`Queue::task_done`], [`Queue::join`] |
//! | `q.shutdown(immediate)`, `QueueShutDown` (3.13) | [`Queue::shutdown`], [`QueueShutDown`] |
//! | `QueueFull`, `QueueEmpty` | [`TryPutError::Full`], [`TryGetError::Empty`] |
//!
//! The three kinds differ only in the order items come out: [`Queue`] first in, first out;
//! [`LifoQueue`] last in, first out; [`PriorityQueue`] smallest first, with equal items in the
//! order they were put.
//!
//! ```
//! use std::sync::Arc;
//! use tulipa::queue::Queue;
//!
//! tulipa::run(async {
//!     let jobs = Arc::new(Queue::new(10));
//!     let mut workers = Vec::new();
//!     for _ in 0..3 {
//!         let jobs = jobs.clone();
//!         workers.push(tulipa::spawn(async move {
//!             let mut done = 0;
//!             while let Ok(n) = jobs.get().await {
//!                 done += n;
//!                 jobs.task_done().unwrap();
//!             }
//!             done
//!         }));
//!     }
//!     for n in 1..=100 {
//!         jobs.put(n).await.unwrap();
//!     }
//!     jobs.join().await; // every job processed
//!     jobs.shutdown(false); // the workers' next get fails: they return
//!     let mut total = 0;
//!     for w in workers {
//!         total += w.await.unwrap();
//!     }
//!     assert_eq!(total, 5050);
//! });
//! ```
//!
//! # Capacity
//!
//! `maxsize` is exact: a queue made with `new(n)`, `n > 0`, holds at most `n` items, and
//! holds `n` before a put has to wait. `new(0)` makes an unbounded queue, as in asyncio. No
//! hidden slot per producer, unlike `futures-channel`'s `channel(buffer)`.
//!
//! # Executor-agnostic, thread-safe
//!
//! The queues use nothing but [`std::task::Waker`]: they work under tulipa on every target,
//! under any other executor, and natively across threads and loops (each queue is `Send +
//! Sync` when its items are `Send`; share it with an `Arc`).
//!
//! # Fairness
//!
//! Putters waiting for room and getters waiting for an item are served first in, first out.
//! When room or an item appears, it is promised to the oldest waiter, which is woken; until
//! that waiter runs, a newcomer cannot take it: a new `put`/`get` waits behind it, and
//! [`Queue::try_put`] / [`Queue::try_get`] report the queue full / empty. [`Queue::full`]
//! and [`Queue::empty`] answer the same way, so they predict what `try_put` and `try_get`
//! will do; [`Queue::qsize`] counts every item held, including promised ones.
//!
//! # Shutdown
//!
//! [`Queue::shutdown`] has asyncio 3.13's semantics: afterwards every put fails with
//! [`QueueShutDown`] (handing its item back), and every waiting putter and getter is woken;
//! getters drain the items left and then fail, unless the shutdown was immediate, which drops
//! the items left, counts them as done, and releases [`Queue::join`].
//!
//! # Cancellation loses nothing
//!
//! A cancelled [`Queue::get`] (its task cancelled, a timeout, a lost race, or the future
//! simply dropped) never loses an item: the item is removed from the queue only by the poll
//! that returns it, so an item promised to a getter that is then cancelled stays in the queue
//! and goes to the next getter. A cancelled [`Queue::put`] never inserts its item (nor
//! inserts it twice), and room promised to it passes to the next putter;
//! [`Put::into_inner`] recovers the item.
//!
//! # One core
//!
//! The three kinds and [`crate::channel::mpsc`] share one implementation (`core.rs`),
//! generic over the item type; the container is a value the constructor chooses (a
//! `VecDeque`, a `Vec`, or a `BinaryHeap` whose ties are broken by insertion order). So the
//! futures [`Put`], [`Get`] and [`Join`] are the same types for every kind.

mod core;
mod error;
mod fifo;
mod futures;
mod lifo;
mod priority;
mod store;

pub(crate) use self::core::{Core, Slot};
pub(crate) use self::store::Store;
pub use error::{QueueShutDown, TaskDoneError, TryGetError, TryPutError};
pub use fifo::Queue;
pub use futures::{Get, Join, Put};
pub use lifo::LifoQueue;
pub use priority::PriorityQueue;
