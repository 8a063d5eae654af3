//! `race` and `select`: the first future to complete wins; the others are dropped.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::wait::{as_completed, AsCompleted};

/// Runs two futures concurrently and gives the output of the first to complete; the other
/// is dropped (cancelled) with the `Race`. Both must have the same output type (map them
/// into an enum with `async` blocks otherwise).
///
/// The conventions every combinator shares (failure as `Err`, futures or tasks) are on
/// [`gather`](crate::gather).
///
/// `a` is polled before `b` each time, so if both are ready `a` wins: deterministic, which
/// keeps tests and the [`crate::sim`] host reproducible.
///
/// # Cancel safety
///
/// As cancel safe as `a` and `b` together: dropping the `Race` drops both.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let winner = tulipa::race(
///         async { tulipa::sleep(Duration::from_secs(60)).await; "slow" },
///         async { tulipa::sleep(Duration::from_millis(1)).await; "fast" },
///     ).await;
///     assert_eq!(winner, "fast");
/// });
/// ```
pub fn race<A, B>(a: A, b: B) -> Race<A, B>
where
    A: Future,
    B: Future<Output = A::Output>,
{
    Race { a, b }
}

pin_project_lite::pin_project! {
    /// The future of [`race`].
    ///
    /// # Cancel safety
    ///
    /// As cancel safe as the two futures: see [`race`].
    ///
    /// ```
    /// tulipa::run(async {
    ///     let r: tulipa::Race<_, _> = tulipa::race(async { 1 }, std::future::pending());
    ///     assert_eq!(r.await, 1);
    /// });
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Race<A, B> {
        #[pin]
        a: A,
        #[pin]
        b: B,
    }
}

impl<A, B> Future for Race<A, B>
where
    A: Future,
    B: Future<Output = A::Output>,
{
    type Output = A::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<A::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.a.poll(cx) {
            return Poll::Ready(v);
        }
        this.b.poll(cx)
    }
}

impl<A, B> fmt::Debug for Race<A, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Race").finish_non_exhaustive()
    }
}

/// Runs any number of futures concurrently and gives the first output, with the index of
/// the future that produced it; the others are dropped (cancelled) at once. A tie goes to
/// the future that was woken first (on the first poll, to the lowest index).
///
/// The conventions every combinator shares (failure as `Err`, futures or tasks) are on
/// [`gather`](crate::gather).
///
/// # Panics
///
/// If `futures` is empty (nothing could ever win).
///
/// # Cancel safety
///
/// As cancel safe as the futures: dropping `Select` drops them all.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     tulipa::time::pause();
///     let mirrors = [300, 100, 200].map(|ms| async move {
///         tulipa::sleep(Duration::from_millis(ms)).await;
///         format!("answer after {ms} ms")
///     });
///     let (index, answer) = tulipa::select(mirrors).await;
///     assert_eq!((index, answer.as_str()), (1, "answer after 100 ms"));
/// });
/// ```
#[track_caller]
pub fn select<I, F>(futures: I) -> Select<F>
where
    I: IntoIterator<Item = F>,
    F: Future,
{
    let inner = as_completed(futures);
    assert!(
        !inner.is_empty(),
        "tulipa::select needs at least one future: with none, nothing could ever complete"
    );
    Select { inner: Some(inner) }
}

/// The future of [`select`].
///
/// # Cancel safety
///
/// As cancel safe as the futures: see [`select`].
///
/// ```
/// tulipa::run(async {
///     let s: tulipa::Select<std::future::Ready<char>> = tulipa::select([std::future::ready('z')]);
///     assert_eq!(s.await, (0, 'z'));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Select<F> {
    inner: Option<AsCompleted<F>>,
}

impl<F: Future> Future for Select<F> {
    type Output = (usize, F::Output);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.inner.as_mut().expect("Select polled after completion");
        match inner.poll_next(cx) {
            Poll::Ready(Some(won)) => {
                self.inner = None; // Drops the losers now.
                Poll::Ready(won)
            }
            Poll::Ready(None) => unreachable!("select checked that it has futures"),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<F> fmt::Debug for Select<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Select")
            .field("remaining", &self.inner.as_ref().map_or(0, |s| s.left))
            .finish()
    }
}
