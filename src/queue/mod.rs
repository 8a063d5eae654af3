//! Queues (in progress).
