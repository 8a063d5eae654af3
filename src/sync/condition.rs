//! [`Condition`]: wait for a change to a value guarded by a [`Lock`].

// Maintainer notes: the protocol.
//
// A Condition holds an `Arc<Lock<T>>` (its own, or one shared with other conditions) and a
// WaitList<()> of notified-or-waiting tasks behind its own mutex. A `wait(guard)` future goes through four stages:
//
//   Start(guard)     not yet polled; still holds the lock
//   Waiting(key)     in the list, lock released
//   Relocking(fut)   notified; re-acquiring the lock through a `LockFuture`
//   Done
//
// Rules:
//
// 1. At its first poll, `wait` pushes its entry (under the list's mutex) and only then drops
//    the guard. So a `notify` made after the waiter released the lock always finds it.
// 2. `notify(n)` hands a notification to the `n` oldest waiting entries; `notify_all` to every
//    one; wakers are woken after the mutex. Neither needs the lock held.
// 3. A Waiting future whose entry was handed moves to Relocking and waits for the lock like any
//    other `lock()` (first-in, first-out).
// 4. A future dropped after it was notified but before it returned (an entry handed but not
//    taken, or Relocking) passes the notification on to the oldest waiting entry, so a
//    `notify(1)` is never swallowed by a cancelled waiter (asyncio 3.13's rule; it may be a
//    spurious wakeup for the receiver, which condition waiters must tolerate anyway).
// 5. A Waiting future dropped before being notified just leaves the list.
// 6. A waker the list lets go of (displaced at a re-poll, or a cancelled entry's) is dropped
//    after the list's mutex, in a `Wakers` declared before the guard (src/waitlist.rs).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Lock, LockFuture, LockGuard, TryLockError};
use crate::loom::{lock, Mutex};
use crate::waitlist::{wake_all, Taken, WaitList, Wakers};

/// A condition variable tied to a [`Lock`] (asyncio's `Condition`): a task holding the lock
/// [`wait`](Self::wait)s for another task to change the guarded value and
/// [`notify`](Self::notify) it. Waiting releases the lock and re-acquires it before returning.
///
/// The lock guards a value: take it with [`lock`](Self::lock), then hand the guard to
/// [`wait`](Self::wait) or [`wait_for`](Self::wait_for), which give it back once the lock is
/// re-acquired. [`Condition::new`] makes a lock of its own; several conditions can share one
/// (asyncio's `Condition(lock)`) through [`Condition::with_lock`], as a bounded buffer does
/// with its "not full" and "not empty" conditions.
///
/// Notifications go to waiters first-in, first-out. A waiter cancelled after being notified
/// passes its notification on to the next waiter, so none is lost (as in asyncio 3.13).
///
/// ```
/// use std::collections::VecDeque;
/// use std::sync::Arc;
/// use tulipa::sync::Condition;
///
/// tulipa::run(async {
///     let jobs = Arc::new(Condition::new(VecDeque::new()));
///     let worker = tulipa::spawn({
///         let jobs = jobs.clone();
///         async move {
///             let guard = jobs.lock().await;
///             let mut guard = jobs.wait_for(guard, |q| !q.is_empty()).await;
///             guard.pop_front().unwrap()
///         }
///     });
///     tulipa::yield_now().await;
///     jobs.lock().await.push_back("job");
///     jobs.notify(1);
///     assert_eq!(worker.await.unwrap(), "job");
/// });
/// ```
pub struct Condition<T> {
    lock: Arc<Lock<T>>,
    waiters: Mutex<WaitList<()>>,
}

impl<T> Condition<T> {
    /// A condition with a new lock guarding `value`.
    ///
    /// ```
    /// let cond = tulipa::sync::Condition::new(0);
    /// assert!(!cond.locked());
    /// ```
    pub fn new(value: T) -> Condition<T> {
        Condition::with_lock(Arc::new(Lock::new(value)))
    }

    /// A condition using `lock`, which other conditions (and tasks) may share (asyncio's
    /// `Condition(lock)`). Any guard of that lock may be handed to [`wait`](Self::wait).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tulipa::sync::{Condition, Lock};
    ///
    /// tulipa::run(async {
    ///     let lock = Arc::new(Lock::new(0));
    ///     let changed = Condition::with_lock(lock.clone());
    ///     let mut guard = lock.lock().await; // the shared lock's guard
    ///     *guard += 1;
    ///     changed.notify_all();
    ///     assert!(Arc::ptr_eq(changed.lock_handle(), &lock));
    /// });
    /// ```
    pub fn with_lock(lock: Arc<Lock<T>>) -> Condition<T> {
        Condition {
            lock,
            waiters: Mutex::new(WaitList::default()),
        }
    }

    /// Waits for the condition's lock and takes it; see [`Lock::lock`].
    ///
    /// # Cancel safety
    ///
    /// As for [`Lock::lock`]: cancel safe, nothing is lost.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let cond = tulipa::sync::Condition::new(1);
    ///     *cond.lock().await += 1;
    ///     assert_eq!(*cond.lock().await, 2);
    /// });
    /// ```
    pub fn lock(&self) -> LockFuture<'_, T> {
        self.lock.lock()
    }

    /// Takes the condition's lock if it is free; see [`Lock::try_lock`].
    ///
    /// # Errors
    ///
    /// [`TryLockError`] if the lock is held.
    ///
    /// ```
    /// let cond = tulipa::sync::Condition::new(());
    /// let g = cond.try_lock().unwrap();
    /// assert!(cond.try_lock().is_err());
    /// drop(g);
    /// ```
    pub fn try_lock(&self) -> Result<LockGuard<'_, T>, TryLockError> {
        self.lock.try_lock()
    }

    /// Whether the condition's lock is held.
    ///
    /// ```
    /// let cond = tulipa::sync::Condition::new(());
    /// let _g = cond.try_lock().unwrap();
    /// assert!(cond.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    /// The lock this condition uses.
    ///
    /// ```
    /// let cond = tulipa::sync::Condition::new(5);
    /// assert_eq!(*cond.lock_handle().try_lock().unwrap(), 5);
    /// ```
    pub fn lock_handle(&self) -> &Arc<Lock<T>> {
        &self.lock
    }

    /// Releases the lock held by `guard`, waits to be notified, re-acquires the lock and
    /// returns its new guard. As with every condition variable, the guarded state may have
    /// changed again by then (or the wakeup be spurious): check it, or use
    /// [`wait_for`](Self::wait_for).
    ///
    /// # Panics
    ///
    /// If `guard` belongs to another lock than this condition's.
    ///
    /// # Cancel safety
    ///
    /// The lock stays released when the future is dropped (the guard was consumed; asyncio
    /// would re-acquire it, which a dropped Rust future cannot). A notification already handed
    /// to this waiter is passed on to the next one, so none is lost. Dropping it before its
    /// first poll just drops the guard.
    ///
    /// ```
    /// use std::sync::Arc;
    /// tulipa::run(async {
    ///     let cond = Arc::new(tulipa::sync::Condition::new(false));
    ///     let setter = tulipa::spawn({
    ///         let cond = cond.clone();
    ///         async move {
    ///             *cond.lock().await = true;
    ///             cond.notify_all();
    ///         }
    ///     });
    ///     let mut guard = cond.lock().await;
    ///     while !*guard {
    ///         guard = cond.wait(guard).await;
    ///     }
    ///     setter.await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn wait<'a>(&'a self, guard: LockGuard<'a, T>) -> ConditionWait<'a, T> {
        assert!(
            std::ptr::eq(guard.lock, &*self.lock),
            "Condition::wait was given the guard of another lock than the condition's"
        );
        ConditionWait {
            cond: self,
            stage: Stage::Start(Some(guard)),
        }
    }

    /// Waits until `predicate` returns true for the guarded value (asyncio's `wait_for`): it is
    /// checked first, then after every wakeup, always with the lock held. Returns the guard,
    /// with the lock held.
    ///
    /// # Panics
    ///
    /// If `guard` belongs to another lock than this condition's.
    ///
    /// # Cancel safety
    ///
    /// As for [`wait`](Self::wait): a dropped call leaves the lock released (unless it was
    /// dropped before its first poll with the lock still held, which drops the guard), and
    /// passes on a notification it had received.
    ///
    /// ```
    /// use std::sync::Arc;
    /// tulipa::run(async {
    ///     let cond = Arc::new(tulipa::sync::Condition::new(0));
    ///     let counter = tulipa::spawn({
    ///         let cond = cond.clone();
    ///         async move {
    ///             for _ in 0..3 {
    ///                 *cond.lock().await += 1;
    ///                 cond.notify_all();
    ///                 tulipa::yield_now().await;
    ///             }
    ///         }
    ///     });
    ///     let guard = cond.lock().await;
    ///     let guard = cond.wait_for(guard, |n| *n == 3).await;
    ///     assert_eq!(*guard, 3);
    ///     drop(guard);
    ///     counter.await.unwrap();
    /// });
    /// ```
    #[track_caller]
    pub fn wait_for<'a, P>(
        &'a self,
        guard: LockGuard<'a, T>,
        predicate: P,
    ) -> impl Future<Output = LockGuard<'a, T>> + 'a
    where
        P: FnMut(&mut T) -> bool + 'a,
    {
        assert!(
            std::ptr::eq(guard.lock, &*self.lock),
            "Condition::wait_for was given the guard of another lock than the condition's"
        );
        self.wait_for_inner(guard, predicate)
    }

    async fn wait_for_inner<'a, P>(
        &'a self,
        mut guard: LockGuard<'a, T>,
        mut predicate: P,
    ) -> LockGuard<'a, T>
    where
        P: FnMut(&mut T) -> bool + 'a,
    {
        while !predicate(&mut guard) {
            guard = self.wait(guard).await;
        }
        guard
    }

    /// Wakes up to `n` waiting tasks, oldest first (asyncio's `notify(n)`). It may be called
    /// with or without the lock held; a task woken re-acquires the lock before its `wait`
    /// returns.
    ///
    /// ```
    /// let cond = tulipa::sync::Condition::new(());
    /// cond.notify(1); // nobody waits: nothing happens
    /// ```
    pub fn notify(&self, n: usize) {
        let mut list = lock(&self.waiters);
        let mut wakers = Vec::new();
        for _ in 0..n {
            match list.notify_one(()) {
                Ok(w) => wakers.extend(w),
                Err(()) => break,
            }
        }
        drop(list);
        wake_all(wakers);
    }

    /// Wakes every waiting task (asyncio's `notify_all`).
    ///
    /// ```
    /// let cond = tulipa::sync::Condition::new(());
    /// cond.notify_all();
    /// ```
    pub fn notify_all(&self) {
        let wakers = lock(&self.waiters).notify_all(|| ());
        wake_all(wakers);
    }

    /// Rule 4: passes a notification on to the oldest waiting entry.
    fn pass_on(&self) {
        let waker = lock(&self.waiters).notify_one(()).ok().flatten();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T: Default> Default for Condition<T> {
    fn default() -> Condition<T> {
        Condition::new(T::default())
    }
}

impl<T> fmt::Debug for Condition<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Condition")
            .field("lock", &self.lock)
            .field("waiters", &lock(&self.waiters).waiting())
            .finish()
    }
}

enum Stage<'a, T> {
    Start(Option<LockGuard<'a, T>>),
    Waiting(usize),
    Relocking(LockFuture<'a, T>),
    Done,
}

/// The future of [`Condition::wait`]; see there.
///
/// ```
/// tulipa::run(async {
///     let cond = tulipa::sync::Condition::new(());
///     let guard = cond.lock().await;
///     let wait: tulipa::sync::ConditionWait<'_, ()> = cond.wait(guard);
///     drop(wait); // never polled: just releases the lock
///     assert!(!cond.locked());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct ConditionWait<'a, T> {
    cond: &'a Condition<T>,
    stage: Stage<'a, T>,
}

// The guard inside is only ever moved, never pinned.
impl<T> Unpin for ConditionWait<'_, T> {}

impl<'a, T> Future for ConditionWait<'a, T> {
    type Output = LockGuard<'a, T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<LockGuard<'a, T>> {
        let this = &mut *self;
        let mut stale = Wakers::default(); // rule 6: drops after every guard below
        loop {
            match &mut this.stage {
                Stage::Start(guard) => {
                    // Rule 1: queue first, then release the lock.
                    let key = lock(&this.cond.waiters).push(cx.waker().clone(), ());
                    let guard = guard.take();
                    this.stage = Stage::Waiting(key);
                    drop(guard);
                    return Poll::Pending;
                }
                Stage::Waiting(key) => {
                    let taken = lock(&this.cond.waiters).poll_take(*key, cx.waker(), &mut stale);
                    match taken {
                        Taken::Handed(()) => this.stage = Stage::Relocking(this.cond.lock.lock()),
                        Taken::Waiting => return Poll::Pending,
                    }
                }
                Stage::Relocking(fut) => {
                    let guard = match Pin::new(fut).poll(cx) {
                        Poll::Ready(guard) => guard,
                        Poll::Pending => return Poll::Pending,
                    };
                    this.stage = Stage::Done;
                    return Poll::Ready(guard);
                }
                Stage::Done => panic!("a condition wait was polled after it completed"),
            }
        }
    }
}

impl<T> Drop for ConditionWait<'_, T> {
    fn drop(&mut self) {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Waiting(key) => {
                let mut stale = Wakers::default(); // rule 6: outlives the guard (a temporary)
                let handed = lock(&self.cond.waiters).cancel(key, &mut stale);
                drop(stale);
                if handed.is_some() {
                    self.cond.pass_on();
                }
            }
            Stage::Relocking(fut) => {
                // The lock future gives up its own place (or the lock) when dropped.
                drop(fut);
                self.cond.pass_on();
            }
            Stage::Start(_) | Stage::Done => {}
        }
    }
}

impl<T> fmt::Debug for ConditionWait<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stage = match self.stage {
            Stage::Start(_) => "start",
            Stage::Waiting(_) => "waiting",
            Stage::Relocking(_) => "relocking",
            Stage::Done => "done",
        };
        f.debug_struct("ConditionWait")
            .field("stage", &stage)
            .finish_non_exhaustive()
    }
}
