//! UDP and Unix-domain datagram endpoints as asyncio datagram transports.
//
// Maintainer notes: the protocol.
//
// Like `socket.rs`: an `Endpoint` shared by the transport handles and one driver task that
// owns the socket.
//
// 1. `sendto` queues the datagram and wakes the driver; flow control counts queued bytes.
// 2. The driver sends queued datagrams until WouldBlock; a failed send (EMSGSIZE, refused)
//    goes to `error_received` and the datagram is dropped, as in asyncio. It receives while
//    not closing, into a 64 KiB buffer (the largest UDP payload fits; a Unix endpoint grows
//    it to fit a longer datagram, so no message is ever cut), until WouldBlock or
//    a budget; receive errors (a connected socket's ICMP "port unreachable") go to
//    `error_received` and the endpoint goes on.
// 3. `close` ends it once the queue is sent, `abort` at once: the socket is dropped, then
//    `connection_lost(None)`, then the protocol is dropped.
// 4. No state borrow is held across a protocol call or a wake.
// 5. UDP and Unix datagram sockets differ only in their addresses: `Sock` and `Target`
//    carry the difference; a datagram addressed to the other family is refused at `sendto`
//    (to `error_received`), never queued.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use crate::sys::net::{UdpSocket, UnixDatagram};
use crate::transports::dispatch::Dispatcher;
use crate::transports::flow::{Flow, WaterMarks};
use crate::transports::{DatagramProtocol, DatagramTransport, TransportAddr};

const RECV_BUDGET: usize = 32;
const RECV_BUFFER: usize = 65536;

/// Rule 5: the socket behind an endpoint.
enum Sock {
    Udp(UdpSocket),
    Unix(UnixDatagram),
}

/// Where a queued datagram goes (`None` in the queue: the connected peer).
enum Target {
    Inet(SocketAddr),
    Unix(PathBuf),
}

impl Sock {
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        d: &[u8],
        to: Option<&Target>,
    ) -> Poll<io::Result<usize>> {
        match (self, to) {
            (Sock::Udp(s), None) => s.poll_send(cx, d),
            (Sock::Udp(s), Some(Target::Inet(a))) => s.poll_send_to(cx, d, *a),
            (Sock::Unix(s), None) => s.poll_send(cx, d),
            (Sock::Unix(s), Some(Target::Unix(p))) => s.poll_send_to(cx, d, p),
            // `sendto` only queues targets of the socket's family.
            _ => unreachable!("a datagram target of the wrong family was queued"),
        }
    }

    fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<io::Result<(usize, TransportAddr)>> {
        match self {
            Sock::Udp(s) => s
                .poll_recv_from(cx, buf)
                .map_ok(|(n, a)| (n, TransportAddr::Inet(a))),
            Sock::Unix(s) => s
                .poll_recv_from_whole(cx, buf)
                .map_ok(|(n, a)| (n, unix_addr(&a))),
        }
    }
}

fn unix_addr(a: &std::os::unix::net::SocketAddr) -> TransportAddr {
    TransportAddr::Unix(a.as_pathname().map(Path::to_path_buf))
}

#[derive(Default)]
struct State {
    queue: VecDeque<(Vec<u8>, Option<Target>)>,
    queued: usize,
    marks: WaterMarks,
    closing: bool,
    aborted: bool,
    lost: bool,
    waker: Option<Waker>,
}

struct Endpoint {
    proto: Dispatcher<dyn DatagramProtocol>,
    state: RefCell<State>,
    local: Option<TransportAddr>,
    peer: Option<TransportAddr>,
    unix: bool,
}

/// A UDP or Unix datagram socket as an asyncio datagram transport, made by
/// [`create_datagram_endpoint`] or [`create_unix_datagram_endpoint`].
///
/// ```
/// use std::rc::Rc;
/// use tulipa::net::create_datagram_endpoint;
/// use tulipa::transports::{DatagramProtocol, DatagramTransport};
///
/// struct Quiet;
/// impl DatagramProtocol for Quiet {}
///
/// tulipa::run(async {
///     let t = create_datagram_endpoint(|| Quiet, Some("127.0.0.1:0".parse().unwrap()), None)
///         .await
///         .unwrap();
///     assert!(t.local_addr().unwrap().inet().unwrap().port() != 0);
///     t.close();
/// });
/// ```
pub struct DatagramSocketTransport {
    ep: Rc<Endpoint>,
}

/// Opens a UDP endpoint (asyncio's `loop.create_datagram_endpoint`): bound to `local_addr`
/// (or an OS-chosen port on the unspecified address of `remote_addr`'s family) and, if
/// `remote_addr` is given, connected to it, so `sendto(data, None)` goes there and only its
/// datagrams are received. `connection_made` has run when this returns. Resolve host names
/// first with [`lookup_host`](crate::net::lookup_host).
///
/// # Errors
///
/// Binding or connecting failed (`AddrInUse`, `AddrNotAvailable`, ...).
///
/// # Cancel safety
///
/// Cancel safe: a cancelled call closes its socket.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use tulipa::net::create_datagram_endpoint;
/// use tulipa::transports::{DatagramProtocol, DatagramTransport, TransportAddr};
///
/// struct Got(Rc<RefCell<Vec<Vec<u8>>>>);
/// impl DatagramProtocol for Got {
///     fn datagram_received(&mut self, d: &[u8], _from: TransportAddr) {
///         self.0.borrow_mut().push(d.to_vec());
///     }
/// }
/// struct Quiet;
/// impl DatagramProtocol for Quiet {}
///
/// tulipa::run(async {
///     let got = Rc::new(RefCell::new(Vec::new()));
///     let g = got.clone();
///     let server = create_datagram_endpoint(move || Got(g), Some("127.0.0.1:0".parse().unwrap()), None)
///         .await.unwrap();
///     let to = server.local_addr().unwrap().inet().unwrap();
///     let client = create_datagram_endpoint(|| Quiet, None, Some(to)).await.unwrap();
///     client.sendto(b"one", None);
///     while got.borrow().is_empty() {
///         tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(got.borrow()[0], b"one");
/// });
/// ```
pub async fn create_datagram_endpoint<P: DatagramProtocol + 'static>(
    protocol_factory: impl FnOnce() -> P,
    local_addr: Option<SocketAddr>,
    remote_addr: Option<SocketAddr>,
) -> io::Result<Rc<DatagramSocketTransport>> {
    let local = match (local_addr, remote_addr) {
        (Some(a), _) => a,
        (None, Some(SocketAddr::V6(_))) => "[::]:0".parse().expect("a valid address"),
        (None, _) => "0.0.0.0:0".parse().expect("a valid address"),
    };
    let sock = UdpSocket::bind(local).await?;
    if let Some(r) = remote_addr {
        sock.connect(r).await?;
    }
    let local = sock.local_addr().ok().map(TransportAddr::Inet);
    let peer = sock.peer_addr().ok().map(TransportAddr::Inet);
    Ok(start(protocol_factory, Sock::Udp(sock), local, peer))
}

/// Opens a Unix-domain datagram endpoint (asyncio's `loop.create_datagram_endpoint` with
/// `family=AF_UNIX`): bound to `local_path` if given (the socket file is created there,
/// and, as with [`UnixDatagram::bind`], not removed when the endpoint closes), and
/// connected to `remote_path` if given, so `sendto(data, None)` goes there. Datagrams from
/// an unbound sender arrive from `TransportAddr::Unix(None)`, which cannot be answered.
/// `connection_made` has run when this returns.
///
/// # Errors
///
/// [`NetError::PathTooLong`](crate::net::NetError::PathTooLong) for a path that does not fit
/// a socket address; `AddrInUse` if `local_path` exists; `NotFound` or
/// `ConnectionRefused` if nothing is bound at `remote_path`.
///
/// # Cancel safety
///
/// Cancel safe: the call does not suspend.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use tulipa::net::create_unix_datagram_endpoint;
/// use tulipa::transports::{DatagramProtocol, DatagramTransport, TransportAddr};
///
/// struct Got(Rc<RefCell<Vec<Vec<u8>>>>);
/// impl DatagramProtocol for Got {
///     fn datagram_received(&mut self, d: &[u8], _from: TransportAddr) {
///         self.0.borrow_mut().push(d.to_vec());
///     }
/// }
/// struct Quiet;
/// impl DatagramProtocol for Quiet {}
///
/// tulipa::run(async {
///     let path = std::env::temp_dir().join(format!("tulipa-ude-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let got = Rc::new(RefCell::new(Vec::new()));
///     let g = got.clone();
///     let server = create_unix_datagram_endpoint(move || Got(g), Some(&path), None).await.unwrap();
///     let client = create_unix_datagram_endpoint(|| Quiet, None, Some(&path)).await.unwrap();
///     client.sendto(b"one", None);
///     while got.borrow().is_empty() {
///         tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(got.borrow()[0], b"one");
///     server.close();
///     std::fs::remove_file(&path).unwrap();
/// });
/// ```
pub async fn create_unix_datagram_endpoint<P: DatagramProtocol + 'static>(
    protocol_factory: impl FnOnce() -> P,
    local_path: Option<&Path>,
    remote_path: Option<&Path>,
) -> io::Result<Rc<DatagramSocketTransport>> {
    let sock = match local_path {
        Some(p) => UnixDatagram::bind(p)?,
        None => UnixDatagram::unbound()?,
    };
    if let Some(r) = remote_path {
        sock.connect(r)?;
    }
    let local = sock.local_addr().ok().map(|a| unix_addr(&a));
    let peer = sock.peer_addr().ok().map(|a| unix_addr(&a));
    Ok(start(protocol_factory, Sock::Unix(sock), local, peer))
}

/// Starts the driver of a bound (and maybe connected) socket; `connection_made` runs here.
fn start<P: DatagramProtocol + 'static>(
    protocol_factory: impl FnOnce() -> P,
    sock: Sock,
    local: Option<TransportAddr>,
    peer: Option<TransportAddr>,
) -> Rc<DatagramSocketTransport> {
    let ep = Rc::new(Endpoint {
        proto: Dispatcher::new(Box::new(protocol_factory()) as Box<dyn DatagramProtocol>),
        state: RefCell::new(State::default()),
        local,
        peer,
        unix: matches!(sock, Sock::Unix(_)),
    });
    crate::spawn_local(drive(Rc::clone(&ep), sock)).detach();
    let t = Rc::new(DatagramSocketTransport { ep: Rc::clone(&ep) });
    let dyn_t: Rc<dyn DatagramTransport> = t.clone();
    ep.proto.with(|p| p.connection_made(dyn_t));
    t
}

impl Endpoint {
    fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (out, waker) = {
            let mut st = self.state.borrow_mut();
            let out = f(&mut st);
            (out, st.waker.take())
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

fn drive(ep: Rc<Endpoint>, sock: Sock) -> impl std::future::Future<Output = ()> {
    struct Teardown(Rc<Endpoint>);
    impl Drop for Teardown {
        fn drop(&mut self) {
            self.0.proto.discard();
        }
    }
    // Made before the first poll, so that a driver dropped unpolled (its runtime torn
    // down in the poll that started it) still breaks the cycle.
    let guard = Teardown(ep);
    async move {
        let guard = guard;
        let ep = &guard.0;
        let mut buf = vec![0u8; RECV_BUFFER];
        poll_fn(|cx| {
            ep.state.borrow_mut().waker = Some(cx.waker().clone());
            // Send.
            loop {
                let next = {
                    let st = ep.state.borrow();
                    if st.aborted {
                        return Poll::Ready(());
                    }
                    st.queue
                        .front()
                        .map(|(d, to)| sock.poll_send(cx, d, to.as_ref()))
                };
                let result = match next {
                    None => break,
                    Some(Poll::Pending) => break,
                    Some(Poll::Ready(r)) => r,
                };
                let flow = {
                    let mut st = ep.state.borrow_mut();
                    if let Some((d, _)) = st.queue.pop_front() {
                        st.queued -= d.len();
                    }
                    let q = st.queued;
                    st.marks.check(q)
                };
                ep.flow(flow);
                if let Err(e) = result {
                    ep.proto.with(|p| p.error_received(e));
                }
            }
            {
                let st = ep.state.borrow();
                if st.closing {
                    return if st.queue.is_empty() {
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    };
                }
            }
            // Receive.
            for _ in 0..RECV_BUDGET {
                match sock.poll_recv_from(cx, &mut buf) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(Ok((n, from))) => {
                        ep.proto.with(|p| p.datagram_received(&buf[..n], from));
                    }
                    Poll::Ready(Err(e)) => {
                        ep.proto.with(|p| p.error_received(e));
                    }
                }
                if ep.state.borrow().closing {
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
        .await;
        drop(sock);
        ep.update(|st| {
            st.lost = true;
            st.closing = true;
            st.queue.clear();
            st.queued = 0;
        });
        ep.proto.with(|p| p.connection_lost(None));
        ep.proto.discard();
    }
}

impl DatagramTransport for DatagramSocketTransport {
    fn sendto(&self, data: &[u8], addr: Option<TransportAddr>) {
        let addr = match (addr, self.ep.unix) {
            (None, _) => None,
            (Some(TransportAddr::Inet(a)), false) => Some(Target::Inet(a)),
            (Some(TransportAddr::Unix(Some(p))), true) => Some(Target::Unix(p)),
            (Some(other), unix) => {
                let kind = if unix { "a Unix datagram" } else { "a UDP" };
                let e = io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{kind} endpoint cannot send to {other}"),
                );
                self.ep.proto.call(move |p| p.error_received(e));
                return;
            }
        };
        let flow = self.ep.update(|st| {
            if st.closing {
                return None;
            }
            st.queue.push_back((data.to_vec(), addr));
            st.queued += data.len();
            let q = st.queued;
            st.marks.check(q)
        });
        self.ep.flow(flow);
    }

    fn close(&self) {
        self.ep.update(|st| st.closing = true);
    }

    fn abort(&self) {
        self.ep.update(|st| {
            st.closing = true;
            st.aborted = true;
        });
    }

    fn is_closing(&self) -> bool {
        self.ep.state.borrow().closing
    }

    fn write_buffer_size(&self) -> usize {
        self.ep.state.borrow().queued
    }

    #[track_caller]
    fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>) {
        let flow = {
            let mut st = self.ep.state.borrow_mut();
            st.marks.set(high, low);
            let q = st.queued;
            st.marks.check(q)
        };
        self.ep.flow(flow);
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        self.ep.peer.clone()
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        self.ep.local.clone()
    }
}

impl fmt::Debug for DatagramSocketTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatagramSocketTransport")
            .field("local", &self.ep.local)
            .field("peer", &self.ep.peer)
            .field("closing", &self.is_closing())
            .finish()
    }
}
