//! [`Lock`]: an async mutex with a guard, handed over first-in, first-out.

// Maintainer notes: the protocol.
//
// The lock does not keep its value in place: the value itself is what gets handed around.
// State, behind one mutex:
//
//   value    Some(T) when unlocked, None while a guard (or a notified waiter) has it
//   waiters  a WaitList<handed: T>: a notified entry holds the value itself
//
// Invariant: `value.is_some()` implies `waiters` has no waiting entry (a release hands the
// value to the oldest waiter before it would put it back).
//
// Rules, each under the mutex:
//
// 1. `lock` / `try_lock` take the value iff it is Some (by the invariant, nobody is queued,
//    so this never barges). Otherwise `lock` pushes an entry (Queued).
// 2. A guard's drop (release) hands the value to the oldest waiting entry (`notify_one`), or
//    puts it back in `value` when there is none; the waker is woken after the mutex.
// 3. A Queued future finds its entry handed when polled, takes the value, and makes a guard.
// 4. A Queued future that is dropped cancels its entry; if it had been handed the value, it
//    releases it by rule 2 (to the next waiter, or back), so a cancelled acquire never wedges
//    the lock.
// 5. A waker the wait list lets go of (displaced at a re-poll, or a cancelled entry's) is
//    dropped after the mutex, in a `Wakers` declared before the guard (src/waitlist.rs).
//
// Why the value moves: guards must be `Send` (a task holds one across `.await`) and the crate
// has no `unsafe`, so a guard cannot hold a reference into an `UnsafeCell`. Moving the value
// into the guard gives it exclusive ownership for free; the cost is a move of `T` per
// handover, which is why large values are best boxed.

use std::fmt;
use std::future::Future;
use std::ops::{Deref, DerefMut};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::TryLockError;
use crate::loom::{lock, Mutex};
use crate::waitlist::{Taken, WaitList, Wakers};

const LEAKED: &str = "a guard or an acquire of this Lock was leaked (mem::forget) with its value";

/// An async mutual-exclusion lock (asyncio's `Lock`) that guards a value:
/// [`lock`](Self::lock) waits for it and gives a [`LockGuard`], which unlocks when dropped.
///
/// Fair: waiters get the lock first-in, first-out. An unlock hands the lock straight to the
/// oldest waiter, so a task that arrives later (even with [`try_lock`](Self::try_lock)) never
/// barges past the queue.
///
/// `Lock<T>` is `Send + Sync` when `T: Send`, so natively tasks on different threads can share
/// it through an [`Arc`]; [`lock_owned`](Self::lock_owned) gives a guard that owns the `Arc`.
///
/// The guarded value moves into the guard while it is held (and back when it is dropped): the
/// guard owns it, which is what lets the crate stay free of `unsafe`. Box a large value to make
/// the moves cheap.
///
/// ```
/// use std::sync::Arc;
/// use tulipa::sync::Lock;
///
/// tulipa::run(async {
///     let log = Arc::new(Lock::new(Vec::new()));
///     let mut tasks = Vec::new();
///     for i in 0..3 {
///         let log = log.clone();
///         tasks.push(tulipa::spawn(async move {
///             let mut entries = log.lock().await;
///             tulipa::yield_now().await; // still held across the await
///             entries.push(i);
///         }));
///     }
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(*log.lock().await, [0, 1, 2]); // fair: in the order they queued
/// });
/// ```
pub struct Lock<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    value: Option<T>,
    waiters: WaitList<T>,
}

impl<T> Lock<T> {
    /// An unlocked lock guarding `value`.
    ///
    /// ```
    /// let lock = tulipa::sync::Lock::new(5);
    /// assert!(!lock.locked());
    /// ```
    pub fn new(value: T) -> Lock<T> {
        Lock {
            state: Mutex::new(State {
                value: Some(value),
                waiters: WaitList::default(),
            }),
        }
    }

    /// Waits for the lock and takes it.
    ///
    /// Spends one unit of the task's cooperative budget when it completes, and yields first
    /// if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, and fair: dropping the future gives up its place in the queue; if the lock
    /// had already been handed to it, it passes to the next waiter (or is unlocked). A
    /// cancelled `lock` never leaves the lock held.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let lock = tulipa::sync::Lock::new(1);
    ///     *lock.lock().await += 1;
    ///     assert_eq!(*lock.lock().await, 2);
    /// });
    /// ```
    pub fn lock(&self) -> LockFuture<'_, T> {
        LockFuture {
            lock: self,
            key: None,
            done: false,
        }
    }

    /// Takes the lock if it is free (then nobody is queued).
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held.
    ///
    /// ```
    /// let lock = tulipa::sync::Lock::new(());
    /// let guard = lock.try_lock().unwrap();
    /// assert!(lock.try_lock().is_err());
    /// drop(guard);
    /// assert!(lock.try_lock().is_ok());
    /// ```
    pub fn try_lock(&self) -> Result<LockGuard<'_, T>, TryLockError> {
        match lock(&self.state).value.take() {
            Some(value) => Ok(LockGuard {
                lock: self,
                value: Some(value),
            }),
            None => Err(TryLockError),
        }
    }

    /// Like [`lock`](Self::lock), for a lock in an [`Arc`]: the guard owns a clone of the
    /// `Arc`, so it can move into a spawned task or another thread.
    ///
    /// # Cancel safety
    ///
    /// As for [`lock`](Self::lock).
    ///
    /// ```
    /// use std::sync::Arc;
    /// tulipa::run(async {
    ///     let lock = Arc::new(tulipa::sync::Lock::new(0));
    ///     let mut guard = lock.clone().lock_owned().await;
    ///     tulipa::spawn(async move { *guard = 7 }).await.unwrap();
    ///     assert_eq!(*lock.lock().await, 7);
    /// });
    /// ```
    pub fn lock_owned(self: Arc<Self>) -> OwnedLockFuture<T> {
        OwnedLockFuture {
            lock: Some(self),
            key: None,
        }
    }

    /// Like [`try_lock`](Self::try_lock), for a lock in an [`Arc`].
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(tulipa::sync::Lock::new(()));
    /// let guard = lock.clone().try_lock_owned().unwrap();
    /// assert!(lock.clone().try_lock_owned().is_err());
    /// drop(guard);
    /// ```
    pub fn try_lock_owned(self: Arc<Self>) -> Result<OwnedLockGuard<T>, TryLockError> {
        let value = lock(&self.state).value.take().ok_or(TryLockError)?;
        Ok(OwnedLockGuard {
            lock: self,
            value: Some(value),
        })
    }

    /// Whether the lock is held (asyncio's `locked()`).
    ///
    /// ```
    /// let lock = tulipa::sync::Lock::new(());
    /// let g = lock.try_lock().unwrap();
    /// assert!(lock.locked());
    /// drop(g);
    /// assert!(!lock.locked());
    /// ```
    pub fn locked(&self) -> bool {
        lock(&self.state).value.is_none()
    }

    /// Consumes the lock and returns the value.
    ///
    /// # Panics
    ///
    /// If a guard was leaked with [`std::mem::forget`] (it took the value with it).
    ///
    /// ```
    /// let lock = tulipa::sync::Lock::new(String::from("hi"));
    /// assert_eq!(lock.into_inner(), "hi");
    /// ```
    #[track_caller]
    pub fn into_inner(self) -> T {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        state.value.expect(LEAKED)
    }

    /// The value, through an exclusive reference to the lock (no locking needed).
    ///
    /// # Panics
    ///
    /// If a guard was leaked with [`std::mem::forget`] (it took the value with it).
    ///
    /// ```
    /// let mut lock = tulipa::sync::Lock::new(1);
    /// *lock.get_mut() += 1;
    /// assert_eq!(lock.into_inner(), 2);
    /// ```
    #[track_caller]
    pub fn get_mut(&mut self) -> &mut T {
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        state.value.as_mut().expect(LEAKED)
    }

    /// Rules 1 and 3: the poll of an acquire; `key` is its queue entry once it has one.
    fn poll_acquire(&self, key: &mut Option<usize>, cx: &mut Context<'_>) -> Poll<T> {
        let mut stale = Wakers::default(); // rule 5: drops after `st`
        let mut st = lock(&self.state);
        match *key {
            None => {
                if let Some(value) = st.value.take() {
                    return Poll::Ready(value);
                }
                *key = Some(st.waiters.push(cx.waker().clone(), ()));
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

    /// Rule 4: an acquire with queue entry `key` is dropped.
    fn cancel(&self, key: usize) {
        let mut stale = Wakers::default(); // rule 5: drops after `st`
        let mut st = lock(&self.state);
        if let Some(value) = st.waiters.cancel(key, &mut stale) {
            self.hand_over(st, value);
        }
    }

    /// Rule 2: unlocks, handing `value` to the oldest waiter if there is one.
    fn release(&self, value: T) {
        self.hand_over(lock(&self.state), value);
    }

    fn hand_over(&self, mut st: crate::loom::MutexGuard<'_, State<T>>, value: T) {
        match st.waiters.notify_one(value) {
            Ok(waker) => {
                drop(st);
                if let Some(w) = waker {
                    w.wake();
                }
            }
            Err(value) => st.value = Some(value),
        }
    }
}

impl<T: Default> Default for Lock<T> {
    fn default() -> Lock<T> {
        Lock::new(T::default())
    }
}

impl<T> From<T> for Lock<T> {
    fn from(value: T) -> Lock<T> {
        Lock::new(value)
    }
}

impl<T> fmt::Debug for Lock<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Lock")
            .field("locked", &st.value.is_none())
            .field("waiters", &st.waiters.waiting())
            .finish_non_exhaustive()
    }
}

/// The guard of a held [`Lock`]: it dereferences to the value and unlocks when dropped.
///
/// ```
/// tulipa::run(async {
///     let lock = tulipa::sync::Lock::new(vec![1]);
///     let mut guard = lock.lock().await;
///     guard.push(2);
///     assert_eq!(*guard, [1, 2]);
/// });
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct LockGuard<'a, T> {
    pub(super) lock: &'a Lock<T>,
    value: Option<T>,
}

impl<T> Deref for LockGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("a held guard has the value")
    }
}

impl<T> DerefMut for LockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a held guard has the value")
    }
}

impl<T> Drop for LockGuard<'_, T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.lock.release(value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for LockGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The guard of a held [`Lock`] in an [`Arc`], owning a clone of the `Arc` (from
/// [`Lock::lock_owned`]); it dereferences to the value and unlocks when dropped.
///
/// ```
/// use std::sync::Arc;
/// let lock = Arc::new(tulipa::sync::Lock::new(1));
/// let mut guard = lock.clone().try_lock_owned().unwrap();
/// std::thread::spawn(move || *guard += 1).join().unwrap();
/// assert_eq!(*lock.try_lock().unwrap(), 2);
/// ```
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct OwnedLockGuard<T> {
    lock: Arc<Lock<T>>,
    value: Option<T>,
}

impl<T> OwnedLockGuard<T> {
    /// The lock this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let lock = Arc::new(tulipa::sync::Lock::new(()));
    /// let guard = lock.clone().try_lock_owned().unwrap();
    /// assert!(Arc::ptr_eq(guard.lock(), &lock));
    /// ```
    pub fn lock(&self) -> &Arc<Lock<T>> {
        &self.lock
    }
}

impl<T> Deref for OwnedLockGuard<T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("a held guard has the value")
    }
}

impl<T> DerefMut for OwnedLockGuard<T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value.as_mut().expect("a held guard has the value")
    }
}

impl<T> Drop for OwnedLockGuard<T> {
    fn drop(&mut self) {
        if let Some(value) = self.value.take() {
            self.lock.release(value);
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedLockGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: fmt::Display> fmt::Display for OwnedLockGuard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&**self, f)
    }
}

/// The future of [`Lock::lock`]; see there.
///
/// ```
/// tulipa::run(async {
///     let lock = tulipa::sync::Lock::new(3);
///     let fut: tulipa::sync::LockFuture<'_, i32> = lock.lock();
///     assert_eq!(*fut.await, 3);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct LockFuture<'a, T> {
    lock: &'a Lock<T>,
    key: Option<usize>,
    done: bool,
}

impl<'a, T> Future for LockFuture<'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = &mut *self;
        assert!(!this.done, "a lock future was polled after it completed");
        match crate::coop::budgeted(cx, |cx| this.lock.poll_acquire(&mut this.key, cx)) {
            Poll::Ready(value) => {
                this.done = true;
                Poll::Ready(LockGuard {
                    lock: this.lock,
                    value: Some(value),
                })
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for LockFuture<'_, T> {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.lock.cancel(key);
        }
    }
}

impl<T> fmt::Debug for LockFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LockFuture")
            .field("queued", &self.key.is_some())
            .finish_non_exhaustive()
    }
}

/// The future of [`Lock::lock_owned`]; see there.
///
/// ```
/// use std::sync::Arc;
/// tulipa::run(async {
///     let lock = Arc::new(tulipa::sync::Lock::new(3));
///     let fut: tulipa::sync::OwnedLockFuture<i32> = lock.lock_owned();
///     assert_eq!(*fut.await, 3);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct OwnedLockFuture<T> {
    lock: Option<Arc<Lock<T>>>,
    key: Option<usize>,
}

impl<T> Future for OwnedLockFuture<T> {
    type Output = OwnedLockGuard<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedLockGuard<T>> {
        let this = &mut *self;
        let lock = this
            .lock
            .as_ref()
            .expect("a lock future was polled after it completed");
        match crate::coop::budgeted(cx, |cx| lock.poll_acquire(&mut this.key, cx)) {
            Poll::Ready(value) => Poll::Ready(OwnedLockGuard {
                lock: this.lock.take().expect("checked above"),
                value: Some(value),
            }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T> Drop for OwnedLockFuture<T> {
    fn drop(&mut self) {
        if let (Some(lock), Some(key)) = (&self.lock, self.key) {
            lock.cancel(key);
        }
    }
}

impl<T> fmt::Debug for OwnedLockFuture<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedLockFuture")
            .field("queued", &self.key.is_some())
            .finish_non_exhaustive()
    }
}
