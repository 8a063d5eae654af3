//! The seam between tulipa's loop core and the host that drives it: the pluggable event loop.
//!
//! A host owns the waiting: it parks a thread (native), returns to the browser's event loop
//! (web), or advances a virtual clock ([`crate::sim`]). The core owns everything else. They
//! meet through two calls:
//!
//! * the core asks the host for the time ([`Host::now`]) and to run a turn soon
//!   ([`Host::wake`]);
//! * the host calls [`EventLoop::turn`], which drains cross-thread wakeups, fires due timers,
//!   polls at most `budget` tasks that were ready when the turn began, and says whether more
//!   work is ready ([`Turn::Busy`]) or when the next timer is due ([`Turn::Idle`]).
//!
//! # Required items
//!
//! Every host provides:
//!
//! 1. **A monotonic clock**, [`Host::now`], as an [`Instant`]: nanoseconds since an origin
//!    of the host's choosing that never goes backwards.
//! 2. **An idempotent, thread-safe wake**, [`Host::wake`]: after it returns, the host calls
//!    `turn` again soon. It may be called from any thread (natively) or from a JS callback
//!    (web), many times before the host reacts; one turn answers them all. It must not call
//!    `turn` itself (the caller may be inside one).
//! 3. **A driver** that calls [`EventLoop::turn`] on the loop's thread: again at once while
//!    it returns `Busy` (after giving its own I/O or rendering a chance, if it has any),
//!    and after `Idle(Some(deadline))` no later than `deadline` (on the host's clock) or a
//!    wake, whichever comes first; after `Idle(None)`, at the next wake.
//!
//! # Plugging your own host
//!
//! A hand-written host that drives tulipa from a plain thread, parking on a condition
//! variable between turns:
//!
//! ```
//! use std::sync::{Arc, Condvar, Mutex};
//! use std::time::Duration;
//! use tulipa::host::{EventLoop, Host, Turn};
//!
//! struct ParkHost {
//!     origin: std::time::Instant,
//!     woken: Mutex<bool>,
//!     cond: Condvar,
//! }
//!
//! impl Host for ParkHost {
//!     fn now(&self) -> tulipa::Instant {
//!         tulipa::Instant::from_nanos(self.origin.elapsed().as_nanos() as u64)
//!     }
//!     fn wake(&self) {
//!         *self.woken.lock().unwrap() = true;
//!         self.cond.notify_one();
//!     }
//! }
//!
//! let host = Arc::new(ParkHost {
//!     origin: std::time::Instant::now(),
//!     woken: Mutex::new(false),
//!     cond: Condvar::new(),
//! });
//! let ev = EventLoop::new(host.clone());
//! let task = ev.spawn(async {
//!     tulipa::sleep(Duration::from_millis(20)).await;
//!     "slept"
//! });
//! while !task.is_finished() {
//!     match ev.turn(64) {
//!         Turn::Busy => continue,
//!         Turn::Idle(deadline) => {
//!             let mut woken = host.woken.lock().unwrap();
//!             if !*woken {
//!                 let wait = deadline.map_or(Duration::from_secs(1), |d| d - host.now());
//!                 woken = host.cond.wait_timeout(woken, wait).unwrap().0;
//!             }
//!             *woken = false;
//!         }
//!     }
//! }
//! ```

use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::Wake;

use crate::context;
use crate::scheduler::{Local, Shared};
use crate::task::JoinHandle;
use crate::time::Instant;

pub(crate) const NO_LOOP: &str = "there is no tulipa event loop running on this thread: call this \
     from inside `tulipa::run(...)`, `Runtime::block_on(...)` or a task they run (in the \
     browser, from a task started with `tulipa::spawn_local`), or use `Handle::spawn` from \
     other threads";

/// What the core needs from the environment that drives it. See the [module docs](self) for
/// the contract.
pub trait Host: Send + Sync + 'static {
    /// The host's monotonic time.
    fn now(&self) -> Instant;

    /// Asks the host to call [`EventLoop::turn`] soon. Idempotent; callable from any thread.
    fn wake(&self);
}

/// The result of one [`EventLoop::turn`].
///
/// ```
/// use tulipa::host::Turn;
/// let t = Turn::Idle(None);
/// assert!(matches!(t, Turn::Idle(None)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Turn {
    /// More tasks are ready: call `turn` again once the host has done its own work.
    Busy,
    /// Nothing is ready. The next timer is due at the given instant on the host's clock
    /// (`None`: no timer); wait until then or until [`Host::wake`].
    Idle(Option<Instant>),
}

/// The owner of one single-threaded event loop, driven by a [`Host`].
///
/// Not `Send`: a loop lives on the thread that created it. Use [`EventLoop::handle`] to reach
/// it from other threads. Dropping it cancels every task still alive on it: each future is
/// dropped on this thread without being polled again, and awaiting their handles gives
/// [`crate::JoinError::Cancelled`].
///
/// See the [module docs](self) for a complete custom host.
pub struct EventLoop {
    local: Rc<Local>,
}

impl EventLoop {
    /// A new loop driven by `host`.
    ///
    /// ```
    /// let ev = tulipa::host::EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// assert_eq!(ev.turn(16), tulipa::host::Turn::Idle(None));
    /// ```
    pub fn new(host: Arc<dyn Host>) -> EventLoop {
        EventLoop {
            local: Local::new(host),
        }
    }

    /// Runs one turn: drains wakeups from other threads, fires due timers, polls at most
    /// `budget` of the tasks that were ready when the turn began.
    ///
    /// # Panics
    ///
    /// If called from inside one of this loop's tasks.
    ///
    /// ```
    /// use tulipa::host::{EventLoop, Turn};
    /// let ev = EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// let t = ev.spawn(async { 1 });
    /// assert_eq!(ev.turn(16), Turn::Idle(None));
    /// assert!(t.is_finished());
    /// ```
    #[track_caller]
    pub fn turn(&self, budget: usize) -> Turn {
        assert!(
            context::task().loop_id != self.local.shared.id,
            "EventLoop::turn called from inside one of its own tasks"
        );
        let _enter = context::enter(Rc::clone(&self.local));
        self.local.turn(budget.max(1))
    }

    /// Whether a turn would find work: tasks queued or items in the inbox (for a host's
    /// last look before it blocks).
    #[allow(dead_code)] // used by the native host; the web host never blocks
    pub(crate) fn has_ready_work(&self) -> bool {
        self.local.has_ready_work()
    }

    /// [`EventLoop::turn`] for a driver that has already entered this loop (through
    /// [`EventLoop::enter`]) and is not inside one of its tasks: skips re-entering, which
    /// matters when turns are as short as one poll.
    pub(crate) fn turn_entered(&self, budget: usize) -> Turn {
        debug_assert_eq!(
            context::try_with_loop(|l| l.shared.id),
            Some(self.local.shared.id)
        );
        self.local.turn(budget.max(1))
    }

    /// Makes this the current loop of the thread until the guard is dropped, so that
    /// [`crate::spawn`], timers and delayed calls can be used outside a turn.
    ///
    /// ```
    /// let ev = tulipa::host::EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// let _guard = ev.enter();
    /// let task = tulipa::spawn(async { 2 });
    /// # drop(task);
    /// ```
    pub fn enter(&self) -> EnterGuard {
        EnterGuard {
            _guard: context::enter(Rc::clone(&self.local)),
        }
    }

    /// A cloneable, `Send` handle to this loop.
    ///
    /// ```
    /// let ev = tulipa::host::EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// let h = ev.handle();
    /// assert!(!h.is_closed());
    /// ```
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::clone(&self.local.shared),
        }
    }

    /// Spawns a `Send` task on this loop (see [`crate::spawn`]).
    ///
    /// ```
    /// let ev = tulipa::host::EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// let t = ev.spawn(async { 3 });
    /// ev.turn(1);
    /// assert!(t.is_finished());
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let _enter = self.enter();
        crate::task::Builder::new().spawn(future)
    }

    /// Spawns a task that need not be `Send` on this loop (see [`crate::spawn_local`]).
    ///
    /// ```
    /// let ev = tulipa::host::EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// let t = ev.spawn_local(async { std::rc::Rc::new(4) });
    /// ev.turn(1);
    /// assert!(t.is_finished());
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let _enter = self.enter();
        crate::task::Builder::new().spawn_local(future)
    }

    /// The loop's clock (virtual while paused; see [`crate::time::pause`]).
    ///
    /// ```
    /// let ev = tulipa::host::EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// assert_eq!(ev.now(), tulipa::Instant::from_nanos(0));
    /// ```
    pub fn now(&self) -> Instant {
        self.local.now()
    }

    /// How many task polls this loop has made so far.
    ///
    /// ```
    /// let ev = tulipa::host::EventLoop::new(std::sync::Arc::new(tulipa::sim::SimHost::new()));
    /// let t = ev.spawn(async {});
    /// ev.turn(8);
    /// assert_eq!(ev.polls(), 1);
    /// # drop(t);
    /// ```
    pub fn polls(&self) -> u64 {
        self.local.polls.get()
    }

    /// The loop core, for backends that keep the loop in a thread-local (the web).
    #[allow(dead_code)]
    pub(crate) fn local(&self) -> &Rc<Local> {
        &self.local
    }
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        self.local.shutdown();
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("id", &self.local.shared.id)
            .finish_non_exhaustive()
    }
}

/// Returned by [`EventLoop::enter`]; leaves the loop when dropped.
#[must_use = "the loop is current only while the guard lives"]
pub struct EnterGuard {
    _guard: context::EnterGuard,
}

impl fmt::Debug for EnterGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnterGuard")
    }
}

/// A cheap, cloneable, `Send + Sync` handle to a loop: spawn onto it and call into it from
/// any thread. It cannot run the loop.
///
/// ```
/// let rt = tulipa::Runtime::new().unwrap();
/// let handle = rt.handle();
/// let t = std::thread::spawn(move || handle.spawn(async { 40 + 2 })).join().unwrap();
/// assert_eq!(rt.block_on(t).unwrap(), 42);
/// ```
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl Handle {
    /// The handle of the loop running on this thread.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let h = tulipa::Handle::current();
    ///     assert!(!h.is_closed());
    /// });
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        Handle {
            shared: Arc::clone(&context::current_loop().shared),
        }
    }

    /// Like [`Handle::current`], but `None` outside a loop.
    ///
    /// ```
    /// assert!(tulipa::Handle::try_current().is_none());
    /// ```
    pub fn try_current() -> Option<Handle> {
        context::try_with_loop(|l| Handle {
            shared: Arc::clone(&l.shared),
        })
    }

    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Spawns a `Send` future onto this loop from any thread. On a loop that was dropped,
    /// the task is cancelled at once.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let t = rt.handle().spawn(async { "from a handle" });
    /// assert_eq!(rt.block_on(t).unwrap(), "from a handle");
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        crate::task::Builder::new().spawn_on(self, future)
    }

    /// Schedules `callback` to run on the loop from any thread (asyncio's
    /// `call_soon_threadsafe`). Dropping the returned handle does not cancel the call.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// let h = rt.handle();
    /// std::thread::spawn(move || { h.call_soon_threadsafe(move || tx.send(1).unwrap()); })
    ///     .join().unwrap();
    /// rt.block_on(tulipa::sleep(std::time::Duration::from_millis(10)));
    /// assert_eq!(rx.try_recv(), Ok(1));
    /// ```
    #[track_caller]
    pub fn call_soon_threadsafe<F>(&self, callback: F) -> crate::CallHandle
    where
        F: FnOnce() + Send + 'static,
    {
        crate::CallHandle::new(self.spawn(async move { callback() }), None)
    }

    /// Whether the loop has been dropped.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// drop(rt);
    /// assert!(h.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Asks the loop's host to run a turn soon.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// rt.handle().wake();
    /// ```
    pub fn wake(&self) {
        self.shared.host.wake();
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("loop", &self.shared.id)
            .finish()
    }
}

/// The waker of a future that a host polls directly, outside any task (`block_on`'s): it
/// marks the future for a poll and wakes the host. Shared by the native runtime and the sim.
pub(crate) struct RootWaker {
    woken: AtomicBool,
    host: Arc<dyn Host>,
}

impl RootWaker {
    /// A waker that starts out woken, so the future gets its first poll.
    pub(crate) fn new(host: Arc<dyn Host>) -> Arc<RootWaker> {
        Arc::new(RootWaker {
            woken: AtomicBool::new(true),
            host,
        })
    }

    /// Whether the future was woken since the last call; clears the mark.
    pub(crate) fn take(&self) -> bool {
        // A plain load first: on the hot path (not woken) no read-modify-write is needed.
        self.woken.load(Ordering::Acquire) && self.woken.swap(false, Ordering::AcqRel)
    }

    /// Whether the future is marked for a poll.
    pub(crate) fn is_woken(&self) -> bool {
        self.woken.load(Ordering::Acquire)
    }
}

impl Wake for RootWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.host.wake();
    }
}
