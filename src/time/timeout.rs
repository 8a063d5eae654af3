//! `timeout` and `timeout_at`: a future raced against a deadline.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{sleep_until, Instant, Sleep};

/// The deadline of a [`timeout`] passed before the future completed.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let r = tulipa::time::timeout(Duration::from_millis(1), std::future::pending::<()>()).await;
///     let err: tulipa::time::Elapsed = r.unwrap_err();
///     assert_eq!(err.to_string(), "deadline has elapsed");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Elapsed {
    deadline: Instant,
}

impl Elapsed {
    /// The deadline that passed.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let at = tulipa::Instant::now();
    ///     let e = tulipa::time::timeout_at(at, std::future::pending::<()>()).await.unwrap_err();
    ///     assert_eq!(e.deadline(), at);
    /// });
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl fmt::Display for Elapsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("deadline has elapsed")
    }
}

impl std::error::Error for Elapsed {}

/// Runs `future` for at most `duration` (asyncio's `timeout` / `wait_for`): `Ok(output)`,
/// or `Err(Elapsed)` once the deadline passes, dropping the future.
///
/// The future is polled before the deadline is checked, so a ready future wins even with a
/// zero duration.
///
/// # Cancel safety
///
/// As cancel safe as `future` itself: dropping the `Timeout` drops `future`.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let fast = tulipa::time::timeout(Duration::from_secs(1), async { 5 }).await;
///     assert_eq!(fast, Ok(5));
///     let slow = tulipa::time::timeout(Duration::from_millis(5), tulipa::sleep(Duration::MAX)).await;
///     assert!(slow.is_err());
/// });
/// ```
pub fn timeout<F: Future>(duration: Duration, future: F) -> Timeout<F> {
    timeout_at(Instant::now() + duration, future)
}

/// Runs `future` until `deadline` at most; see [`timeout`].
///
/// # Cancel safety
///
/// As cancel safe as `future` itself.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let deadline = tulipa::Instant::now() + Duration::from_millis(5);
///     assert!(tulipa::time::timeout_at(deadline, std::future::pending::<()>()).await.is_err());
/// });
/// ```
pub fn timeout_at<F: Future>(deadline: Instant, future: F) -> Timeout<F> {
    Timeout {
        future,
        sleep: sleep_until(deadline),
    }
}

pin_project_lite::pin_project! {
    /// The future of [`timeout`]; its deadline can be moved with [`Timeout::reset`].
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        future: F,
        sleep: Sleep,
    }
}

impl<F> Timeout<F> {
    /// The current deadline.
    ///
    /// ```
    /// let t = tulipa::time::timeout_at(tulipa::Instant::from_nanos(3), async {});
    /// assert_eq!(t.deadline(), tulipa::Instant::from_nanos(3));
    /// ```
    pub fn deadline(&self) -> Instant {
        self.sleep.deadline()
    }

    /// Moves the deadline, earlier or later (asyncio's `Timeout.reschedule`).
    ///
    /// ```
    /// use std::time::Duration;
    /// tulipa::run(async {
    ///     let mut t = std::pin::pin!(tulipa::time::timeout(
    ///         Duration::from_millis(1),
    ///         tulipa::sleep(Duration::from_millis(30)),
    ///     ));
    ///     t.as_mut().reset(tulipa::Instant::now() + Duration::from_secs(5));
    ///     assert_eq!(t.await, Ok(()));
    /// });
    /// ```
    pub fn reset(self: Pin<&mut Self>, deadline: Instant) {
        self.project().sleep.reset(deadline);
    }

    /// The wrapped future.
    ///
    /// ```
    /// let t = tulipa::time::timeout(std::time::Duration::from_secs(1), std::future::ready(3));
    /// let _inner: std::future::Ready<i32> = t.into_inner();
    /// ```
    pub fn into_inner(self) -> F {
        self.future
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        match Pin::new(&mut *this.sleep).poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(Elapsed {
                deadline: this.sleep.deadline(),
            })),
            Poll::Pending => Poll::Pending,
        }
    }
}
