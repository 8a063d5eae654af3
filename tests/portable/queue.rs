//! Portable tests: queue (in progress).
