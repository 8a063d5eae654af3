//! The handle to a spawned task.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll, Waker};

use super::{JoinError, TaskId};
use crate::scheduler::{TaskMeta, DETACHED};

type Inner<T> = async_task::Task<Result<T, JoinError>, TaskMeta>;

/// An owned handle to a spawned task: await it for the task's outcome, cancel it, or detach.
///
/// Awaiting gives `Ok(value)`, or a [`JoinError`] that tells cancellation from a panic.
/// **Dropping the handle cancels the task**; see [`JoinHandle::detach`]. Awaiting it spends
/// one unit of the awaiting task's cooperative budget when it completes, and yields first if
/// the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
///
/// # Cancel safety
///
/// Polled through `&mut` (in a `timeout`, a race), giving up on it loses nothing: the
/// outcome waits in the task until a later poll takes it. Dropping the handle is another
/// matter: it cancels the task.
///
/// ```
/// tulipa::run(async {
///     let t = tulipa::spawn(async { "hi" });
///     assert!(!t.is_finished());
///     assert_eq!(t.await.unwrap(), "hi");
/// });
/// ```
#[must_use = "dropping a JoinHandle cancels its task; call .detach() to let it run"]
pub struct JoinHandle<T> {
    task: Option<Inner<T>>,
}

impl<T> JoinHandle<T> {
    pub(crate) fn new(task: Inner<T>) -> JoinHandle<T> {
        JoinHandle { task: Some(task) }
    }

    fn inner(&self) -> &Inner<T> {
        self.task
            .as_ref()
            .expect("JoinHandle used after completion")
    }

    /// The task's id.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async {});
    ///     println!("spawned task {}", t.id());
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.inner().metadata().id
    }

    /// Requests cancellation (asyncio's `Task.cancel()`); returns false if the task had
    /// already finished. The task's future is dropped the next time the loop reaches it, and
    /// awaiting the handle then gives [`JoinError::Cancelled`]. A task spawned with
    /// [`Builder::soft_cancel`](super::Builder::soft_cancel) is told instead and ends on its
    /// own. Works from any thread.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(std::future::pending::<()>());
    ///     assert!(t.cancel());
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        self.request_cancel(None, false)
    }

    /// Like [`cancel`](Self::cancel), with a message that [`super::Cancelled::message`]
    /// reports.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(std::future::pending::<()>());
    ///     t.cancel_with("deadline passed");
    ///     assert_eq!(t.await.unwrap_err().to_string(), "task was cancelled: deadline passed");
    /// });
    /// ```
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        self.request_cancel(Some(message.into().into_boxed_str()), false)
    }

    /// Drops the task's future the next time the loop reaches it, even for a task spawned
    /// with [`Builder::soft_cancel`](super::Builder::soft_cancel) (for other tasks it is the
    /// same as [`cancel`](Self::cancel)). Returns false if the task had already finished.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::task::Builder::new().soft_cancel().spawn(std::future::pending::<()>());
    ///     assert!(t.abort());
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) -> bool {
        self.request_cancel(None, true)
    }

    fn request_cancel(&self, msg: Option<Box<str>>, hard: bool) -> bool {
        let task = self.inner();
        if task.is_finished() {
            return false;
        }
        task.metadata().cancel(msg, hard);
        true
    }

    /// Whether the task has finished (completed, failed or been cancelled).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async {});
    ///     tulipa::yield_now().await;
    ///     assert!(t.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Lets the task run to completion without a handle; its output is dropped.
    ///
    /// Nothing sees a detached task's outcome, so if it panics the panic goes to the loop's
    /// [exception handler](crate::set_exception_handler) (asyncio's "Task exception was
    /// never retrieved"). A panic that happened before `detach` is reported by `detach`
    /// itself, to the exception handler of the loop running on the calling thread (or to
    /// the default handler when none runs there). One narrow case goes unreported: a `Send`
    /// task's handle detached on another thread while the task is in the middle of the poll
    /// that panics (the panic hook still prints it).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let (tx, rx) = std::sync::mpsc::channel();
    ///     tulipa::spawn(async move { tx.send(5).unwrap() }).detach();
    ///     tulipa::yield_now().await;
    ///     assert_eq!(rx.try_recv(), Ok(5));
    /// });
    /// ```
    pub fn detach(mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        // Flag first, then look: a poll that starts after the flag reports the panic
        // itself; one that finished before it left the outcome here (SeqCst on both sides).
        task.metadata().flags.fetch_or(DETACHED, Ordering::SeqCst);
        if task.is_finished() {
            // Fallible: a task closed by its loop's teardown has no outcome to read.
            let mut task = task.fallible();
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(Some(Err(JoinError::Panicked(p)))) =
                Pin::new(&mut task).poll(&mut cx)
            {
                p.report_unobserved();
            }
            return;
        }
        task.detach();
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let task = self
            .task
            .as_mut()
            .expect("JoinHandle polled after completion");
        // Budgeted like a channel receive: a loop awaiting handles of finished tasks would
        // otherwise never give way.
        match crate::coop::budgeted(cx, |cx| Pin::new(task).poll(cx)) {
            Poll::Ready(out) => {
                self.task = None;
                Poll::Ready(out)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("JoinHandle");
        if let Some(t) = &self.task {
            d.field("id", &t.metadata().id)
                .field("finished", &t.is_finished());
        }
        d.finish()
    }
}
