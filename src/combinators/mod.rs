//! asyncio's combinators: `gather`, `gather_all`, `wait`, `as_completed`, `wait_for`,
//! `shield`, `race` and `select` (re-exported at the crate root; the conventions they share
//! are documented on [`gather`]).

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
