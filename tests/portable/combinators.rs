//! Portable tests: combinators (in progress).
