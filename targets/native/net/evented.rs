//! `Evented`: a mio source plus its reactor registration; the one place the socket types
//! reach the reactor.
//
// Maintainer notes.
//
// 1. Every I/O call of every socket type goes through `Evented::poll_read` or
//    `Evented::poll_write`, which are `Registration::poll_io` in one direction: try the
//    operation, and on `WouldBlock` clear that direction's readiness (tick-checked) and wait
//    for the next event. There is no other retry loop in `net/`.
// 2. mio is edge-triggered: `poll_io` only parks after an operation returned `WouldBlock`,
//    so a caller that keeps calling until it gets `Pending` drains the socket. One task per
//    direction at a time: the registration keeps one waker per direction, so a second
//    concurrent reader (or writer) would replace the first one's waker.
// 3. Drop deregisters the source from mio before the field drops close the descriptor
//    (then the `Registration` drop frees the reactor slot), so no event for a reused
//    descriptor number can reach the slot.

use std::io;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Interest;

use crate::sys::reactor::{self, Direction, Registration};

pub(crate) struct Evented<S: Source> {
    source: S,
    registration: Registration,
}

impl<S: Source> Evented<S> {
    /// Registers `source` with the reactor of the runtime running on this thread.
    pub(crate) fn new(mut source: S, interest: Interest) -> io::Result<Evented<S>> {
        let reactor = reactor::current()?;
        let registration = reactor.register(&mut source, interest)?;
        Ok(Evented {
            source,
            registration,
        })
    }

    pub(crate) fn source(&self) -> &S {
        &self.source
    }

    /// Rule 1: a read-side operation, retried on readiness.
    pub(crate) fn poll_read<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll(cx, Direction::Read, op)
    }

    /// Rule 1: a stream read into a buffer of `len` bytes; a short read counts as draining
    /// the socket (see `Registration::poll_io_short`).
    pub(crate) fn poll_read_stream(
        &self,
        cx: &mut Context<'_>,
        len: usize,
        mut op: impl FnMut(&S) -> io::Result<usize>,
    ) -> Poll<io::Result<usize>> {
        let source = &self.source;
        self.registration
            .poll_io_short(cx, Direction::Read, || op(source), |n| *n > 0 && *n < len)
    }

    /// Rule 1: a write-side operation (also: waiting for a connect to finish).
    pub(crate) fn poll_write<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll(cx, Direction::Write, op)
    }

    fn poll<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        let source = &self.source;
        self.registration.poll_io(cx, dir, || op(source))
    }
}

impl<S: Source> Drop for Evented<S> {
    fn drop(&mut self) {
        // Rule 3. An error here means the descriptor was not registered any more (for
        // example the epoll instance is gone); closing it is still right.
        let _ = self.registration.deregister(&mut self.source);
    }
}

impl<S: Source + std::fmt::Debug> std::fmt::Debug for Evented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}
