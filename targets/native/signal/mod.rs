//! Unix signals: asyncio's `loop.add_signal_handler` / `remove_signal_handler`, plus
//! [`ctrl_c`] and [`signal`], a listener that yields each delivery of one signal.
//!
//! ```
//! use tulipa::signal::{signal, SignalKind};
//!
//! tulipa::run(async {
//!     let mut usr1 = signal(SignalKind::user_defined1()).unwrap();
//!     unsafe { libc::raise(libc::SIGUSR1) };
//!     usr1.recv().await;
//!     println!("got SIGUSR1");
//! });
//! ```
//!
//! # How deliveries reach listeners
//!
//! The first tulipa user of a signal installs a handler with `sigaction`; the handler only
//! sets a flag and writes a byte to a pipe that every loop with a listener watches, and the
//! loops then wake the listeners. So:
//!
//! * **Every listener gets every delivery**: several [`Signal`]s for the same signal, in
//!   the same loop or in different loops (on different threads), are each woken once per
//!   delivery. A handler added with [`add_signal_handler`] runs on the loop it was added
//!   on; with several loops, each loop's handler runs on its own loop.
//! * **Deliveries coalesce**: if a signal arrives several times before a listener looks,
//!   the listener sees one delivery (the kernel coalesces standard signals the same way).
//!   A listener created after a delivery does not see it.
//! * **Other users of the signal keep working**: the handler tulipa replaces is called
//!   after tulipa's own (if it was a function; "default" and "ignore" are not emulated:
//!   while tulipa listens, a SIGINT no longer ends the process). When the last tulipa user
//!   of a signal goes away (the last [`Signal`] is dropped, the handler is removed), the
//!   previous disposition is restored; if another library installed its own handler over
//!   tulipa's in the meantime, that one is left in place.
//! * SIGKILL and SIGSTOP cannot be caught, and SIGSEGV, SIGBUS, SIGILL and SIGFPE cannot be
//!   handled asynchronously (the faulting code would run again at once): those are
//!   refused with [`SignalError::Forbidden`].
//!
//! Native Unix only: a browser page has no signals, so this module is absent on
//! `wasm32-unknown-unknown`.
//
// Maintainer notes: `registry.rs` holds the process-wide state and its protocol (the only
// unsafe code here); this file is the public surface and the loop-local handler table.

mod registry;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

pub(crate) use registry::Subscription;

/// A signal number, with constructors for the common ones.
///
/// ```
/// use tulipa::signal::SignalKind;
///
/// assert_eq!(SignalKind::interrupt().as_raw(), libc::SIGINT);
/// assert_eq!(SignalKind::from_raw(libc::SIGHUP), SignalKind::hangup());
/// let k: SignalKind = libc::SIGUSR2.into();
/// assert_eq!(k, SignalKind::user_defined2());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct SignalKind(libc::c_int);

impl SignalKind {
    /// Any signal number (checked when it is used: see [`SignalError`]).
    ///
    /// ```
    /// let k = tulipa::signal::SignalKind::from_raw(libc::SIGWINCH);
    /// assert_eq!(k.as_raw(), libc::SIGWINCH);
    /// ```
    pub const fn from_raw(signum: i32) -> SignalKind {
        SignalKind(signum)
    }

    /// The signal number.
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::terminate().as_raw(), libc::SIGTERM);
    /// ```
    pub const fn as_raw(self) -> i32 {
        self.0
    }

    /// SIGINT (Ctrl-C in a terminal).
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::interrupt().as_raw(), libc::SIGINT);
    /// ```
    pub const fn interrupt() -> SignalKind {
        SignalKind(libc::SIGINT)
    }

    /// SIGTERM (a polite request to stop: `kill`'s default).
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::terminate().as_raw(), libc::SIGTERM);
    /// ```
    pub const fn terminate() -> SignalKind {
        SignalKind(libc::SIGTERM)
    }

    /// SIGHUP (the terminal went away; by convention, "reload your configuration").
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::hangup().as_raw(), libc::SIGHUP);
    /// ```
    pub const fn hangup() -> SignalKind {
        SignalKind(libc::SIGHUP)
    }

    /// SIGQUIT (Ctrl-\ in a terminal).
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::quit().as_raw(), libc::SIGQUIT);
    /// ```
    pub const fn quit() -> SignalKind {
        SignalKind(libc::SIGQUIT)
    }

    /// SIGUSR1.
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::user_defined1().as_raw(), libc::SIGUSR1);
    /// ```
    pub const fn user_defined1() -> SignalKind {
        SignalKind(libc::SIGUSR1)
    }

    /// SIGUSR2.
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::user_defined2().as_raw(), libc::SIGUSR2);
    /// ```
    pub const fn user_defined2() -> SignalKind {
        SignalKind(libc::SIGUSR2)
    }

    /// SIGCHLD (a child process stopped or exited).
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::child().as_raw(), libc::SIGCHLD);
    /// ```
    pub const fn child() -> SignalKind {
        SignalKind(libc::SIGCHLD)
    }

    /// SIGWINCH (the terminal was resized).
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::window_change().as_raw(), libc::SIGWINCH);
    /// ```
    pub const fn window_change() -> SignalKind {
        SignalKind(libc::SIGWINCH)
    }

    /// SIGALRM.
    ///
    /// ```
    /// assert_eq!(tulipa::signal::SignalKind::alarm().as_raw(), libc::SIGALRM);
    /// ```
    pub const fn alarm() -> SignalKind {
        SignalKind(libc::SIGALRM)
    }

    /// Checks that tulipa can handle this signal.
    fn check(self) -> Result<libc::c_int, SignalError> {
        let n = self.0;
        if matches!(
            n,
            libc::SIGKILL
                | libc::SIGSTOP
                | libc::SIGSEGV
                | libc::SIGBUS
                | libc::SIGILL
                | libc::SIGFPE
        ) {
            return Err(SignalError::Forbidden(n));
        }
        if n < 1 || n as usize >= registry::MAX_SIG || n > max_signal() {
            return Err(SignalError::Invalid(n));
        }
        Ok(n)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn max_signal() -> libc::c_int {
    libc::SIGRTMAX()
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn max_signal() -> libc::c_int {
    31
}

impl From<i32> for SignalKind {
    fn from(signum: i32) -> SignalKind {
        SignalKind(signum)
    }
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "signal {}", self.0)
    }
}

/// Why a signal cannot be listened to.
///
/// ```
/// use tulipa::signal::{signal, SignalError, SignalKind};
///
/// let e = signal(SignalKind::from_raw(libc::SIGKILL)).unwrap_err();
/// assert!(matches!(e, SignalError::Forbidden(n) if n == libc::SIGKILL));
/// assert!(matches!(signal(SignalKind::from_raw(0)), Err(SignalError::Invalid(0))));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum SignalError {
    /// A signal that cannot be caught (SIGKILL, SIGSTOP) or must not be handled
    /// asynchronously (SIGSEGV, SIGBUS, SIGILL, SIGFPE: the faulting instruction would run
    /// again at once).
    Forbidden(i32),
    /// Not a signal number on this system (0, negative, above the highest real-time signal).
    Invalid(i32),
    /// `sigaction` or the pipe that carries deliveries failed (for example at the open-file
    /// limit).
    Io(io::Error),
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalError::Forbidden(n) => write!(f, "signal {n} cannot be handled"),
            SignalError::Invalid(n) => write!(f, "{n} is not a valid signal number"),
            SignalError::Io(e) => write!(f, "could not install the signal handler: {e}"),
        }
    }
}

impl std::error::Error for SignalError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SignalError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SignalError> for io::Error {
    /// `Forbidden` and `Invalid` become `InvalidInput`; `Io` gives its error back.
    fn from(e: SignalError) -> io::Error {
        match e {
            SignalError::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidInput, other.to_string()),
        }
    }
}

/// A listener for one signal: [`recv`](Signal::recv) completes once per delivery (deliveries
/// between two calls coalesce). Dropping the last listener of a signal restores the
/// disposition it had before tulipa.
///
/// Created with [`signal`]. Unlike asyncio's callback form, it can be created outside a
/// loop and moved between threads (it is `Send`).
///
/// ```
/// use tulipa::signal::{signal, SignalKind};
///
/// tulipa::run(async {
///     let mut a = signal(SignalKind::user_defined2()).unwrap();
///     let mut b = signal(SignalKind::user_defined2()).unwrap();
///     unsafe { libc::raise(libc::SIGUSR2) };
///     a.recv().await; // both listeners see the one delivery
///     b.recv().await;
/// });
/// ```
pub struct Signal {
    sub: Subscription,
}

/// Listens to `kind`: installs tulipa's handler (chained to the current one) if this is the
/// first tulipa user of the signal.
///
/// # Errors
///
/// [`SignalError::Forbidden`] for SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE;
/// [`SignalError::Invalid`] for a number that is no signal; [`SignalError::Io`] if
/// `sigaction` or the delivery pipe failed.
///
/// ```
/// use tulipa::signal::{signal, SignalKind};
///
/// tulipa::run(async {
///     let mut hup = signal(SignalKind::hangup()).unwrap();
///     assert_eq!(hup.kind(), SignalKind::hangup());
///     // e.g. loop { hup.recv().await; reload_config(); }
/// });
/// ```
pub fn signal(kind: SignalKind) -> Result<Signal, SignalError> {
    let n = kind.check()?;
    Ok(Signal {
        sub: Subscription::new(n).map_err(SignalError::Io)?,
    })
}

impl Signal {
    /// Waits for the next delivery (or returns at once if one came since the last call).
    /// Always `Some(())`: the stream never ends while the listener exists.
    ///
    /// # Cancel safety
    ///
    /// Safe: a delivery is consumed only by the call that returns it.
    ///
    /// ```
    /// use tulipa::signal::{signal, SignalKind};
    /// tulipa::run(async {
    ///     let mut s = signal(SignalKind::window_change()).unwrap();
    ///     unsafe { libc::raise(libc::SIGWINCH) };
    ///     assert_eq!(s.recv().await, Some(()));
    /// });
    /// ```
    pub async fn recv(&mut self) -> Option<()> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// The poll form of [`recv`](Signal::recv), for hand-written futures and streams.
    ///
    /// ```
    /// use std::future::poll_fn;
    /// use tulipa::signal::{signal, SignalKind};
    /// tulipa::run(async {
    ///     let mut s = signal(SignalKind::alarm()).unwrap();
    ///     unsafe { libc::raise(libc::SIGALRM) };
    ///     poll_fn(|cx| s.poll_recv(cx)).await;
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.sub.poll(cx).map(Some)
    }

    /// The signal this listener listens to.
    ///
    /// ```
    /// use tulipa::signal::{signal, SignalKind};
    /// let s = signal(SignalKind::quit()).unwrap();
    /// assert_eq!(s.kind(), SignalKind::quit());
    /// ```
    pub fn kind(&self) -> SignalKind {
        SignalKind(self.sub.signal())
    }
}

impl fmt::Debug for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind())
            .finish()
    }
}

/// Waits for the next SIGINT (Ctrl-C). While it waits, SIGINT does not end the process.
///
/// # Errors
///
/// `sigaction` or the delivery pipe failed.
///
/// # Cancel safety
///
/// Safe; but a SIGINT that arrives while no `ctrl_c` (or other SIGINT listener) is waiting
/// is handled by the previous disposition (by default: the process ends).
///
/// ```no_run
/// tulipa::run(async {
///     let server = tulipa::spawn(async { /* serve */ });
///     tulipa::signal::ctrl_c().await.unwrap();
///     println!("shutting down");
///     server.cancel();
/// });
/// ```
pub async fn ctrl_c() -> io::Result<()> {
    let mut s = signal(SignalKind::interrupt())?;
    s.recv().await;
    Ok(())
}

/// One handler added with [`add_signal_handler`], kept per loop.
struct LoopHandler {
    /// The listener; taken out (and so dropped, restoring the disposition if it was the
    /// last user) by [`remove_signal_handler`].
    sub: Rc<RefCell<Option<Signal>>>,
    task: crate::JoinHandle<()>,
}

thread_local! {
    /// (loop id, signal) → the handler added on that loop.
    static HANDLERS: RefCell<HashMap<(u64, i32), LoopHandler>> = RefCell::new(HashMap::new());
}

/// Calls `callback` on the current loop each time `sig` is delivered (asyncio's
/// `loop.add_signal_handler`). A handler already set for `sig` on this loop is replaced.
/// With several loops, each loop's handler runs on its own loop. The handler lasts until
/// [`remove_signal_handler`] or the end of the loop.
///
/// # Errors
///
/// As [`signal`].
///
/// # Panics
///
/// Outside a running tulipa loop.
///
/// ```
/// use std::cell::Cell;
/// use std::rc::Rc;
/// use tulipa::signal::{add_signal_handler, remove_signal_handler, SignalKind};
///
/// tulipa::run(async {
///     let hits = Rc::new(Cell::new(0));
///     let h = hits.clone();
///     add_signal_handler(SignalKind::user_defined1(), move || h.set(h.get() + 1)).unwrap();
///     unsafe { libc::raise(libc::SIGUSR1) };
///     while hits.get() == 0 {
///         tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert!(remove_signal_handler(SignalKind::user_defined1()).unwrap());
/// });
/// ```
#[track_caller]
pub fn add_signal_handler(
    sig: impl Into<SignalKind>,
    mut callback: impl FnMut() + 'static,
) -> Result<(), SignalError> {
    let kind = sig.into();
    let loop_id = crate::context::current_loop().shared.id;
    let listener = signal(kind)?;
    let sub = Rc::new(RefCell::new(Some(listener)));
    let weak = Rc::downgrade(&sub);
    /// Drops the listener when the task ends, however it ends (at loop teardown too), so
    /// the disposition comes back when the loop goes away.
    struct Release(std::rc::Weak<RefCell<Option<Signal>>>);
    impl Drop for Release {
        fn drop(&mut self) {
            let listener = self.0.upgrade().and_then(|s| s.borrow_mut().take());
            drop(listener);
        }
    }
    let release = Release(weak.clone());
    let task = crate::task::Builder::new()
        .name(format!("signal handler for {kind}"))
        .spawn_local(async move {
            let _release = release;
            loop {
                let got = poll_fn(|cx| {
                    let Some(sub) = weak.upgrade() else {
                        return Poll::Ready(false);
                    };
                    let mut sub = sub.borrow_mut();
                    match sub.as_mut() {
                        Some(s) => s.poll_recv(cx).map(|_| true),
                        None => Poll::Ready(false),
                    }
                })
                .await;
                if !got {
                    return;
                }
                callback(); // no borrow held
            }
        });
    let old = HANDLERS.with(|h| {
        let mut h = h.borrow_mut();
        h.retain(|_, e| !e.task.is_finished());
        h.insert((loop_id, kind.0), LoopHandler { sub, task })
    });
    drop_handler(old);
    Ok(())
}

fn drop_handler(h: Option<LoopHandler>) -> bool {
    match h {
        Some(h) => {
            let listener = h.sub.borrow_mut().take();
            drop(listener); // may restore the disposition, now
            h.task.cancel();
            h.task.detach();
            true
        }
        None => false,
    }
}

/// Removes the handler [`add_signal_handler`] set for `sig` on the current loop (asyncio's
/// `loop.remove_signal_handler`). Returns whether there was one. If it was the last tulipa
/// user of the signal, the signal's previous disposition is restored before this returns.
///
/// # Errors
///
/// [`SignalError::Forbidden`] / [`SignalError::Invalid`] for a signal that could never
/// have had a handler.
///
/// # Panics
///
/// Outside a running tulipa loop.
///
/// ```
/// use tulipa::signal::{add_signal_handler, remove_signal_handler, SignalKind};
///
/// tulipa::run(async {
///     assert!(!remove_signal_handler(SignalKind::hangup()).unwrap());
///     add_signal_handler(SignalKind::hangup(), || println!("reload")).unwrap();
///     assert!(remove_signal_handler(SignalKind::hangup()).unwrap());
/// });
/// ```
#[track_caller]
pub fn remove_signal_handler(sig: impl Into<SignalKind>) -> Result<bool, SignalError> {
    let kind = sig.into();
    kind.check()?;
    let loop_id = crate::context::current_loop().shared.id;
    let old = HANDLERS.with(|h| h.borrow_mut().remove(&(loop_id, kind.0)));
    Ok(drop_handler(old))
}
