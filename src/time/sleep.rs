//! `sleep` and `sleep_until`: one entry in the loop's timer map per pending sleep.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::Instant;
use crate::context;

/// Waits until `duration` has passed on the loop's clock (asyncio's `sleep`).
///
/// The deadline is taken when `sleep` is called, on the current loop's clock; a `Sleep`
/// created outside any loop takes its deadline when it is first polled, on the clock of the
/// loop that polls it. Durations too large to represent (such as
/// `Duration::MAX`) mean "never": the sleep stays pending and registers no timer.
///
/// # Cancel safety
///
/// Cancel safe: dropping a `Sleep` removes its timer.
///
/// # Panics
///
/// When polled outside a running loop.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let start = tulipa::Instant::now();
///     tulipa::sleep(Duration::from_millis(20)).await;
///     assert!(start.elapsed() >= Duration::from_millis(20));
/// });
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    match context::try_with_loop(|l| l.now()) {
        Some(now) => sleep_until(now + duration),
        None => Sleep {
            deadline: Instant::FAR_FUTURE,
            delay: Some(duration),
            timer: None,
        },
    }
}

/// Waits until `deadline` on the loop's clock.
///
/// # Cancel safety
///
/// Cancel safe: dropping a `Sleep` removes its timer.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let deadline = tulipa::Instant::now() + Duration::from_millis(5);
///     tulipa::sleep_until(deadline).await;
///     assert!(tulipa::Instant::now() >= deadline);
/// });
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline,
        delay: None,
        timer: None,
    }
}

/// The future of [`sleep`] and [`sleep_until`]; its deadline can be moved with
/// [`Sleep::reset`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Sleep {
    deadline: Instant,
    /// Set when created outside a loop: the deadline is this long after the first poll.
    delay: Option<Duration>,
    /// `(loop id, timer key)` while registered with a loop.
    timer: Option<(u64, (u64, u64))>,
}

impl Sleep {
    /// The instant this sleep ends.
    ///
    /// ```
    /// let s = tulipa::sleep_until(tulipa::Instant::from_nanos(5));
    /// assert_eq!(s.deadline(), tulipa::Instant::from_nanos(5));
    /// ```
    pub fn deadline(&self) -> Instant {
        match self.delay {
            Some(d) => Instant::now() + d,
            None => self.deadline,
        }
    }

    /// Whether the deadline has passed on the current clock.
    ///
    /// ```
    /// assert!(tulipa::sleep_until(tulipa::Instant::from_nanos(0)).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        Instant::now() >= self.deadline()
    }

    /// Moves the deadline (earlier or later); a sleep that already ended starts again.
    ///
    /// ```
    /// use std::time::Duration;
    /// tulipa::run(async {
    ///     let mut s = tulipa::sleep(Duration::from_secs(3600));
    ///     s.reset(tulipa::Instant::now() + Duration::from_millis(1));
    ///     s.await;
    /// });
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.unregister();
        self.delay = None;
        self.deadline = deadline;
    }

    fn unregister(&mut self) {
        if let Some((loop_id, key)) = self.timer.take() {
            // Off the loop's thread this finds no loop: the stale entry then only wakes its
            // task once, harmlessly, when its deadline passes.
            context::with_loop_id(loop_id, |l| l.remove_timer(key));
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let local = context::current_loop();
        if let Some(delay) = self.delay.take() {
            self.deadline = local.now() + delay;
        }
        if local.now() >= self.deadline {
            self.unregister();
            return Poll::Ready(());
        }
        if self.deadline == Instant::FAR_FUTURE {
            // Never due: no timer, so a paused clock never jumps to it either.
            self.unregister();
            return Poll::Pending;
        }
        match self.timer {
            Some((loop_id, key)) if loop_id == local.shared.id => {
                if !local.update_timer(key, cx.waker()) {
                    // Fired but the clock has not reached the deadline (the clock was
                    // resumed behind virtual time): register again.
                    let key = local.add_timer(self.deadline, cx.waker().clone());
                    self.timer = Some((loop_id, key));
                }
            }
            _ => {
                self.unregister();
                let key = local.add_timer(self.deadline, cx.waker().clone());
                self.timer = Some((local.shared.id, key));
            }
        }
        Poll::Pending
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        self.unregister();
    }
}
