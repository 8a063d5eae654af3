//! Synchronization primitives (in progress).
