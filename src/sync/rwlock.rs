//! [`RwLock`]: many readers or one writer, first-in, first-out.

// Maintainer notes: the protocol.
//
// The value lives in an `Arc<T>` that the lock hands around. State, behind one mutex:
//
//   value    Some(arc) unless a writer (or a notified writer) has it
//   readers  read guards alive plus readers notified but not yet polled; each owns a clone
//   waiters  a WaitList<handed: Arc<T>, request: Kind>
//
// Rules, each under the mutex unless stated:
//
// 1. A read takes a clone at its first poll iff nobody is queued and `value` is Some
//    (`readers += 1`); a write takes the Arc iff nobody is queued, `readers == 0` and `value`
//    is Some. Otherwise it pushes an entry (Queued). Nobody barges past the queue, so a
//    queued writer holds back later readers and is not starved.
// 2. `dispatch` (after every release, and after a queued entry leaves): while the oldest entry
//    is a read and `value` is Some, hand it a clone (`readers += 1`); if the oldest is a write,
//    `readers == 0` and `value` is Some, hand it the Arc and stop. So a writer's release lets
//    in the whole run of readers at the head of the queue, up to the next writer.
// 3. A read guard drops its clone *before* taking the mutex, then `readers -= 1` and
//    dispatches. A write guard puts the Arc back in `value` and dispatches.
// 4. A Queued future finds its entry handed when polled and takes it.
// 5. A Queued future that is dropped cancels its entry; what it had been handed is released
//    by rule 3; then `dispatch` runs in any case (a writer leaving the head may let readers in).
// 6. Wakers are woken after the mutex; a waker the wait list lets go of (displaced at a
//    re-poll, or a cancelled entry's) is dropped after it, in a `Wakers` declared before the
//    guard (src/waitlist.rs).
//
// Invariant: when a writer is handed the Arc, `readers == 0`, and every reader dropped its
// clone before decrementing (rule 3), so the writer's `Arc::get_mut` always succeeds.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::TryLockError;
use crate::loom::{lock, Arc, Mutex, MutexGuard};
use crate::waitlist::{Taken, WaitList, Wakers};

const LEAKED: &str = "a guard or an acquire of this RwLock was leaked (mem::forget)";

/// A reader-writer lock: any number of [`read`](Self::read) guards, or one
/// [`write`](Self::write) guard, at a time.
///
/// Fair: requests are served first-in, first-out. A queued writer holds back the readers that
/// come after it, so writers are never starved; when a writer unlocks, every reader queued
/// before the next writer gets in together.
///
/// `RwLock<T>` is `Send + Sync` when `T: Send + Sync` (readers on several threads share the
/// value).
///
/// ```
/// use std::sync::Arc;
/// use tulipa::sync::RwLock;
///
/// tulipa::run(async {
///     let config = Arc::new(RwLock::new(String::from("v1")));
///     let r1 = config.read().await;
///     let r2 = config.read().await; // readers share
///     assert_eq!((r1.as_str(), r2.as_str()), ("v1", "v1"));
///     drop((r1, r2));
///     config.write().await.push_str("-patched");
///     assert_eq!(*config.read().await, "v1-patched");
/// });
/// ```
pub struct RwLock<T> {
    state: Mutex<State<T>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Read,
    Write,
}

struct State<T> {
    value: Option<Arc<T>>,
    readers: usize,
    waiters: WaitList<Arc<T>, Kind>,
}

impl<T> State<T> {
    /// Rule 2.
    fn dispatch(&mut self) -> Wakers {
        let mut wakers = Wakers::default();
        while let (Some(&kind), Some(value)) = (self.waiters.front_request(), &self.value) {
            let handed = match kind {
                Kind::Read => {
                    self.readers += 1;
                    Arc::clone(value)
                }
                Kind::Write if self.readers == 0 => self.value.take().expect("matched above"),
                Kind::Write => break,
            };
            match self.waiters.notify_one(handed) {
                Ok(w) => wakers.push(w),
                Err(_) => unreachable!("front_request saw a waiter"),
            }
        }
        wakers
    }

    /// Rule 3, under the mutex: a guard of `kind` gives back `value`.
    fn give_back(&mut self, kind: Kind, value: Arc<T>) {
        match kind {
            Kind::Read => {
                drop(value);
                self.readers -= 1;
            }
            Kind::Write => self.value = Some(value),
        }
    }
}

impl<T> RwLock<T> {
    /// An unlocked reader-writer lock guarding `value`.
    ///
    /// ```
    /// let lock = tulipa::sync::RwLock::new(0);
    /// assert_eq!(*lock.try_read().unwrap(), 0);
    /// ```
    pub fn new(value: T) -> RwLock<T> {
        RwLock {
            state: Mutex::new(State {
                value: Some(Arc::new(value)),
                readers: 0,
                waiters: WaitList::default(),
            }),
        }
    }

    /// Waits for shared read access.
    ///
    /// Spends one unit of the task's cooperative budget when it completes, and yields first
    /// if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, and fair: dropping the future gives up its place in the queue; read access
    /// already handed to it is given back at once (possibly letting a writer in).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let lock = tulipa::sync::RwLock::new(vec![1, 2]);
    ///     assert_eq!(lock.read().await.len(), 2);
    /// });
    /// ```
    pub fn read(&self) -> RwLockReadFuture<'_, T> {
        RwLockReadFuture {
            lock: self,
            key: None,
            done: false,
        }
    }

    /// Waits for exclusive write access.
    ///
    /// Spends one unit of the task's cooperative budget when it completes, and yields first
    /// if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, and fair: dropping the future gives up its place in the queue (letting the
    /// readers queued behind it in, if the lock is read-held); write access already handed to
    /// it passes to the next in line.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let lock = tulipa::sync::RwLock::new(1);
    ///     *lock.write().await += 1;
    ///     assert_eq!(*lock.read().await, 2);
    /// });
    /// ```
    pub fn write(&self) -> RwLockWriteFuture<'_, T> {
        RwLockWriteFuture {
            lock: self,
            key: None,
            done: false,
        }
    }

    /// Takes read access if no writer holds the lock and nobody is queued.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if a writer holds the lock or tasks are queued (a queued writer holds
    /// back new readers).
    ///
    /// ```
    /// let lock = tulipa::sync::RwLock::new(());
    /// let r = lock.try_read().unwrap();
    /// assert!(lock.try_read().is_ok());
    /// assert!(lock.try_write().is_err());
    /// drop(r);
    /// ```
    pub fn try_read(&self) -> Result<RwLockReadGuard<'_, T>, TryLockError> {
        self.try_acquire(Kind::Read).map(|value| RwLockReadGuard {
            lock: self,
            value: Some(value),
        })
    }

    /// Takes write access if the lock is free and nobody is queued.
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held (by readers or a writer) or tasks are queued.
    ///
    /// ```
    /// let lock = tulipa::sync::RwLock::new(1);
    /// let mut w = lock.try_write().unwrap();
    /// *w = 2;
    /// assert!(lock.try_read().is_err());
    /// drop(w);
    /// assert_eq!(*lock.try_read().unwrap(), 2);
    /// ```
    pub fn try_write(&self) -> Result<RwLockWriteGuard<'_, T>, TryLockError> {
        self.try_acquire(Kind::Write).map(|value| RwLockWriteGuard {
            lock: self,
            value: Some(value),
        })
    }

    /// Consumes the lock and returns the value.
    ///
    /// # Panics
    ///
    /// If a guard was leaked with [`std::mem::forget`].
    ///
    /// ```
    /// assert_eq!(tulipa::sync::RwLock::new(3).into_inner(), 3);
    /// ```
    #[track_caller]
    pub fn into_inner(self) -> T {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        let value = state.value.expect(LEAKED);
        Arc::try_unwrap(value).ok().expect(LEAKED)
    }

    /// The value, through an exclusive reference to the lock (no locking needed).
    ///
    /// # Panics
    ///
    /// If a guard was leaked with [`std::mem::forget`].
    ///
    /// ```
    /// let mut lock = tulipa::sync::RwLock::new(1);
    /// *lock.get_mut() = 5;
    /// assert_eq!(lock.into_inner(), 5);
    /// ```
    #[track_caller]
    pub fn get_mut(&mut self) -> &mut T {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        Arc::get_mut(state.value.as_mut().expect(LEAKED)).expect(LEAKED)
    }

    /// Rule 1, try flavour.
    fn try_acquire(&self, kind: Kind) -> Result<Arc<T>, TryLockError> {
        let mut st = lock(&self.state);
        Self::fast_path(&mut st, kind).ok_or(TryLockError)
    }

    /// Rule 1.
    fn fast_path(st: &mut MutexGuard<'_, State<T>>, kind: Kind) -> Option<Arc<T>> {
        if !st.waiters.is_empty() {
            return None;
        }
        match kind {
            Kind::Read => {
                let value = Arc::clone(st.value.as_ref()?);
                st.readers += 1;
                Some(value)
            }
            Kind::Write if st.readers == 0 => st.value.take(),
            Kind::Write => None,
        }
    }

    /// Rules 1 and 4.
    fn poll_acquire(
        &self,
        kind: Kind,
        key: &mut Option<usize>,
        cx: &mut Context<'_>,
    ) -> Poll<Arc<T>> {
        let mut stale = Wakers::default(); // rule 6: drops after `st`
        let mut st = lock(&self.state);
        match *key {
            None => {
                if let Some(value) = Self::fast_path(&mut st, kind) {
                    return Poll::Ready(value);
                }
                *key = Some(st.waiters.push(cx.waker().clone(), kind));
                Poll::Pending
            }
            Some(k) => match st.waiters.poll_take(k, cx.waker(), &mut stale) {
                Taken::Handed(value) => {
                    *key = None;
                    Poll::Ready(value)
                }
                Taken::Waiting => Poll::Pending,
            },
        }
    }

    /// Rule 5.
    fn cancel(&self, kind: Kind, key: usize) {
        let mut stale = Wakers::default(); // rule 6: drops after `st`
        let mut st = lock(&self.state);
        if let Some(value) = st.waiters.cancel(key, &mut stale) {
            st.give_back(kind, value);
        }
        let wakers = st.dispatch();
        drop(st);
        wakers.wake();
    }

    /// Rule 3.
    fn release(&self, kind: Kind, value: Arc<T>) {
        let value = match kind {
            Kind::Read => {
                // Drop the clone before the count says it is gone: a writer handed the Arc
                // next relies on being its only owner.
                drop(value);
                None
            }
            Kind::Write => Some(value),
        };
        let mut st = lock(&self.state);
        match value {
            Some(value) => st.value = Some(value),
            None => st.readers -= 1,
        }
        let wakers = st.dispatch();
        drop(st);
        wakers.wake();
    }
}

impl<T: Default> Default for RwLock<T> {
    fn default() -> RwLock<T> {
        RwLock::new(T::default())
    }
}

impl<T> From<T> for RwLock<T> {
    fn from(value: T) -> RwLock<T> {
        RwLock::new(value)
    }
}

impl<T> fmt::Debug for RwLock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("RwLock")
            .field("readers", &st.readers)
            .field("write_locked", &st.value.is_none())
            .field("waiters", &st.waiters.waiting())
            .finish_non_exhaustive()
    }
}

/// Shared read access to an [`RwLock`]'s value; released when dropped.
///
/// ```
/// tulipa::run(async {
///     let lock = tulipa::sync::RwLock::new(String::from("x"));
///     let guard = lock.read().await;
///     assert_eq!(guard.len(), 1);
/// });
/// ```
#[must_use = "the read access is released as soon as the guard is dropped"]
pub struct RwLockReadGuard<'a, T> {
    lock: &'a RwLock<T>,
    value: Option<Arc<T>>,
}

impl<T> Deref for RwLockReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("a held guard has the value")
    }
}

impl<T> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.lock.release(Kind::Read, value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// Exclusive write access to an [`RwLock`]'s value; released when dropped.
///
/// ```
/// tulipa::run(async {
///     let lock = tulipa::sync::RwLock::new(vec![1]);
///     let mut guard = lock.write().await;
///     guard.push(2);
///     assert_eq!(*guard, [1, 2]);
/// });
/// ```
#[must_use = "the write access is released as soon as the guard is dropped"]
pub struct RwLockWriteGuard<'a, T> {
    lock: &'a RwLock<T>,
    value: Option<Arc<T>>,
}

impl<T> Deref for RwLockWriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("a held guard has the value")
    }
}

impl<T> DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        let value = self.value.as_mut().expect("a held guard has the value");
        Arc::get_mut(value).expect("a writer is the value's only owner (rule 3)")
    }
}

impl<T> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.lock.release(Kind::Write, value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for RwLockWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

/// The future of [`RwLock::read`]; see there.
///
/// ```
/// tulipa::run(async {
///     let lock = tulipa::sync::RwLock::new(1);
///     let fut: tulipa::sync::RwLockReadFuture<'_, i32> = lock.read();
///     assert_eq!(*fut.await, 1);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct RwLockReadFuture<'a, T> {
    lock: &'a RwLock<T>,
    key: Option<usize>,
    done: bool,
}

impl<'a, T> Future for RwLockReadFuture<'a, T> {
    type Output = RwLockReadGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RwLockReadGuard<'a, T>> {
        let this = &mut *self;
        assert!(!this.done, "an RwLock future was polled after it completed");
        match crate::coop::budgeted(cx, |cx| {
            this.lock.poll_acquire(Kind::Read, &mut this.key, cx)
        }) {
            Poll::Ready(value) => {
                this.done = true;
                Poll::Ready(RwLockReadGuard {
                    lock: this.lock,
                    value: Some(value),
                })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for RwLockReadFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.lock.cancel(Kind::Read, key);
        }
    }
}

impl<T> fmt::Debug for RwLockReadFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockReadFuture")
            .field("queued", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`RwLock::write`]; see there.
///
/// ```
/// tulipa::run(async {
///     let lock = tulipa::sync::RwLock::new(1);
///     let fut: tulipa::sync::RwLockWriteFuture<'_, i32> = lock.write();
///     *fut.await = 2;
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct RwLockWriteFuture<'a, T> {
    lock: &'a RwLock<T>,
    key: Option<usize>,
    done: bool,
}

impl<'a, T> Future for RwLockWriteFuture<'a, T> {
    type Output = RwLockWriteGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<RwLockWriteGuard<'a, T>> {
        let this = &mut *self;
        assert!(!this.done, "an RwLock future was polled after it completed");
        match crate::coop::budgeted(cx, |cx| {
            this.lock.poll_acquire(Kind::Write, &mut this.key, cx)
        }) {
            Poll::Ready(value) => {
                this.done = true;
                Poll::Ready(RwLockWriteGuard {
                    lock: this.lock,
                    value: Some(value),
                })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for RwLockWriteFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.lock.cancel(Kind::Write, key);
        }
    }
}

impl<T> fmt::Debug for RwLockWriteFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RwLockWriteFuture")
            .field("queued", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
