//! [`TcpListener`]: a listening TCP socket on the loop's reactor.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use mio::Interest;

use super::addr::{each_addr, ToSocketAddrs};
use super::evented::Evented;
use super::options::BindOptions;
use super::TcpStream;

/// A listening TCP socket (the socket under asyncio's `create_server`).
///
/// ```
/// use tulipa::net::{TcpListener, TcpStream};
///
/// tulipa::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let client = tulipa::spawn(async move { TcpStream::connect(addr).await.unwrap() });
///     let (conn, peer) = listener.accept().await.unwrap();
///     let client = client.await.unwrap();
///     assert_eq!(peer, client.local_addr().unwrap());
///     # drop(conn);
/// });
/// ```
pub struct TcpListener {
    io: Evented<mio::net::TcpListener>,
}

impl TcpListener {
    pub(crate) fn source(&self) -> &mio::net::TcpListener {
        self.io.source()
    }

    /// Binds to `addr` with the default [`BindOptions`] (`SO_REUSEADDR` on, as asyncio
    /// does; backlog 1024). A host name is resolved on the blocking pool and each address
    /// is tried in order until one binds. Port 0 picks a free port; see
    /// [`local_addr`](TcpListener::local_addr).
    ///
    /// # Errors
    ///
    /// [`AddrInUse`](io::ErrorKind::AddrInUse), [`AddrNotAvailable`](io::ErrorKind::AddrNotAvailable),
    /// [`PermissionDenied`](io::ErrorKind::PermissionDenied) (a port below 1024), or a
    /// resolution error ([`NetError`](super::NetError)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future before it completes binds nothing (a socket bound
    /// in the meantime is closed).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// assert_ne!(l.local_addr().unwrap().port(), 0);
    /// # });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        TcpListener::bind_target(addr.to_target()?, &BindOptions::default()).await
    }

    /// Binds to `addr` with `options` (reuse-port, backlog, ...).
    ///
    /// # Errors
    ///
    /// As [`bind`](TcpListener::bind).
    ///
    /// # Cancel safety
    ///
    /// As [`bind`](TcpListener::bind).
    ///
    /// ```
    /// use tulipa::net::{BindOptions, TcpListener};
    /// # tulipa::run(async {
    /// let l = TcpListener::bind_with("127.0.0.1:0", &BindOptions::new().backlog(8)).await.unwrap();
    /// # drop(l);
    /// # });
    /// ```
    pub async fn bind_with(
        addr: impl ToSocketAddrs,
        options: &BindOptions,
    ) -> io::Result<TcpListener> {
        TcpListener::bind_target(addr.to_target()?, options).await
    }

    async fn bind_target(
        target: super::addr::sealed::Target,
        options: &BindOptions,
    ) -> io::Result<TcpListener> {
        each_addr(target, |addr| {
            let r = options
                .listen_tcp(addr)
                .and_then(TcpListener::from_std_nonblocking);
            async move { r }
        })
        .await
    }

    /// Wraps a listening std socket (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Outside a tulipa runtime, or if the reactor refuses the socket.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    /// let l = tulipa::net::TcpListener::from_std(std_listener).unwrap();
    /// # drop(l);
    /// # });
    /// ```
    pub fn from_std(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        listener.set_nonblocking(true)?;
        TcpListener::from_std_nonblocking(listener)
    }

    fn from_std_nonblocking(listener: std::net::TcpListener) -> io::Result<TcpListener> {
        Ok(TcpListener {
            io: Evented::new(
                mio::net::TcpListener::from_std(listener),
                Interest::READABLE,
            )?,
        })
    }

    /// The address the listener is bound to (with the port the OS chose for port 0).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// assert!(l.local_addr().unwrap().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// Waits for the next connection and returns it with the peer's address.
    ///
    /// # Errors
    ///
    /// The OS's accept error. Most are about one connection and the next `accept` works
    /// (`ConnectionAborted`); EMFILE/ENFILE (out of descriptors) repeat until descriptors
    /// free up, so a server loop should back off on them rather than retry at once.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no connection was taken
    /// from the queue.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let addr = l.local_addr().unwrap();
    /// # let c = tulipa::spawn(async move { tulipa::net::TcpStream::connect(addr).await });
    /// let (stream, peer) = l.accept().await.unwrap();
    /// assert!(peer.ip().is_loopback());
    /// # drop((stream, c));
    /// # });
    /// ```
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The poll form of [`accept`](TcpListener::accept) (one accepting task at a time).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let addr = l.local_addr().unwrap();
    /// # let c = tulipa::spawn(async move { tulipa::net::TcpStream::connect(addr).await });
    /// let (stream, _) = std::future::poll_fn(|cx| l.poll_accept(cx)).await.unwrap();
    /// # drop((stream, c));
    /// # });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let (stream, peer) = std::task::ready!(self.io.poll_read(cx, |l| l.accept()))?;
        Poll::Ready(TcpStream::from_mio(stream).map(|s| (s, peer)))
    }

    /// The IP time-to-live given to accepted connections' packets (`IP_TTL`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// l.set_ttl(100).unwrap();
    /// assert_eq!(l.ttl().unwrap(), 100);
    /// # });
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.source().ttl()
    }

    /// Sets `IP_TTL`; see [`ttl`](TcpListener::ttl).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.source().set_ttl(ttl)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// assert!(l.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }
}

impl fmt::Debug for TcpListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
