//! A monotonic instant that means the same on every host.

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::Duration;

use crate::context;

/// A point on the loop's monotonic clock, in nanoseconds since the host's origin.
///
/// Natively the origin is the first use of the clock in the process; in the browser it is
/// the page's time origin (`performance.now()`); under [`crate::sim`] and while the clock is
/// [paused](crate::time::pause) it is virtual. Arithmetic saturates: adding
/// `Duration::MAX` gives [`Instant::FAR_FUTURE`], a deadline that never comes.
///
/// ```
/// use std::time::Duration;
/// let t = tulipa::Instant::from_nanos(1_000);
/// assert_eq!(t + Duration::from_nanos(500), tulipa::Instant::from_nanos(1_500));
/// assert_eq!(t + Duration::MAX, tulipa::Instant::FAR_FUTURE);
/// assert_eq!(t - tulipa::Instant::from_nanos(4_000), Duration::ZERO);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant {
    nanos: u64,
}

impl Instant {
    /// The latest instant: a deadline that is never reached by a running clock.
    ///
    /// ```
    /// assert!(tulipa::Instant::FAR_FUTURE > tulipa::Instant::from_nanos(u64::MAX - 1));
    /// ```
    pub const FAR_FUTURE: Instant = Instant { nanos: u64::MAX };

    /// The current time: the running loop's clock (virtual if paused), or the host's clock
    /// outside a loop.
    ///
    /// ```
    /// let a = tulipa::Instant::now();
    /// let b = tulipa::Instant::now();
    /// assert!(b >= a);
    /// ```
    pub fn now() -> Instant {
        context::try_with_loop(|l| l.now()).unwrap_or_else(crate::sys::now)
    }

    /// An instant `nanos` nanoseconds after the host's origin (for [`crate::host::Host`]
    /// implementations).
    ///
    /// ```
    /// assert_eq!(tulipa::Instant::from_nanos(7).as_nanos(), 7);
    /// ```
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant { nanos }
    }

    /// Nanoseconds since the host's origin.
    ///
    /// ```
    /// assert_eq!(tulipa::Instant::from_nanos(9).as_nanos(), 9);
    /// ```
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    ///
    /// ```
    /// use tulipa::Instant;
    /// let (a, b) = (Instant::from_nanos(10), Instant::from_nanos(25));
    /// assert_eq!(b.saturating_duration_since(a).as_nanos(), 15);
    /// assert_eq!(a.saturating_duration_since(b).as_nanos(), 0);
    /// ```
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.nanos.saturating_sub(earlier.nanos))
    }

    /// Time since `self` on the current clock.
    ///
    /// ```
    /// let start = tulipa::Instant::now();
    /// assert!(start.elapsed() < std::time::Duration::from_secs(60));
    /// ```
    pub fn elapsed(self) -> Duration {
        Instant::now().saturating_duration_since(self)
    }

    /// `self + d`, or `None` past [`Instant::FAR_FUTURE`].
    ///
    /// ```
    /// use std::time::Duration;
    /// assert!(tulipa::Instant::from_nanos(1).checked_add(Duration::MAX).is_none());
    /// ```
    pub fn checked_add(self, d: Duration) -> Option<Instant> {
        let d = u64::try_from(d.as_nanos()).ok()?;
        self.nanos.checked_add(d).map(Instant::from_nanos)
    }

    /// `self + d`, capped at [`Instant::FAR_FUTURE`].
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(tulipa::Instant::from_nanos(1).saturating_add(Duration::MAX),
    ///            tulipa::Instant::FAR_FUTURE);
    /// ```
    pub fn saturating_add(self, d: Duration) -> Instant {
        self.checked_add(d).unwrap_or(Instant::FAR_FUTURE)
    }

    /// `self - d`, floored at the origin.
    ///
    /// ```
    /// use std::time::Duration;
    /// assert_eq!(tulipa::Instant::from_nanos(5).saturating_sub(Duration::from_secs(1)),
    ///            tulipa::Instant::from_nanos(0));
    /// ```
    pub fn saturating_sub(self, d: Duration) -> Instant {
        let d = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant::from_nanos(self.nanos.saturating_sub(d))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        self.saturating_add(d)
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Duration> for Instant {
    type Output = Instant;
    fn sub(self, d: Duration) -> Instant {
        self.saturating_sub(d)
    }
}

impl SubAssign<Duration> for Instant {
    fn sub_assign(&mut self, d: Duration) {
        *self = *self - d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Instant::FAR_FUTURE {
            f.write_str("Instant(FAR_FUTURE)")
        } else {
            write!(f, "Instant({:?})", Duration::from_nanos(self.nanos))
        }
    }
}
