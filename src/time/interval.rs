//! `interval`: a periodic tick with a chosen policy for missed ticks.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::{sleep_until, Instant, Sleep};

/// What an [`Interval`] does when ticks were missed (the task was busy past a tick).
///
/// The default is [`Skip`](MissedTickBehavior::Skip): a loop that fell behind resumes on the
/// original schedule without a burst of catch-up ticks, which is what periodic work in a
/// page or a server usually wants.
///
/// ```
/// use tulipa::time::MissedTickBehavior;
/// assert_eq!(MissedTickBehavior::default(), MissedTickBehavior::Skip);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum MissedTickBehavior {
    /// Fire every missed tick at once, back to back, until caught up.
    Burst,
    /// Fire once now, and count the next period from now (the schedule shifts).
    Delay,
    /// Fire once now, then continue at the next multiple of the period on the original
    /// schedule.
    #[default]
    Skip,
}

/// Ticks every `period`, the first tick at once.
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let mut every = tulipa::time::interval(Duration::from_millis(2));
///     let first = every.tick().await;
///     let second = every.tick().await;
///     assert_eq!(second - first, Duration::from_millis(2));
/// });
/// ```
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    interval_at(Instant::now(), period)
}

/// Ticks every `period`, the first tick at `start`.
///
/// # Panics
///
/// If `period` is zero.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let start = tulipa::Instant::now() + Duration::from_millis(3);
///     let mut every = tulipa::time::interval_at(start, Duration::from_millis(2));
///     assert_eq!(every.tick().await, start);
/// });
/// ```
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    assert!(
        !period.is_zero(),
        "tulipa::time::interval: the period must be non-zero"
    );
    Interval {
        sleep: sleep_until(start),
        period,
        missed: MissedTickBehavior::default(),
    }
}

/// A periodic timer made by [`interval`].
#[derive(Debug)]
pub struct Interval {
    sleep: Sleep,
    period: Duration,
    missed: MissedTickBehavior,
}

impl Interval {
    /// Waits for the next tick and returns its scheduled instant.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a cancelled `tick` consumes no tick.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let mut i = tulipa::time::interval(std::time::Duration::from_millis(1));
    ///     i.tick().await;
    /// });
    /// ```
    pub async fn tick(&mut self) -> Instant {
        std::future::poll_fn(|cx| self.poll_tick(cx)).await
    }

    /// Polls for the next tick (for hand-written futures).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let mut i = tulipa::time::interval(std::time::Duration::from_millis(1));
    ///     let t = std::future::poll_fn(|cx| i.poll_tick(cx)).await;
    ///     assert!(t <= tulipa::Instant::now());
    /// });
    /// ```
    pub fn poll_tick(&mut self, cx: &mut Context<'_>) -> Poll<Instant> {
        if Pin::new(&mut self.sleep).poll(cx).is_pending() {
            return Poll::Pending;
        }
        let scheduled = self.sleep.deadline();
        let now = Instant::now();
        let mut next = scheduled + self.period;
        if next <= now {
            next = match self.missed {
                MissedTickBehavior::Burst => next,
                MissedTickBehavior::Delay => now + self.period,
                MissedTickBehavior::Skip => {
                    let behind = (now - scheduled).as_nanos();
                    let period = self.period.as_nanos().max(1);
                    let periods = behind / period + 1;
                    let ahead =
                        Duration::from_nanos(u64::try_from(periods * period).unwrap_or(u64::MAX));
                    scheduled + ahead
                }
            };
        }
        self.sleep.reset(next);
        Poll::Ready(scheduled)
    }

    /// Chooses what happens to missed ticks.
    ///
    /// ```
    /// use tulipa::time::MissedTickBehavior;
    /// tulipa::run(async {
    ///     let mut i = tulipa::time::interval(std::time::Duration::from_millis(1));
    ///     i.set_missed_tick_behavior(MissedTickBehavior::Burst);
    ///     assert_eq!(i.missed_tick_behavior(), MissedTickBehavior::Burst);
    /// });
    /// ```
    pub fn set_missed_tick_behavior(&mut self, behavior: MissedTickBehavior) {
        self.missed = behavior;
    }

    /// The current missed-tick policy.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let i = tulipa::time::interval(std::time::Duration::from_millis(1));
    ///     assert_eq!(i.missed_tick_behavior(), tulipa::time::MissedTickBehavior::Skip);
    /// });
    /// ```
    pub fn missed_tick_behavior(&self) -> MissedTickBehavior {
        self.missed
    }

    /// The period.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let i = tulipa::time::interval(std::time::Duration::from_millis(7));
    ///     assert_eq!(i.period(), std::time::Duration::from_millis(7));
    /// });
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }

    /// Restarts the schedule: the next tick comes one period from now.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let mut i = tulipa::time::interval(std::time::Duration::from_millis(1));
    ///     i.reset();
    ///     i.tick().await;
    /// });
    /// ```
    pub fn reset(&mut self) {
        self.sleep.reset(Instant::now() + self.period);
    }
}
