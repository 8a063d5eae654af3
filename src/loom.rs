//! The synchronization types of the cross-thread primitives: std's normally, loom's when
//! the crate is built with `--cfg loom`, so that loom can explore their interleavings.
//!
//! Only the primitives that loom models (sync, queues, channels, the asyncio Future) use
//! these; the loop core keeps std's types.

#[cfg(loom)]
pub(crate) use loom::sync::{atomic, Arc, Mutex, MutexGuard};
#[cfg(not(loom))]
pub(crate) use std::sync::{atomic, Arc, Mutex, MutexGuard};

/// Locks `m`, ignoring poisoning: every critical section in tulipa's primitives leaves its
/// data consistent before anything that can panic.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
