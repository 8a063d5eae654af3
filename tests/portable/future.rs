//! Portable tests: future (in progress).
