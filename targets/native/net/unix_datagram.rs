//! [`UnixDatagram`]: a Unix-domain datagram socket on the loop's reactor.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use mio::Interest;
use socket2::SockRef;

use super::addr::unix_path;
use super::datagram::{next_datagram_len, Received};
use super::error::datagram_send_error;
use super::evented::Evented;

/// A Unix-domain datagram socket (asyncio's `create_datagram_endpoint` with `family=AF_UNIX`).
///
/// Like [`UdpSocket`](super::UdpSocket): `&self` methods, one receiving and one sending
/// task at a time, [`NetError::DatagramTooLarge`](super::NetError::DatagramTooLarge) for a
/// datagram over the socket's limit, truncation reported by
/// [`recv_from_checked`](UnixDatagram::recv_from_checked). Binding creates the socket file;
/// it is not removed on drop.
///
/// ```
/// use tulipa::net::UnixDatagram;
///
/// tulipa::run(async {
///     let (a, b) = UnixDatagram::pair().unwrap();
///     a.send(b"one").await.unwrap();
///     let mut buf = [0; 8];
///     assert_eq!(b.recv(&mut buf).await.unwrap(), 3);
/// });
/// ```
pub struct UnixDatagram {
    io: Evented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    pub(crate) fn source(&self) -> &mio::net::UnixDatagram {
        self.io.source()
    }

    /// Creates the socket file at `path` and binds to it.
    ///
    /// # Errors
    ///
    /// [`NetError::PathTooLong`](super::NetError::PathTooLong) for a path that does not fit;
    /// [`AddrInUse`](io::ErrorKind::AddrInUse) if the file exists.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let path = std::env::temp_dir().join(format!("tulipa-dg-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let s = tulipa::net::UnixDatagram::bind(&path).unwrap();
    /// # drop(s);
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::bind(unix_path(path.as_ref())?)?)
    }

    /// A socket bound to no path (it can send; replies need a bound sender).
    ///
    /// # Errors
    ///
    /// Out of descriptors, or outside a tulipa runtime.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let s = tulipa::net::UnixDatagram::unbound().unwrap();
    /// assert!(s.local_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn unbound() -> io::Result<UnixDatagram> {
        UnixDatagram::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// A connected pair (`socketpair`).
    ///
    /// # Errors
    ///
    /// Out of descriptors, or outside a tulipa runtime.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// # drop((a, b));
    /// # });
    /// ```
    pub fn pair() -> io::Result<(UnixDatagram, UnixDatagram)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((UnixDatagram::from_mio(a)?, UnixDatagram::from_mio(b)?))
    }

    /// Wraps a std socket (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Outside a tulipa runtime, or if the reactor refuses the socket.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let s = std::os::unix::net::UnixDatagram::unbound().unwrap();
    /// let s = tulipa::net::UnixDatagram::from_std(s).unwrap();
    /// # drop(s);
    /// # });
    /// ```
    pub fn from_std(socket: std::os::unix::net::UnixDatagram) -> io::Result<UnixDatagram> {
        socket.set_nonblocking(true)?;
        UnixDatagram::from_mio(mio::net::UnixDatagram::from_std(socket))
    }

    fn from_mio(socket: mio::net::UnixDatagram) -> io::Result<UnixDatagram> {
        Ok(UnixDatagram {
            io: Evented::new(socket, Interest::READABLE | Interest::WRITABLE)?,
        })
    }

    /// Sets the default peer for [`send`](UnixDatagram::send) and
    /// [`recv`](UnixDatagram::recv).
    ///
    /// # Errors
    ///
    /// [`NetError::PathTooLong`](super::NetError::PathTooLong), `NotFound`,
    /// `ConnectionRefused` (no socket bound there).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let e = tulipa::net::UnixDatagram::unbound().unwrap().connect("/nonexistent.sock").unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    /// # });
    /// ```
    pub fn connect(&self, path: impl AsRef<Path>) -> io::Result<()> {
        self.io.source().connect(unix_path(path.as_ref())?)
    }

    /// This socket's address.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// The connected peer's address.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().peer_addr()
    }

    /// Sends one datagram to the connected peer.
    ///
    /// # Errors
    ///
    /// [`NetError::DatagramTooLarge`](super::NetError::DatagramTooLarge) (over the send
    /// buffer), `ConnectionRefused` (the peer is gone), `NotConnected`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// assert_eq!(a.send(b"hi").await.unwrap(), 2);
    /// # });
    /// ```
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_send(cx, buf)).await
    }

    /// The poll form of [`send`](UnixDatagram::send).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// std::future::poll_fn(|cx| a.poll_send(cx, b"x")).await.unwrap();
    /// # });
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.io
            .poll_write(cx, |s| s.send(buf))
            .map_err(|e| datagram_send_error(e, buf.len()))
    }

    /// Sends one datagram to the socket bound at `path`.
    ///
    /// # Errors
    ///
    /// As [`send`](UnixDatagram::send), or [`NetError::PathTooLong`](super::NetError::PathTooLong).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was sent.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let path = std::env::temp_dir().join(format!("tulipa-st-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = tulipa::net::UnixDatagram::bind(&path).unwrap();
    /// let client = tulipa::net::UnixDatagram::unbound().unwrap();
    /// client.send_to(b"hey", &path).await.unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        poll_fn(|cx| self.poll_send_to(cx, buf, path)).await
    }

    /// The poll form of [`send_to`](UnixDatagram::send_to).
    ///
    /// # Errors
    ///
    /// As [`send_to`](UnixDatagram::send_to).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let path = std::env::temp_dir().join(format!("tulipa-pst-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let server = tulipa::net::UnixDatagram::bind(&path).unwrap();
    /// let client = tulipa::net::UnixDatagram::unbound().unwrap();
    /// std::future::poll_fn(|cx| client.poll_send_to(cx, b"x", &path)).await.unwrap();
    /// assert_eq!(server.recv(&mut [0; 4]).await.unwrap(), 1);
    /// # std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn poll_send_to(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
        path: &Path,
    ) -> Poll<io::Result<usize>> {
        let path = unix_path(path)?;
        self.io
            .poll_write(cx, |s| s.send_to(buf, path))
            .map_err(|e| datagram_send_error(e, buf.len()))
    }

    /// Receives one datagram from the connected peer; a longer one is cut to `buf.len()`.
    ///
    /// # Errors
    ///
    /// An OS error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no datagram was taken.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// assert_eq!(b.recv(&mut [0; 4]).await.unwrap(), 1);
    /// # });
    /// ```
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_recv(cx, buf)).await
    }

    /// The poll form of [`recv`](UnixDatagram::recv).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// let mut buf = [0; 1];
    /// std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.io.poll_read(cx, |s| s.recv(buf))
    }

    /// Receives one datagram and its sender's address.
    ///
    /// # Errors
    ///
    /// An OS error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no datagram was taken.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// let (n, from) = b.recv_from(&mut [0; 4]).await.unwrap();
    /// assert_eq!(n, 1);
    /// assert!(from.is_unnamed());
    /// # });
    /// ```
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from(cx, buf)).await
    }

    /// The poll form of [`recv_from`](UnixDatagram::recv_from).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.send(b"x").await.unwrap();
    /// let mut buf = [0; 1];
    /// std::future::poll_fn(|cx| b.poll_recv_from(cx, &mut buf)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_read(cx, |s| s.recv_from(buf))
    }

    /// Receives one whole datagram, growing `buf` first if the next one is longer (Unix
    /// datagrams can exceed 64 KiB: up to the sender's send-buffer size). For the datagram
    /// transport, which must never cut a message.
    pub(crate) fn poll_recv_from_whole(
        &self,
        cx: &mut Context<'_>,
        buf: &mut Vec<u8>,
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        self.io.poll_read(cx, |s| {
            if let Some(full) = next_datagram_len(SockRef::from(s))? {
                if full > buf.len() {
                    buf.resize(full, 0);
                }
            }
            s.recv_from(buf)
        })
    }

    /// Receives one datagram and says whether it was cut to fit `buf`; see [`Received`].
    ///
    /// # Errors
    ///
    /// An OS error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no datagram was taken.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.send(b"longer").await.unwrap();
    /// let got = b.recv_from_checked(&mut [0; 2]).await.unwrap();
    /// assert!(got.truncated);
    /// # });
    /// ```
    pub async fn recv_from_checked(&self, buf: &mut [u8]) -> io::Result<Received<SocketAddr>> {
        poll_fn(|cx| {
            self.io.poll_read(cx, |s| {
                let full = next_datagram_len(SockRef::from(s))?;
                let (n, from) = s.recv_from(buf)?;
                Ok(Received::new(n, from, full))
            })
        })
        .await
    }

    /// Shuts down reading, writing, or both.
    ///
    /// # Errors
    ///
    /// The OS refused.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.shutdown(std::net::Shutdown::Both).unwrap();
    /// # });
    /// ```
    pub fn shutdown(&self, how: std::net::Shutdown) -> io::Result<()> {
        self.io.source().shutdown(how)
    }

    /// The kernel's send buffer size (`SO_SNDBUF`), which bounds the datagram size.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.set_send_buffer_size(1 << 16).unwrap();
    /// assert!(a.send_buffer_size().unwrap() >= 1 << 16);
    /// # });
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        SockRef::from(self.io.source()).send_buffer_size()
    }

    /// Sets `SO_SNDBUF`; see [`send_buffer_size`](UnixDatagram::send_buffer_size).
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        SockRef::from(self.io.source()).set_send_buffer_size(size)
    }

    /// The kernel's receive buffer size (`SO_RCVBUF`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// a.set_recv_buffer_size(1 << 16).unwrap();
    /// assert!(a.recv_buffer_size().unwrap() >= 1 << 16);
    /// # });
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        SockRef::from(self.io.source()).recv_buffer_size()
    }

    /// Sets `SO_RCVBUF`; see [`recv_buffer_size`](UnixDatagram::recv_buffer_size).
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        SockRef::from(self.io.source()).set_recv_buffer_size(size)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixDatagram::pair().unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }
}

impl fmt::Debug for UnixDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixDatagram")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
