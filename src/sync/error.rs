//! The errors of the synchronization primitives.

use std::error::Error;
use std::fmt;

/// [`Lock::try_lock`](super::Lock::try_lock) or an [`RwLock`](super::RwLock) `try_*` call
/// found the lock held, or tasks already queued for it (a `try_*` never barges past them).
///
/// ```
/// use tulipa::sync::Lock;
///
/// let lock = Lock::new(());
/// let _held = lock.try_lock().unwrap();
/// let err = lock.try_lock().unwrap_err();
/// assert_eq!(err.to_string(), "the lock is held or has waiters");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TryLockError;

impl fmt::Display for TryLockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the lock is held or has waiters")
    }
}

impl Error for TryLockError {}

/// A `try_acquire` call found too few permits available, or tasks already queued for them (a
/// `try_acquire` never barges past them).
///
/// ```
/// use tulipa::sync::Semaphore;
///
/// let sem = Semaphore::new(1);
/// let err = sem.try_acquire_many(2).unwrap_err();
/// assert_eq!(err.to_string(), "no permits available");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TryAcquireError;

impl fmt::Display for TryAcquireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no permits available")
    }
}

impl Error for TryAcquireError {}

/// [`BoundedSemaphore::release`](super::BoundedSemaphore::release) was called more times than
/// permits were given up with [`SemaphorePermit::forget`](super::SemaphorePermit::forget):
/// releasing would raise the count above the initial value (asyncio's `ValueError`).
///
/// Its likely cause is a release without a matching acquire, or a release of a permit whose
/// guard was dropped (which already returned it).
///
/// ```
/// use tulipa::sync::BoundedSemaphore;
///
/// let sem = BoundedSemaphore::new(1);
/// let err = sem.release().unwrap_err();
/// assert_eq!(err.to_string(), "BoundedSemaphore released too many times");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReleaseError;

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoundedSemaphore released too many times")
    }
}

impl Error for ReleaseError {}

/// [`OnceCell::set`](super::OnceCell::set) refused the value; it is handed back.
///
/// ```
/// use tulipa::sync::{OnceCell, SetError};
///
/// let cell = OnceCell::new();
/// cell.set(1).unwrap();
/// assert_eq!(cell.set(2), Err(SetError::AlreadyInitialized(2)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SetError<T> {
    /// The cell already holds a value.
    AlreadyInitialized(T),
    /// A `get_or_init` / `get_or_try_init` call is running its initialiser right now; the cell
    /// may or may not hold a value once it ends.
    Initializing(T),
}

impl<T> SetError<T> {
    /// The value that was refused.
    ///
    /// ```
    /// use tulipa::sync::OnceCell;
    ///
    /// let cell = OnceCell::from(1);
    /// assert_eq!(cell.set(2).unwrap_err().into_inner(), 2);
    /// ```
    pub fn into_inner(self) -> T {
        match self {
            SetError::AlreadyInitialized(v) | SetError::Initializing(v) => v,
        }
    }
}

impl<T> fmt::Display for SetError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetError::AlreadyInitialized(_) => f.write_str("the cell is already initialized"),
            SetError::Initializing(_) => f.write_str("the cell is being initialized"),
        }
    }
}

impl<T: fmt::Debug> Error for SetError<T> {}
