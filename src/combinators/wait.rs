//! `wait` (done and pending sets) and `as_completed` (outputs in completion order).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::ready::ReadySet;
use crate::time::{sleep_until, Instant, Sleep};

/// When [`wait`] returns (asyncio's `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`).
///
/// ```
/// use tulipa::ReturnWhen;
/// assert_ne!(ReturnWhen::FirstCompleted, ReturnWhen::AllCompleted);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ReturnWhen {
    /// As soon as any future completes, whatever its outcome.
    FirstCompleted,
    /// As soon as any future completes with `Err` (for a [`JoinHandle`](crate::JoinHandle):
    /// panicked or cancelled), or when all have completed.
    FirstException,
    /// When every future has completed.
    AllCompleted,
}

/// Waits for futures until a [`ReturnWhen`] condition or a timeout, and gives back the done
/// ones' outputs and the pending ones themselves, each with its index in `futures` (asyncio's
/// `wait`). Pending futures are returned untouched: pending [`JoinHandle`](crate::JoinHandle)s
/// keep their tasks running, as pending asyncio tasks do.
///
/// The conventions every combinator shares (failure as `Err`, futures or tasks) are on
/// [`gather`](crate::gather).
///
/// `(done, pending)`: `done` in completion order, `pending` in argument order. The futures
/// must be `Unpin` so they can be handed back (`JoinHandle`s are; box others with
/// `Box::pin`) and fallible (`Result`) so that `FirstException` can tell failures apart.
/// With no futures it returns at once.
///
/// # Cancel safety
///
/// Not cancel safe: dropping `Wait` drops the futures (for `JoinHandle`s, cancelling their
/// tasks) and the outputs of those that completed. Use a timeout on the `Wait` itself
/// ([`Wait::timeout`]) to get the pending ones back.
///
/// ```
/// use std::time::Duration;
/// use tulipa::ReturnWhen;
///
/// tulipa::run(async {
///     tulipa::time::pause();
///     let tasks = [3, 1, 2].map(|s| tulipa::spawn(async move {
///         tulipa::sleep(Duration::from_secs(s)).await;
///         s
///     }));
///     let (done, pending) = tulipa::wait(tasks, ReturnWhen::FirstCompleted).await;
///     assert_eq!(done.len(), 1);
///     assert_eq!(done[0].0, 1); // index of the 1-second task
///     assert_eq!(*done[0].1.as_ref().unwrap(), 1);
///     // The others are still running; wait for them with a timeout.
///     let (done, pending) = tulipa::wait(pending.into_iter().map(|(_, t)| t), ReturnWhen::AllCompleted)
///         .timeout(Duration::from_millis(1500))
///         .await;
///     assert_eq!(done.len(), 1); // the 2-second task
///     assert_eq!(pending.len(), 1); // the 3-second task, still running
/// });
/// ```
pub fn wait<I, F, T, E>(futures: I, return_when: ReturnWhen) -> Wait<F>
where
    I: IntoIterator<Item = F>,
    F: Future<Output = Result<T, E>> + Unpin,
{
    let futures: Vec<_> = futures.into_iter().map(Some).collect();
    let mut ready = ReadySet::new();
    futures.iter().for_each(|_| {
        ready.push();
    });
    Wait {
        left: futures.len(),
        futures,
        done: Vec::new(),
        ready,
        return_when,
        timeout: None,
        failed: false,
    }
}

/// The future of [`wait`]: `(done, pending)`, both with indices into the original futures.
///
/// # Cancel safety
///
/// Not cancel safe: see [`wait`].
///
/// ```
/// use tulipa::ReturnWhen;
/// tulipa::run(async {
///     let w: tulipa::Wait<tulipa::JoinHandle<u8>> =
///         tulipa::wait([tulipa::spawn(async { 7 })], ReturnWhen::AllCompleted);
///     let (done, pending) = w.await;
///     assert_eq!(done[0].1.as_ref().unwrap(), &7);
///     assert!(pending.is_empty());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<F: Future> {
    futures: Vec<Option<F>>,
    done: Vec<(usize, F::Output)>,
    ready: ReadySet,
    left: usize,
    return_when: ReturnWhen,
    timeout: Option<Sleep>,
    failed: bool,
}

// Nothing in `Wait` is pinned: the futures are `Unpin` and polled through `Pin::new`.
impl<F: Future> Unpin for Wait<F> {}

impl<F: Future> Wait<F> {
    /// Returns after `duration` at the latest, whatever the condition (asyncio's `timeout=`);
    /// nothing is cancelled when it passes.
    ///
    /// # Panics
    ///
    /// Outside a running loop (the timeout is a tulipa timer).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tulipa::ReturnWhen;
    /// tulipa::run(async {
    ///     let slow = tulipa::spawn(tulipa::sleep(Duration::from_secs(60)));
    ///     let (done, pending) = tulipa::wait([slow], ReturnWhen::AllCompleted)
    ///         .timeout(Duration::from_millis(5))
    ///         .await;
    ///     assert!(done.is_empty());
    ///     assert_eq!(pending.len(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn timeout(self, duration: Duration) -> Wait<F> {
        self.timeout_at(Instant::now() + duration)
    }

    /// Returns at `deadline` at the latest; see [`timeout`](Self::timeout).
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use tulipa::ReturnWhen;
    /// tulipa::run(async {
    ///     let never = tulipa::spawn(std::future::pending::<()>());
    ///     let (done, pending) = tulipa::wait([never], ReturnWhen::FirstCompleted)
    ///         .timeout_at(tulipa::Instant::now())
    ///         .await;
    ///     assert!(done.is_empty() && pending.len() == 1);
    /// });
    /// ```
    #[track_caller]
    pub fn timeout_at(mut self, deadline: Instant) -> Wait<F> {
        self.timeout = Some(sleep_until(deadline));
        self
    }
}

type Waited<F> = (Vec<(usize, <F as Future>::Output)>, Vec<(usize, F)>);

impl<F, T, E> Future for Wait<F>
where
    F: Future<Output = Result<T, E>> + Unpin,
{
    type Output = Waited<F>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Waited<F>> {
        let this = &mut *self;
        this.ready.register(cx.waker());
        for i in this.ready.take_ready() {
            let Some(fut) = this.futures[i].as_mut() else {
                continue;
            };
            let mut cx_i = Context::from_waker(this.ready.waker(i));
            if let Poll::Ready(out) = Pin::new(fut).poll(&mut cx_i) {
                this.futures[i] = None;
                this.left -= 1;
                this.failed |= out.is_err();
                this.done.push((i, out));
            }
        }
        let finished = this.left == 0
            || match this.return_when {
                ReturnWhen::FirstCompleted => !this.done.is_empty(),
                ReturnWhen::FirstException => this.failed,
                ReturnWhen::AllCompleted => false,
            };
        let mut timed_out = || {
            this.timeout
                .as_mut()
                .is_some_and(|t| Pin::new(t).poll(cx).is_ready())
        };
        if !finished && !timed_out() {
            return Poll::Pending;
        }
        let pending = this
            .futures
            .drain(..)
            .enumerate()
            .filter_map(|(i, f)| f.map(|f| (i, f)))
            .collect();
        Poll::Ready((std::mem::take(&mut this.done), pending))
    }
}

impl<F: Future> fmt::Debug for Wait<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("return_when", &self.return_when)
            .field("done", &self.done.len())
            .field("pending", &self.left)
            .field("deadline", &self.timeout.as_ref().map(Sleep::deadline))
            .finish()
    }
}

/// Runs futures concurrently and hands out their outputs in the order they complete
/// (asyncio's `as_completed`), each with its index in `futures`. Call
/// [`AsCompleted::next`] until it gives `None`.
///
/// The conventions every combinator shares (failure as `Err`, futures or tasks) are on
/// [`gather`](crate::gather).
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     tulipa::time::pause();
///     let mut results = tulipa::as_completed([30, 10, 20].map(|ms| async move {
///         tulipa::sleep(Duration::from_millis(ms)).await;
///         ms
///     }));
///     let mut order = Vec::new();
///     while let Some((index, ms)) = results.next().await {
///         order.push((index, ms));
///     }
///     assert_eq!(order, [(1, 10), (2, 20), (0, 30)]);
/// });
/// ```
pub fn as_completed<I, F>(futures: I) -> AsCompleted<F>
where
    I: IntoIterator<Item = F>,
    F: Future,
{
    let futures: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut ready = ReadySet::new();
    futures.iter().for_each(|_| {
        ready.push();
    });
    AsCompleted {
        left: futures.len(),
        futures,
        ready,
    }
}

/// A stream of outputs in completion order; see [`as_completed`].
///
/// Dropping it drops the futures still running.
///
/// ```
/// tulipa::run(async {
///     let mut s: tulipa::AsCompleted<std::future::Ready<u8>> =
///         tulipa::as_completed([std::future::ready(4)]);
///     assert_eq!(s.len(), 1);
///     assert_eq!(s.next().await, Some((0, 4)));
///     assert!(s.is_empty());
///     assert_eq!(s.next().await, None);
/// });
/// ```
pub struct AsCompleted<F> {
    futures: Vec<Option<Pin<Box<F>>>>,
    ready: ReadySet,
    pub(super) left: usize,
}

impl<F: Future> AsCompleted<F> {
    /// The next output to complete, with its index; `None` once all have been handed out.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an output is taken only when `next` returns it, so a `next` that is
    /// dropped (a timeout around it, say) loses nothing.
    ///
    /// ```
    /// use std::time::Duration;
    /// tulipa::run(async {
    ///     tulipa::time::pause();
    ///     let mut s = tulipa::as_completed([tulipa::sleep(Duration::from_secs(5))]);
    ///     let early = tulipa::time::timeout(Duration::from_secs(1), s.next()).await;
    ///     assert!(early.is_err()); // timed out; the sleep is still in `s`
    ///     assert_eq!(s.next().await, Some((0, ())));
    /// });
    /// ```
    // The async `StreamExt::next` shape (there is no Stream trait in std), not Iterator's.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Next<'_, F> {
        Next { stream: self }
    }

    /// Polls for the next output (the `Stream::poll_next` shape, for hand-written futures).
    ///
    /// ```
    /// use std::task::{Context, Poll, Waker};
    /// let mut s = tulipa::as_completed([std::future::ready('a')]);
    /// let mut cx = Context::from_waker(Waker::noop());
    /// assert_eq!(s.poll_next(&mut cx), Poll::Ready(Some((0, 'a'))));
    /// assert_eq!(s.poll_next(&mut cx), Poll::Ready(None));
    /// ```
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<(usize, F::Output)>> {
        if self.left == 0 {
            return Poll::Ready(None);
        }
        self.ready.register(cx.waker());
        let mut batch = self.ready.take_ready();
        while let Some(i) = batch.pop_front() {
            let Some(fut) = self.futures[i].as_mut() else {
                continue;
            };
            let mut cx_i = Context::from_waker(self.ready.waker(i));
            if let Poll::Ready(out) = fut.as_mut().poll(&mut cx_i) {
                self.futures[i] = None;
                self.left -= 1;
                // The rest of the batch was not polled: it stays ready for the next call.
                self.ready.requeue(batch.into_iter());
                return Poll::Ready(Some((i, out)));
            }
        }
        Poll::Pending
    }

    /// How many outputs are still to come.
    ///
    /// ```
    /// let s = tulipa::as_completed([std::future::ready(1), std::future::ready(2)]);
    /// assert_eq!(s.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.left
    }

    /// Whether every output has been handed out.
    ///
    /// ```
    /// let s = tulipa::as_completed(Vec::<std::future::Ready<()>>::new());
    /// assert!(s.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl<F> fmt::Debug for AsCompleted<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.left)
            .finish()
    }
}

/// The future of [`AsCompleted::next`].
///
/// # Cancel safety
///
/// Cancel safe: see [`AsCompleted::next`].
///
/// ```
/// tulipa::run(async {
///     let mut s = tulipa::as_completed([async { 'x' }]);
///     let next: tulipa::Next<'_, _> = s.next();
///     assert_eq!(next.await, Some((0, 'x')));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Next<'a, F> {
    stream: &'a mut AsCompleted<F>,
}

impl<F: Future> Future for Next<'_, F> {
    type Output = Option<(usize, F::Output)>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.stream.poll_next(cx)
    }
}

impl<F> fmt::Debug for Next<'_, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Next")
            .field("remaining", &self.stream.left)
            .finish()
    }
}
