//! [`Semaphore`]: a counter of permits with a fair queue of tasks waiting for them.

// Maintainer notes: the protocol.
//
// `Permits` is the engine shared by `Semaphore` and `BoundedSemaphore`. Its state, all behind
// one mutex:
//
//   available  permits nobody holds
//   waiters    a WaitList<handed: usize, request: usize>: each entry asks for `request`
//              permits and, once notified, has been handed exactly that many
//   forgotten  (bounded only) permits given up with `forget`, which `release` may return
//
// An acquirer's future is in one of three states: Init (not yet polled), Queued(key), Done.
// Permits held by a guard (`SemaphorePermit`, `OwnedSemaphorePermit`) are counted nowhere:
// the guard gives them back on drop.
//
// Rules, each under the mutex unless stated:
//
// 1. Fast path: an acquire of `n` takes the permits at its first poll only if nobody is
//    queued and `available >= n` (no barging past a waiter, even a big one). `n == 0` is
//    ready at once and takes nothing.
// 2. Otherwise it pushes an entry requesting `n` and stays Queued.
// 3. `dispatch` (after every release, and after a queued entry leaves): while the oldest
//    entry's request fits in `available`, subtract it and hand it over (`notify_one(n)`).
//    It stops at the first request that does not fit, so a big request at the head is never
//    overtaken; smaller ones behind it wait too.
// 4. A Queued future finds its entry handed when polled and takes it (Done, with a guard).
// 5. A Queued future that is dropped cancels its entry: permits it had been handed go back to
//    `available`, and `dispatch` runs, since the head may have moved.
// 6. Wakers returned by `notify_one` are woken after the mutex is released, and wakers the
//    list lets go of (a re-poll's displaced one, a cancelled entry's) are dropped after it,
//    in a `Wakers` declared before the guard (src/waitlist.rs, rule 5).
//
// Invariant: available + Σ handed-not-taken + Σ held by guards + forgotten == the count the
// semaphore was built with, plus every `add_permits`/`release` (minus the forgotten ones, for
// an unbounded semaphore). Nothing else creates or destroys permits.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{BoundedSemaphore, ReleaseError, TryAcquireError};
use crate::loom::{lock, Mutex};
use crate::waitlist::{Taken, WaitList, Wakers};

/// The most permits a semaphore may have available at once.
pub(super) const MAX_PERMITS: usize = usize::MAX >> 3;

/// The permit engine of [`Semaphore`] and [`BoundedSemaphore`].
pub(super) struct Permits {
    state: Mutex<State>,
    bounded: bool,
}

struct State {
    available: usize,
    waiters: WaitList<usize, usize>,
    forgotten: usize,
}

impl State {
    /// Rule 3: hands permits to queued acquirers, oldest first, while the oldest one fits.
    fn dispatch(&mut self) -> Wakers {
        let mut wakers = Wakers::default();
        while let Some(&want) = self.waiters.front_request() {
            if want > self.available {
                break;
            }
            self.available -= want;
            match self.waiters.notify_one(want) {
                Ok(w) => wakers.push(w),
                Err(_) => unreachable!("front_request saw a waiter"),
            }
        }
        wakers
    }
}

/// Where an acquire stands (the future's side of the protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Init,
    Queued(usize),
    Done,
}

impl Permits {
    pub(super) fn new(permits: usize, bounded: bool) -> Permits {
        assert!(
            permits <= MAX_PERMITS,
            "a semaphore holds at most {MAX_PERMITS} permits, not {permits}"
        );
        Permits {
            state: Mutex::new(State {
                available: permits,
                waiters: WaitList::default(),
                forgotten: 0,
            }),
            bounded,
        }
    }

    pub(super) fn available(&self) -> usize {
        lock(&self.state).available
    }

    /// asyncio's `locked()`: an acquire of one permit would wait.
    pub(super) fn locked(&self) -> bool {
        let st = lock(&self.state);
        st.available == 0 || !st.waiters.is_empty()
    }

    /// Rule 1 alone.
    pub(super) fn try_acquire(&self, n: usize) -> Result<(), TryAcquireError> {
        if n == 0 {
            return Ok(());
        }
        let mut st = lock(&self.state);
        if st.waiters.is_empty() && st.available >= n {
            st.available -= n;
            Ok(())
        } else {
            Err(TryAcquireError)
        }
    }

    /// Rules 1, 2 and 4.
    pub(super) fn poll_acquire(
        &self,
        n: usize,
        stage: &mut Stage,
        cx: &mut Context<'_>,
    ) -> Poll<()> {
        match *stage {
            Stage::Init => {
                if n == 0 {
                    *stage = Stage::Done;
                    return Poll::Ready(());
                }
                let mut st = lock(&self.state);
                if st.waiters.is_empty() && st.available >= n {
                    st.available -= n;
                    *stage = Stage::Done;
                    return Poll::Ready(());
                }
                *stage = Stage::Queued(st.waiters.push(cx.waker().clone(), n));
                Poll::Pending
            }
            Stage::Queued(key) => {
                // Rule 6: declared first, so a displaced waker drops after the guard. The
                // guard is a temporary of the `let`, so it is gone before the `match`.
                let mut stale = Wakers::default();
                let taken = lock(&self.state)
                    .waiters
                    .poll_take(key, cx.waker(), &mut stale);
                match taken {
                    Taken::Handed(_) => {
                        *stage = Stage::Done;
                        Poll::Ready(())
                    }
                    Taken::Waiting => Poll::Pending,
                }
            }
            Stage::Done => panic!("a semaphore acquire future was polled after it completed"),
        }
    }

    /// Rule 5: the acquire future in `stage` is dropped.
    pub(super) fn cancel(&self, stage: Stage) {
        let Stage::Queued(key) = stage else { return };
        let mut stale = Wakers::default(); // rule 6: drops after `st`
        let mut st = lock(&self.state);
        if let Some(handed) = st.waiters.cancel(key, &mut stale) {
            st.available += handed;
        }
        let wakers = st.dispatch();
        drop(st);
        wakers.wake();
    }

    /// Returns `n` permits (a guard dropped, or `add_permits`).
    pub(super) fn release(&self, n: usize) {
        if n == 0 {
            return;
        }
        let mut st = lock(&self.state);
        st.available += n;
        let wakers = st.dispatch();
        drop(st);
        wakers.wake();
    }

    #[track_caller]
    pub(super) fn add(&self, n: usize) {
        let mut st = lock(&self.state);
        match st.available.checked_add(n) {
            Some(total) if total <= MAX_PERMITS => st.available = total,
            _ => {
                drop(st);
                panic!("a semaphore holds at most {MAX_PERMITS} permits: adding {n} overflows");
            }
        }
        let wakers = st.dispatch();
        drop(st);
        wakers.wake();
    }

    /// `n` permits held by a guard are given up.
    fn forget(&self, n: usize) {
        if self.bounded && n > 0 {
            lock(&self.state).forgotten += n;
        }
    }

    /// `BoundedSemaphore::release`: returns one forgotten permit.
    pub(super) fn release_forgotten(&self) -> Result<(), ReleaseError> {
        let mut st = lock(&self.state);
        if st.forgotten == 0 {
            return Err(ReleaseError);
        }
        st.forgotten -= 1;
        st.available += 1;
        let wakers = st.dispatch();
        drop(st);
        wakers.wake();
        Ok(())
    }
}

impl fmt::Debug for Permits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = lock(&self.state);
        f.debug_struct("Semaphore")
            .field("available", &st.available)
            .field("waiters", &st.waiters.waiting())
            .finish()
    }
}

/// A counter of permits: [`acquire`](Self::acquire) takes one (waiting while none is free)
/// and the returned [`SemaphorePermit`] gives it back when dropped (asyncio's `Semaphore`).
///
/// Waiters are served first-in, first-out, including [`acquire_many`](Self::acquire_many):
/// a request for many permits at the head of the queue is not overtaken by smaller ones
/// queued behind it, and a `try_acquire` fails while anyone is queued.
///
/// Natively it can be shared between threads (through an [`Arc`]);
/// [`acquire_owned`](Self::acquire_owned) gives a permit that owns its `Arc`, for moving into
/// a spawned task.
///
/// ```
/// use std::sync::Arc;
/// use tulipa::sync::Semaphore;
///
/// tulipa::run(async {
///     let sem = Arc::new(Semaphore::new(3));
///     let mut tasks = Vec::new();
///     for _ in 0..10 {
///         let permit = sem.clone().acquire_owned().await; // waits when three are running
///         tasks.push(tulipa::spawn(async move {
///             tulipa::yield_now().await;
///             drop(permit);
///         }));
///     }
///     for t in tasks {
///         t.await.unwrap();
///     }
///     assert_eq!(sem.available_permits(), 3);
/// });
/// ```
#[derive(Debug)]
pub struct Semaphore {
    permits: Permits,
}

impl Semaphore {
    /// The most permits a semaphore may hold (`usize::MAX >> 3`).
    ///
    /// ```
    /// assert!(tulipa::sync::Semaphore::MAX_PERMITS >= u32::MAX as usize);
    /// ```
    pub const MAX_PERMITS: usize = MAX_PERMITS;

    /// A semaphore with `permits` permits available (asyncio's `value`).
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(5);
    /// assert_eq!(sem.available_permits(), 5);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> Semaphore {
        Semaphore {
            permits: Permits::new(permits, false),
        }
    }

    /// Permits free right now (held by nobody, handed to no waiter).
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(2);
    /// let _p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.permits.available()
    }

    /// Whether an [`acquire`](Self::acquire) would wait: no permit is free, or tasks are
    /// already queued (asyncio's `locked()`).
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.locked());
    /// drop(p);
    /// assert!(!sem.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.permits.locked()
    }

    /// Waits for one permit and takes it.
    ///
    /// Spends one unit of the task's cooperative budget when it completes, and yields first
    /// if the budget is spent (see [`task`](crate::task#cooperative-scheduling)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, and fair: dropping the future gives up its place in the queue, and a
    /// permit that had already been handed to it passes to the next waiter (or back to the
    /// semaphore). No permit is ever lost.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let sem = tulipa::sync::Semaphore::new(1);
    ///     let permit = sem.acquire().await;
    ///     assert_eq!(sem.available_permits(), 0);
    ///     drop(permit);
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits until `n` permits can be taken together, and takes them. `n == 0` is ready at
    /// once.
    ///
    /// The request keeps its place in the queue: while it waits for `n`, requests queued
    /// after it wait too, even small ones that would fit.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire): nothing is lost; dropping the future also lets the
    /// requests queued behind it proceed if they fit.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let sem = tulipa::sync::Semaphore::new(4);
    ///     let three = sem.acquire_many(3).await;
    ///     assert_eq!(three.num_permits(), 3);
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        Acquire {
            permits: &self.permits,
            n,
            stage: Stage::Init,
        }
    }

    /// Takes a permit if one is free and nobody is queued.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if no permit is free or tasks are queued.
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(1);
    /// let p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_err());
    /// drop(p);
    /// assert!(sem.try_acquire().is_ok());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is queued.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if fewer than `n` are free or tasks are queued.
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(3);
    /// assert!(sem.try_acquire_many(4).is_err());
    /// assert_eq!(sem.try_acquire_many(3).unwrap().num_permits(), 3);
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.permits.try_acquire(n)?;
        Ok(SemaphorePermit {
            permits: &self.permits,
            n,
        })
    }

    /// Like [`acquire`](Self::acquire), for a semaphore in an [`Arc`]: the permit owns a
    /// clone of the `Arc`, so it can move into a spawned task.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// ```
    /// use std::sync::Arc;
    /// tulipa::run(async {
    ///     let sem = Arc::new(tulipa::sync::Semaphore::new(1));
    ///     let permit = sem.clone().acquire_owned().await;
    ///     tulipa::spawn(async move { drop(permit) }).await.unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// Like [`acquire_many`](Self::acquire_many), for a semaphore in an [`Arc`].
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire_many`](Self::acquire_many).
    ///
    /// ```
    /// use std::sync::Arc;
    /// tulipa::run(async {
    ///     let sem = Arc::new(tulipa::sync::Semaphore::new(2));
    ///     let both = sem.clone().acquire_many_owned(2).await;
    ///     assert_eq!(both.num_permits(), 2);
    /// });
    /// ```
    pub fn acquire_many_owned(self: Arc<Self>, n: usize) -> AcquireOwned {
        AcquireOwned {
            owner: Some(Owner::Plain(self)),
            n,
            stage: Stage::Init,
        }
    }

    /// Like [`try_acquire`](Self::try_acquire), for a semaphore in an [`Arc`].
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if no permit is free or tasks are queued.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(tulipa::sync::Semaphore::new(1));
    /// let p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.clone().try_acquire_owned().is_err());
    /// drop(p);
    /// ```
    pub fn try_acquire_owned(self: Arc<Self>) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.try_acquire_many_owned(1)
    }

    /// Like [`try_acquire_many`](Self::try_acquire_many), for a semaphore in an [`Arc`].
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if fewer than `n` are free or tasks are queued.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(tulipa::sync::Semaphore::new(2));
    /// assert_eq!(sem.clone().try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: usize,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.permits.try_acquire(n)?;
        Ok(OwnedSemaphorePermit {
            owner: Owner::Plain(self),
            n,
        })
    }

    /// Adds `n` permits, handing them to queued tasks first.
    ///
    /// # Panics
    ///
    /// If the available count would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(0);
    /// sem.add_permits(2);
    /// assert_eq!(sem.available_permits(), 2);
    /// ```
    #[track_caller]
    pub fn add_permits(&self, n: usize) {
        self.permits.add(n);
    }

    /// Adds one permit (asyncio's `release()`); the counterpart of a permit given up with
    /// [`SemaphorePermit::forget`].
    ///
    /// # Panics
    ///
    /// If the available count would exceed [`Semaphore::MAX_PERMITS`].
    ///
    /// ```
    /// tulipa::run(async {
    ///     let sem = tulipa::sync::Semaphore::new(1);
    ///     sem.acquire().await.forget(); // asyncio style: acquire ...
    ///     assert!(sem.locked());
    ///     sem.release(); // ... and release
    ///     assert!(!sem.locked());
    /// });
    /// ```
    #[track_caller]
    pub fn release(&self) {
        self.permits.add(1);
    }
}

/// Permits held from a [`Semaphore`] or a [`BoundedSemaphore`]; dropping it gives them back.
///
/// ```
/// let sem = tulipa::sync::Semaphore::new(1);
/// {
///     let _permit = sem.try_acquire().unwrap();
///     assert_eq!(sem.available_permits(), 0);
/// }
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct SemaphorePermit<'a> {
    pub(super) permits: &'a Permits,
    pub(super) n: usize,
}

impl SemaphorePermit<'_> {
    /// How many permits this guard holds.
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(3);
    /// assert_eq!(sem.try_acquire_many(2).unwrap().num_permits(), 2);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.n
    }

    /// Gives the permits up without returning them: the semaphore has that many fewer, until
    /// [`Semaphore::release`] / [`Semaphore::add_permits`] (or, for a [`BoundedSemaphore`],
    /// [`BoundedSemaphore::release`]) adds them back.
    ///
    /// ```
    /// let sem = tulipa::sync::Semaphore::new(2);
    /// sem.try_acquire().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn forget(mut self) {
        self.permits.forget(self.n);
        self.n = 0;
    }
}

impl Drop for SemaphorePermit<'_> {
    fn drop(&mut self) {
        self.permits.release(self.n);
    }
}

impl fmt::Debug for SemaphorePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}

/// The semaphore an owned permit or acquire keeps alive.
#[derive(Debug)]
pub(super) enum Owner {
    Plain(Arc<Semaphore>),
    Bounded(Arc<BoundedSemaphore>),
}

impl Owner {
    fn permits(&self) -> &Permits {
        match self {
            Owner::Plain(s) => &s.permits,
            Owner::Bounded(s) => &s.permits,
        }
    }
}

/// Permits held from a semaphore in an [`Arc`], owning a clone of it: it can move into a
/// spawned task. Dropping it gives the permits back.
///
/// ```
/// use std::sync::Arc;
/// let sem = Arc::new(tulipa::sync::Semaphore::new(1));
/// let permit = sem.clone().try_acquire_owned().unwrap();
/// std::thread::spawn(move || drop(permit)).join().unwrap();
/// assert_eq!(sem.available_permits(), 1);
/// ```
#[must_use = "the permit is given back as soon as it is dropped"]
pub struct OwnedSemaphorePermit {
    owner: Owner,
    n: usize,
}

impl OwnedSemaphorePermit {
    pub(super) fn new(owner: Owner, n: usize) -> OwnedSemaphorePermit {
        OwnedSemaphorePermit { owner, n }
    }

    /// How many permits this guard holds.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(tulipa::sync::Semaphore::new(3));
    /// assert_eq!(sem.try_acquire_many_owned(3).unwrap().num_permits(), 3);
    /// ```
    pub fn num_permits(&self) -> usize {
        self.n
    }

    /// Gives the permits up without returning them (see [`SemaphorePermit::forget`]).
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(tulipa::sync::Semaphore::new(1));
    /// sem.clone().try_acquire_owned().unwrap().forget();
    /// assert_eq!(sem.available_permits(), 0);
    /// ```
    pub fn forget(mut self) {
        self.owner.permits().forget(self.n);
        self.n = 0;
    }
}

impl Drop for OwnedSemaphorePermit {
    fn drop(&mut self) {
        self.owner.permits().release(self.n);
    }
}

impl fmt::Debug for OwnedSemaphorePermit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnedSemaphorePermit")
            .field("permits", &self.n)
            .finish()
    }
}

/// The future of [`Semaphore::acquire`] and [`Semaphore::acquire_many`] (and of
/// [`BoundedSemaphore`]'s); see there.
///
/// ```
/// tulipa::run(async {
///     let sem = tulipa::sync::Semaphore::new(1);
///     let acquire: tulipa::sync::Acquire<'_> = sem.acquire();
///     assert_eq!(acquire.await.num_permits(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Acquire<'a> {
    pub(super) permits: &'a Permits,
    pub(super) n: usize,
    pub(super) stage: Stage,
}

impl<'a> Future for Acquire<'a> {
    type Output = SemaphorePermit<'a>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<SemaphorePermit<'a>> {
        let this = &mut *self;
        match crate::coop::budgeted(cx, |cx| {
            this.permits.poll_acquire(this.n, &mut this.stage, cx)
        }) {
            Poll::Ready(()) => Poll::Ready(SemaphorePermit {
                permits: this.permits,
                n: this.n,
            }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Acquire<'_> {
    fn drop(&mut self) {
        self.permits.cancel(self.stage);
    }
}

impl fmt::Debug for Acquire<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Acquire")
            .field("permits", &self.n)
            .field("stage", &self.stage)
            .finish()
    }
}

/// The future of [`Semaphore::acquire_owned`] and [`Semaphore::acquire_many_owned`] (and of
/// [`BoundedSemaphore`]'s); see there.
///
/// ```
/// use std::sync::Arc;
/// tulipa::run(async {
///     let sem = Arc::new(tulipa::sync::Semaphore::new(1));
///     let acquire: tulipa::sync::AcquireOwned = sem.acquire_owned();
///     assert_eq!(acquire.await.num_permits(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct AcquireOwned {
    owner: Option<Owner>,
    n: usize,
    stage: Stage,
}

impl AcquireOwned {
    pub(super) fn new(owner: Owner, n: usize) -> AcquireOwned {
        AcquireOwned {
            owner: Some(owner),
            n,
            stage: Stage::Init,
        }
    }
}

impl Future for AcquireOwned {
    type Output = OwnedSemaphorePermit;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<OwnedSemaphorePermit> {
        let this = &mut *self;
        let owner = this
            .owner
            .as_ref()
            .expect("a semaphore acquire future was polled after it completed");
        match crate::coop::budgeted(cx, |cx| {
            owner.permits().poll_acquire(this.n, &mut this.stage, cx)
        }) {
            Poll::Ready(()) => Poll::Ready(OwnedSemaphorePermit {
                owner: this.owner.take().expect("checked above"),
                n: this.n,
            }),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for AcquireOwned {
    fn drop(&mut self) {
        if let Some(owner) = &self.owner {
            owner.permits().cancel(self.stage);
        }
    }
}

impl fmt::Debug for AcquireOwned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcquireOwned")
            .field("permits", &self.n)
            .field("stage", &self.stage)
            .finish()
    }
}
