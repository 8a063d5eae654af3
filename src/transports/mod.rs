//! Transports and protocols (in progress).
