//! The native runtime: an [`EventLoop`] driven by a thread that parks in mio.

use std::fmt;
use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use mio::{Events, Poll as MioPoll, Token, Waker as MioWaker};

use super::pool::{self, Pool};
use super::reactor::{self, Reactor};
use crate::context;
use crate::host::{EventLoop, Handle, Host, RootWaker, Turn};
use crate::task::{JoinError, JoinHandle};
use crate::time::Instant;

const WAKE_TOKEN: Token = Token(usize::MAX);
const DEFAULT_BUDGET: usize = 128;
/// mio (epoll) takes a timeout in whole milliseconds as an `i32`; stay well inside it.
const MAX_PARK: Duration = Duration::from_secs(24 * 3600);

/// Runs `future` to completion on a new runtime on this thread, as the loop's main task
/// (asyncio's `run`), and returns its output. Every task still alive at the end is cancelled.
///
/// # Panics
///
/// If the main task panics (the panic is resumed here), if it is cancelled, if the OS
/// refuses the runtime's resources (an epoll or eventfd descriptor), or if called from
/// inside a running loop.
///
/// ```
/// let answer = tulipa::run(async {
///     tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, 42);
/// ```
#[track_caller]
pub fn run<F>(future: F) -> F::Output
where
    F: Future + 'static,
    F::Output: 'static,
{
    let rt = Runtime::new().expect("tulipa::run: could not create the runtime");
    let main = rt.spawn_local(future);
    match rt.block_on(main) {
        Ok(v) => v,
        Err(JoinError::Panicked(p)) => std::panic::resume_unwind(p.into_payload()),
        Err(e) => panic!("tulipa::run: the main task ended without a value: {e}"),
    }
}

/// Configures a [`Runtime`].
///
/// ```
/// let rt = tulipa::Builder::new().budget(64).max_blocking_threads(4).build().unwrap();
/// assert_eq!(rt.block_on(async { 1 }), 1);
/// ```
#[derive(Debug, Clone)]
#[must_use = "a Builder does nothing until you call build"]
pub struct Builder {
    budget: usize,
    blocking: Option<(usize, Duration)>,
}

impl Default for Builder {
    fn default() -> Builder {
        Builder {
            budget: DEFAULT_BUDGET,
            blocking: None,
        }
    }
}

impl Builder {
    /// The default configuration.
    ///
    /// ```
    /// let _b = tulipa::Builder::new();
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// How many tasks one loop turn polls at most before checking I/O again (default 128).
    ///
    /// ```
    /// let rt = tulipa::Builder::new().budget(1).build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn budget(mut self, budget: usize) -> Builder {
        self.budget = budget.max(1);
        self
    }

    /// Gives the runtime its own blocking pool with at most `max` threads (default: the
    /// process-wide pool of 512).
    ///
    /// ```
    /// let rt = tulipa::Builder::new().max_blocking_threads(2).build().unwrap();
    /// assert_eq!(rt.block_on(async { tulipa::spawn_blocking(|| 3).await }).unwrap(), 3);
    /// ```
    pub fn max_blocking_threads(mut self, max: usize) -> Builder {
        let keep = self.blocking.map_or(pool::KEEP_ALIVE, |b| b.1);
        self.blocking = Some((max.max(1), keep));
        self
    }

    /// How long an idle blocking thread waits for work before it exits (default 10 s);
    /// gives the runtime its own pool.
    ///
    /// ```
    /// let rt = tulipa::Builder::new()
    ///     .blocking_keep_alive(std::time::Duration::from_millis(50))
    ///     .build().unwrap();
    /// # drop(rt);
    /// ```
    pub fn blocking_keep_alive(mut self, keep_alive: Duration) -> Builder {
        let max = self.blocking.map_or(pool::MAX_THREADS, |b| b.0);
        self.blocking = Some((max, keep_alive));
        self
    }

    /// Creates the runtime: an epoll (or kqueue) instance and an eventfd for wakeups.
    ///
    /// # Errors
    ///
    /// The OS refused those descriptors (for example at the open-file limit).
    ///
    /// ```
    /// let rt = tulipa::Builder::new().build()?;
    /// # drop(rt);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn build(self) -> io::Result<Runtime> {
        let poll = MioPoll::new()?;
        let waker = MioWaker::new(poll.registry(), WAKE_TOKEN)?;
        let host = Arc::new(NativeHost {
            waker,
            awake: AtomicBool::new(true),
        });
        let reactor = Arc::new(Reactor::new(poll.registry().try_clone()?));
        let pool = match self.blocking {
            Some((max, keep)) => Pool::new(max, keep),
            None => Pool::global(),
        };
        Ok(Runtime {
            ev: EventLoop::new(host.clone()),
            host,
            poll: std::cell::RefCell::new(poll),
            events: std::cell::RefCell::new(Events::with_capacity(256)),
            budget: self.budget,
            pool,
            reactor,
        })
    }
}

/// The host half of a native loop: the clock and an eventfd-backed wake.
//
// The wake protocol. `awake` is true while the loop's thread is running (not parked in
// epoll) or once a wake has been posted to the eventfd; only a wake that finds it false pays
// for the eventfd write (a syscall).
// 1. Before a blocking park the loop stores `awake = false`, then (after a SeqCst fence)
//    looks once more for work: the root future woken, tasks queued, the inbox non-empty. If
//    any, it does not block.
// 2. A waker first publishes its work (the root flag, the inbox flag), then (after a SeqCst
//    fence) swaps `awake` to true; if it was false, it writes the eventfd.
// By the fences, either the loop's last look sees the work or the waker sees `false` and
// writes the eventfd, which ends the park. After every park the loop stores `awake = true`.
struct NativeHost {
    waker: MioWaker,
    awake: AtomicBool,
}

impl Host for NativeHost {
    fn now(&self) -> Instant {
        super::now()
    }

    fn wake(&self) {
        std::sync::atomic::fence(Ordering::SeqCst);
        if !self.awake.swap(true, Ordering::SeqCst) {
            // Failing to write the eventfd would mean a lost wakeup; it only fails if the
            // descriptor is gone, which happens after the runtime is dropped, when no wake
            // matters any more.
            let _ = self.waker.wake();
        }
    }
}

/// A native event loop on the current thread (the owner; not `Send`).
///
/// It parks in mio (epoll/kqueue) until the next timer or a wake, so an idle runtime uses no
/// CPU. Dropping it cancels every task still alive on it.
///
/// ```
/// let rt = tulipa::Runtime::new().unwrap();
/// let t = rt.spawn(async { 2 + 2 });
/// assert_eq!(rt.block_on(t).unwrap(), 4);
/// ```
pub struct Runtime {
    // Declared first: dropped (and its tasks cancelled) before the poller goes away.
    ev: EventLoop,
    host: Arc<NativeHost>,
    poll: std::cell::RefCell<MioPoll>,
    events: std::cell::RefCell<Events>,
    budget: usize,
    pool: Arc<Pool>,
    reactor: Arc<Reactor>,
}

impl Runtime {
    /// A runtime with the default configuration.
    ///
    /// # Errors
    ///
    /// See [`Builder::build`].
    ///
    /// ```
    /// let rt = tulipa::Runtime::new()?;
    /// # drop(rt);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// Runs the loop until `future` completes and returns its output. The future is polled
    /// on this thread, outside any task (so `task::current()` is `None` in it); use
    /// [`crate::run`] for asyncio's "main task" behaviour.
    ///
    /// # Panics
    ///
    /// If called from inside a running loop (a task cannot block its own thread).
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let local = String::from("borrowed");
    /// let n = rt.block_on(async { local.len() });
    /// assert_eq!(n, 8);
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        assert!(
            context::try_with_loop(|_| ()).is_none(),
            "Runtime::block_on called inside a running loop: a task must not block the \
             loop's thread; await the future, or use spawn_blocking for blocking work"
        );
        let _enter = self.ev.enter();
        let _pool = pool::enter(Arc::clone(&self.pool));
        let _io = reactor::enter(Arc::clone(&self.reactor));
        let root = RootWaker::new(self.host.clone());
        let waker = Waker::from(Arc::clone(&root));
        let mut cx = Context::from_waker(&waker);
        let mut future = pin!(future);
        // Work done since the last look at I/O: while the loop is busy, I/O is checked (with
        // a zero timeout) about once per `budget` polls rather than after every turn, so a
        // ping-pong of one ready task per turn does not pay a syscall per message.
        let mut since_io = 0;
        loop {
            // The root future runs among the loop's tasks, so it gets a budget per poll too.
            if root.take() {
                if let Poll::Ready(v) = crate::coop::with_budget(|| future.as_mut().poll(&mut cx)) {
                    return v;
                }
            }
            let before = self.ev.polls();
            let turn = self.ev.turn_entered(self.budget);
            // Counting the turn itself too bounds the run of turns even if one polls nothing.
            since_io += self.ev.polls() - before + 1;
            let busy = turn == Turn::Busy || root.is_woken();
            let mut timeout = match turn {
                _ if busy && since_io < self.budget as u64 => continue,
                _ if busy => Some(Duration::ZERO),
                Turn::Idle(None) => None,
                Turn::Idle(Some(deadline)) => Some((deadline - self.host.now()).min(MAX_PARK)),
                Turn::Busy => unreachable!("handled above"),
            };
            since_io = 0;
            if timeout != Some(Duration::ZERO) {
                // Rule 1 of the wake protocol.
                self.host.awake.store(false, Ordering::SeqCst);
                std::sync::atomic::fence(Ordering::SeqCst);
                if root.is_woken() || self.ev.has_ready_work() {
                    timeout = Some(Duration::ZERO);
                }
            }
            self.park(timeout);
        }
    }

    /// Waits for I/O, a wake or the timeout.
    fn park(&self, timeout: Option<Duration>) {
        let mut poll = self.poll.borrow_mut();
        let mut events = self.events.borrow_mut();
        if let Err(e) = poll.poll(&mut events, timeout) {
            // EINTR: a signal arrived; the next turn simply runs a little early.
            debug_assert_eq!(
                e.kind(),
                io::ErrorKind::Interrupted,
                "epoll_wait failed: {e}"
            );
        }
        // Running again: wakes from now on (I/O dispatch included) need no eventfd write.
        self.host.awake.store(true, Ordering::SeqCst);
        self.reactor.dispatch(&events, WAKE_TOKEN);
    }

    /// A `Send` handle to this runtime's loop, for other threads.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let h = rt.handle();
    /// std::thread::spawn(move || h.spawn(async {}).detach()).join().unwrap();
    /// ```
    pub fn handle(&self) -> Handle {
        self.ev.handle()
    }

    /// Spawns a `Send` task on this runtime; it runs while the runtime is driven by
    /// [`Runtime::block_on`].
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let t = rt.spawn(async { 5 });
    /// assert_eq!(rt.block_on(t).unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.ev.spawn(future)
    }

    /// Spawns a task that need not be `Send` on this runtime.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let t = rt.spawn_local(async { std::rc::Rc::new(5) });
    /// assert_eq!(*rt.block_on(t).unwrap(), 5);
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.ev.spawn_local(future)
    }

    /// Threads currently alive in this runtime's blocking pool.
    ///
    /// ```
    /// let rt = tulipa::Builder::new().max_blocking_threads(1).build().unwrap();
    /// assert_eq!(rt.blocking_threads(), 0);
    /// rt.block_on(async { tulipa::spawn_blocking(|| ()).await }).unwrap();
    /// assert_eq!(rt.blocking_threads(), 1);
    /// ```
    pub fn blocking_threads(&self) -> usize {
        self.pool.threads()
    }

    /// The underlying loop, to drive it by hand or inspect it.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let t = rt.spawn(async {});
    /// rt.event_loop().turn(8);
    /// assert!(t.is_finished());
    /// ```
    pub fn event_loop(&self) -> &EventLoop {
        &self.ev
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("loop", &self.ev)
            .field("budget", &self.budget)
            .finish_non_exhaustive()
    }
}
