//! Synchronization primitives for tasks: asyncio's `Lock`, `Event`, `Condition`, `Semaphore`,
//! `BoundedSemaphore` and `Barrier`, plus [`RwLock`] and an async [`OnceCell`].
//!
//! | asyncio | tulipa |
//! |---|---|
//! | `asyncio.Lock` | [`Lock`] (with a guard; [`Lock::lock_owned`] for an `Arc`) |
//! | — | [`RwLock`] |
//! | `asyncio.Event` | [`Event`] |
//! | `asyncio.Condition` | [`Condition`] (over a [`Lock`] that guards a value; several conditions may share one lock) |
//! | `asyncio.Semaphore` | [`Semaphore`] (permits are guards; [`SemaphorePermit::forget`] + [`Semaphore::release`] for the asyncio style) |
//! | `asyncio.BoundedSemaphore` | [`BoundedSemaphore`] (an extra release is a [`ReleaseError`]) |
//! | `asyncio.Barrier` | [`Barrier`] |
//! | — | [`OnceCell`] (async, cancel-safe initialisation) |
//!
//! # Executor-agnostic, thread-safe
//!
//! The primitives use nothing but [`std::task::Waker`]: they work under tulipa on every
//! target, under any other executor, and natively across threads and loops (each is `Send +
//! Sync` when its contents are). A task on one thread's loop may wait on a [`Lock`] that a task
//! on another thread's loop releases.
//!
//! # Fairness
//!
//! Every primitive that queues is first-in, first-out, and a newcomer never barges past a
//! queued waiter: when a [`Lock`] is unlocked while tasks wait, it is handed straight to the
//! oldest one, so a task that calls [`Lock::lock`] (or even [`Lock::try_lock`]) a moment later
//! finds it locked. A [`Semaphore::acquire_many`] at the head of the queue is not overtaken by
//! smaller requests behind it, and a [`RwLock`] writer is not starved by a stream of readers.
//!
//! # Cancellation loses nothing
//!
//! Dropping a waiting future (cancelling its task, losing a `race`, hitting a timeout) never
//! leaks a permit nor wedges a primitive, even when the future had already been handed what it
//! waited for but had not yet been polled: it passes that on to the next waiter (or back to
//! the primitive). Each async method has a `# Cancel safety` section saying exactly what a
//! cancelled call means.
//!
//! ```
//! use std::sync::Arc;
//! use tulipa::sync::{Lock, Semaphore};
//!
//! tulipa::run(async {
//!     let total = Arc::new(Lock::new(0));
//!     let slots = Arc::new(Semaphore::new(2)); // at most two workers at a time
//!     let mut workers = Vec::new();
//!     for i in 1..=4 {
//!         let (total, slots) = (total.clone(), slots.clone());
//!         workers.push(tulipa::spawn(async move {
//!             let _slot = slots.acquire().await;
//!             *total.lock().await += i;
//!         }));
//!     }
//!     for w in workers {
//!         w.await.unwrap();
//!     }
//!     assert_eq!(*total.lock().await, 10);
//!     assert_eq!(slots.available_permits(), 2);
//! });
//! ```

// Maintainer notes, shared by every file of this module.
//
// Each primitive keeps its whole state (counts, the value it guards, its `WaitList`) behind
// one `crate::loom::Mutex`, so loom can model it, and follows the `WaitList` protocol
// (src/waitlist.rs): whatever a releaser frees is *handed* to the oldest fitting waiter under
// the lock (never left for anyone to grab, which is what makes the primitives fair), and a
// waiter dropped after being handed something gives it back through `WaitList::cancel`, and the
// primitive passes it on. Wakers are collected under the lock into `Wakers` and woken after
// the guard is dropped.

mod barrier;
mod bounded_semaphore;
mod condition;
mod error;
mod event;
mod lock;
mod once_cell;
mod rwlock;
mod semaphore;

pub use barrier::{Barrier, BarrierWait, BarrierWaitResult};
pub use bounded_semaphore::BoundedSemaphore;
pub use condition::{Condition, ConditionWait};
pub use error::{ReleaseError, SetError, TryAcquireError, TryLockError};
pub use event::{Event, EventWait};
pub use lock::{Lock, LockFuture, LockGuard, OwnedLockFuture, OwnedLockGuard};
pub use once_cell::OnceCell;
pub use rwlock::{RwLock, RwLockReadFuture, RwLockReadGuard, RwLockWriteFuture, RwLockWriteGuard};
pub use semaphore::{Acquire, AcquireOwned, OwnedSemaphorePermit, Semaphore, SemaphorePermit};
