//! `gather` and `gather_all`: run many futures concurrently, collect their outputs in order.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::ready::ReadySet;

/// Runs every future concurrently and gives their values in argument order (asyncio's
/// `gather`), stopping at the first error: that `Err` is returned and the futures still
/// running are dropped, which cancels them (and cancels their tasks, for
/// [`JoinHandle`](crate::JoinHandle)s).
///
/// To collect every outcome instead, errors included, use [`gather_all`] (asyncio's
/// `return_exceptions=True`).
///
/// # How failure is expressed (all combinators)
///
/// Rust has no exceptions: a future that can fail has an output of `Result<T, E>`, and `Err`
/// plays the part of asyncio's exception. `gather` stops at the first `Err`,
/// [`wait`](crate::wait)'s [`ReturnWhen::FirstException`](crate::ReturnWhen::FirstException)
/// returns at the first `Err`, and [`gather_all`] (asyncio's `return_exceptions=True`)
/// collects `Ok`s and `Err`s alike. A [`JoinHandle`](crate::JoinHandle) is such a future with
/// `E = `[`JoinError`](crate::JoinError): a task that panicked or was cancelled is a failure.
/// A task that itself returns `Result<T, E>` gives `Result<Result<T, E>, JoinError>`, whose
/// inner `Err` is a value as far as the combinators are concerned; to treat it as a failure,
/// gather `async` blocks that flatten the two, or use [`task_group`](crate::task_group),
/// which treats both as failures.
///
/// # Futures or tasks (all combinators)
///
/// `gather`, [`gather_all`], [`as_completed`](crate::as_completed), [`race`](crate::race) and
/// [`select`](crate::select) run the futures they are given inside their own future, in the
/// task that awaits it (as `futures::join_all` does); they work under any executor and with
/// futures that are not `Send`. Give them [`JoinHandle`](crate::JoinHandle)s to combine
/// tasks instead: the tasks then run on their own, and dropping a handle (when the
/// combinator gives up on it) cancels its task. [`wait`](crate::wait) hands pending futures
/// back, so pending tasks keep running, as in asyncio. [`shield`](crate::shield) always runs
/// its future as a task, since that is what lets the work outlive the caller.
///
/// The combinators poll only the futures that were woken (each gets its own waker), so
/// waiting on n futures costs O(1) per wakeup, not O(n), and a future that wakes itself
/// (`yield_now`) still yields to the loop.
///
/// # Cancel safety
///
/// Not cancel safe: dropping `Gather` drops every future it still runs, and the values of
/// those that had finished.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let fetch = |n: u64| async move {
///         tulipa::sleep(Duration::from_millis(10 - n)).await; // the last finishes first
///         Ok::<_, String>(n * 10)
///     };
///     let values = tulipa::gather((1..=3).map(fetch)).await;
///     assert_eq!(values, Ok(vec![10, 20, 30])); // argument order, not completion order
///
///     let failing = tulipa::gather([
///         tulipa::spawn(async { 1 }),
///         tulipa::spawn(async { panic!("boom") }),
///     ]).await;
///     assert!(failing.unwrap_err().is_panic());
/// });
/// ```
pub fn gather<I, F, T, E>(futures: I) -> Gather<F>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>>,
{
    Gather {
        core: Core::new(futures),
    }
}

/// Runs every future concurrently and gives all their outputs in argument order, successes
/// and failures alike (asyncio's `gather(..., return_exceptions=True)`). Nothing is
/// cancelled.
///
/// # Cancel safety
///
/// Not cancel safe: dropping `GatherAll` drops every future it still runs.
///
/// ```
/// tulipa::run(async {
///     let outcomes = tulipa::gather_all([
///         tulipa::spawn(async { 1 }),
///         tulipa::spawn(async { panic!("two") }),
///         tulipa::spawn(async { 3 }),
///     ]).await;
///     assert_eq!(outcomes.len(), 3);
///     assert_eq!(*outcomes[0].as_ref().unwrap(), 1);
///     assert!(outcomes[1].as_ref().unwrap_err().is_panic());
///     assert_eq!(*outcomes[2].as_ref().unwrap(), 3);
/// });
/// ```
pub fn gather_all<I, F>(futures: I) -> GatherAll<F>
where
    I: IntoIterator<Item = F>,
    F: Future,
{
    GatherAll {
        core: Core::new(futures),
    }
}

/// The futures of a gather, each polled only when its own waker fired.
struct Core<F: Future> {
    futures: Vec<Option<Pin<Box<F>>>>,
    outputs: Vec<Option<F::Output>>,
    ready: ReadySet,
    left: usize,
}

impl<F: Future> Core<F> {
    fn new(futures: impl IntoIterator<Item = F>) -> Core<F> {
        let futures: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
        let mut ready = ReadySet::new();
        let outputs = futures
            .iter()
            .map(|_| {
                ready.push();
                None
            })
            .collect();
        Core {
            left: futures.len(),
            futures,
            outputs,
            ready,
        }
    }

    /// Polls the woken futures. `Ready(None)`: all are done. `Ready(Some(out))`: a future
    /// gave an output for which `stop` holds (it is not stored).
    fn poll(
        &mut self,
        cx: &mut Context<'_>,
        stop: impl Fn(&F::Output) -> bool,
    ) -> Poll<Option<F::Output>> {
        self.ready.register(cx.waker());
        for i in self.ready.take_ready() {
            let Some(fut) = self.futures[i].as_mut() else {
                continue;
            };
            let mut cx_i = Context::from_waker(self.ready.waker(i));
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx_i) {
                self.futures[i] = None; // Dropped as soon as it completes.
                self.left -= 1;
                if stop(&out) {
                    return Poll::Ready(Some(out));
                }
                self.outputs[i] = Some(out);
            }
        }
        if self.left == 0 {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }

    fn take_outputs(&mut self) -> impl Iterator<Item = F::Output> + '_ {
        self.outputs
            .drain(..)
            .map(|o| o.expect("every future completed"))
    }
}

/// The future of [`gather`].
///
/// # Cancel safety
///
/// Not cancel safe: see [`gather`].
///
/// ```
/// tulipa::run(async {
///     let g: tulipa::Gather<std::future::Ready<Result<u8, ()>>> =
///         tulipa::gather([std::future::ready(Ok(1))]);
///     assert_eq!(g.await, Ok(vec![1]));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future> {
    core: Core<F>,
}

// Nothing is pinned in place: the futures are boxed and the outputs are never pinned.
impl<F: Future> Unpin for Gather<F> {}
impl<F: Future> Unpin for GatherAll<F> {}

impl<F, T, E> Future for Gather<F>
where
    F: Future<Output = Result<T, E>>,
{
    type Output = Result<Vec<T>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = &mut self.core;
        match core.poll(cx, Result::is_err) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Err(e))) => {
                core.futures.clear(); // Cancels the rest.
                core.outputs.clear();
                Poll::Ready(Err(e))
            }
            Poll::Ready(Some(Ok(_))) => unreachable!("only errors stop a gather"),
            Poll::Ready(None) => Poll::Ready(Ok(core
                .take_outputs()
                .map(|o| o.unwrap_or_else(|_| unreachable!("errors stop the gather")))
                .collect())),
        }
    }
}

/// The future of [`gather_all`].
///
/// # Cancel safety
///
/// Not cancel safe: see [`gather_all`].
///
/// ```
/// tulipa::run(async {
///     let g: tulipa::GatherAll<std::future::Ready<u8>> =
///         tulipa::gather_all([std::future::ready(1), std::future::ready(2)]);
///     assert_eq!(g.await, vec![1, 2]);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct GatherAll<F: Future> {
    core: Core<F>,
}

impl<F: Future> Future for GatherAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let core = &mut self.core;
        match core.poll(cx, |_| false) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(_) => Poll::Ready(core.take_outputs().collect()),
        }
    }
}

impl<F: Future> fmt::Debug for Gather<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gather")
            .field("futures", &self.core.ready.len())
            .field("running", &self.core.left)
            .finish()
    }
}

impl<F: Future> fmt::Debug for GatherAll<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GatherAll")
            .field("futures", &self.core.ready.len())
            .field("running", &self.core.left)
            .finish()
    }
}
