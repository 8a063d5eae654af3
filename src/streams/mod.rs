//! Streams over any transport (in progress).
