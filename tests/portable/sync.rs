//! Portable tests: sync (in progress).
