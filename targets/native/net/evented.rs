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
// 3. Guard against a readiness bit that cannot be cleared (a workaround until the reactor
//    clears ERROR readiness on WouldBlock; see the note on `SpinGuard`): if the operation
//    says WouldBlock twice within one `poll_io` call, readiness did not clear, so `poll_io`
//    would spin forever without returning. The second WouldBlock becomes a `SpinGuard`
//    error, which `poll` turns into "wake me again and return Pending": the task yields to
//    the loop each turn instead of hanging it. Nothing is retried here (rule 1 holds).
// 4. Drop deregisters the source from mio before the field drops close the descriptor
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
        let mut blocked = false;
        let r = self.registration.poll_io(cx, dir, || match op(source) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if blocked {
                    return Err(io::Error::other(SpinGuard)); // rule 3
                }
                blocked = true;
                Err(e)
            }
            other => other,
        });
        match r {
            Poll::Ready(Err(e)) if e.get_ref().is_some_and(|e| e.is::<SpinGuard>()) => {
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            other => other,
        }
    }
}

/// Rule 3's marker. When it fires: a datagram socket got an asynchronous error (an ICMP
/// "port unreachable" makes epoll report EPOLLERR); the operation returned that error once,
/// but the reactor keeps the ERROR bit set for good (`clear_readiness` keeps closed and
/// error bits), so the direction looks ready forever while the socket says WouldBlock.
/// The fix belongs in the reactor: clear ERROR on WouldBlock (a pending socket error is
/// returned by the operation before WouldBlock, so WouldBlock proves none is pending).
#[derive(Debug)]
struct SpinGuard;

impl std::fmt::Display for SpinGuard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("readiness did not clear after WouldBlock")
    }
}

impl std::error::Error for SpinGuard {}

impl<S: Source> Drop for Evented<S> {
    fn drop(&mut self) {
        // Rule 4. An error here means the descriptor was not registered any more (for
        // example the epoll instance is gone); closing it is still right.
        let _ = self.registration.deregister(&mut self.source);
    }
}

impl<S: Source + std::fmt::Debug> std::fmt::Debug for Evented<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.source.fmt(f)
    }
}
