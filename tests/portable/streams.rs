//! Portable tests: streams (in progress).
