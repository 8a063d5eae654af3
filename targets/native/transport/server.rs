//! `Server`: listening sockets whose accepted connections get a protocol each.
//
// Maintainer notes: the protocol.
//
// A `Server` handle shares `ServerShared` with one accept task per listening socket. All
// on the loop's thread.
//
// 1. An accept task stores its waker in `accept_wakers[i]` on every poll. It ends when
//    `closed` is set (dropping, so closing, its listener); while `serving` is off it waits
//    without accepting (new connections wait in the kernel's backlog).
// 2. It accepts until WouldBlock or a budget (then wakes itself and yields). Each accepted
//    socket gets `factory()`'s protocol and a `SocketTransport`; `active` counts them until
//    their `connection_lost` (the transport's `on_lost` hook).
// 3. Transient accept errors (the peer gave up: ECONNABORTED, EPROTO, EINTR) are skipped.
//    Any other error — above all EMFILE/ENFILE/ENOBUFS/ENOMEM, running out of descriptors or
//    memory — is reported once to the error handler (the server's, else the loop's) and accepting stops for `backoff`
//    (1 s, asyncio's), a timer rather than a retry loop, so the loop never spins; then it
//    tries again, and reports again if it fails again.
// 4. `close` sets `closed`, wakes the accept tasks (which drop their listeners), and removes
//    a Unix socket file the server created. `wait_closed` waits for `closed` and
//    `active == 0`.
// 5. No `ServerState` borrow is held while calling the factory, a protocol, the error
//    handler or a waker.

use std::cell::RefCell;
use std::fmt;
use std::future::{poll_fn, Future};
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::socket::{SocketTransport, StreamSock};
use crate::transports::dispatch::Callbacks;
use crate::transports::{Transport, TransportAddr};

/// How long accepting pauses after an error such as EMFILE (asyncio's 1 s).
pub(crate) const ACCEPT_BACKOFF: Duration = Duration::from_secs(1);
/// Accepts per task poll before yielding.
const ACCEPT_BUDGET: usize = 64;

/// What an accept task needs from a listening socket.
pub(crate) trait ListenSock: 'static {
    type Stream: StreamSock;
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Stream>>;
    fn addr(&self) -> Option<TransportAddr>;
}

impl ListenSock for crate::sys::net::TcpListener {
    type Stream = crate::sys::net::TcpStream;
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Stream>> {
        crate::sys::net::TcpListener::poll_accept(self, cx).map_ok(|(s, _)| s)
    }
    fn addr(&self) -> Option<TransportAddr> {
        self.local_addr().ok().map(TransportAddr::Inet)
    }
}

impl ListenSock for crate::sys::net::UnixListener {
    type Stream = crate::sys::net::UnixStream;
    fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Stream>> {
        crate::sys::net::UnixListener::poll_accept(self, cx).map_ok(|(s, _)| s)
    }
    fn addr(&self) -> Option<TransportAddr> {
        self.local_addr()
            .ok()
            .map(|a| TransportAddr::Unix(a.as_pathname().map(|p| p.to_path_buf())))
    }
}

type ErrorHandler = Rc<dyn Fn(&io::Error)>;

struct ServerState {
    serving: bool,
    closed: bool,
    active: usize,
    accept_wakers: Vec<Option<Waker>>,
    closed_wakers: Vec<Waker>,
    on_error: Option<ErrorHandler>,
    accept_errors: usize,
    backoff: Duration,
    /// The live connections, for `close_clients` / `abort_clients`.
    conns: slab::Slab<Rc<SocketTransport>>,
}

pub(crate) struct ServerShared {
    state: RefCell<ServerState>,
    addrs: Vec<TransportAddr>,
    unix_path: Option<PathBuf>,
}

/// A listening server made by `create_server`, `start_server` or their Unix twins
/// (asyncio's `Server`).
///
/// It accepts connections until [`close`](Server::close)d, giving each one a protocol from
/// the factory. Dropping the `Server` handle does *not* stop it (asyncio's behaviour: a
/// server runs until closed); keep the handle to close it.
///
/// If accepting fails for lack of resources (EMFILE/ENFILE: the process or system is out of
/// file descriptors; ENOBUFS/ENOMEM), the server reports the error once to its error
/// handler (by default the loop's [exception handler](crate::set_exception_handler),
/// which prints it), pauses accepting for one second without
/// spinning, and then resumes; connections wait in the kernel's backlog meanwhile.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::net::create_server;
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, t: Rc<dyn Transport>) {
///         t.write(b"hello\n");
///         t.close();
///     }
/// }
///
/// tulipa::run(async {
///     let server = create_server(|| Hello, "127.0.0.1:0").await.unwrap();
///     let addr = server.addrs()[0].inet().unwrap();
///     let (mut r, _w) = tulipa::net::open_connection(addr).await.unwrap();
///     assert_eq!(r.read_line().await.unwrap(), b"hello\n");
///     server.close();
///     server.wait_closed().await;
/// });
/// ```
pub struct Server {
    shared: Rc<ServerShared>,
}

impl Server {
    /// Starts serving `listeners` with `factory` (protocol per connection).
    pub(crate) fn start<L: ListenSock>(
        listeners: Vec<L>,
        factory: Rc<dyn Fn() -> Box<dyn Callbacks>>,
        unix_path: Option<PathBuf>,
    ) -> Server {
        let shared = Rc::new(ServerShared {
            state: RefCell::new(ServerState {
                serving: true,
                closed: false,
                active: 0,
                accept_wakers: vec![None; listeners.len()],
                closed_wakers: Vec::new(),
                on_error: None,
                accept_errors: 0,
                backoff: ACCEPT_BACKOFF,
                conns: slab::Slab::new(),
            }),
            addrs: listeners.iter().filter_map(|l| l.addr()).collect(),
            unix_path,
        });
        for (i, l) in listeners.into_iter().enumerate() {
            crate::spawn_local(accept_loop(Rc::clone(&shared), l, Rc::clone(&factory), i)).detach();
        }
        Server { shared }
    }

    /// The addresses the server listens on (asyncio's `Server.sockets`); for a TCP server
    /// bound to port 0, this is where to find the port the OS picked.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     assert_ne!(server.addrs()[0].inet().unwrap().port(), 0);
    ///     server.close();
    /// });
    /// ```
    pub fn addrs(&self) -> &[TransportAddr] {
        &self.shared.addrs
    }

    /// Stops accepting and closes the listening sockets (and removes the socket file of a
    /// Unix server). Connections already accepted go on; [`wait_closed`](Server::wait_closed)
    /// waits for them. Idempotent.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     let addr = server.addrs()[0].inet().unwrap();
    ///     server.close();
    ///     server.wait_closed().await;
    ///     assert!(tulipa::net::TcpStream::connect(addr).await.is_err());
    /// });
    /// ```
    pub fn close(&self) {
        let wakers = {
            let mut st = self.shared.state.borrow_mut();
            if st.closed {
                return;
            }
            st.closed = true;
            st.serving = false;
            let mut w: Vec<Waker> = st
                .accept_wakers
                .iter_mut()
                .filter_map(Option::take)
                .collect();
            if st.active == 0 {
                w.append(&mut st.closed_wakers);
            }
            w
        };
        if let Some(p) = &self.shared.unix_path {
            let _ = std::fs::remove_file(p);
        }
        for w in wakers {
            w.wake();
        }
    }

    /// Waits until the server is closed and every connection it accepted is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     server.close();
    ///     server.wait_closed().await;
    /// });
    /// ```
    pub async fn wait_closed(&self) {
        poll_fn(|cx| {
            let mut st = self.shared.state.borrow_mut();
            if st.closed && st.active == 0 {
                return Poll::Ready(());
            }
            if !st.closed_wakers.iter().any(|w| w.will_wake(cx.waker())) {
                st.closed_wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }

    /// Resumes accepting after [`stop_serving`](Server::stop_serving) (a new server serves
    /// from the start). No effect on a closed server.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     server.stop_serving();
    ///     assert!(!server.is_serving());
    ///     server.start_serving();
    ///     assert!(server.is_serving());
    ///     server.close();
    /// });
    /// ```
    pub fn start_serving(&self) {
        let wakers: Vec<Waker> = {
            let mut st = self.shared.state.borrow_mut();
            if st.closed || st.serving {
                return;
            }
            st.serving = true;
            st.accept_wakers
                .iter_mut()
                .filter_map(Option::take)
                .collect()
        };
        for w in wakers {
            w.wake();
        }
    }

    /// Stops accepting without closing the listening sockets: new connections wait in the
    /// kernel's backlog until [`start_serving`](Server::start_serving).
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     server.stop_serving();
    ///     server.close();
    /// });
    /// ```
    pub fn stop_serving(&self) {
        self.shared.state.borrow_mut().serving = false;
    }

    /// Accepting is on (not stopped, not closed).
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     assert!(server.is_serving());
    ///     server.close();
    ///     assert!(!server.is_serving());
    /// });
    /// ```
    pub fn is_serving(&self) -> bool {
        self.shared.state.borrow().serving
    }

    /// Connections accepted and not yet lost.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     assert_eq!(server.active_connections(), 0);
    ///     server.close();
    /// });
    /// ```
    pub fn active_connections(&self) -> usize {
        self.shared.state.borrow().active
    }

    /// Closes every connection the server accepted and still has (asyncio 3.13's
    /// `close_clients`): each sends what it has buffered, then ends.
    ///
    /// ```
    /// use tulipa::net::{open_connection, start_server};
    /// tulipa::run(async {
    ///     let server = start_server(|_r, _w| async {}, "127.0.0.1:0").await.unwrap();
    ///     let (mut r, _w) = open_connection(server.addrs()[0].inet().unwrap()).await.unwrap();
    ///     while server.active_connections() == 0 {
    ///         tulipa::yield_now().await;
    ///     }
    ///     server.close();
    ///     server.close_clients();
    ///     server.wait_closed().await;
    ///     assert!(r.read(1).await.unwrap().is_empty());
    /// });
    /// ```
    pub fn close_clients(&self) {
        for t in self.clients() {
            t.close();
        }
    }

    /// Aborts every connection the server accepted and still has (asyncio 3.13's
    /// `abort_clients`): buffered data is dropped.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     server.close();
    ///     server.abort_clients();
    ///     server.wait_closed().await;
    /// });
    /// ```
    pub fn abort_clients(&self) {
        for t in self.clients() {
            t.abort();
        }
    }

    /// The live connections' transports (a copy: closing one calls back into the server).
    fn clients(&self) -> Vec<Rc<SocketTransport>> {
        let st = self.shared.state.borrow();
        st.conns.iter().map(|(_, t)| Rc::clone(t)).collect()
    }

    /// Sets what is called with an accept error the server cannot skip (asyncio's loop
    /// exception handler for servers). It is called once per error, and after a
    /// resource error (EMFILE, ENFILE, ENOBUFS, ENOMEM) the server pauses accepting for one
    /// second, so it is called at most once per second. Without one, the error goes to the
    /// loop's [exception handler](crate::set_exception_handler) (asyncio's behaviour), with
    /// the listening address in the message.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     server.set_error_handler(|e| eprintln!("accept failed: {e}"));
    ///     server.close();
    /// });
    /// ```
    pub fn set_error_handler(&self, handler: impl Fn(&io::Error) + 'static) {
        self.shared.state.borrow_mut().on_error = Some(Rc::new(handler));
    }

    /// How many accept errors were reported so far.
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     assert_eq!(server.accept_errors(), 0);
    ///     server.close();
    /// });
    /// ```
    pub fn accept_errors(&self) -> usize {
        self.shared.state.borrow().accept_errors
    }

    /// How long accepting pauses after a resource error (default one second, asyncio's).
    ///
    /// ```
    /// # use tulipa::transports::Protocol;
    /// # struct P; impl Protocol for P {}
    /// tulipa::run(async {
    ///     let server = tulipa::net::create_server(|| P, "127.0.0.1:0").await.unwrap();
    ///     server.set_accept_backoff(std::time::Duration::from_millis(100));
    ///     server.close();
    /// });
    /// ```
    pub fn set_accept_backoff(&self, backoff: Duration) {
        self.shared.state.borrow_mut().backoff = backoff;
    }
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.shared.state.borrow();
        f.debug_struct("Server")
            .field("addrs", &self.shared.addrs)
            .field("serving", &st.serving)
            .field("closed", &st.closed)
            .field("active", &st.active)
            .finish()
    }
}

/// Rule 3: the peer went away between SYN and accept; nothing to report.
fn transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
    ) || e.raw_os_error() == Some(EPROTO)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
const EPROTO: i32 = 71;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const EPROTO: i32 = 100;

impl ServerShared {
    /// Rule 3: one report per error, to the server's own handler or else the loop's
    /// exception handler.
    fn report(&self, e: &io::Error, index: usize) {
        let (handler, backoff) = {
            let mut st = self.state.borrow_mut();
            st.accept_errors += 1;
            (st.on_error.clone(), st.backoff)
        };
        match handler {
            Some(h) => h(e),
            None => {
                let addr = self
                    .addrs
                    .get(index)
                    .map_or_else(String::new, |a| format!(" on {a}"));
                // io::Error is not Clone: the handler gets an equivalent one.
                let copy = match e.raw_os_error() {
                    Some(code) => io::Error::from_raw_os_error(code),
                    None => io::Error::new(e.kind(), e.to_string()),
                };
                crate::call_exception_handler(
                    crate::ExceptionContext::new(format!(
                        "accept(){addr} failed; the server pauses accepting for {backoff:?}, \
                         then retries"
                    ))
                    .with_error(copy),
                );
            }
        }
    }

    fn connection_ended(&self, key: usize) {
        let (wakers, conn) = {
            let mut st = self.state.borrow_mut();
            st.active -= 1;
            let conn = st.conns.try_remove(key);
            let wakers = if st.closed && st.active == 0 {
                std::mem::take(&mut st.closed_wakers)
            } else {
                Vec::new()
            };
            (wakers, conn)
        };
        drop(conn);
        for w in wakers {
            w.wake();
        }
    }
}

/// Rules 1–3: one listener's accept task.
async fn accept_loop<L: ListenSock>(
    shared: Rc<ServerShared>,
    listener: L,
    factory: Rc<dyn Fn() -> Box<dyn Callbacks>>,
    index: usize,
) {
    let mut backoff: Option<Pin<Box<crate::time::Sleep>>> = None;
    poll_fn(|cx| {
        {
            let mut st = shared.state.borrow_mut();
            if st.closed {
                return Poll::Ready(());
            }
            st.accept_wakers[index] = Some(cx.waker().clone());
            if !st.serving {
                return Poll::Pending;
            }
        }
        if let Some(sleep) = backoff.as_mut() {
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            backoff = None;
        }
        for _ in 0..ACCEPT_BUDGET {
            match listener.poll_accept(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(stream)) => {
                    let key = {
                        let mut st = shared.state.borrow_mut();
                        st.active += 1;
                        st.conns.vacant_entry().key()
                    };
                    let protocol = factory();
                    let s = Rc::clone(&shared);
                    let t = SocketTransport::start(
                        stream,
                        protocol,
                        Some(Box::new(move || s.connection_ended(key))),
                    );
                    let mut st = shared.state.borrow_mut();
                    let k = st.conns.insert(t);
                    debug_assert_eq!(k, key);
                }
                Poll::Ready(Err(e)) if transient(&e) => {}
                Poll::Ready(Err(e)) => {
                    shared.report(&e, index);
                    let d = shared.state.borrow().backoff;
                    let mut sleep = Box::pin(crate::time::sleep(d));
                    // Registers the timer; a zero backoff may be ready at once.
                    if sleep.as_mut().poll(cx).is_pending() {
                        backoff = Some(sleep);
                        return Poll::Pending;
                    }
                }
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
    drop(listener);
}
