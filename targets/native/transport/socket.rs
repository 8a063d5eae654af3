//! `SocketTransport`: a stream socket (TCP, Unix) driven as an asyncio transport.
//
// Maintainer notes: the protocol.
//
// A connection is a `Conn` (shared by the `SocketTransport` handles and the driver task)
// and a driver task that owns the socket. Everything runs on the loop's thread.
//
// 1. Transport methods only change `ConnState` (queue data, set flags) and wake the driver;
//    they never touch the socket. The only callbacks they make are pause/resume writing,
//    through `Dispatcher::call` (deferred if the protocol is inside a callback).
// 2. The driver stores its waker in the state, then: writes the queue (gathering writes)
//    until it is empty or the socket says WouldBlock (the reactor then holds the waker for
//    the write direction); sends FIN once the queue is empty after `write_eof`; reads while
//    reading is on, into the protocol's buffer, until WouldBlock (edge-triggered: drained),
//    EOF or the per-poll budget (then it wakes itself and yields).
// 3. A read or write error, `abort`, or `close` with the queue flushed ends the connection:
//    the driver drops the socket (deregistering and closing the descriptor), then calls
//    `connection_lost` (with the error, if any), then drops the protocol. Exactly once.
// 3a. While the driver runs (`driving`), transport methods called from the protocol's
//    callbacks do not wake it (a wasted poll); they set `poked`, and the driver makes
//    another pass before it parks. So data written in `data_received` goes out in the same
//    poll that read the request.
// 4. No `ConnState` borrow is held while calling the protocol or waking a waker; the
//    protocol is borrowed only by the driver's calls (`Dispatcher::with`).
// 5. If the driver is dropped unfinished (the runtime is torn down), its guard drops the
//    protocol, breaking the protocol ↔ transport cycle. The guard exists before the
//    driver's first poll: a driver dropped unpolled must break the cycle too.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::transports::dispatch::{Callbacks, Dispatcher};
use crate::transports::flow::{Flow, WaterMarks};
use crate::transports::{Transport, TransportAddr};

/// Reads per driver poll before it yields to other tasks.
const READ_BUDGET: usize = 16;
/// Passes (write, read) per driver poll before it yields to other tasks.
const MAX_PASSES: usize = 8;
/// Buffers per gathering write.
const MAX_IOV: usize = 64;
/// Small writes are appended to the last queued buffer up to this size (fewer iovecs).
const COALESCE: usize = 16 * 1024;

/// What the driver needs from a stream socket (TCP, Unix): non-blocking I/O through the
/// reactor, half-close, addresses.
pub(crate) trait StreamSock: 'static {
    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;
    fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;
    fn shutdown_write(&self) -> io::Result<()>;
    fn peer(&self) -> Option<TransportAddr>;
    fn local(&self) -> Option<TransportAddr>;
}

impl StreamSock for crate::sys::net::TcpStream {
    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        crate::sys::net::TcpStream::poll_recv(self, cx, buf)
    }
    fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        crate::sys::net::TcpStream::poll_send_vectored(self, cx, bufs)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
    fn peer(&self) -> Option<TransportAddr> {
        self.peer_addr().ok().map(TransportAddr::Inet)
    }
    fn local(&self) -> Option<TransportAddr> {
        self.local_addr().ok().map(TransportAddr::Inet)
    }
}

fn unix_addr(a: std::os::unix::net::SocketAddr) -> TransportAddr {
    TransportAddr::Unix(a.as_pathname().map(|p| p.to_path_buf()))
}

impl StreamSock for crate::sys::net::UnixStream {
    fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        crate::sys::net::UnixStream::poll_recv(self, cx, buf)
    }
    fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        crate::sys::net::UnixStream::poll_send_vectored(self, cx, bufs)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        self.shutdown(std::net::Shutdown::Write)
    }
    fn peer(&self) -> Option<TransportAddr> {
        self.peer_addr().ok().map(unix_addr)
    }
    fn local(&self) -> Option<TransportAddr> {
        self.local_addr().ok().map(unix_addr)
    }
}

#[derive(Default)]
struct ConnState {
    queue: VecDeque<Vec<u8>>,
    /// Bytes of `queue[0]` already sent.
    sent: usize,
    /// Unsent bytes in `queue`.
    queued: usize,
    marks: WaterMarks,
    paused: bool,
    closing: bool,
    aborted: bool,
    eof_requested: bool,
    eof_sent: bool,
    eof_received: bool,
    lost: bool,
    waker: Option<Waker>,
    /// The driver is inside its poll (rule 3a).
    driving: bool,
    /// The state changed while the driver was running: make another pass.
    poked: bool,
}

impl ConnState {
    /// Rule 1 and 3a: the waker to wake after a change, unless the driver is running.
    fn notify(&mut self) -> Option<Waker> {
        if self.driving {
            self.poked = true;
            None
        } else {
            self.waker.take()
        }
    }
}

pub(crate) struct Conn {
    proto: Dispatcher<dyn Callbacks>,
    state: RefCell<ConnState>,
    peer: Option<TransportAddr>,
    local: Option<TransportAddr>,
    /// Run once after `connection_lost` (a server counts its connections with it).
    on_lost: RefCell<Option<Box<dyn FnOnce()>>>,
}

/// A connected stream socket (TCP or Unix) as an asyncio transport: what
/// `create_connection`, `create_server` and their Unix twins hand to the protocol.
///
/// Writes are queued and sent by the connection's driver task in order, with gathering
/// writes; the write buffer's watermarks drive the protocol's `pause_writing` /
/// `resume_writing`. Reads go into the protocol's buffer ([`BufferedProtocol`]) or a 256 KiB
/// buffer of the transport's for a plain [`Protocol`].
///
/// [`Protocol`]: crate::transports::Protocol
/// [`BufferedProtocol`]: crate::transports::BufferedProtocol
///
/// ```
/// use tulipa::net::{create_connection, TcpListener};
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// tulipa::run(async {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let t = create_connection(|| Quiet, l.local_addr().unwrap()).await.unwrap();
///     assert_eq!(t.peer_addr().unwrap().inet(), Some(l.local_addr().unwrap()));
///     t.write(b"hi");
///     t.close();
/// });
/// ```
pub struct SocketTransport {
    conn: Rc<Conn>,
}

impl SocketTransport {
    /// Starts driving `sock` for `protocol`: spawns the driver and calls `connection_made`
    /// before returning.
    pub(crate) fn start<S: StreamSock>(
        sock: S,
        protocol: Box<dyn Callbacks>,
        on_lost: Option<Box<dyn FnOnce()>>,
    ) -> Rc<SocketTransport> {
        let conn = Rc::new(Conn {
            proto: Dispatcher::new(protocol),
            state: RefCell::new(ConnState::default()),
            peer: sock.peer(),
            local: sock.local(),
            on_lost: RefCell::new(on_lost),
        });
        crate::spawn_local(drive(Rc::clone(&conn), sock)).detach();
        let t = Rc::new(SocketTransport {
            conn: Rc::clone(&conn),
        });
        let dyn_t: Rc<dyn Transport> = t.clone();
        conn.proto.with(|p| p.connection_made(dyn_t));
        t
    }
}

impl SocketTransport {
    /// Hands the connection to a new protocol (asyncio's `set_protocol`), returning the old
    /// one. `connection_made` is not called on the new protocol here; the caller does that.
    /// Fails (handing `new` back) while the current protocol is inside a callback or once
    /// the connection is gone.
    pub(crate) fn replace_protocol(
        &self,
        new: Box<dyn Callbacks>,
    ) -> Result<Box<dyn Callbacks>, Box<dyn Callbacks>> {
        if self.conn.state.borrow().lost {
            return Err(new);
        }
        self.conn.proto.replace(new)
    }
}

impl Conn {
    /// Rule 1.
    fn update<R>(&self, f: impl FnOnce(&mut ConnState) -> R) -> R {
        let (out, waker) = {
            let mut st = self.state.borrow_mut();
            let out = f(&mut st);
            (out, st.notify())
        };
        if let Some(w) = waker {
            w.wake();
        }
        out
    }

    fn flow(&self, flow: Option<Flow>) {
        match flow {
            Some(Flow::Pause) => self.proto.call(|p| p.pause_writing()),
            Some(Flow::Resume) => self.proto.call(|p| p.resume_writing()),
            None => {}
        }
    }
}

enum Step {
    Progress,
    Blocked,
    Done(Option<io::Error>),
}

/// Rule 2: flushes as much of the queue as the socket takes.
fn write_some<S: StreamSock>(conn: &Conn, sock: &S, cx: &mut Context<'_>) -> Step {
    loop {
        let result = {
            let st = conn.state.borrow();
            if st.queue.is_empty() {
                break;
            }
            let mut iov = Vec::with_capacity(st.queue.len().min(MAX_IOV));
            for (i, b) in st.queue.iter().take(MAX_IOV).enumerate() {
                iov.push(IoSlice::new(if i == 0 { &b[st.sent..] } else { b }));
            }
            sock.poll_send_vectored(cx, &iov)
        };
        match result {
            Poll::Pending => return Step::Blocked,
            Poll::Ready(Err(e)) => return Step::Done(Some(e)),
            Poll::Ready(Ok(mut n)) => {
                let flow = {
                    let mut st = conn.state.borrow_mut();
                    st.queued -= n;
                    while n > 0 {
                        let front = st.queue[0].len() - st.sent;
                        if n >= front {
                            n -= front;
                            st.queue.pop_front();
                            st.sent = 0;
                        } else {
                            st.sent += n;
                            n = 0;
                        }
                    }
                    let q = st.queued;
                    st.marks.check(q)
                };
                conn.flow(flow);
            }
        }
    }
    let shutdown = {
        let mut st = conn.state.borrow_mut();
        if st.eof_requested && !st.eof_sent {
            st.eof_sent = true;
            true
        } else {
            false
        }
    };
    if shutdown {
        if let Err(e) = sock.shutdown_write() {
            if e.kind() != io::ErrorKind::NotConnected {
                return Step::Done(Some(e));
            }
        }
    }
    Step::Progress
}

/// Rule 2: reads while reading is on.
fn read_some<S: StreamSock>(conn: &Conn, sock: &S, cx: &mut Context<'_>) -> Step {
    for _ in 0..READ_BUDGET {
        {
            let st = conn.state.borrow();
            if st.paused || st.closing || st.eof_received || st.lost {
                return Step::Blocked;
            }
        }
        let got = conn.proto.with(|p| {
            let buf = p.get_buffer(0);
            assert!(
                !buf.is_empty(),
                "BufferedProtocol::get_buffer returned an empty buffer"
            );
            match sock.poll_recv(cx, buf) {
                Poll::Ready(Ok(n)) if n > 0 => {
                    p.buffer_updated(n);
                    Poll::Ready(Ok(n))
                }
                other => other,
            }
        });
        match got {
            None => return Step::Blocked,
            Some(Poll::Pending) => return Step::Blocked,
            Some(Poll::Ready(Err(e))) => return Step::Done(Some(e)),
            Some(Poll::Ready(Ok(0))) => {
                conn.state.borrow_mut().eof_received = true;
                let keep = conn.proto.with(|p| p.eof_received()).unwrap_or(false);
                if !keep {
                    conn.update(|st| st.closing = true);
                }
                return Step::Progress;
            }
            Some(Poll::Ready(Ok(_))) => {}
        }
    }
    // Budget spent with data still coming: let other tasks run, then go on.
    cx.waker().wake_by_ref();
    Step::Blocked
}

/// Rules 2, 3 and 5: the connection's driver task.
fn drive<S: StreamSock>(conn: Rc<Conn>, sock: S) -> impl std::future::Future<Output = ()> {
    struct Teardown(Rc<Conn>);
    impl Drop for Teardown {
        fn drop(&mut self) {
            self.0.proto.discard();
            let f = self.0.on_lost.borrow_mut().take();
            if let Some(f) = f {
                f();
            }
        }
    }
    // Made before the first poll, so that a driver dropped unpolled (its runtime torn
    // down in the poll that started it) still breaks the cycle.
    let guard = Teardown(conn);
    async move {
        let guard = guard;
        let conn = &guard.0;
        let mut sock = Some(sock);
        let error = poll_fn(|cx| {
            let Some(s) = sock.as_ref() else {
                return Poll::Ready(None);
            };
            {
                let mut st = conn.state.borrow_mut();
                st.waker = Some(cx.waker().clone());
                st.driving = true;
            }
            let mut passes = 0;
            loop {
                passes += 1;
                if passes > MAX_PASSES {
                    // A busy connection (a flood in and out): let other tasks run, then go on.
                    conn.state.borrow_mut().driving = false;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                conn.state.borrow_mut().poked = false;
                if conn.state.borrow().aborted {
                    return Poll::Ready(None);
                }
                let write_blocked = match write_some(conn, s, cx) {
                    Step::Done(e) => return Poll::Ready(e),
                    Step::Blocked => true,
                    Step::Progress => false,
                };
                {
                    let st = conn.state.borrow();
                    if st.closing && st.queue.is_empty() {
                        return Poll::Ready(None);
                    }
                }
                match read_some(conn, s, cx) {
                    Step::Done(e) => return Poll::Ready(e),
                    Step::Progress => continue,
                    Step::Blocked => {}
                }
                // Rule 3a: something a callback did (a write, close, write_eof, abort, resume)
                // needs another pass; a blocked write waits for writability instead.
                let mut st = conn.state.borrow_mut();
                let again = st.aborted
                    || (st.closing && st.queue.is_empty())
                    || (st.eof_requested && !st.eof_sent && st.queue.is_empty())
                    || (!write_blocked && !st.queue.is_empty())
                    || st.poked;
                if !again {
                    st.driving = false;
                    return Poll::Pending;
                }
            }
        })
        .await;
        // Rule 3: close the descriptor first, then tell the protocol.
        drop(sock.take());
        conn.update(|st| {
            st.lost = true;
            st.closing = true;
            st.queue.clear();
            st.queued = 0;
        });
        conn.proto.lose(error);
    }
}

impl Transport for SocketTransport {
    fn write(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let flow = {
            let mut st = self.conn.state.borrow_mut();
            if st.closing || st.eof_requested || st.lost {
                return;
            }
            let was_empty = st.queue.is_empty();
            match st.queue.back_mut() {
                Some(last) if last.len() + data.len() <= COALESCE => last.extend_from_slice(data),
                _ => st.queue.push_back(data.to_vec()),
            }
            st.queued += data.len();
            let q = st.queued;
            let flow = st.marks.check(q);
            // A driver blocked on a non-empty queue is already waiting for writability.
            let waker = if was_empty || st.driving {
                st.notify()
            } else {
                None
            };
            drop(st);
            if let Some(w) = waker {
                w.wake();
            }
            flow
        };
        self.conn.flow(flow);
    }

    fn write_eof(&self) -> io::Result<()> {
        self.conn.update(|st| {
            if !st.closing {
                st.eof_requested = true;
            }
        });
        Ok(())
    }

    fn can_write_eof(&self) -> bool {
        true
    }

    fn close(&self) {
        self.conn.update(|st| st.closing = true);
    }

    fn abort(&self) {
        self.conn.update(|st| {
            st.closing = true;
            st.aborted = true;
        });
    }

    fn is_closing(&self) -> bool {
        let st = self.conn.state.borrow();
        st.closing || st.lost
    }

    fn pause_reading(&self) {
        self.conn.state.borrow_mut().paused = true;
    }

    fn resume_reading(&self) {
        self.conn.update(|st| st.paused = false);
    }

    fn is_reading(&self) -> bool {
        let st = self.conn.state.borrow();
        !st.paused && !st.closing && !st.lost
    }

    #[track_caller]
    fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>) {
        let flow = {
            let mut st = self.conn.state.borrow_mut();
            st.marks.set(high, low);
            let q = st.queued;
            st.marks.check(q)
        };
        self.conn.flow(flow);
    }

    fn write_buffer_limits(&self) -> (usize, usize) {
        self.conn.state.borrow().marks.limits()
    }

    fn write_buffer_size(&self) -> usize {
        self.conn.state.borrow().queued
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        self.conn.peer.clone()
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        self.conn.local.clone()
    }

    /// Besides `"peername"` and `"sockname"`: `"socket_transport"`, this transport as an
    /// `Rc<SocketTransport>` (what `tulipa::tls::start_tls` upgrades).
    fn extra_info(&self, name: &str) -> Option<Box<dyn std::any::Any>> {
        match name {
            "peername" => self
                .peer_addr()
                .map(|a| Box::new(a) as Box<dyn std::any::Any>),
            "sockname" => self
                .local_addr()
                .map(|a| Box::new(a) as Box<dyn std::any::Any>),
            "socket_transport" => Some(Box::new(Rc::new(SocketTransport {
                conn: Rc::clone(&self.conn),
            }))),
            _ => None,
        }
    }
}

impl fmt::Debug for SocketTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketTransport")
            .field("peer", &self.conn.peer)
            .field("local", &self.conn.local)
            .field("buffered", &self.write_buffer_size())
            .field("closing", &self.is_closing())
            .finish()
    }
}
