//! The I/O reactor: mio registrations, per-direction readiness with ticks, and `poll_io`,
//! the one retry helper every I/O type goes through.
//
// Maintainer notes: the protocol.
//
// Each registered source has a `ScheduledIo` (behind an `Arc`, shared by the reactor's slab
// and the owning `Registration`) holding, under one mutex: the readiness bits, a tick, and
// one waker per direction.
//
// 1. The loop's thread parks in `mio::Poll`; for each event, `Reactor::dispatch` ORs the
//    event's readiness into the bits, bumps the tick, and takes the wakers of the directions
//    that became ready; it wakes them after unlocking.
// 2. An I/O operation (`Registration::poll_io`) first waits until its direction is ready
//    (`poll_ready`, which stores the task's waker if not), then tries the operation. On
//    `WouldBlock` it clears the direction's bits (closed and error bits too: see
//    `clear_readiness`), but only if the tick is still the one it saw as ready: an event
//    that arrived in between bumped the tick, so the clear is skipped and no readiness is
//    lost (async-io's and tokio's rule). Then it
//    loops and waits again. mio is edge-triggered, so an operation must be retried until
//    `WouldBlock` before waiting again; callers keep draining while data comes.
// 3. Tokens carry a generation in their high bits, so an event for a slab slot that was
//    freed and reused never reaches the new owner.
// 4. Dropping a `Registration` removes its slot; the owner deregisters the source from mio
//    before closing it (the I/O types do this in their Drop).

use std::io;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use mio::event::Source;
use mio::{Events, Interest, Registry, Token};
use slab::Slab;

use crate::scheduler::lock;

const READABLE: u8 = 1;
const WRITABLE: u8 = 2;
const READ_CLOSED: u8 = 4;
const WRITE_CLOSED: u8 = 8;
const ERROR: u8 = 16;

/// Which half of a source an operation waits on.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Direction {
    Read,
    Write,
}

impl Direction {
    /// The readiness bits that let an operation in this direction make progress (a closed or
    /// failed source is "ready": the operation then reports EOF or the error).
    fn mask(self) -> u8 {
        match self {
            Direction::Read => READABLE | READ_CLOSED | ERROR,
            Direction::Write => WRITABLE | WRITE_CLOSED | ERROR,
        }
    }

    fn index(self) -> usize {
        match self {
            Direction::Read => 0,
            Direction::Write => 1,
        }
    }
}

#[derive(Default)]
struct IoState {
    readiness: u8,
    tick: u32,
    wakers: [Option<Waker>; 2],
}

#[derive(Default)]
struct ScheduledIo {
    state: Mutex<IoState>,
}

/// The part of a native runtime that owns registrations and turns events into wakeups.
pub(crate) struct Reactor {
    registry: Registry,
    ios: Mutex<Slab<(u32, Arc<ScheduledIo>)>>,
    generation: Mutex<u32>,
}

impl Reactor {
    pub(crate) fn new(registry: Registry) -> Reactor {
        Reactor {
            registry,
            ios: Mutex::new(Slab::new()),
            generation: Mutex::new(0),
        }
    }

    /// Rule 1: records the readiness of every event and wakes the tasks waiting on it.
    pub(crate) fn dispatch(&self, events: &Events, skip: Token) {
        let mut wake = Vec::new();
        {
            let ios = lock(&self.ios);
            for event in events.iter() {
                if event.token() == skip {
                    continue;
                }
                let (key, generation) = split_token(event.token());
                let Some((g, io)) = ios.get(key) else {
                    continue;
                };
                if *g != generation {
                    continue; // Rule 3: a stale event for a reused slot.
                }
                let mut bits = 0;
                if event.is_readable() {
                    bits |= READABLE;
                }
                if event.is_writable() {
                    bits |= WRITABLE;
                }
                if event.is_read_closed() {
                    bits |= READ_CLOSED;
                }
                if event.is_write_closed() {
                    bits |= WRITE_CLOSED;
                }
                if event.is_error() {
                    bits |= ERROR;
                }
                let mut st = lock(&io.state);
                st.readiness |= bits;
                st.tick = st.tick.wrapping_add(1);
                for dir in [Direction::Read, Direction::Write] {
                    if bits & dir.mask() != 0 {
                        if let Some(w) = st.wakers[dir.index()].take() {
                            wake.push(w);
                        }
                    }
                }
            }
        }
        for w in wake {
            w.wake();
        }
    }

    /// Registers `source` for `interest`.
    pub(crate) fn register(
        self: &Arc<Self>,
        source: &mut impl Source,
        interest: Interest,
    ) -> io::Result<Registration> {
        let generation = {
            let mut g = lock(&self.generation);
            *g = g.wrapping_add(1);
            *g
        };
        let io = Arc::new(ScheduledIo::default());
        let key = lock(&self.ios).insert((generation, Arc::clone(&io)));
        let token = make_token(key, generation);
        if let Err(e) = self.registry.register(source, token, interest) {
            lock(&self.ios).remove(key);
            return Err(e);
        }
        Ok(Registration {
            reactor: Arc::clone(self),
            io,
            key,
        })
    }

    /// Live registrations (for leak checks in tests).
    #[cfg(test)]
    pub(crate) fn registrations(&self) -> usize {
        lock(&self.ios).len()
    }
}

fn make_token(key: usize, generation: u32) -> Token {
    Token(((generation as usize) << 32) | (key & 0xffff_ffff))
}

fn split_token(token: Token) -> (usize, u32) {
    (token.0 & 0xffff_ffff, (token.0 >> 32) as u32)
}

/// A source's registration with its runtime's reactor: readiness, wakers, and `poll_io`.
pub(crate) struct Registration {
    reactor: Arc<Reactor>,
    io: Arc<ScheduledIo>,
    key: usize,
}

impl Registration {
    /// Waits until `dir` is ready; returns the tick that made it so.
    pub(crate) fn poll_ready(&self, cx: &mut Context<'_>, dir: Direction) -> Poll<u32> {
        let mut st = lock(&self.io.state);
        if st.readiness & dir.mask() != 0 {
            return Poll::Ready(st.tick);
        }
        match &mut st.wakers[dir.index()] {
            Some(w) if w.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// Rule 2: forgets that `dir` is ready, unless an event came after `tick`.
    pub(crate) fn clear_readiness(&self, dir: Direction, tick: u32) {
        let mut st = lock(&self.io.state);
        if st.tick == tick {
            // WouldBlock proves the direction has nothing to report right now, closed and
            // error bits included: a closed half answers EOF or an error, never WouldBlock,
            // and a pending socket error is returned before WouldBlock (then consumed). So
            // all of the direction's bits go; keeping the error bit would make a UDP socket
            // that once got an ICMP error look ready forever and spin the loop.
            st.readiness &= !dir.mask();
        }
    }

    /// The retry helper: waits for `dir`, runs `op`, and on `WouldBlock` clears readiness
    /// and waits again. Every I/O call of every native I/O type goes through here (or
    /// through [`poll_io_short`](Self::poll_io_short), the same loop).
    pub(crate) fn poll_io<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        op: impl FnMut() -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        self.poll_io_short(cx, dir, op, |_| false)
    }

    /// [`poll_io`](Self::poll_io) for stream reads: a read that returned fewer bytes than
    /// asked for (`short`) drained the socket, so the direction's plain readiness is cleared
    /// at once (tick-checked; closed and error bits stay, so a FIN that came with the data is
    /// still seen). The next read then waits for the next event instead of paying a syscall
    /// for `WouldBlock`, and a driver that reads "until `Pending`" yields to other
    /// connections after each short read (tokio's rule; it keeps latency fair under load).
    pub(crate) fn poll_io_short<R>(
        &self,
        cx: &mut Context<'_>,
        dir: Direction,
        mut op: impl FnMut() -> io::Result<R>,
        short: impl Fn(&R) -> bool,
    ) -> Poll<io::Result<R>> {
        // Every socket, pipe and pidfd operation passes here: one unit of the task's
        // cooperative budget each (see `coop`), taken before anything is tried.
        let unit = std::task::ready!(crate::coop::poll_proceed(cx));
        loop {
            let tick = match self.poll_ready(cx, dir) {
                Poll::Ready(t) => t,
                Poll::Pending => return Poll::Pending,
            };
            match op() {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => self.clear_readiness(dir, tick),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Ok(r) => {
                    if short(&r) {
                        self.clear_plain_readiness(dir, tick);
                    }
                    unit.made_progress();
                    return Poll::Ready(Ok(r));
                }
                Err(e) => {
                    unit.made_progress();
                    return Poll::Ready(Err(e));
                }
            }
        }
    }

    /// Forgets the plain readable/writable bit of `dir` (closed and error bits stay), unless
    /// an event came after `tick`.
    fn clear_plain_readiness(&self, dir: Direction, tick: u32) {
        let plain = match dir {
            Direction::Read => READABLE,
            Direction::Write => WRITABLE,
        };
        let mut st = lock(&self.io.state);
        if st.tick == tick {
            st.readiness &= !plain;
        }
    }

    /// Removes the source from mio (call before closing it).
    pub(crate) fn deregister(&self, source: &mut impl Source) -> io::Result<()> {
        self.reactor.registry.deregister(source)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // Rule 4. The wakers go with the `ScheduledIo` when its last `Arc` drops (here).
        let removed = lock(&self.reactor.ios).try_remove(self.key);
        drop(removed);
    }
}

thread_local! {
    static CURRENT: std::cell::RefCell<Option<Arc<Reactor>>> = const { std::cell::RefCell::new(None) };
}

/// Makes `reactor` the one new I/O objects on this thread register with, until the guard
/// drops (set by `block_on`).
pub(crate) fn enter(reactor: Arc<Reactor>) -> impl Drop {
    struct Guard(Option<Arc<Reactor>>);
    impl Drop for Guard {
        fn drop(&mut self) {
            let prev = self.0.take();
            CURRENT.with(|c| *c.borrow_mut() = prev);
        }
    }
    Guard(CURRENT.with(|c| c.borrow_mut().replace(reactor)))
}

/// The reactor of the runtime running on this thread.
pub(crate) fn current() -> io::Result<Arc<Reactor>> {
    CURRENT.with(|c| c.borrow().clone()).ok_or_else(|| {
        io::Error::other(
            "no tulipa runtime on this thread: create I/O objects inside tulipa::run or \
             Runtime::block_on",
        )
    })
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};

    use super::*;

    #[test]
    fn reads_wait_for_readiness_then_see_eof() {
        let rt = crate::Runtime::new().unwrap();
        rt.block_on(async {
            let reactor = current().unwrap();
            let (mut a, mut b) = mio::net::UnixStream::pair().unwrap();
            let reg = Arc::new(reactor.register(&mut a, Interest::READABLE).unwrap());
            assert_eq!(reactor.registrations(), 1);
            let a = Arc::new(a);
            let reader = {
                let (reg, a) = (Arc::clone(&reg), Arc::clone(&a));
                crate::spawn(async move {
                    let mut buf = [0u8; 16];
                    let mut got = Vec::new();
                    loop {
                        let n = std::future::poll_fn(|cx| {
                            reg.poll_io(cx, Direction::Read, || (&*a).read(&mut buf))
                        })
                        .await
                        .unwrap();
                        if n == 0 {
                            return got;
                        }
                        got.extend_from_slice(&buf[..n]);
                    }
                })
            };
            crate::yield_now().await; // the reader finds nothing and parks
            assert!(!reader.is_finished());
            b.write_all(b"hello").unwrap();
            drop(b); // EOF: read-closed readiness stays set, reads return 0
            assert_eq!(reader.await.unwrap(), b"hello");
            let mut a = Arc::try_unwrap(a).unwrap();
            reg.deregister(&mut a).unwrap();
            drop(reg);
            assert_eq!(reactor.registrations(), 0);
        });
    }

    #[test]
    fn tokens_carry_generations() {
        let t = make_token(5, 9);
        assert_eq!(split_token(t), (5, 9));
        assert_ne!(make_token(5, 9), make_token(5, 10));
    }
}
