//! Portable tests: channel (in progress).
