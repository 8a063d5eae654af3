//! An in-memory transport pair: a loopback pipe with flow control, on every target.
//!
//! [`pair`] connects two protocols as if by a socket: what one end writes the other
//! receives, half-close, close, abort and pause/resume reading behave as on a socket, and
//! the writer's buffer is the data its peer has not consumed yet, so a peer that pauses
//! reading makes the writer's `pause_writing` fire at the high watermark. It needs no OS
//! and no network, which makes it the way to test protocols and streams everywhere (in the
//! browser too) and to connect two components of one program.
//!
//! ```
//! use std::{cell::RefCell, rc::Rc};
//! use tulipa::transports::{memory, Protocol, Transport};
//!
//! #[derive(Default)]
//! struct Log(Rc<RefCell<Vec<String>>>);
//! impl Protocol for Log {
//!     fn data_received(&mut self, d: &[u8]) {
//!         self.0.borrow_mut().push(String::from_utf8_lossy(d).into());
//!     }
//!     fn eof_received(&mut self) -> bool {
//!         self.0.borrow_mut().push("eof".into());
//!         false
//!     }
//!     fn connection_lost(&mut self, e: Option<std::io::Error>) {
//!         self.0.borrow_mut().push(format!("lost {}", e.is_some()));
//!     }
//! }
//!
//! tulipa::run(async {
//!     let log = Rc::new(RefCell::new(Vec::new()));
//!     let (a, _b) = memory::pair(Log::default(), Log(log.clone()));
//!     a.write(b"hi");
//!     a.close();
//!     tulipa::sleep(std::time::Duration::from_millis(1)).await;
//!     assert_eq!(*log.borrow(), ["hi", "eof", "lost false"]);
//! });
//! ```
//
// Maintainer notes: the protocol.
//
// A `Pair` holds both ends' dispatchers and, in one `RefCell`, both ends' state. End `i`'s
// `incoming` is what end `1 - i` wrote and end `i` has not consumed: it is end `1 - i`'s
// write buffer. One driver task per pair delivers everything.
//
// 1. Transport methods (any task or callback) change the state, take the driver's waker,
//    release the borrow, then wake it; the only callback they make is pause/resume writing,
//    through `Dispatcher::call` (deferred if the protocol is inside a callback).
// 2. The driver stores its waker first, then for each end, repeatedly: a peer reset →
//    `connection_lost(ConnectionReset)`; data while reading → `data_received` (then
//    maybe the writer's `resume_writing`); incoming drained and peer EOF → `eof_received`
//    (`false` closes this end); closing and own output consumed → `connection_lost(None)`.
//    Each step releases the state borrow before calling the protocol.
// 3. A step budget per poll keeps one busy pair from hogging the loop; when it is spent the
//    driver wakes itself and yields.
// 4. The driver ends when both ends are lost. If it is dropped before that (the loop is
//    torn down), it drops both protocols, which breaks their cycles with the transports.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Poll, Waker};

use super::dispatch::{Callbacks, Dispatcher};
use super::flow::{Flow, WaterMarks};
use super::traits::{IntoProtocol, Transport};
use super::TransportAddr;

/// Steps (deliveries) per driver poll before it yields to other tasks.
const BUDGET: usize = 64;

/// One end of an in-memory pair (see [`pair`]).
pub struct MemoryTransport {
    pair: Rc<Pair>,
    side: usize,
}

struct Pair {
    id: u64,
    protos: [Dispatcher<dyn Callbacks>; 2],
    state: RefCell<State>,
}

#[derive(Default)]
struct State {
    ends: [End; 2],
    waker: Option<Waker>,
}

#[derive(Default)]
struct End {
    /// Written by the peer, not yet delivered: the peer's write buffer.
    incoming: VecDeque<Vec<u8>>,
    incoming_len: usize,
    /// The peer half-closed (or closed): deliver EOF once `incoming` is empty.
    peer_eof: bool,
    eof_delivered: bool,
    /// The peer aborted: this end's connection is reset.
    reset: bool,
    paused: bool,
    closing: bool,
    eof_written: bool,
    /// `connection_lost` was delivered (or is being).
    lost: bool,
    /// An error to report with `connection_lost` (a write to a closed peer).
    error: Option<io::ErrorKind>,
    marks: WaterMarks,
}

/// Connects two protocols through an in-memory pipe and returns their transports. Both
/// `connection_made` calls happen before this returns (`a`'s first); data, EOF and
/// `connection_lost` are delivered by a task on the current loop.
///
/// The pair lives until it is closed: a protocol that keeps its transport (the usual
/// pattern) and the pair, which owns both protocols, keep each other alive. Close both
/// ends when done ([`Transport::close`](crate::transports::Transport::close) or
/// [`Transport::abort`](crate::transports::Transport::abort)), or their memory stays
/// allocated.
///
/// # Panics
///
/// Outside a running tulipa loop.
///
/// ```
/// use tulipa::transports::{memory, Protocol, Transport};
/// struct Quiet;
/// impl Protocol for Quiet {}
/// tulipa::run(async {
///     let (a, b) = memory::pair(Quiet, Quiet);
///     assert_ne!(a.local_addr(), b.local_addr());
///     assert_eq!(a.peer_addr(), b.local_addr());
/// });
/// ```
#[track_caller]
pub fn pair(
    a: impl IntoProtocol,
    b: impl IntoProtocol,
) -> (Rc<MemoryTransport>, Rc<MemoryTransport>) {
    static IDS: AtomicU64 = AtomicU64::new(0);
    let pair = Rc::new(Pair {
        id: IDS.fetch_add(1, Ordering::Relaxed),
        protos: [
            Dispatcher::new(a.into_callbacks()),
            Dispatcher::new(b.into_callbacks()),
        ],
        state: RefCell::new(State::default()),
    });
    crate::spawn_local(drive(Rc::clone(&pair))).detach();
    let ta = Rc::new(MemoryTransport {
        pair: Rc::clone(&pair),
        side: 0,
    });
    let tb = Rc::new(MemoryTransport {
        pair: Rc::clone(&pair),
        side: 1,
    });
    let (da, db): (Rc<dyn Transport>, Rc<dyn Transport>) = (ta.clone(), tb.clone());
    pair.protos[0].with(|p| p.connection_made(da));
    pair.protos[1].with(|p| p.connection_made(db));
    (ta, tb)
}

impl Pair {
    /// Rule 1: changes the state of end `side` (and its peer), then wakes the driver.
    fn update<R>(&self, f: impl FnOnce(&mut End, &mut End) -> R) -> R {
        let (out, waker) = {
            let mut st = self.state.borrow_mut();
            let [e0, e1] = &mut st.ends;
            let out = f(e0, e1);
            (out, st.waker.take())
        };
        if let Some(w) = waker {
            w.wake();
        }
        out
    }

    fn flow(&self, side: usize, flow: Option<Flow>) {
        match flow {
            Some(Flow::Pause) => self.protos[side].call(|p| p.pause_writing()),
            Some(Flow::Resume) => self.protos[side].call(|p| p.resume_writing()),
            None => {}
        }
    }

    /// Rule 2: one delivery step for end `side`; `false` if there was nothing to do.
    fn step(&self, side: usize) -> bool {
        let peer = 1 - side;
        enum Action {
            Lost(Option<io::Error>),
            Data(Vec<u8>, Option<Flow>),
            Eof,
        }
        let action = {
            let mut st = self.state.borrow_mut();
            let [e0, e1] = &mut st.ends;
            let (me, other) = if side == 0 { (e0, e1) } else { (e1, e0) };
            if me.lost {
                return false;
            }
            if me.reset {
                me.lost = true;
                me.closing = true;
                me.incoming.clear();
                me.incoming_len = 0;
                Action::Lost(Some(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "the peer aborted the connection",
                )))
            } else if let Some(kind) = me.error.take() {
                me.lost = true;
                me.closing = true;
                me.incoming.clear();
                me.incoming_len = 0;
                other.incoming.clear();
                other.incoming_len = 0;
                Action::Lost(Some(io::Error::new(kind, "the peer closed the connection")))
            } else if !me.paused && !me.closing && !me.incoming.is_empty() {
                let chunk = me.incoming.pop_front().unwrap_or_default();
                me.incoming_len -= chunk.len();
                let flow = other.marks.check(me.incoming_len);
                Action::Data(chunk, flow)
            } else if me.incoming.is_empty() && me.peer_eof && !me.eof_delivered && !me.closing {
                me.eof_delivered = true;
                Action::Eof
            } else if me.closing && (other.incoming.is_empty() || other.lost) {
                me.lost = true;
                other.peer_eof = true;
                Action::Lost(None)
            } else {
                return false;
            }
        };
        match action {
            Action::Lost(e) => {
                // The peer may be waiting for this end to consume its output or to close.
                self.protos[side].lose(e);
            }
            Action::Data(chunk, flow) => {
                self.protos[side].with(|p| p.data_received(&chunk));
                self.flow(peer, flow);
            }
            Action::Eof => {
                let keep = self.protos[side]
                    .with(|p| p.eof_received())
                    .unwrap_or(false);
                if !keep {
                    self.close(side);
                }
            }
        }
        true
    }

    fn close(&self, side: usize) {
        let flow = self.update(|e0, e1| {
            let (me, other) = if side == 0 { (e0, e1) } else { (e1, e0) };
            if me.closing {
                return None;
            }
            me.closing = true;
            // Unread input is dropped, which drains the peer's write buffer.
            me.incoming.clear();
            me.incoming_len = 0;
            other.marks.check(0)
        });
        self.flow(1 - side, flow);
    }

    fn all_lost(&self) -> bool {
        let st = self.state.borrow();
        st.ends[0].lost && st.ends[1].lost
    }
}

/// Rules 2–4: the pair's driver task.
fn drive(pair: Rc<Pair>) -> impl std::future::Future<Output = ()> {
    struct Teardown(Rc<Pair>);
    impl Drop for Teardown {
        fn drop(&mut self) {
            for p in &self.0.protos {
                p.discard();
            }
        }
    }
    // Made before the first poll, so that a driver dropped unpolled (its runtime torn
    // down in the poll that started it) still breaks the cycle.
    let guard = Teardown(pair);
    async move {
        let guard = guard;
        let pair = &guard.0;
        poll_fn(|cx| {
            pair.state.borrow_mut().waker = Some(cx.waker().clone());
            let mut steps = 0;
            loop {
                let progressed = pair.step(0) | pair.step(1);
                if pair.all_lost() {
                    return Poll::Ready(());
                }
                if !progressed {
                    return Poll::Pending;
                }
                steps += 1;
                if steps >= BUDGET {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
        })
        .await;
    }
}

impl Transport for MemoryTransport {
    fn write(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let side = self.side;
        let flow = self.pair.update(|e0, e1| {
            let (me, other) = if side == 0 { (e0, e1) } else { (e1, e0) };
            if me.closing || me.eof_written {
                return None;
            }
            if other.closing {
                // Like a socket whose peer is gone: the write fails, the connection breaks.
                me.error.get_or_insert(io::ErrorKind::BrokenPipe);
                return None;
            }
            other.incoming.push_back(data.to_vec());
            other.incoming_len += data.len();
            me.marks.check(other.incoming_len)
        });
        self.pair.flow(side, flow);
    }

    fn write_eof(&self) -> io::Result<()> {
        let side = self.side;
        self.pair.update(|e0, e1| {
            let (me, other) = if side == 0 { (e0, e1) } else { (e1, e0) };
            if !me.closing {
                me.eof_written = true;
                other.peer_eof = true;
            }
        });
        Ok(())
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn close(&self) {
        self.pair.close(self.side);
    }

    fn abort(&self) {
        let side = self.side;
        self.pair.update(|e0, e1| {
            let (me, other) = if side == 0 { (e0, e1) } else { (e1, e0) };
            if me.lost {
                return;
            }
            me.closing = true;
            me.incoming.clear();
            me.incoming_len = 0;
            // In-flight data is lost, and the peer sees a reset.
            other.incoming.clear();
            other.incoming_len = 0;
            if !other.lost {
                other.reset = true;
            }
        });
    }

    fn is_closing(&self) -> bool {
        let st = self.pair.state.borrow();
        let me = &st.ends[self.side];
        me.closing || me.lost || me.reset
    }

    fn pause_reading(&self) {
        let side = self.side;
        self.pair.update(|e0, e1| {
            let me = if side == 0 { e0 } else { e1 };
            me.paused = true;
        });
    }

    fn resume_reading(&self) {
        let side = self.side;
        self.pair.update(|e0, e1| {
            let me = if side == 0 { e0 } else { e1 };
            me.paused = false;
        });
    }

    fn is_reading(&self) -> bool {
        let st = self.pair.state.borrow();
        let me = &st.ends[self.side];
        !me.paused && !me.closing && !me.lost && !me.reset
    }

    #[track_caller]
    fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>) {
        let side = self.side;
        let flow = self.pair.update(|e0, e1| {
            let (me, other) = if side == 0 { (e0, e1) } else { (e1, e0) };
            me.marks.set(high, low);
            me.marks.check(other.incoming_len)
        });
        self.pair.flow(side, flow);
    }

    fn write_buffer_limits(&self) -> (usize, usize) {
        self.pair.state.borrow().ends[self.side].marks.limits()
    }

    fn write_buffer_size(&self) -> usize {
        self.pair.state.borrow().ends[1 - self.side].incoming_len
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        Some(self.addr(1 - self.side))
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        Some(self.addr(self.side))
    }
}

impl MemoryTransport {
    fn addr(&self, side: usize) -> TransportAddr {
        TransportAddr::Other(format!("memory:{}/{}", self.pair.id, side))
    }
}

impl fmt::Debug for MemoryTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryTransport")
            .field("pair", &self.pair.id)
            .field("side", &self.side)
            .field("closing", &self.is_closing())
            .finish()
    }
}
