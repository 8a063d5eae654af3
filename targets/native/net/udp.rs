//! [`UdpSocket`]: a UDP socket on the loop's reactor.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use mio::Interest;
use socket2::SockRef;

use super::addr::{each_addr, resolve, ToSocketAddrs};
use super::datagram::{next_datagram_len, Received};
use super::error::datagram_send_error;
use super::evented::Evented;
use super::options::BindOptions;

/// A UDP socket (the socket under asyncio's `create_datagram_endpoint`).
///
/// Methods take `&self`; one task receives and one task sends at a time (the reactor keeps
/// one waker per direction).
///
/// Errors are reported clearly: a datagram larger than UDP allows is a
/// [`NetError::DatagramTooLarge`](super::NetError::DatagramTooLarge); a datagram longer than
/// the receive buffer is cut to fit, which [`recv_from_checked`](UdpSocket::recv_from_checked)
/// reports; on a connected socket, an ICMP "port unreachable" from the peer makes the next
/// receive fail with [`ConnectionRefused`](io::ErrorKind::ConnectionRefused).
///
/// ```
/// use tulipa::net::UdpSocket;
///
/// tulipa::run(async {
///     let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     client.connect(server.local_addr().unwrap()).await.unwrap();
///     client.send(b"ping").await.unwrap();
///     let mut buf = [0; 16];
///     let (n, from) = server.recv_from(&mut buf).await.unwrap();
///     server.send_to(&buf[..n], from).await.unwrap();
///     let n = client.recv(&mut buf).await.unwrap();
///     assert_eq!(&buf[..n], b"ping");
/// });
/// ```
pub struct UdpSocket {
    io: Evented<mio::net::UdpSocket>,
}

impl UdpSocket {
    pub(crate) fn source(&self) -> &mio::net::UdpSocket {
        self.io.source()
    }

    /// Binds to `addr` (a host name is resolved on the blocking pool; each address is tried
    /// in order). Unlike TCP listeners, no `SO_REUSEADDR`; see [`bind_with`](UdpSocket::bind_with).
    ///
    /// # Errors
    ///
    /// [`AddrInUse`](io::ErrorKind::AddrInUse) and the like, or a resolution error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing stays bound if the future is dropped.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let s = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_ne!(s.local_addr().unwrap().port(), 0);
    /// # });
    /// ```
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        each_addr(addr.to_target()?, |addr| {
            let r = mio::net::UdpSocket::bind(addr).and_then(UdpSocket::from_mio);
            async move { r }
        })
        .await
    }

    /// Binds to `addr` with `options` (reuse-address, reuse-port, IPv6-only, buffer size).
    ///
    /// # Errors
    ///
    /// As [`bind`](UdpSocket::bind).
    ///
    /// # Cancel safety
    ///
    /// As [`bind`](UdpSocket::bind).
    ///
    /// ```
    /// use tulipa::net::{BindOptions, UdpSocket};
    /// # tulipa::run(async {
    /// let opts = BindOptions::new().reuse_port(true);
    /// let a = UdpSocket::bind_with("127.0.0.1:0", &opts).await.unwrap();
    /// let b = UdpSocket::bind_with(a.local_addr().unwrap(), &opts).await.unwrap();
    /// # drop(b);
    /// # });
    /// ```
    pub async fn bind_with(
        addr: impl ToSocketAddrs,
        options: &BindOptions,
    ) -> io::Result<UdpSocket> {
        each_addr(addr.to_target()?, |addr| {
            let r = options
                .bind_udp(addr)
                .and_then(UdpSocket::from_std_nonblocking);
            async move { r }
        })
        .await
    }

    /// Wraps a bound std socket (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Outside a tulipa runtime, or if the reactor refuses the socket.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let s = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    /// let s = tulipa::net::UdpSocket::from_std(s).unwrap();
    /// # drop(s);
    /// # });
    /// ```
    pub fn from_std(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        socket.set_nonblocking(true)?;
        UdpSocket::from_std_nonblocking(socket)
    }

    fn from_std_nonblocking(socket: std::net::UdpSocket) -> io::Result<UdpSocket> {
        UdpSocket::from_mio(mio::net::UdpSocket::from_std(socket))
    }

    fn from_mio(socket: mio::net::UdpSocket) -> io::Result<UdpSocket> {
        Ok(UdpSocket {
            io: Evented::new(socket, Interest::READABLE | Interest::WRITABLE)?,
        })
    }

    fn sock(&self) -> SockRef<'_> {
        SockRef::from(self.io.source())
    }

    /// Sets the default peer: [`send`](UdpSocket::send) goes there, and only its datagrams
    /// are received. A host name is resolved on the blocking pool; the first address that
    /// connects is used.
    ///
    /// # Errors
    ///
    /// The OS refused every address (for example an IPv6 peer on an IPv4 socket), or a
    /// resolution error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if dropped during the lookup, the socket is unchanged.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect("127.0.0.1:9").await.unwrap();
    /// assert_eq!(a.peer_addr().unwrap().port(), 9);
    /// # });
    /// ```
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        each_addr(addr.to_target()?, |addr| {
            let r = self.io.source().connect(addr);
            async move { r }
        })
        .await
    }

    /// The local address.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.local_addr().unwrap().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The connected peer's address.
    ///
    /// # Errors
    ///
    /// [`NotConnected`](io::ErrorKind::NotConnected) if [`connect`](UdpSocket::connect) was
    /// not called.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert_eq!(a.peer_addr().unwrap_err().kind(), std::io::ErrorKind::NotConnected);
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// Sends one datagram to the connected peer; returns its length.
    ///
    /// # Errors
    ///
    /// [`NetError::DatagramTooLarge`](super::NetError::DatagramTooLarge) (EMSGSIZE),
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) (an earlier datagram was
    /// refused by the peer's host), `NotConnected`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(a.send(b"me").await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// The poll form of [`send`](UdpSocket::send).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// std::future::poll_fn(|cx| a.poll_send(cx, b"x")).await.unwrap();
    /// # });
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_write(cx, |s| s.send(buf))
            .map_err(|e| datagram_send_error(e, buf.len()))
    }

    /// Sends one datagram to `target` (a host name is resolved on the blocking pool; the
    /// first address is used).
    ///
    /// # Errors
    ///
    /// As [`send`](UdpSocket::send), or a resolution error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"hi", a.local_addr().unwrap()).await.unwrap();
    /// # });
    /// ```
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let addr = resolve(target.to_target()?).await?[0];
        poll_fn(|cx| self.poll_send_to(cx, buf, addr)).await
    }

    /// The poll form of [`send_to`](UdpSocket::send_to), to a numeric address.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// let to = a.local_addr().unwrap();
    /// std::future::poll_fn(|cx| a.poll_send_to(cx, b"x", to)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        self.io
            .poll_write(cx, |s| s.send_to(buf, target))
            .map_err(|e| datagram_send_error(e, buf.len()))
    }

    /// Receives one datagram from the connected peer into `buf`; a longer datagram is cut
    /// to `buf.len()` (see [`recv_from_checked`](UdpSocket::recv_from_checked)).
    ///
    /// # Errors
    ///
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when the peer's host
    /// answered an earlier datagram with "port unreachable".
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no datagram was taken.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"echo").await.unwrap();
    /// let mut buf = [0; 8];
    /// assert_eq!(a.recv(&mut buf).await.unwrap(), 4);
    /// # });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// The poll form of [`recv`](UdpSocket::recv).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"x").await.unwrap();
    /// let mut buf = [0; 1];
    /// std::future::poll_fn(|cx| a.poll_recv(cx, &mut buf)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, |s| s.recv(buf))
    }

    /// Receives one datagram and its sender's address; a longer datagram is cut to
    /// `buf.len()` (see [`recv_from_checked`](UdpSocket::recv_from_checked)).
    ///
    /// # Errors
    ///
    /// An OS error (a pending ICMP error on some systems).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no datagram was taken.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 4];
    /// let (n, from) = a.recv_from(&mut buf).await.unwrap();
    /// assert_eq!((n, from), (1, a.local_addr().unwrap()));
    /// # });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// The poll form of [`recv_from`](UdpSocket::recv_from).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 4];
    /// std::future::poll_fn(|cx| a.poll_recv_from(cx, &mut buf)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_read(cx, |s| s.recv_from(buf))
    }

    /// Receives one datagram and says whether it was truncated to fit `buf` (and, on Linux,
    /// its full length); see [`Received`].
    ///
    /// # Errors
    ///
    /// As [`recv_from`](UdpSocket::recv_from).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no datagram was taken.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"fits", a.local_addr().unwrap()).await.unwrap();
    /// let got = a.recv_from_checked(&mut [0; 64]).await.unwrap();
    /// assert!(!got.truncated);
    /// # });
    /// ```
    pub async fn recv_from_checked(&self, buf: &mut [u8]) -> io::Result<Received<SocketAddr>> {
        poll_fn(|cx| self.poll_recv_from_checked(cx, buf)).await
    }

    /// The poll form of [`recv_from_checked`](UdpSocket::recv_from_checked).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 4];
    /// std::future::poll_fn(|cx| a.poll_recv_from_checked(cx, &mut buf)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_recv_from_checked(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<Received<SocketAddr>>> {
        self.io.poll_read(cx, |s| {
            let full = next_datagram_len(SockRef::from(s))?;
            let (n, from) = s.recv_from(buf)?;
            Ok(Received::new(n, from, full))
        })
    }

    /// Like [`recv_from`](UdpSocket::recv_from) but leaves the datagram queued.
    ///
    /// # Errors
    ///
    /// As `recv_from`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.send_to(b"x", a.local_addr().unwrap()).await.unwrap();
    /// let mut buf = [0; 4];
    /// a.peek_from(&mut buf).await.unwrap();
    /// assert_eq!(a.recv_from(&mut buf).await.unwrap().0, 1);
    /// # });
    /// ```
    pub async fn peek_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.io.poll_read(cx, |s| s.peek_from(buf))).await
    }

    /// Like [`recv`](UdpSocket::recv) but leaves the datagram queued.
    ///
    /// # Errors
    ///
    /// As `recv`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.connect(a.local_addr().unwrap()).await.unwrap();
    /// a.send(b"x").await.unwrap();
    /// let mut buf = [0; 4];
    /// assert_eq!(a.peek(&mut buf).await.unwrap(), 1);
    /// # });
    /// ```
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.io.poll_read(cx, |s| s.peek(buf))).await
    }

    /// Whether sending to broadcast addresses is allowed (`SO_BROADCAST`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.set_broadcast(true).unwrap();
    /// assert!(a.broadcast().unwrap());
    /// # });
    /// ```
    pub fn broadcast(&self) -> io::Result<bool> {
        self.io.source().broadcast()
    }

    /// Sets `SO_BROADCAST`; see [`broadcast`](UdpSocket::broadcast).
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        self.io.source().set_broadcast(on)
    }

    /// The IP time-to-live of outgoing datagrams (`IP_TTL`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.set_ttl(9).unwrap();
    /// assert_eq!(a.ttl().unwrap(), 9);
    /// # });
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.io.source().ttl()
    }

    /// Sets `IP_TTL`; see [`ttl`](UdpSocket::ttl).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.io.source().set_ttl(ttl)
    }

    /// The kernel's send buffer size (`SO_SNDBUF`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.set_send_buffer_size(1 << 16).unwrap();
    /// assert!(a.send_buffer_size().unwrap() >= 1 << 16);
    /// # });
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        self.sock().send_buffer_size()
    }

    /// Sets `SO_SNDBUF`; see [`send_buffer_size`](UdpSocket::send_buffer_size).
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        self.sock().set_send_buffer_size(size)
    }

    /// The kernel's receive buffer size (`SO_RCVBUF`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// a.set_recv_buffer_size(1 << 16).unwrap();
    /// assert!(a.recv_buffer_size().unwrap() >= 1 << 16);
    /// # });
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        self.sock().recv_buffer_size()
    }

    /// Sets `SO_RCVBUF`; see [`recv_buffer_size`](UdpSocket::recv_buffer_size).
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        self.sock().set_recv_buffer_size(size)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let a = tulipa::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }
}

impl fmt::Debug for UdpSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpSocket")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
