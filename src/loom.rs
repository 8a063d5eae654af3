//! The synchronization types of the cross-thread primitives: std's normally, loom's when
//! the crate is built with `--cfg loom`, so that loom can explore their interleavings.
//!
//! Only the primitives that loom models (sync, queues, channels, the asyncio Future) use
//! these; the loop core keeps std's types.
//
// Maintainer notes: under `--cfg loom` (only), every primitive's lock goes through `lock`
// below, which counts the locks the current loom thread holds; the models' counting wakers
// read that count (`crate::__loom::locks_held`) on every clone, drop and wake, and fail if
// it is not 0: the waitlist's rule 5 (no waker dropped or woken under a primitive's lock),
// checked over every interleaving loom explores. The normal build has none of this: `lock`
// and `MutexGuard` are std's, unchanged.

#[cfg(loom)]
pub(crate) use loom::sync::{atomic, Arc, Mutex};
#[cfg(not(loom))]
pub(crate) use std::sync::{atomic, Arc, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: every critical section in tulipa's primitives leaves its
/// data consistent before anything that can panic.
#[cfg(not(loom))]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Locks `m` as the normal build does, and counts the lock as held by this loom thread
/// until the guard drops.
#[cfg(loom)]
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    let guard = m.lock().unwrap_or_else(|e| e.into_inner());
    HELD.with(|n| n.set(n.get() + 1));
    MutexGuard { guard }
}

#[cfg(loom)]
loom::thread_local! {
    /// How many primitive locks this loom thread holds (loom's thread-locals are per loom
    /// thread; std's would be shared by all the threads of a model).
    static HELD: std::cell::Cell<usize> = std::cell::Cell::new(0);
}

/// A held primitive lock: loom's guard, which uncounts itself when dropped.
#[cfg(loom)]
pub(crate) struct MutexGuard<'a, T> {
    guard: loom::sync::MutexGuard<'a, T>,
}

#[cfg(loom)]
impl<T> std::ops::Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

#[cfg(loom)]
impl<T> std::ops::DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

#[cfg(loom)]
impl<T> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        // Uncounted just before loom's guard (a field) unlocks: nothing runs in between.
        HELD.with(|n| n.set(n.get() - 1));
    }
}

/// How many of tulipa's primitive locks the current loom thread holds: 0 wherever a waker
/// may be cloned, dropped or woken (the waitlist's rule 5). Only under `--cfg loom`, for the
/// loom models' counting wakers; there is no doctest because doctests are not built with
/// that cfg (tests/loom_sync.rs and its siblings are the examples).
#[cfg(loom)]
pub fn locks_held() -> usize {
    HELD.with(|n| n.get())
}
