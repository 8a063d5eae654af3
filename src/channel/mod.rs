//! Channels (in progress).
