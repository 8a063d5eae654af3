//! Time: the loop's clock, sleeps, timeouts, intervals, and virtual time for tests.
//!
//! # Virtual time
//!
//! [`pause`] freezes the current loop's clock. From then on time moves only by [`advance`]
//! or, when every task is waiting, by jumping straight to the next timer (auto-advance), so a
//! test of an hour-long timeout runs in microseconds and always the same way. [`resume`]
//! lets the clock run again from where virtual time stopped. It works the same on every
//! host; [`crate::sim`] is a host that is virtual from the start.
//!
//! ```
//! use std::time::Duration;
//! tulipa::run(async {
//!     tulipa::time::pause();
//!     let start = tulipa::Instant::now();
//!     tulipa::sleep(Duration::from_secs(3600)).await; // returns at once
//!     assert_eq!(start.elapsed(), Duration::from_secs(3600));
//! });
//! ```

mod instant;
mod interval;
mod sleep;
mod timeout;

use std::time::Duration;

pub use instant::Instant;
pub use interval::{interval, interval_at, Interval, MissedTickBehavior};
pub use sleep::{sleep, sleep_until, Sleep};
pub use timeout::{timeout, timeout_at, Elapsed, Timeout};

use crate::context;

/// Freezes the current loop's clock, with auto-advance: when no task is ready and the host
/// has nothing to deliver, the clock jumps to the next timer.
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// tulipa::run(async {
///     tulipa::time::pause();
///     assert!(tulipa::time::is_paused());
/// });
/// ```
#[track_caller]
pub fn pause() {
    context::current_loop().pause(true);
}

/// Turns auto-advance on or off for a paused clock. Without it, time moves only by
/// [`advance`].
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     tulipa::time::pause();
///     tulipa::time::set_auto_advance(false);
///     let sleeper = tulipa::spawn(tulipa::sleep(Duration::from_secs(10)));
///     tulipa::time::advance(Duration::from_secs(10)).await;
///     tulipa::yield_now().await;
///     assert!(sleeper.is_finished());
/// });
/// ```
#[track_caller]
pub fn set_auto_advance(enabled: bool) {
    let local = context::current_loop();
    if local.is_paused() {
        local.pause(enabled);
    }
}

/// Lets a paused clock run again, continuing from the virtual time it reached.
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// tulipa::run(async {
///     tulipa::time::pause();
///     tulipa::time::resume();
///     assert!(!tulipa::time::is_paused());
/// });
/// ```
#[track_caller]
pub fn resume() {
    context::current_loop().resume();
}

/// Whether the current loop's clock is paused (false outside a loop).
///
/// ```
/// assert!(!tulipa::time::is_paused());
/// ```
pub fn is_paused() -> bool {
    context::try_with_loop(|l| l.is_paused()).unwrap_or(false)
}

/// Moves a paused clock forward by `by`, then yields once so that every task whose timer
/// became due has been polled when this returns.
///
/// # Cancel safety
///
/// The clock moves when `advance` is called; cancelling the returned future only skips the
/// yield.
///
/// # Panics
///
/// Outside a running loop, or if the clock is not paused.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     tulipa::time::pause();
///     let before = tulipa::Instant::now();
///     tulipa::time::advance(Duration::from_millis(1500)).await;
///     assert_eq!(before.elapsed(), Duration::from_millis(1500));
/// });
/// ```
#[track_caller]
pub fn advance(by: Duration) -> crate::task::YieldNow {
    let local = context::current_loop();
    assert!(
        local.advance(by),
        "tulipa::time::advance: the clock is not paused; call tulipa::time::pause() first"
    );
    local.fire_due_timers();
    crate::yield_now()
}
