//! Portable tests: taskgroup (in progress).
