//! [`BoundedSemaphore`]: a semaphore whose count can never rise above its initial value.

// Maintainer notes: the protocol is the one of `Permits` in semaphore.rs, with the bounded
// flag set. The bound holds because nothing adds permits but a guard's drop (giving back what
// it took) and `release`, which only returns a permit given up with `forget` (rule: `release`
// succeeds iff `forgotten > 0`, and moves one from `forgotten` to `available`).

use std::sync::Arc;

use super::semaphore::{Owner, Permits, Stage};
use super::{
    Acquire, AcquireOwned, OwnedSemaphorePermit, ReleaseError, SemaphorePermit, TryAcquireError,
};

/// A [`Semaphore`](super::Semaphore) that can never hold more permits than it started with
/// (asyncio's `BoundedSemaphore`): there is no `add_permits`, and [`release`](Self::release)
/// only returns a permit given up with [`SemaphorePermit::forget`]; one more is a
/// [`ReleaseError`], which catches a release without a matching acquire.
///
/// Permits are guards, as for [`Semaphore`](super::Semaphore), and served first-in,
/// first-out.
///
/// ```
/// use tulipa::sync::BoundedSemaphore;
///
/// tulipa::run(async {
///     let sem = BoundedSemaphore::new(2);
///     sem.acquire().await.forget(); // asyncio style: acquire() ...
///     assert_eq!(sem.available_permits(), 1);
///     sem.release().unwrap(); // ... release()
///     assert!(sem.release().is_err(), "a second release would exceed the bound");
///     assert_eq!(sem.available_permits(), 2);
/// });
/// ```
#[derive(Debug)]
pub struct BoundedSemaphore {
    pub(super) permits: Permits,
    bound: usize,
}

impl BoundedSemaphore {
    /// A semaphore with `permits` permits, which is also its bound.
    ///
    /// # Panics
    ///
    /// If `permits` exceeds [`Semaphore::MAX_PERMITS`](super::Semaphore::MAX_PERMITS).
    ///
    /// ```
    /// let sem = tulipa::sync::BoundedSemaphore::new(3);
    /// assert_eq!(sem.bound(), 3);
    /// ```
    #[track_caller]
    pub fn new(permits: usize) -> BoundedSemaphore {
        BoundedSemaphore {
            permits: Permits::new(permits, true),
            bound: permits,
        }
    }

    /// The initial (and highest) number of permits.
    ///
    /// ```
    /// assert_eq!(tulipa::sync::BoundedSemaphore::new(4).bound(), 4);
    /// ```
    pub fn bound(&self) -> usize {
        self.bound
    }

    /// Permits free right now.
    ///
    /// ```
    /// let sem = tulipa::sync::BoundedSemaphore::new(2);
    /// let _p = sem.try_acquire().unwrap();
    /// assert_eq!(sem.available_permits(), 1);
    /// ```
    pub fn available_permits(&self) -> usize {
        self.permits.available()
    }

    /// Whether an [`acquire`](Self::acquire) would wait (asyncio's `locked()`).
    ///
    /// ```
    /// let sem = tulipa::sync::BoundedSemaphore::new(1);
    /// let _p = sem.try_acquire().unwrap();
    /// assert!(sem.locked());
    /// ```
    pub fn locked(&self) -> bool {
        self.permits.locked()
    }

    /// Waits for one permit and takes it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, and fair: dropping the future gives up its place in the queue, and a
    /// permit that had already been handed to it passes to the next waiter (or back to the
    /// semaphore).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let sem = tulipa::sync::BoundedSemaphore::new(1);
    ///     let p = sem.acquire().await;
    ///     assert_eq!(p.num_permits(), 1);
    /// });
    /// ```
    pub fn acquire(&self) -> Acquire<'_> {
        self.acquire_many(1)
    }

    /// Waits until `n` permits can be taken together, and takes them (first-in, first-out,
    /// as [`Semaphore::acquire_many`](super::Semaphore::acquire_many)).
    ///
    /// # Panics
    ///
    /// If `n` exceeds the [`bound`](Self::bound): it could never be granted.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let sem = tulipa::sync::BoundedSemaphore::new(3);
    ///     assert_eq!(sem.acquire_many(3).await.num_permits(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire_many(&self, n: usize) -> Acquire<'_> {
        self.check(n);
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
    /// let sem = tulipa::sync::BoundedSemaphore::new(1);
    /// let _p = sem.try_acquire().unwrap();
    /// assert!(sem.try_acquire().is_err());
    /// ```
    pub fn try_acquire(&self) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.try_acquire_many(1)
    }

    /// Takes `n` permits if they are free and nobody is queued.
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if fewer than `n` are free (always so when `n` exceeds the bound)
    /// or tasks are queued.
    ///
    /// ```
    /// let sem = tulipa::sync::BoundedSemaphore::new(2);
    /// assert!(sem.try_acquire_many(3).is_err());
    /// assert!(sem.try_acquire_many(2).is_ok());
    /// ```
    pub fn try_acquire_many(&self, n: usize) -> Result<SemaphorePermit<'_>, TryAcquireError> {
        self.permits.try_acquire(n)?;
        Ok(SemaphorePermit {
            permits: &self.permits,
            n,
        })
    }

    /// Like [`acquire`](Self::acquire), for a semaphore in an [`Arc`]; the permit owns a clone
    /// of the `Arc`.
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// ```
    /// use std::sync::Arc;
    /// tulipa::run(async {
    ///     let sem = Arc::new(tulipa::sync::BoundedSemaphore::new(1));
    ///     let p = sem.clone().acquire_owned().await;
    ///     tulipa::spawn(async move { drop(p) }).await.unwrap();
    ///     assert_eq!(sem.available_permits(), 1);
    /// });
    /// ```
    pub fn acquire_owned(self: Arc<Self>) -> AcquireOwned {
        self.acquire_many_owned(1)
    }

    /// Like [`acquire_many`](Self::acquire_many), for a semaphore in an [`Arc`].
    ///
    /// # Panics
    ///
    /// If `n` exceeds the [`bound`](Self::bound).
    ///
    /// # Cancel safety
    ///
    /// As for [`acquire`](Self::acquire).
    ///
    /// ```
    /// use std::sync::Arc;
    /// tulipa::run(async {
    ///     let sem = Arc::new(tulipa::sync::BoundedSemaphore::new(2));
    ///     assert_eq!(sem.acquire_many_owned(2).await.num_permits(), 2);
    /// });
    /// ```
    #[track_caller]
    pub fn acquire_many_owned(self: Arc<Self>, n: usize) -> AcquireOwned {
        self.check(n);
        AcquireOwned::new(Owner::Bounded(self), n)
    }

    /// Like [`try_acquire`](Self::try_acquire), for a semaphore in an [`Arc`].
    ///
    /// # Errors
    ///
    /// [`TryAcquireError`] if no permit is free or tasks are queued.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let sem = Arc::new(tulipa::sync::BoundedSemaphore::new(1));
    /// let _p = sem.clone().try_acquire_owned().unwrap();
    /// assert!(sem.try_acquire_owned().is_err());
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
    /// let sem = Arc::new(tulipa::sync::BoundedSemaphore::new(2));
    /// assert_eq!(sem.try_acquire_many_owned(2).unwrap().num_permits(), 2);
    /// ```
    pub fn try_acquire_many_owned(
        self: Arc<Self>,
        n: usize,
    ) -> Result<OwnedSemaphorePermit, TryAcquireError> {
        self.permits.try_acquire(n)?;
        Ok(OwnedSemaphorePermit::new(Owner::Bounded(self), n))
    }

    /// Returns one permit given up with [`SemaphorePermit::forget`] (asyncio's `release()`),
    /// handing it to the oldest queued task if there is one.
    ///
    /// # Errors
    ///
    /// [`ReleaseError`] if no forgotten permit is outstanding: the count would exceed the
    /// bound. Nothing changes then.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let sem = tulipa::sync::BoundedSemaphore::new(1);
    ///     assert!(sem.release().is_err());
    ///     sem.acquire().await.forget();
    ///     assert_eq!(sem.release(), Ok(()));
    /// });
    /// ```
    pub fn release(&self) -> Result<(), ReleaseError> {
        self.permits.release_forgotten()
    }

    #[track_caller]
    fn check(&self, n: usize) {
        assert!(
            n <= self.bound,
            "acquire_many({n}) on a BoundedSemaphore of {} permits could never be granted",
            self.bound
        );
    }
}
