//! [`OnceCell`]: a value initialised once, by an async function, by whichever task asks first.

// Maintainer notes: the protocol.
//
// The value lives in a `std::sync::OnceLock` (so `get` is lock-free and hands out `&T`); who
// may initialise it is decided behind one mutex holding `initializing` (someone holds the
// *turn*) and `waiters` (a WaitList<Grant>). Every write to the OnceLock happens under that
// mutex, so the OnceLock itself is never contended (and never blocks).
//
// 1. `get_or_try_init`, at its first poll: ready if the value is set; takes the turn if
//    `initializing` is false (sets it); otherwise it pushes an entry (Queued).
// 2. The holder of the turn runs its initialiser outside the mutex. On success it sets the
//    value, clears `initializing` and hands `Ready` to every queued entry (`notify_all`).
// 3. If the initialiser fails, or its future is dropped (the task was cancelled), the turn is
//    passed on: `Init` is handed to the oldest queued entry, which runs its own initialiser;
//    with nobody queued, `initializing` is cleared. The cell is never wedged by a cancelled
//    initialiser, and a newcomer never barges past the queue.
// 4. A Queued future dropped after being handed `Init` passes the turn on by rule 3; one
//    handed `Ready`, or still waiting, just leaves.
// 5. `set` succeeds only when the value is unset and nobody holds the turn.
// 6. Wakers are woken after the mutex, and a waker the list lets go of (displaced at a
//    re-poll, or a cancelled entry's) is dropped after it, in a `Wakers` declared before the
//    guard (src/waitlist.rs).
//
// Invariant: entries wait only while `initializing` is true.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};

use super::SetError;
use crate::loom::{lock, Mutex, MutexGuard};
use crate::waitlist::{wake_all, Taken, WaitList, Wakers};

/// A cell initialised at most once, by an async function (an async `OnceLock`): the first task
/// to call [`get_or_init`](Self::get_or_init) runs its initialiser, and the others wait for
/// the value instead of running theirs.
///
/// If the initialiser fails ([`get_or_try_init`](Self::get_or_try_init)) or its task is
/// cancelled, the next waiting task runs its own initialiser (first-in, first-out): a
/// cancelled initialisation never leaves the cell stuck.
///
/// `OnceCell<T>` is `Send + Sync` when `T: Send + Sync`.
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use tulipa::sync::OnceCell;
///
/// tulipa::run(async {
///     let config = Arc::new(OnceCell::new());
///     let loads = Arc::new(AtomicUsize::new(0));
///     let mut readers = Vec::new();
///     for _ in 0..3 {
///         let (config, loads) = (config.clone(), loads.clone());
///         readers.push(tulipa::spawn(async move {
///             let value = config
///                 .get_or_init(|| async {
///                     loads.fetch_add(1, Ordering::SeqCst);
///                     tulipa::yield_now().await; // an async load
///                     String::from("loaded")
///                 })
///                 .await;
///             value.clone()
///         }));
///     }
///     for r in readers {
///         assert_eq!(r.await.unwrap(), "loaded");
///     }
///     assert_eq!(loads.load(Ordering::SeqCst), 1, "initialised once");
/// });
/// ```
pub struct OnceCell<T> {
    value: OnceLock<T>,
    state: Mutex<State>,
}

struct State {
    initializing: bool,
    waiters: WaitList<Grant>,
}

/// What a queued caller is handed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// The value is set.
    Ready,
    /// The turn to initialise.
    Init,
}

impl State {
    /// Rule 3: passes the turn to the oldest queued caller, or frees it.
    fn pass_turn(&mut self) -> Option<std::task::Waker> {
        match self.waiters.notify_one(Grant::Init) {
            Ok(waker) => waker,
            Err(_) => {
                self.initializing = false;
                None
            }
        }
    }
}

impl<T> OnceCell<T> {
    /// An empty cell.
    ///
    /// ```
    /// let cell = tulipa::sync::OnceCell::<u32>::new();
    /// assert!(cell.get().is_none());
    /// ```
    pub fn new() -> OnceCell<T> {
        OnceCell {
            value: OnceLock::new(),
            state: Mutex::new(State {
                initializing: false,
                waiters: WaitList::default(),
            }),
        }
    }

    /// The value, if the cell is initialised.
    ///
    /// ```
    /// let cell = tulipa::sync::OnceCell::from(3);
    /// assert_eq!(cell.get(), Some(&3));
    /// ```
    pub fn get(&self) -> Option<&T> {
        self.value.get()
    }

    /// Whether the cell holds a value.
    ///
    /// ```
    /// let cell = tulipa::sync::OnceCell::new();
    /// assert!(!cell.initialized());
    /// cell.set(1).unwrap();
    /// assert!(cell.initialized());
    /// ```
    pub fn initialized(&self) -> bool {
        self.value.get().is_some()
    }

    /// Stores `value` if the cell is empty and no initialiser is running.
    ///
    /// # Errors
    ///
    /// [`SetError::AlreadyInitialized`] if the cell holds a value,
    /// [`SetError::Initializing`] if a [`get_or_init`](Self::get_or_init) is running its
    /// initialiser; either hands `value` back.
    ///
    /// ```
    /// use tulipa::sync::{OnceCell, SetError};
    ///
    /// let cell = OnceCell::new();
    /// assert_eq!(cell.set("a"), Ok(()));
    /// assert_eq!(cell.set("b"), Err(SetError::AlreadyInitialized("b")));
    /// ```
    pub fn set(&self, value: T) -> Result<(), SetError<T>> {
        let st = lock(&self.state);
        if self.value.get().is_some() {
            return Err(SetError::AlreadyInitialized(value));
        }
        if st.initializing {
            return Err(SetError::Initializing(value));
        }
        if self.value.set(value).is_err() {
            unreachable!("every write to the value happens under the state mutex");
        }
        Ok(())
    }

    /// The value, initialising it first with `init` if the cell is empty. If another task is
    /// running its initialiser, waits for that one instead of running `init`; if that one is
    /// cancelled, the oldest waiting call runs its own.
    ///
    /// An initialiser must not wait for its own cell: it would wait for itself forever.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe. A call dropped while it waits leaves the queue; a call dropped while it
    /// runs its initialiser drops that future, leaves the cell empty and passes the turn to the
    /// next waiting call (the cell is never stuck). The value, once set, is never lost.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let cell = tulipa::sync::OnceCell::new();
    ///     assert_eq!(*cell.get_or_init(|| async { 1 }).await, 1);
    ///     assert_eq!(*cell.get_or_init(|| async { 2 }).await, 1, "already set");
    /// });
    /// ```
    pub async fn get_or_init<F, Fut>(&self, init: F) -> &T
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = T>,
    {
        let init = move || async move { Ok::<T, Infallible>(init().await) };
        match self.get_or_try_init(init).await {
            Ok(value) => value,
            Err(never) => match never {},
        }
    }

    /// Like [`get_or_init`](Self::get_or_init) with a fallible initialiser: an `Err` leaves
    /// the cell empty, is returned to this caller, and passes the turn to the next waiting
    /// call.
    ///
    /// # Errors
    ///
    /// The error of this call's own initialiser (never another task's).
    ///
    /// # Cancel safety
    ///
    /// As for [`get_or_init`](Self::get_or_init).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let cell = tulipa::sync::OnceCell::new();
    ///     let failed = cell.get_or_try_init(|| async { Err("offline") }).await;
    ///     assert_eq!(failed, Err("offline"));
    ///     assert!(cell.get().is_none());
    ///     let ok = cell.get_or_try_init(|| async { Ok::<_, &str>(5) }).await;
    ///     assert_eq!(ok, Ok(&5));
    /// });
    /// ```
    pub async fn get_or_try_init<E, F, Fut>(&self, init: F) -> Result<&T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.value.get() {
            return Ok(value);
        }
        let turn = Queue {
            cell: self,
            key: None,
        }
        .await;
        match turn {
            None => Ok(self
                .value
                .get()
                .expect("handed Ready after the value was set")),
            // If `init` fails or this future is dropped, `turn` passes the turn on (rule 3).
            Some(turn) => Ok(turn.complete(init().await?)),
        }
    }

    /// Consumes the cell and returns its value, if any.
    ///
    /// ```
    /// let cell = tulipa::sync::OnceCell::from(String::from("v"));
    /// assert_eq!(cell.into_inner().as_deref(), Some("v"));
    /// ```
    pub fn into_inner(self) -> Option<T> {
        self.value.into_inner()
    }

    /// Takes the value out, leaving the cell empty (an exclusive reference proves nobody is
    /// initialising it).
    ///
    /// ```
    /// let mut cell = tulipa::sync::OnceCell::from(1);
    /// assert_eq!(cell.take(), Some(1));
    /// assert!(cell.get().is_none());
    /// ```
    pub fn take(&mut self) -> Option<T> {
        self.value.take()
    }

    /// The value, mutably, through an exclusive reference to the cell.
    ///
    /// ```
    /// let mut cell = tulipa::sync::OnceCell::from(1);
    /// *cell.get_mut().unwrap() += 1;
    /// assert_eq!(cell.get(), Some(&2));
    /// ```
    pub fn get_mut(&mut self) -> Option<&mut T> {
        self.value.get_mut()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl<T> Default for OnceCell<T> {
    fn default() -> OnceCell<T> {
        OnceCell::new()
    }
}

impl<T> From<T> for OnceCell<T> {
    fn from(value: T) -> OnceCell<T> {
        let cell = OnceCell::new();
        if cell.value.set(value).is_err() {
            unreachable!("a new cell is empty");
        }
        cell
    }
}

impl<T: fmt::Debug> fmt::Debug for OnceCell<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state();
        f.debug_struct("OnceCell")
            .field("value", &self.value.get())
            .field("initializing", &st.initializing)
            .field("waiters", &st.waiters.waiting())
            .finish()
    }
}

/// Rule 1: waits for the value (`None`) or for the turn to initialise (`Some`).
struct Queue<'a, T> {
    cell: &'a OnceCell<T>,
    key: Option<usize>,
}

impl<'a, T> Future for Queue<'a, T> {
    type Output = Option<Turn<'a, T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Turn<'a, T>>> {
        let this = &mut *self;
        let cell = this.cell;
        let mut stale = Wakers::default(); // rule 6: drops after `st`
        let mut st = cell.state();
        let grant = match this.key {
            None if cell.value.get().is_some() => Grant::Ready,
            None if !st.initializing => {
                st.initializing = true;
                Grant::Init
            }
            None => {
                this.key = Some(st.waiters.push(cx.waker().clone(), ()));
                return Poll::Pending;
            }
            Some(key) => match st.waiters.poll_take(key, cx.waker(), &mut stale) {
                Taken::Handed(grant) => {
                    this.key = None;
                    grant
                }
                Taken::Waiting => return Poll::Pending,
            },
        };
        Poll::Ready(match grant {
            Grant::Ready => None,
            Grant::Init => Some(Turn { cell }),
        })
    }
}

impl<T> Drop for Queue<'_, T> {
    fn drop(&mut self) {
        let Some(key) = self.key else { return };
        let mut stale = Wakers::default(); // rule 6: drops after `st`
        let mut st = self.cell.state();
        // Rule 4.
        if st.waiters.cancel(key, &mut stale) == Some(Grant::Init) {
            let waker = st.pass_turn();
            drop(st);
            if let Some(w) = waker {
                w.wake();
            }
        }
    }
}

/// The turn to initialise; passed on if dropped before `complete` (rule 3).
struct Turn<'a, T> {
    cell: &'a OnceCell<T>,
}

impl<'a, T> Turn<'a, T> {
    /// Rule 2.
    fn complete(self, value: T) -> &'a T {
        let cell = self.cell;
        std::mem::forget(self);
        let mut st = cell.state();
        if cell.value.set(value).is_err() {
            unreachable!("`set` refuses while a turn is held");
        }
        st.initializing = false;
        let wakers = st.waiters.notify_all(|| Grant::Ready);
        drop(st);
        wake_all(wakers);
        cell.value.get().expect("set above")
    }
}

impl<T> Drop for Turn<'_, T> {
    fn drop(&mut self) {
        let waker = self.cell.state().pass_turn();
        if let Some(w) = waker {
            w.wake();
        }
    }
}
