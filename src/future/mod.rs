//! asyncio's `Future`: a settable, awaitable, cancellable one-shot result.
//!
//! A [`SettableFuture`] starts pending and is completed exactly once, by
//! [`set_result`](SettableFuture::set_result), [`set_exception`](SettableFuture::set_exception)
//! or [`cancel`](SettableFuture::cancel). Every clone is a handle to the same result, so one
//! side can hold it to complete it while any number of tasks, on any loop or thread, await it;
//! done-callbacks run on the future's loop once it completes (asyncio's `add_done_callback`).
//!
//! ```
//! use tulipa::future::SettableFuture;
//!
//! tulipa::run(async {
//!     let fut: SettableFuture<u32, String> = SettableFuture::new();
//!     let waiter = tulipa::spawn(fut.wait());
//!     fut.set_result(7).unwrap();
//!     assert_eq!(waiter.await.unwrap(), Ok(7));
//!     assert_eq!(fut.result(), Ok(7));
//! });
//! ```
//!
//! # Why `SettableFuture` and not `Future`
//!
//! asyncio calls it `Future`, but in Rust that name is the trait every async value
//! implements, and it is in the prelude of the 2024 edition: a `use tulipa::future::Future`
//! would shadow the trait, and every `impl Future for …` below it would silently name the
//! wrong thing. `SettableFuture` says what the type adds to a future (Guava gave the same
//! concept the same name), and it reads the same in error messages and docs. The asyncio map
//! is `asyncio.Future` / `concurrent.futures.Future` → `SettableFuture`.
//!
//! # Results, exceptions and cancellation
//!
//! A `SettableFuture<T, E>` completes with a value `T`, an exception `E` (by default
//! [`Exception`], any shared error) or cancellation. Awaiting it (or [`result`](SettableFuture::result)) gives
//! `Ok(value)` or a [`FutureError`] that tells the three apart. Since every waiter receives
//! the result, awaiting clones it: `T` and `E` must be `Clone` (wrap other values in an
//! `Arc`). Completing a completed future is a typed error, [`SetError`], that hands the value
//! back; it never panics.
//!
//! # Which loop runs the callbacks
//!
//! A future belongs to the loop that was current when it was created (or the one given to
//! [`SettableFuture::with_handle`]), as an asyncio future belongs to its loop. Callbacks run
//! there, in a later turn than the call that completed the future, scheduled with
//! [`crate::Handle::call_soon_threadsafe`], so completing it from another thread is safe. A
//! future created outside any loop (on a plain thread) runs its callbacks in the thread that
//! completes it, right after it is completed, as `concurrent.futures` does; so does a future
//! whose loop was dropped.
//
// Maintainer notes: the protocol.
//
// State: `Inner { state: Mutex<State>, handle }`. `handle` is fixed at creation; everything
// else is under the mutex:
//
//   outcome      Pending, then exactly once Value | Exception | Cancelled
//   first        the waker of the first parked `Waiter` (most futures have one waiter:
//                keeping it inline spares the WaitList's allocation); `first_used` says a
//                `Waiter` owns this slot
//   waiters      a WaitList of the other parked `Waiter`s
//   callbacks    FIFO of (id, callback) not yet started
//   dispatching  a drain of `callbacks` is scheduled or running
//   dispatcher   how to schedule a drain (a fn pointer, set by `add_done_callback`)
//
// Rules:
//
// 1. The outcome leaves Pending once: the first completer (set_result, set_exception, cancel)
//    to take the lock writes it; any later one finds it done and hands its value back.
// 2. That completer takes the `first` waker and calls `notify_all` on the waiters under the
//    lock, and wakes them after unlocking. A `Waiter` reads the outcome under the same lock
//    before it parks (takes `first` or pushes an entry), so either it sees the outcome or
//    its waker is there when the completer takes them: no wakeup is lost, whatever the
//    threads.
// 3. A `Waiter` gives back its slot (`first_used = false`, or `WaitList::cancel`) when it
//    returns or is dropped; its waker is not kept after that. The value handed to a waiter
//    is `()`: nothing to pass on. A waker given back or displaced by a re-poll is dropped
//    after the lock, never under it (a `Wakers`, src/waitlist.rs).
// 4. Exactly one drain runs at a time. Whoever flips `dispatching` from false to true under
//    the lock schedules one: the completer if callbacks are queued, or `add_done_callback`
//    on a completed future. A drain pops one callback at a time under the lock and runs it
//    unlocked; finding the queue empty, it clears `dispatching` under the lock. So each
//    callback is popped (run) exactly once, in the order it was queued, and a callback
//    added while a drain runs is run by that drain.
// 5. A drain is a `call_soon_threadsafe` callback on the future's loop, or runs inline when
//    there is no loop or it is closed. A drain that its loop drops unrun (the loop closed
//    between the check and the call) runs inline from its Drop, so no callback is lost.
// 6. `dispatcher` exists because scheduling on a loop needs `T: Send` and completing does
//    not: `add_done_callback` (which requires `Send`) stores the monomorphised fn pointer,
//    and completion calls it only if callbacks were queued.

mod error;
mod waiter;

use std::collections::VecDeque;
use std::fmt;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::task::Waker;

use crate::loom::{lock, Arc, Mutex};
use crate::task::Cancelled;
use crate::waitlist::{wake_all, WaitList};
use crate::Handle;

pub(crate) use error::cancelled_error;
pub use error::{FutureError, SetError};
pub use waiter::Waiter;

/// The default exception type of a [`SettableFuture`]: any error, shared so that every
/// waiter can receive it.
///
/// ```
/// use tulipa::future::{Exception, SettableFuture};
///
/// let fut: SettableFuture<u32> = SettableFuture::new();
/// let err: Exception = std::sync::Arc::new(std::io::Error::other("disk on fire"));
/// fut.set_exception(err).unwrap();
/// assert_eq!(fut.result().unwrap_err().to_string(), "disk on fire");
/// ```
pub type Exception = std::sync::Arc<dyn std::error::Error + Send + Sync>;

type Callback<T, E> = Box<dyn FnOnce(&SettableFuture<T, E>) + Send>;

/// A settable, awaitable, cancellable one-shot result (asyncio's `Future`). See the
/// [module docs](self).
///
/// Cloning gives another handle to the same result. It is `Send + Sync` when `T` and `E` are
/// `Send`, so it can be completed from any thread and awaited on any loop (or under any
/// executor: waiting uses only the `Waker`).
///
/// ```
/// use tulipa::future::SettableFuture;
///
/// let rt = tulipa::Runtime::new().unwrap();
/// let fut: SettableFuture<String, String> = SettableFuture::new();
/// let setter = fut.clone();
/// std::thread::spawn(move || setter.set_result("from a thread".to_owned()).unwrap());
/// assert_eq!(rt.block_on(fut.wait()).unwrap(), "from a thread");
/// ```
pub struct SettableFuture<T, E = Exception> {
    inner: Arc<Inner<T, E>>,
}

struct Inner<T, E> {
    state: Mutex<State<T, E>>,
    handle: Option<Handle>,
}

enum Outcome<T, E> {
    Pending,
    Value(T),
    Exception(E),
    Cancelled(Cancelled),
}

struct State<T, E> {
    outcome: Outcome<T, E>,
    first: Option<Waker>,
    first_used: bool,
    waiters: WaitList<()>,
    callbacks: VecDeque<(u64, Callback<T, E>)>,
    next_callback: u64,
    dispatching: bool,
    dispatcher: Option<fn(SettableFuture<T, E>)>,
}

/// Identifies a done-callback, for [`SettableFuture::remove_done_callback`].
///
/// ```
/// let fut: tulipa::future::SettableFuture<()> = tulipa::future::SettableFuture::new();
/// let a = fut.add_done_callback(|_| ());
/// let b = fut.add_done_callback(|_| ());
/// assert_ne!(a, b);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct CallbackId(u64);

impl<T, E> SettableFuture<T, E> {
    /// A pending future of the current loop (none outside a loop: then callbacks run in the
    /// thread that completes it).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let fut: tulipa::future::SettableFuture<()> = tulipa::future::SettableFuture::new();
    ///     assert!(fut.handle().is_some());
    ///     assert!(!fut.done());
    /// });
    /// ```
    pub fn new() -> SettableFuture<T, E> {
        SettableFuture::with_loop(Handle::try_current())
    }

    /// A pending future whose callbacks run on the loop behind `handle` (asyncio's
    /// `loop.create_future()`).
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let fut: tulipa::future::SettableFuture<u8> =
    ///     tulipa::future::SettableFuture::with_handle(rt.handle());
    /// assert!(fut.handle().is_some());
    /// ```
    pub fn with_handle(handle: Handle) -> SettableFuture<T, E> {
        SettableFuture::with_loop(Some(handle))
    }

    fn with_loop(handle: Option<Handle>) -> SettableFuture<T, E> {
        SettableFuture {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    outcome: Outcome::Pending,
                    first: None,
                    first_used: false,
                    waiters: WaitList::default(),
                    callbacks: VecDeque::new(),
                    next_callback: 0,
                    dispatching: false,
                    dispatcher: None,
                }),
                handle,
            }),
        }
    }

    /// The loop that runs this future's callbacks (asyncio's `get_loop()`), if any.
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<()> = tulipa::future::SettableFuture::new();
    /// assert!(fut.handle().is_none()); // created outside a loop
    /// ```
    pub fn handle(&self) -> Option<&Handle> {
        self.inner.handle.as_ref()
    }

    /// Completes the future with `value` and wakes every waiter; hands `value` back if it was
    /// already complete.
    ///
    /// # Errors
    ///
    /// [`SetError::Done`] if it already had a result, [`SetError::Cancelled`] if it was
    /// cancelled.
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<u32, ()> = tulipa::future::SettableFuture::new();
    /// assert!(fut.set_result(1).is_ok());
    /// assert_eq!(fut.set_result(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn set_result(&self, value: T) -> Result<(), SetError<T>> {
        self.complete(Outcome::Value(value))
            .map_err(|(o, cancelled)| {
                let Outcome::Value(v) = o else { unreachable!() };
                if cancelled {
                    SetError::Cancelled(v)
                } else {
                    SetError::Done(v)
                }
            })
    }

    /// Completes the future with an exception (asyncio's `set_exception`); hands it back if
    /// the future was already complete.
    ///
    /// # Errors
    ///
    /// As [`set_result`](Self::set_result).
    ///
    /// ```
    /// use tulipa::future::{FutureError, SettableFuture};
    /// let fut: SettableFuture<u32, String> = SettableFuture::new();
    /// fut.set_exception("refused".to_owned()).unwrap();
    /// assert_eq!(fut.result(), Err(FutureError::Exception("refused".to_owned())));
    /// ```
    pub fn set_exception(&self, error: E) -> Result<(), SetError<E>> {
        self.complete(Outcome::Exception(error))
            .map_err(|(o, cancelled)| {
                let Outcome::Exception(e) = o else {
                    unreachable!()
                };
                if cancelled {
                    SetError::Cancelled(e)
                } else {
                    SetError::Done(e)
                }
            })
    }

    /// Cancels the future: waiters get [`FutureError::Cancelled`] and the callbacks run.
    /// Returns false if it was already complete (asyncio's `cancel()`).
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<()> = tulipa::future::SettableFuture::new();
    /// assert!(fut.cancel());
    /// assert!(fut.cancelled());
    /// assert!(!fut.cancel());
    /// ```
    pub fn cancel(&self) -> bool {
        self.complete(Outcome::Cancelled(cancelled_error(None)))
            .is_ok()
    }

    /// Like [`cancel`](Self::cancel), with a message that [`Cancelled::message`] reports
    /// (asyncio's `cancel(msg)`).
    ///
    /// ```
    /// use tulipa::future::{FutureError, SettableFuture};
    /// let fut: SettableFuture<()> = SettableFuture::new();
    /// fut.cancel_with("user closed the tab");
    /// let Err(FutureError::Cancelled(c)) = fut.result() else { unreachable!() };
    /// assert_eq!(c.message(), Some("user closed the tab"));
    /// ```
    pub fn cancel_with(&self, message: impl Into<String>) -> bool {
        let msg = Some(message.into().into_boxed_str());
        self.complete(Outcome::Cancelled(cancelled_error(msg)))
            .is_ok()
    }

    /// Rules 1, 2 and 4: writes the outcome once, wakes the waiters, starts the callbacks.
    /// On refusal returns the outcome and whether the future had been cancelled.
    fn complete(&self, outcome: Outcome<T, E>) -> Result<(), (Outcome<T, E>, bool)> {
        let mut st = lock(&self.inner.state);
        match st.outcome {
            Outcome::Pending => {}
            Outcome::Cancelled(_) => return Err((outcome, true)),
            _ => return Err((outcome, false)),
        }
        st.outcome = outcome;
        let first = st.first.take();
        let others = if st.waiters.is_empty() {
            Vec::new() // No allocation in the common case of one waiter.
        } else {
            st.waiters.notify_all(|| ())
        };
        let dispatch = if !st.callbacks.is_empty() && !st.dispatching {
            st.dispatching = true;
            st.dispatcher
        } else {
            None
        };
        drop(st);
        wake_all(first.into_iter().chain(others));
        if let Some(dispatch) = dispatch {
            dispatch(self.clone());
        }
        Ok(())
    }

    /// Whether the future is complete: it has a value, an exception, or was cancelled.
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<u8, ()> = tulipa::future::SettableFuture::new();
    /// assert!(!fut.done());
    /// fut.set_result(0).unwrap();
    /// assert!(fut.done());
    /// ```
    pub fn done(&self) -> bool {
        !matches!(lock(&self.inner.state).outcome, Outcome::Pending)
    }

    /// Whether the future was cancelled.
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<u8, ()> = tulipa::future::SettableFuture::new();
    /// fut.set_result(0).unwrap();
    /// assert!(!fut.cancelled());
    /// ```
    pub fn cancelled(&self) -> bool {
        matches!(lock(&self.inner.state).outcome, Outcome::Cancelled(_))
    }

    /// The result, without waiting (asyncio's `result()`): the value, or why there is none,
    /// [`FutureError::NotDone`] included.
    ///
    /// ```
    /// use tulipa::future::{FutureError, SettableFuture};
    /// let fut: SettableFuture<Vec<u8>, ()> = SettableFuture::new();
    /// assert_eq!(fut.result(), Err(FutureError::NotDone));
    /// fut.set_result(vec![1, 2]).unwrap();
    /// assert_eq!(fut.result(), Ok(vec![1, 2]));
    /// ```
    pub fn result(&self) -> Result<T, FutureError<E>>
    where
        T: Clone,
        E: Clone,
    {
        read(&lock(&self.inner.state).outcome).unwrap_or(Err(FutureError::NotDone))
    }

    /// Waits for the result: a future that any number of tasks may await at once, each
    /// getting a clone. `&fut` and `fut` can also be awaited directly.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the `Waiter` only stops waiting; the result stays in the future.
    ///
    /// ```
    /// use tulipa::future::SettableFuture;
    /// tulipa::run(async {
    ///     let fut: SettableFuture<u32, ()> = SettableFuture::new();
    ///     let a = tulipa::spawn(fut.wait());
    ///     let b = tulipa::spawn(fut.wait());
    ///     fut.set_result(3).unwrap();
    ///     assert_eq!(a.await.unwrap(), Ok(3));
    ///     assert_eq!(b.await.unwrap(), Ok(3));
    ///     assert_eq!((&fut).await, Ok(3));
    /// });
    /// ```
    pub fn wait(&self) -> Waiter<T, E> {
        Waiter::new(self.clone())
    }

    /// Removes a callback that has not started yet; returns whether it was removed (asyncio's
    /// `remove_done_callback`).
    ///
    /// ```
    /// let fut: tulipa::future::SettableFuture<()> = tulipa::future::SettableFuture::new();
    /// let id = fut.add_done_callback(|_| unreachable!());
    /// assert!(fut.remove_done_callback(id));
    /// assert!(!fut.remove_done_callback(id));
    /// fut.cancel();
    /// ```
    pub fn remove_done_callback(&self, id: CallbackId) -> bool {
        let mut st = lock(&self.inner.state);
        let Some(at) = st.callbacks.iter().position(|(i, _)| *i == id.0) else {
            return false;
        };
        let removed = st.callbacks.remove(at);
        drop(st);
        drop(removed); // Its captures drop outside the lock.
        true
    }
}

impl<T: Send + 'static, E: Send + 'static> SettableFuture<T, E> {
    /// Runs `callback` once the future is complete, on the future's loop (see the
    /// [module docs](self)): callbacks run in the order they were added, each exactly once,
    /// in a later turn than the completion; one added after completion is scheduled at once.
    ///
    /// A callback that panics does not stop the ones after it; the first panic is resumed
    /// once they have all run.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use tulipa::future::SettableFuture;
    ///
    /// tulipa::run(async {
    ///     let log = Arc::new(Mutex::new(Vec::new()));
    ///     let fut: SettableFuture<u32, ()> = SettableFuture::new();
    ///     let l = log.clone();
    ///     fut.add_done_callback(move |f| l.lock().unwrap().push(f.result().unwrap()));
    ///     fut.set_result(9).unwrap();
    ///     assert!(log.lock().unwrap().is_empty()); // not inside set_result
    ///     tulipa::yield_now().await;
    ///     assert_eq!(*log.lock().unwrap(), [9]);
    /// });
    /// ```
    pub fn add_done_callback<F>(&self, callback: F) -> CallbackId
    where
        F: FnOnce(&SettableFuture<T, E>) + Send + 'static,
    {
        let mut st = lock(&self.inner.state);
        let id = st.next_callback;
        st.next_callback += 1;
        st.callbacks.push_back((id, Box::new(callback)));
        st.dispatcher = Some(dispatch::<T, E>);
        let start = !matches!(st.outcome, Outcome::Pending) && !st.dispatching;
        st.dispatching |= start;
        drop(st);
        if start {
            dispatch(self.clone());
        }
        CallbackId(id)
    }
}

/// Rule 5: schedules a drain of the callbacks on the future's loop, or runs it here.
fn dispatch<T: Send + 'static, E: Send + 'static>(fut: SettableFuture<T, E>) {
    let handle = fut.inner.handle.clone();
    let drain = Drain(Some(fut));
    match handle {
        Some(h) if !h.is_closed() => {
            // Dropping the CallHandle does not cancel the call.
            let _call = h.call_soon_threadsafe(move || drain.run());
        }
        _ => drain.run(),
    }
}

/// A scheduled drain of the callbacks; runs from its Drop if its loop dropped it unrun.
struct Drain<T, E>(Option<SettableFuture<T, E>>);

impl<T, E> Drain<T, E> {
    fn run(mut self) {
        if let Some(fut) = self.0.take() {
            if let Some(panic) = drain(&fut) {
                resume_unwind(panic);
            }
        }
    }
}

impl<T, E> Drop for Drain<T, E> {
    fn drop(&mut self) {
        if let Some(fut) = self.0.take() {
            drop(drain(&fut)); // Never unwind from a Drop.
        }
    }
}

/// Rule 4: runs queued callbacks one by one until the queue is empty; returns the first
/// panic.
fn drain<T, E>(fut: &SettableFuture<T, E>) -> Option<Box<dyn std::any::Any + Send>> {
    let mut first_panic = None;
    loop {
        let next = {
            let mut st = lock(&fut.inner.state);
            let next = st.callbacks.pop_front();
            if next.is_none() {
                st.dispatching = false;
            }
            next
        };
        let Some((_, callback)) = next else {
            return first_panic;
        };
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| callback(fut))) {
            first_panic.get_or_insert(p);
        }
    }
}

fn read<T: Clone, E: Clone>(outcome: &Outcome<T, E>) -> Option<Result<T, FutureError<E>>> {
    match outcome {
        Outcome::Pending => None,
        Outcome::Value(v) => Some(Ok(v.clone())),
        Outcome::Exception(e) => Some(Err(FutureError::Exception(e.clone()))),
        Outcome::Cancelled(c) => Some(Err(FutureError::Cancelled(c.clone()))),
    }
}

impl<T, E> Clone for SettableFuture<T, E> {
    fn clone(&self) -> Self {
        SettableFuture {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<T, E> Default for SettableFuture<T, E> {
    fn default() -> Self {
        SettableFuture::new()
    }
}

impl<T, E> fmt::Debug for SettableFuture<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.inner.state);
        let state = match st.outcome {
            Outcome::Pending => "pending",
            Outcome::Value(_) => "finished",
            Outcome::Exception(_) => "failed",
            Outcome::Cancelled(_) => "cancelled",
        };
        f.debug_struct("SettableFuture")
            .field("state", &state)
            .field(
                "waiters",
                &(st.waiters.waiting() + usize::from(st.first_used)),
            )
            .field("callbacks", &st.callbacks.len())
            .finish()
    }
}
