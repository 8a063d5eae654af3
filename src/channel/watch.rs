//! A channel that holds one value, the latest: receivers see it and are told when it
//! changes. For configuration, state snapshots, shutdown flags.
//!
//! Receivers do not queue values: one that falls behind skips to the latest. Each receiver
//! remembers the version it has seen; [`Receiver::changed`] waits for a newer one.
//!
//! ```
//! use tulipa::channel::watch;
//!
//! tulipa::run(async {
//!     let (tx, mut rx) = watch::channel("starting");
//!     let observer = tulipa::spawn(async move {
//!         let mut seen = vec![*rx.borrow()];
//!         while rx.changed().await.is_ok() {
//!             seen.push(*rx.borrow_and_update());
//!         }
//!         seen // the sender is gone
//!     });
//!     tulipa::yield_now().await;
//!     tx.send("running").unwrap();
//!     tulipa::yield_now().await;
//!     drop(tx);
//!     assert_eq!(observer.await.unwrap(), ["starting", "running"]);
//! });
//! ```
//!
//! Both halves are `Send` and `Sync` when the value is `Send`.
//!
//! # Keep borrows short
//!
//! [`Receiver::borrow`] and [`Sender::borrow`] return a [`Ref`] that holds the channel's
//! lock: while it lives, a send on another thread waits, and a send on the same thread
//! deadlocks. Copy or clone what you need and drop the `Ref`; never hold one across an
//! `.await`.

// Maintainer notes: the protocol.
//
// One `crate::loom::Mutex<State>` shared through an `Arc`:
//
//   value, version   the current value and how many times it was replaced (starts at 0)
//   sender_alive     cleared when the sender drops
//   receivers        live `Receiver`s (for `send`'s error and `receiver_count`)
//   waiters          a WaitList of parked `Changed` futures
//
// Each receiver keeps `seen`, the version it last marked seen (outside the lock; it is its own).
//
// 1. Every change of the value (`send`, `send_replace`, `send_modify`) bumps `version` and
//    wakes every parked `Changed` (notify_all). Dropping the sender clears `sender_alive`
//    and wakes them all too.
// 2. `Changed`'s poll: `version != seen` → mark seen, Ok; else `!sender_alive` → Err; else
//    park (or stay parked). A parked entry that was woken is taken and, if nothing changed
//    after all, parked again. Dropping it cancels the entry; there is nothing to pass on,
//    since every waiter is woken at once.
// 3. A replaced value is dropped after unlocking; wakers are woken after unlocking, and a
//    waker the list lets go of (displaced at a re-poll, or a cancelled entry's) is dropped
//    after unlocking, in a `Wakers` declared before the guard (src/waitlist.rs).
//    `send_modify`'s closure runs under the lock (documented: it must not use the channel).

use std::fmt;
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::loom::{lock, Arc, Mutex, MutexGuard};
use crate::waitlist::{wake_all, Taken, WaitList, Wakers};

struct State<T> {
    value: T,
    version: u64,
    sender_alive: bool,
    receivers: usize,
    waiters: WaitList<()>,
}

type Shared<T> = Arc<Mutex<State<T>>>;

/// Makes a watch channel holding `initial`. The receiver starts having seen it.
///
/// ```
/// let (tx, rx) = tulipa::channel::watch::channel(1);
/// assert_eq!(*rx.borrow(), 1);
/// assert_eq!(rx.has_changed(), Ok(false));
/// tx.send(2).unwrap();
/// assert_eq!(rx.has_changed(), Ok(true));
/// ```
pub fn channel<T>(initial: T) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Mutex::new(State {
        value: initial,
        version: 0,
        sender_alive: true,
        receivers: 1,
        waiters: WaitList::default(),
    }));
    (
        Sender {
            shared: shared.clone(),
        },
        Receiver { shared, seen: 0 },
    )
}

/// A borrow of the value in a watch channel. It holds the channel's lock: keep it short (see
/// the [module docs](self)).
///
/// ```
/// let (_tx, rx) = tulipa::channel::watch::channel(String::from("config"));
/// let len = rx.borrow().len(); // the Ref is dropped at the end of the statement
/// assert_eq!(len, 6);
/// ```
pub struct Ref<'a, T> {
    guard: MutexGuard<'a, State<T>>,
}

impl<T> Deref for Ref<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.guard.value
    }
}

impl<T: fmt::Debug> fmt::Debug for Ref<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The sending half of a watch channel (there is one).
///
/// ```
/// tulipa::run(async {
///     let (tx, mut rx) = tulipa::channel::watch::channel(0);
///     tx.send_modify(|n| *n += 5);
///     rx.changed().await.unwrap();
///     assert_eq!(*rx.borrow_and_update(), 5);
/// });
/// ```
pub struct Sender<T> {
    shared: Shared<T>,
}

impl<T> Sender<T> {
    /// Replaces the value and tells the receivers, or hands `value` back in [`SendError`] if
    /// there is no receiver left (use [`send_replace`](Sender::send_replace) to store it
    /// anyway).
    ///
    /// ```
    /// use tulipa::channel::watch;
    ///
    /// let (tx, rx) = watch::channel(1);
    /// assert_eq!(tx.send(2), Ok(()));
    /// drop(rx);
    /// assert_eq!(tx.send(3), Err(watch::SendError(3)));
    /// ```
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut s = lock(&self.shared);
        if s.receivers == 0 {
            return Err(SendError(value));
        }
        let old = std::mem::replace(&mut s.value, value);
        let wakers = Self::changed_locked(&mut s);
        drop(s);
        drop(old);
        wake_all(wakers);
        Ok(())
    }

    /// Replaces the value, whether or not a receiver is left, tells the receivers, and
    /// returns the old value.
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::watch::channel("old");
    /// assert_eq!(tx.send_replace("new"), "old");
    /// assert_eq!(*tx.borrow(), "new");
    /// ```
    pub fn send_replace(&self, value: T) -> T {
        let mut s = lock(&self.shared);
        let old = std::mem::replace(&mut s.value, value);
        let wakers = Self::changed_locked(&mut s);
        drop(s);
        wake_all(wakers);
        old
    }

    /// Changes the value in place and tells the receivers, whether or not a receiver is left.
    ///
    /// `modify` runs with the channel locked: it must not use this channel (that would
    /// deadlock) and should be quick.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::watch::channel(vec![1]);
    /// tx.send_modify(|v| v.push(2));
    /// assert_eq!(*rx.borrow(), [1, 2]);
    /// ```
    pub fn send_modify(&self, modify: impl FnOnce(&mut T)) {
        let mut s = lock(&self.shared);
        modify(&mut s.value);
        let wakers = Self::changed_locked(&mut s);
        drop(s);
        wake_all(wakers);
    }

    /// Rule 1.
    fn changed_locked(s: &mut State<T>) -> Vec<std::task::Waker> {
        s.version += 1;
        s.waiters.notify_all(|| ())
    }

    /// Borrows the current value (see [`Ref`]: keep it short).
    ///
    /// ```
    /// let (tx, _rx) = tulipa::channel::watch::channel(7);
    /// assert_eq!(*tx.borrow(), 7);
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: lock(&self.shared),
        }
    }

    /// A new receiver, which starts having seen the current value.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::watch::channel(0);
    /// drop(rx);
    /// let rx = tx.subscribe();
    /// assert_eq!(tx.receiver_count(), 1);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn subscribe(&self) -> Receiver<T> {
        let mut s = lock(&self.shared);
        s.receivers += 1;
        let seen = s.version;
        drop(s);
        Receiver {
            shared: self.shared.clone(),
            seen,
        }
    }

    /// The number of live receivers.
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::watch::channel(());
    /// let rx2 = rx.clone();
    /// assert_eq!(tx.receiver_count(), 2);
    /// ```
    pub fn receiver_count(&self) -> usize {
        lock(&self.shared).receivers
    }

    /// Whether every receiver is gone (a [`send`](Sender::send) would fail).
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::watch::channel(());
    /// drop(rx);
    /// assert!(tx.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.receiver_count() == 0
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let mut s = lock(&self.shared);
        s.sender_alive = false;
        let wakers = s.waiters.notify_all(|| ());
        drop(s);
        wake_all(wakers);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Sender")
            .field("receivers", &self.receiver_count())
            .finish()
    }
}

/// A receiving half of a watch channel; clone it for more observers (a clone has seen what
/// the original has seen).
///
/// ```
/// let (tx, rx) = tulipa::channel::watch::channel(0);
/// tx.send(1).unwrap();
/// let rx2 = rx.clone();
/// assert_eq!(rx2.has_changed(), Ok(true));
/// ```
pub struct Receiver<T> {
    shared: Shared<T>,
    /// The version this receiver has seen.
    seen: u64,
}

impl<T> Receiver<T> {
    /// Borrows the current value without marking it seen (see [`Ref`]: keep it short).
    ///
    /// ```
    /// let (tx, rx) = tulipa::channel::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow(), 2);
    /// assert_eq!(rx.has_changed(), Ok(true)); // still unseen
    /// ```
    pub fn borrow(&self) -> Ref<'_, T> {
        Ref {
            guard: lock(&self.shared),
        }
    }

    /// Borrows the current value and marks it seen.
    ///
    /// ```
    /// let (tx, mut rx) = tulipa::channel::watch::channel(1);
    /// tx.send(2).unwrap();
    /// assert_eq!(*rx.borrow_and_update(), 2);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// ```
    pub fn borrow_and_update(&mut self) -> Ref<'_, T> {
        let guard = lock(&self.shared);
        self.seen = guard.version;
        Ref { guard }
    }

    /// Whether the value changed since this receiver last marked it seen: `Ok(true)` or
    /// `Ok(false)`, or [`RecvError`] if it did not and never will (the sender is gone).
    ///
    /// ```
    /// use tulipa::channel::watch;
    ///
    /// let (tx, rx) = watch::channel(0);
    /// assert_eq!(rx.has_changed(), Ok(false));
    /// drop(tx);
    /// assert_eq!(rx.has_changed(), Err(watch::RecvError));
    /// ```
    pub fn has_changed(&self) -> Result<bool, RecvError> {
        let s = lock(&self.shared);
        if s.version != self.seen {
            Ok(true)
        } else if s.sender_alive {
            Ok(false)
        } else {
            Err(RecvError)
        }
    }

    /// Waits for a value this receiver has not seen, and marks it seen; [`RecvError`] once
    /// the sender is gone and nothing unseen is left. Read the value with
    /// [`borrow`](Receiver::borrow).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the value is marked seen only by the poll that returns `Ok`, so a
    /// cancelled `changed` misses nothing; the next call reports the change.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let (tx, mut rx) = tulipa::channel::watch::channel(0);
    ///     tulipa::spawn(async move {
    ///         tx.send(1).unwrap();
    ///     })
    ///     .detach();
    ///     rx.changed().await.unwrap();
    ///     assert_eq!(*rx.borrow(), 1);
    ///     assert!(rx.changed().await.is_err()); // the sender is gone
    /// });
    /// ```
    pub fn changed(&mut self) -> Changed<'_, T> {
        Changed {
            rx: self,
            slot: None,
        }
    }

    /// Whether `self` and `other` watch the same channel.
    ///
    /// ```
    /// let (_tx, rx) = tulipa::channel::watch::channel(());
    /// assert!(rx.same_channel(&rx.clone()));
    /// ```
    pub fn same_channel(&self, other: &Receiver<T>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl<T> Clone for Receiver<T> {
    fn clone(&self) -> Receiver<T> {
        lock(&self.shared).receivers += 1;
        Receiver {
            shared: self.shared.clone(),
            seen: self.seen,
        }
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        lock(&self.shared).receivers -= 1;
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Receiver")
            .field("seen", &self.seen)
            .finish()
    }
}

/// The future of [`Receiver::changed`].
///
/// # Cancel safety
///
/// Cancel safe: dropping it marks nothing seen.
///
/// ```
/// use std::time::Duration;
///
/// tulipa::run(async {
///     tulipa::time::pause();
///     let (tx, mut rx) = tulipa::channel::watch::channel(0);
///     assert!(tulipa::time::timeout(Duration::from_secs(1), rx.changed()).await.is_err());
///     tx.send(1).unwrap();
///     rx.changed().await.unwrap();
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Changed<'a, T> {
    rx: &'a mut Receiver<T>,
    slot: Option<usize>,
}

impl<T> Future for Changed<'_, T> {
    type Output = Result<(), RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let unit = std::task::ready!(crate::coop::poll_proceed(cx));
        let mut stale = Wakers::default(); // rule 3: drops after `s`
        let mut s = lock(&this.rx.shared);
        if let Some(key) = this.slot {
            if s.waiters.poll_take(key, cx.waker(), &mut stale) == Taken::Handed(()) {
                this.slot = None; // woken: look again below (rule 2)
            }
        }
        let out = if s.version != this.rx.seen {
            this.rx.seen = s.version;
            Ok(())
        } else if !s.sender_alive {
            Err(RecvError)
        } else {
            if this.slot.is_none() {
                this.slot = Some(s.waiters.push(cx.waker().clone(), ()));
            }
            return Poll::Pending;
        };
        if let Some(key) = this.slot.take() {
            s.waiters.cancel(key, &mut stale);
        }
        unit.made_progress();
        Poll::Ready(out)
    }
}

impl<T> Drop for Changed<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.slot.take() {
            let mut stale = Wakers::default(); // rule 3: outlives the guard (a temporary)
            lock(&self.rx.shared).waiters.cancel(key, &mut stale);
        }
    }
}

impl<T> fmt::Debug for Changed<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("watch::Changed").finish_non_exhaustive()
    }
}

/// [`Sender::send`] found no receiver; the value is handed back.
///
/// ```
/// let (tx, rx) = tulipa::channel::watch::channel(0);
/// drop(rx);
/// let err = tx.send(1).unwrap_err();
/// assert_eq!(err.0, 1);
/// assert_eq!(err.to_string(), "every watch receiver was dropped");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("every watch receiver was dropped")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The watch sender is gone and the receiver has seen its last value.
///
/// ```
/// tulipa::run(async {
///     let (tx, mut rx) = tulipa::channel::watch::channel(0);
///     drop(tx);
///     let err = rx.changed().await.unwrap_err();
///     assert_eq!(err.to_string(), "the watch sender was dropped");
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the watch sender was dropped")
    }
}

impl std::error::Error for RecvError {}
