//! A deterministic host with virtual time, for tests, on every target.
//!
//! [`Sim`] runs a loop whose clock starts at zero and moves only when every task is waiting:
//! then it jumps straight to the next timer. The same program gives the same interleaving
//! every run, hour-long timeouts take microseconds, and a deadlock (every task waiting, no
//! timer left) is reported as [`SimError::Stalled`] with the list of stuck tasks instead of
//! hanging.
//!
//! ```
//! use std::time::Duration;
//! use tulipa::sim::Sim;
//!
//! let sim = Sim::new();
//! let elapsed = sim.block_on(async {
//!     let start = tulipa::Instant::now();
//!     let slow = tulipa::spawn(tulipa::sleep(Duration::from_secs(3600)));
//!     slow.await.unwrap();
//!     start.elapsed()
//! });
//! assert_eq!(elapsed.unwrap(), Duration::from_secs(3600));
//! ```

use std::fmt;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crate::host::{EventLoop, Host, RootWaker, Turn};
use crate::task::{JoinHandle, TaskInfo};
use crate::time::Instant;

/// The clock and wake flag of a [`Sim`]; also usable on its own with
/// [`EventLoop`].
///
/// ```
/// use tulipa::host::Host;
/// let host = tulipa::sim::SimHost::new();
/// host.advance(std::time::Duration::from_millis(3));
/// assert_eq!(host.now(), tulipa::Instant::from_nanos(3_000_000));
/// ```
#[derive(Debug, Default)]
pub struct SimHost {
    now: AtomicU64,
    woken: Mutex<bool>,
    cond: Condvar,
}

impl SimHost {
    /// A host whose clock reads zero.
    ///
    /// ```
    /// use tulipa::host::Host;
    /// assert_eq!(tulipa::sim::SimHost::new().now(), tulipa::Instant::from_nanos(0));
    /// ```
    pub fn new() -> SimHost {
        SimHost::default()
    }

    /// Moves the clock forward by `by` (saturating).
    ///
    /// ```
    /// use tulipa::host::Host;
    /// let host = tulipa::sim::SimHost::new();
    /// host.advance(std::time::Duration::MAX);
    /// assert_eq!(host.now(), tulipa::Instant::FAR_FUTURE);
    /// ```
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let _ = self
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                Some(n.saturating_add(by))
            });
    }

    /// Sets the clock to `t` if that is later than now (the clock never goes back).
    ///
    /// ```
    /// use tulipa::host::Host;
    /// let host = tulipa::sim::SimHost::new();
    /// host.advance_to(tulipa::Instant::from_nanos(50));
    /// host.advance_to(tulipa::Instant::from_nanos(10));
    /// assert_eq!(host.now(), tulipa::Instant::from_nanos(50));
    /// ```
    pub fn advance_to(&self, t: Instant) {
        self.now.fetch_max(t.as_nanos(), Ordering::AcqRel);
    }

    fn take_wake(&self) -> bool {
        std::mem::take(&mut *crate::scheduler::lock(&self.woken))
    }

    /// Waits up to `grace` (real time) for a wake from another thread.
    fn wait_for_wake(&self, grace: Duration) -> bool {
        let mut woken = crate::scheduler::lock(&self.woken);
        if !*woken && !grace.is_zero() {
            woken = self
                .cond
                .wait_timeout(woken, grace)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        std::mem::take(&mut *woken)
    }
}

impl Host for SimHost {
    fn now(&self) -> Instant {
        Instant::from_nanos(self.now.load(Ordering::Acquire))
    }

    fn wake(&self) {
        *crate::scheduler::lock(&self.woken) = true;
        self.cond.notify_one();
    }
}

/// Why [`Sim::block_on`] gave up.
#[derive(Debug)]
#[non_exhaustive]
pub enum SimError {
    /// Every task was waiting, no timer was pending and no wake came: the program would
    /// hang forever. Lists the live tasks, which are the ones stuck.
    Stalled {
        /// The virtual time at which progress stopped.
        at: Instant,
        /// The tasks alive at that moment.
        tasks: Vec<TaskInfo>,
    },
    /// The turn limit set with [`Sim::turn_limit`] was reached (a livelock, or a test that
    /// needs a higher limit).
    TurnLimit(u64),
}

impl fmt::Display for SimError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SimError::Stalled { at, tasks } => {
                write!(
                    f,
                    "stalled at {at:?}: every task waits and no timer is pending"
                )?;
                for t in tasks {
                    write!(f, "\n  {t}")?;
                }
                Ok(())
            }
            SimError::TurnLimit(n) => write!(f, "turn limit of {n} reached"),
        }
    }
}

impl std::error::Error for SimError {}

/// A loop on a [`SimHost`]: deterministic, virtual time, deadlock detection.
///
/// ```
/// let sim = tulipa::sim::Sim::new();
/// assert_eq!(sim.block_on(async { 5 }).unwrap(), 5);
/// ```
pub struct Sim {
    ev: EventLoop,
    host: Arc<SimHost>,
    budget: usize,
    turn_limit: u64,
    grace: Duration,
}

impl Default for Sim {
    fn default() -> Sim {
        Sim::new()
    }
}

impl Sim {
    /// A simulation at time zero.
    ///
    /// ```
    /// let sim = tulipa::sim::Sim::new();
    /// assert_eq!(sim.now(), tulipa::Instant::from_nanos(0));
    /// ```
    pub fn new() -> Sim {
        let host = Arc::new(SimHost::new());
        Sim {
            ev: EventLoop::new(host.clone()),
            host,
            budget: 64,
            turn_limit: 100_000_000,
            grace: Duration::ZERO,
        }
    }

    /// Stops [`block_on`](Self::block_on) with [`SimError::TurnLimit`] after `turns` loop
    /// turns (default 100 million).
    ///
    /// ```
    /// let sim = tulipa::sim::Sim::new().turn_limit(10);
    /// let spin = sim.block_on(async { loop { tulipa::yield_now().await } });
    /// assert!(matches!(spin, Err(tulipa::sim::SimError::TurnLimit(10))));
    /// ```
    pub fn turn_limit(mut self, turns: u64) -> Sim {
        self.turn_limit = turns.max(1);
        self
    }

    /// How long (real time) an idle simulation waits for a wake from another thread, such as
    /// a blocking-pool job, before it reports [`SimError::Stalled`] (default zero; only
    /// meaningful natively, where other threads exist).
    ///
    /// ```
    /// let sim = tulipa::sim::Sim::new().grace(std::time::Duration::from_secs(5));
    /// # drop(sim);
    /// ```
    pub fn grace(mut self, grace: Duration) -> Sim {
        self.grace = grace;
        self
    }

    /// The simulated clock.
    ///
    /// ```
    /// let sim = tulipa::sim::Sim::new();
    /// sim.block_on(tulipa::sleep(std::time::Duration::from_secs(2))).unwrap();
    /// assert_eq!(sim.now(), tulipa::Instant::from_nanos(2_000_000_000));
    /// ```
    pub fn now(&self) -> Instant {
        self.ev.now()
    }

    /// The loop, to spawn onto it or drive it by hand.
    ///
    /// ```
    /// let sim = tulipa::sim::Sim::new();
    /// let t = sim.event_loop().spawn(async { 1 });
    /// assert_eq!(sim.block_on(t).unwrap().unwrap(), 1);
    /// ```
    pub fn event_loop(&self) -> &EventLoop {
        &self.ev
    }

    /// Spawns a task on the simulation's loop.
    ///
    /// ```
    /// let sim = tulipa::sim::Sim::new();
    /// let t = sim.spawn_local(async { "x" });
    /// assert_eq!(sim.block_on(t).unwrap().unwrap(), "x");
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.ev.spawn_local(future)
    }

    /// Runs the loop until `future` completes, moving virtual time whenever every task
    /// waits.
    ///
    /// # Errors
    ///
    /// [`SimError::Stalled`] on a deadlock, [`SimError::TurnLimit`] on a livelock.
    ///
    /// ```
    /// let sim = tulipa::sim::Sim::new();
    /// let stuck = sim.block_on(std::future::pending::<()>());
    /// assert!(matches!(stuck, Err(tulipa::sim::SimError::Stalled { .. })));
    /// ```
    pub fn block_on<F: Future>(&self, future: F) -> Result<F::Output, SimError> {
        let _enter = self.ev.enter();
        let root = RootWaker::new(self.host.clone());
        let waker = Waker::from(Arc::clone(&root));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        for _ in 0..self.turn_limit {
            // Budgeted per poll like a task, as the native `block_on` does.
            if root.take() {
                if let Poll::Ready(v) = crate::coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                    return Ok(v);
                }
            }
            self.host.take_wake();
            match self.ev.turn_entered(self.budget) {
                Turn::Busy => {}
                _ if root.is_woken() => {}
                Turn::Idle(Some(deadline)) => self.host.advance_to(deadline),
                Turn::Idle(None) => {
                    if !self.host.wait_for_wake(self.grace) && !root.is_woken() {
                        return Err(SimError::Stalled {
                            at: self.now(),
                            tasks: crate::task::all_tasks(),
                        });
                    }
                }
            }
        }
        Err(SimError::TurnLimit(self.turn_limit))
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("now", &self.now())
            .finish_non_exhaustive()
    }
}
