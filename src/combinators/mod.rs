//! asyncio's combinators: [`gather`], [`gather_all`], [`wait`], [`as_completed`],
//! [`wait_for`], [`shield`], [`race`] and [`select`].
//!
//! # How failure is expressed
//!
//! Rust has no exceptions: a future that can fail has an output of `Result<T, E>`, and `Err`
//! plays the part of asyncio's exception. [`gather`] stops at the first `Err`, [`wait`]'s
//! [`ReturnWhen::FirstException`] returns at the first `Err`, and [`gather_all`] (asyncio's
//! `return_exceptions=True`) collects `Ok`s and `Err`s alike. A [`JoinHandle`] is such a
//! future with `E = `[`JoinError`]: a task that panicked or was cancelled is a failure. A
//! task that itself returns `Result<T, E>` gives `Result<Result<T, E>, JoinError>`, whose
//! inner `Err` is a value as far as these combinators are concerned; to treat it as a
//! failure, gather `async` blocks that flatten the two, or use [`crate::TaskGroup`], which
//! treats both as failures.
//!
//! # Futures or tasks
//!
//! [`gather`], [`gather_all`], [`as_completed`], [`race`] and [`select`] run the futures
//! they are given inside their own future, in the task that awaits it (as
//! `futures::join_all` does); they work under any executor and with futures that are not
//! `Send`. Give them [`JoinHandle`]s to combine tasks instead: the tasks then run on their
//! own, and dropping a handle (when the combinator gives up on it) cancels its task. [`wait`]
//! hands pending futures back, so pending tasks keep running, as in asyncio. [`shield`]
//! always runs its future as a task, since that is what lets the work outlive the caller.
//!
//! Combinators poll only the futures that were woken (each gets its own waker), so waiting
//! on n futures costs O(1) per wakeup, not O(n).

mod gather;
mod race;
pub(crate) mod ready;
mod wait;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pub use gather::{gather, gather_all, Gather, GatherAll};
pub use race::{race, select, Race, Select};
pub use wait::{as_completed, wait, AsCompleted, Next, ReturnWhen, Wait};

use crate::time::{timeout, Timeout};
use crate::{JoinError, JoinHandle};

/// Runs `future` for at most `timeout` (asyncio's `wait_for`): its output, or
/// [`Elapsed`](crate::time::Elapsed) once the time has passed, in which case the future is
/// dropped, cancelling it (for a [`JoinHandle`], cancelling its task).
///
/// The same as [`crate::time::timeout`] with asyncio's argument order.
///
/// # Cancel safety
///
/// As cancel safe as `future`: dropping it drops `future`.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     tulipa::time::pause();
///     let quick = tulipa::wait_for(async { 5 }, Duration::from_secs(1)).await;
///     assert_eq!(quick, Ok(5));
///     let slow = tulipa::wait_for(tulipa::sleep(Duration::from_secs(10)), Duration::from_secs(1));
///     assert!(slow.await.is_err());
/// });
/// ```
#[track_caller]
pub fn wait_for<F: Future>(future: F, timeout_after: Duration) -> Timeout<F> {
    timeout(timeout_after, future)
}

/// Runs `future` as a task and waits for it; if the wait is cancelled (the `Shield` is
/// dropped), the task keeps running to completion (asyncio's `shield`).
///
/// The output is the task's: `Ok(value)`, or a [`JoinError`] if it panicked or was cancelled
/// directly (by its loop being dropped, say). The task is spawned at once, on the current
/// loop's thread ([`crate::spawn_local`]), so `future` need not be `Send`.
///
/// # Panics
///
/// Outside a running loop.
///
/// # Cancel safety
///
/// Cancel safe, by design: dropping the `Shield` detaches the task, which finishes its work.
/// Its output is then dropped; keep a [`crate::future::SettableFuture`] or a channel in the
/// task if someone should still receive it.
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicBool, Ordering}};
/// use std::time::Duration;
///
/// tulipa::run(async {
///     let saved = Arc::new(AtomicBool::new(false));
///     let s = saved.clone();
///     let save = tulipa::shield(async move {
///         tulipa::sleep(Duration::from_millis(10)).await;
///         s.store(true, Ordering::SeqCst);
///     });
///     // The caller gives up after 1 ms; the save goes on.
///     assert!(tulipa::wait_for(save, Duration::from_millis(1)).await.is_err());
///     tulipa::sleep(Duration::from_millis(20)).await;
///     assert!(saved.load(Ordering::SeqCst));
/// });
/// ```
#[track_caller]
pub fn shield<F>(future: F) -> Shield<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Shield {
        task: Some(crate::spawn_local(future)),
    }
}

/// The future of [`shield`].
///
/// # Cancel safety
///
/// Cancel safe: dropping it detaches the task (see [`shield`]).
///
/// ```
/// tulipa::run(async {
///     let s: tulipa::Shield<u8> = tulipa::shield(async { 8 });
///     assert_eq!(s.await.unwrap(), 8);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T> {
    task: Option<JoinHandle<T>>,
}

impl<T> Future for Shield<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self.task.as_mut().expect("Shield polled after completion");
        let out = std::task::ready!(Pin::new(task).poll(cx));
        self.task = None;
        Poll::Ready(out)
    }
}

impl<T> Drop for Shield<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl<T> fmt::Debug for Shield<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield").field("task", &self.task).finish()
    }
}
