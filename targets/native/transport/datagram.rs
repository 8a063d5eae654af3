//! UDP endpoints as asyncio datagram transports.
//
// Maintainer notes: the protocol.
//
// Like `socket.rs`: an `Endpoint` shared by the transport handles and one driver task that
// owns the socket.
//
// 1. `sendto` queues the datagram and wakes the driver; flow control counts queued bytes.
// 2. The driver sends queued datagrams until WouldBlock; a failed send (EMSGSIZE, refused)
//    goes to `error_received` and the datagram is dropped, as in asyncio. It receives while
//    not closing, into a 64 KiB buffer (the largest UDP payload fits), until WouldBlock or
//    a budget; receive errors (a connected socket's ICMP "port unreachable") go to
//    `error_received` and the endpoint goes on.
// 3. `close` ends it once the queue is sent, `abort` at once: the socket is dropped, then
//    `connection_lost(None)`, then the protocol is dropped.
// 4. No state borrow is held across a protocol call or a wake.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::{Poll, Waker};

use crate::sys::net::UdpSocket;
use crate::transports::dispatch::Dispatcher;
use crate::transports::flow::{Flow, WaterMarks};
use crate::transports::{DatagramProtocol, DatagramTransport, TransportAddr};

const RECV_BUDGET: usize = 32;
const RECV_BUFFER: usize = 65536;

#[derive(Default)]
struct State {
    queue: VecDeque<(Vec<u8>, Option<SocketAddr>)>,
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
}

/// A UDP socket as an asyncio datagram transport, made by [`create_datagram_endpoint`].
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
    let ep = Rc::new(Endpoint {
        proto: Dispatcher::new(Box::new(protocol_factory()) as Box<dyn DatagramProtocol>),
        state: RefCell::new(State::default()),
        local: sock.local_addr().ok().map(TransportAddr::Inet),
        peer: sock.peer_addr().ok().map(TransportAddr::Inet),
    });
    crate::spawn_local(drive(Rc::clone(&ep), sock)).detach();
    let t = Rc::new(DatagramSocketTransport { ep: Rc::clone(&ep) });
    let dyn_t: Rc<dyn DatagramTransport> = t.clone();
    ep.proto.with(|p| p.connection_made(dyn_t));
    Ok(t)
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

async fn drive(ep: Rc<Endpoint>, sock: UdpSocket) {
    struct Teardown(Rc<Endpoint>);
    impl Drop for Teardown {
        fn drop(&mut self) {
            self.0.proto.discard();
        }
    }
    let guard = Teardown(ep);
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
                st.queue.front().map(|(d, a)| match a {
                    Some(a) => sock.poll_send_to(cx, d, *a),
                    None => sock.poll_send(cx, d),
                })
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
                    ep.proto
                        .with(|p| p.datagram_received(&buf[..n], TransportAddr::Inet(from)));
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

impl DatagramTransport for DatagramSocketTransport {
    fn sendto(&self, data: &[u8], addr: Option<TransportAddr>) {
        let addr = match addr {
            None => None,
            Some(TransportAddr::Inet(a)) => Some(a),
            Some(other) => {
                let e = io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("a UDP endpoint cannot send to {other}"),
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
