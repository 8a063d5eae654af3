//! [`TcpStream`]: a TCP connection on the loop's reactor.

use std::fmt;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::net::{Shutdown, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use super::addr::{each_addr, ToSocketAddrs};
use super::error::NetError;
use super::options::ConnectOptions;
use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use super::stream::StreamCore;

/// A TCP connection (asyncio's socket under a transport; tokio's `TcpStream`).
///
/// Create one with [`TcpStream::connect`] or get one from
/// [`TcpListener::accept`](super::TcpListener::accept). It reads and writes with async
/// methods ([`read`](TcpStream::read), [`write_all`](TcpStream::write_all), ...) and
/// implements futures-io's [`AsyncRead`] and [`AsyncWrite`]; wrap it in
/// [`BufReader`](super::BufReader) for [`AsyncBufRead`](futures_io::AsyncBufRead).
///
/// One task reads and one task writes at a time: to read and write concurrently, split it
/// with [`split`](TcpStream::split) (borrowed halves) or [`into_split`](TcpStream::into_split)
/// (owned halves for two tasks).
///
/// Errors stay reported: after the peer resets the connection, every later read and write
/// fails with [`ConnectionReset`](io::ErrorKind::ConnectionReset) (the OS itself reports a
/// reset once and then pretends EOF). Writing to a closed peer returns
/// [`BrokenPipe`](io::ErrorKind::BrokenPipe) or `ConnectionReset`, never SIGPIPE.
///
/// Dropping the stream deregisters it from the reactor and closes the socket.
///
/// ```
/// use tulipa::net::{TcpListener, TcpStream};
///
/// tulipa::run(async {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     let server = tulipa::spawn(async move {
///         let (mut conn, _) = listener.accept().await.unwrap();
///         let mut buf = [0; 5];
///         conn.read_exact(&mut buf).await.unwrap();
///         conn.write_all(&buf).await.unwrap();
///     });
///     let mut client = TcpStream::connect(addr).await.unwrap();
///     client.write_all(b"hello").await.unwrap();
///     let mut echo = [0; 5];
///     client.read_exact(&mut echo).await.unwrap();
///     assert_eq!(&echo, b"hello");
///     server.await.unwrap();
/// });
/// ```
pub struct TcpStream {
    core: StreamCore<mio::net::TcpStream>,
}

impl TcpStream {
    /// Connects to `addr`. A host name is resolved on the blocking pool; each address is
    /// tried in the resolver's order, one at a time, until one connects (asyncio's default).
    /// An address that does not answer costs the OS's connect timeout: bound each try with
    /// [`connect_timeout`](TcpStream::connect_timeout), or race the addresses with
    /// [`ConnectOptions::happy_eyeballs`] and [`connect_with`](TcpStream::connect_with).
    ///
    /// # Errors
    ///
    /// The last attempt's error when no address connects:
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) (nothing listens there),
    /// [`TimedOut`](io::ErrorKind::TimedOut) (the OS gave up), a [`NetError::Unresolvable`]
    /// ([`NotFound`](io::ErrorKind::NotFound)) for a name that does not resolve.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe in the sense that nothing leaks: dropping the future closes the
    /// half-open socket. The peer may have seen a connection that is then closed.
    ///
    /// ```
    /// tulipa::run(async {
    ///     // Port 1 on loopback: nothing listens there.
    ///     let err = tulipa::net::TcpStream::connect("127.0.0.1:1").await.unwrap_err();
    ///     assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
    /// });
    /// ```
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        connect_target(addr.to_target()?, &ConnectOptions::new()).await
    }

    /// Like [`connect`](TcpStream::connect), with [`ConnectOptions`]: a local address to
    /// bind first, a time limit per address, `TCP_NODELAY`.
    ///
    /// # Errors
    ///
    /// As `connect`; [`AddrInUse`](io::ErrorKind::AddrInUse) or
    /// [`AddrNotAvailable`](io::ErrorKind::AddrNotAvailable) from binding the local
    /// address; [`NetError::ConnectTimedOut`] when the limit passes.
    ///
    /// # Cancel safety
    ///
    /// As [`connect`](TcpStream::connect).
    ///
    /// ```
    /// use tulipa::net::{ConnectOptions, TcpListener, TcpStream};
    /// tulipa::run(async {
    ///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let local = "127.0.0.1:0".parse().unwrap();
    ///     let s = TcpStream::connect_with(l.local_addr().unwrap(), &ConnectOptions::new().local_addr(local))
    ///         .await
    ///         .unwrap();
    ///     let (_, peer) = l.accept().await.unwrap();
    ///     assert_eq!(peer, s.local_addr().unwrap());
    /// });
    /// ```
    pub async fn connect_with(
        addr: impl ToSocketAddrs,
        options: &ConnectOptions,
    ) -> io::Result<TcpStream> {
        connect_target(addr.to_target()?, options).await
    }

    /// Like [`connect`](TcpStream::connect), but gives up on each address after `limit`
    /// and tries the next one.
    ///
    /// # Errors
    ///
    /// As `connect`; an attempt that ran out of time is a [`NetError::ConnectTimedOut`]
    /// (kind [`TimedOut`](io::ErrorKind::TimedOut)).
    ///
    /// # Cancel safety
    ///
    /// As [`connect`](TcpStream::connect).
    ///
    /// ```
    /// use std::time::Duration;
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let addr = l.local_addr().unwrap();
    ///     let s = tulipa::net::TcpStream::connect_timeout(addr, Duration::from_secs(5)).await;
    ///     assert!(s.is_ok());
    /// });
    /// ```
    pub async fn connect_timeout(
        addr: impl ToSocketAddrs,
        limit: Duration,
    ) -> io::Result<TcpStream> {
        connect_target(addr.to_target()?, &ConnectOptions::new().timeout(limit)).await
    }

    /// Wraps a connected std stream (it is switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Outside a tulipa runtime, or if the reactor refuses the socket.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    ///     let std_stream = std::net::TcpStream::connect(l.local_addr().unwrap()).unwrap();
    ///     let s = tulipa::net::TcpStream::from_std(std_stream).unwrap();
    ///     assert_eq!(s.peer_addr().unwrap(), l.local_addr().unwrap());
    /// });
    /// ```
    pub fn from_std(stream: std::net::TcpStream) -> io::Result<TcpStream> {
        stream.set_nonblocking(true)?;
        TcpStream::from_mio(mio::net::TcpStream::from_std(stream))
    }

    pub(crate) fn from_mio(stream: mio::net::TcpStream) -> io::Result<TcpStream> {
        Ok(TcpStream {
            core: StreamCore::new(stream)?,
        })
    }

    /// The local address of this end of the connection.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let s = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert!(s.local_addr().unwrap().ip().is_loopback());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.core.source().local_addr()
    }

    /// The address of the peer.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let s = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert_eq!(s.peer_addr().unwrap(), l.local_addr().unwrap());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.core.source().peer_addr()
    }

    /// Reads what is available into `buf`, waiting until at least one byte (or EOF) is
    /// there; `Ok(0)` is EOF (the peer shut down its writing side), or an empty `buf`.
    ///
    /// # Errors
    ///
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset) after a reset, on this and every
    /// later call.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no data was read.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// # let (mut b, _) = l.accept().await.unwrap();
    /// a.write_all(b"hi").await.unwrap();
    /// a.shutdown(std::net::Shutdown::Write).unwrap();
    /// let mut buf = [0; 8];
    /// let mut got = Vec::new();
    /// loop {
    ///     let n = b.read(&mut buf).await.unwrap();
    ///     if n == 0 { break; }
    ///     got.extend_from_slice(&buf[..n]);
    /// }
    /// assert_eq!(got, b"hi");
    /// # });
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.core.poll_read(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the peer closes first (the bytes
    /// read so far are in `buf`, their count is lost), or a read error.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: bytes read before the drop are lost to the caller.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// # let (mut b, _) = l.accept().await.unwrap();
    /// a.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 3];
    /// b.read_exact(&mut buf).await.unwrap();
    /// assert_eq!(&buf, b"abc");
    /// # });
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        split::read_exact(&self.core, buf).await
    }

    /// Reads like [`read`](TcpStream::read) but leaves the data in the socket, so the
    /// next read returns it again.
    ///
    /// # Errors
    ///
    /// As `read`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// # let (mut b, _) = l.accept().await.unwrap();
    /// a.write_all(b"x").await.unwrap();
    /// let mut buf = [0; 1];
    /// assert_eq!(b.peek(&mut buf).await.unwrap(), 1);
    /// assert_eq!(b.read(&mut buf).await.unwrap(), 1);
    /// # });
    /// ```
    pub async fn peek(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.core.poll_read_with(cx, |s| s.peek(buf))).await
    }

    /// Writes some of `buf`, waiting until the socket takes at least one byte; returns how
    /// many it took.
    ///
    /// # Errors
    ///
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe) or
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset) when the peer is gone.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was written.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let n = a.write(b"hello").await.unwrap();
    /// assert!(n >= 1 && n <= 5);
    /// # });
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.core.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As [`write`](TcpStream::write).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a prefix of `buf` may have been written when the future is dropped.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.write_all(&[7; 10_000]).await.unwrap();
    /// # });
    /// ```
    pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        split::write_all(&self.core, buf).await
    }

    /// Sends `count` bytes of `file` from `offset` (to the end of the file when `count` is
    /// `None`) and returns how many were sent: fewer only if the file ended first (asyncio's
    /// `loop.sock_sendfile`). On Linux the kernel copies straight from the page cache
    /// (`sendfile(2)`); elsewhere, or for a file `sendfile` cannot read, tulipa reads the
    /// file in 64 KiB pieces on the loop's thread and writes them. The file's own position
    /// is neither used nor changed. A peer that went away gives `BrokenPipe` or
    /// `ConnectionReset`, never SIGPIPE, whatever the process's SIGPIPE disposition.
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write), and the file's read errors (`EBADF` for a file not open
    /// for reading). After an error, how much was sent is unknown.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: part of the range may have been sent when the future is dropped.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let path = std::env::temp_dir().join(format!("tulipa-sf-{}", std::process::id()));
    /// std::fs::write(&path, b"0123456789").unwrap();
    /// let file = std::fs::File::open(&path).unwrap();
    /// let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (mut b, _) = l.accept().await.unwrap();
    /// assert_eq!(a.sendfile(&file, 2, Some(5)).await.unwrap(), 5);
    /// let mut got = [0; 5];
    /// b.read_exact(&mut got).await.unwrap();
    /// assert_eq!(&got, b"23456");
    /// # std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub async fn sendfile(
        &mut self,
        file: &std::fs::File,
        offset: u64,
        count: Option<u64>,
    ) -> io::Result<u64> {
        super::sendfile::send_file(&self.core, file, offset, count).await
    }

    /// Flushes: a TCP socket has no user-space buffer, so this returns at once.
    ///
    /// # Errors
    ///
    /// Never.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.flush().await.unwrap();
    /// # });
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down the reading side, the writing side (half-close: the peer reads EOF after
    /// the data already sent; asyncio's `write_eof`), or both.
    ///
    /// # Errors
    ///
    /// The OS refused (a socket that is already closed by a reset is not an error).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.shutdown(std::net::Shutdown::Write).unwrap();
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// Borrowed halves for reading and writing at the same time in one task (for example
    /// with `select`-style combinators).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (mut r, mut w) = a.split();
    /// w.write_all(b"x").await.unwrap();
    /// # drop(r);
    /// # });
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_, TcpStream>, WriteHalf<'_, TcpStream>) {
        split::split(self)
    }

    /// Owned halves, to read in one task and write in another; put them back together
    /// with [`OwnedReadHalf::reunite`].
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (r, mut w) = a.into_split();
    /// let reader = tulipa::spawn(async move { let mut r = r; let mut b = [0; 1]; r.read(&mut b).await });
    /// w.write_all(b"x").await.unwrap();
    /// # drop(reader);
    /// # });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<TcpStream>, OwnedWriteHalf<TcpStream>) {
        split::into_split(Arc::new(self))
    }

    /// Whether Nagle's algorithm is off (`TCP_NODELAY`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.set_nodelay(true).unwrap();
    /// assert!(a.nodelay().unwrap());
    /// # });
    /// ```
    pub fn nodelay(&self) -> io::Result<bool> {
        self.core.sock().tcp_nodelay()
    }

    /// Turns Nagle's algorithm off (`true`) or on; see [`nodelay`](TcpStream::nodelay).
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.core.sock().set_tcp_nodelay(nodelay)
    }

    /// Whether TCP keep-alive probes are on (`SO_KEEPALIVE`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.set_keepalive(true).unwrap();
    /// assert!(a.keepalive().unwrap());
    /// # });
    /// ```
    pub fn keepalive(&self) -> io::Result<bool> {
        self.core.sock().keepalive()
    }

    /// Turns keep-alive probes on or off; see [`keepalive`](TcpStream::keepalive).
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.core.sock().set_keepalive(keepalive)
    }

    /// `SO_LINGER`: `None` closes in the background (the default); `Some(Duration::ZERO)`
    /// makes close reset the connection (RST) instead of the orderly FIN.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.set_linger(Some(std::time::Duration::ZERO)).unwrap();
    /// assert_eq!(a.linger().unwrap(), Some(std::time::Duration::ZERO));
    /// # });
    /// ```
    pub fn linger(&self) -> io::Result<Option<Duration>> {
        self.core.sock().linger()
    }

    /// Sets `SO_LINGER`; see [`linger`](TcpStream::linger).
    pub fn set_linger(&self, linger: Option<Duration>) -> io::Result<()> {
        self.core.sock().set_linger(linger)
    }

    /// The IP time-to-live of outgoing packets (`IP_TTL`; IPv4 sockets).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.set_ttl(42).unwrap();
    /// assert_eq!(a.ttl().unwrap(), 42);
    /// # });
    /// ```
    pub fn ttl(&self) -> io::Result<u32> {
        self.core.sock().ttl_v4()
    }

    /// Sets the IP time-to-live; see [`ttl`](TcpStream::ttl).
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        self.core.sock().set_ttl_v4(ttl)
    }

    /// The kernel's send buffer size in bytes (`SO_SNDBUF`; Linux doubles what you set).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.set_send_buffer_size(64 * 1024).unwrap();
    /// assert!(a.send_buffer_size().unwrap() >= 64 * 1024);
    /// # });
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        self.core.sock().send_buffer_size()
    }

    /// Sets `SO_SNDBUF`; see [`send_buffer_size`](TcpStream::send_buffer_size).
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        self.core.sock().set_send_buffer_size(size)
    }

    /// The kernel's receive buffer size in bytes (`SO_RCVBUF`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// a.set_recv_buffer_size(64 * 1024).unwrap();
    /// assert!(a.recv_buffer_size().unwrap() >= 64 * 1024);
    /// # });
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        self.core.sock().recv_buffer_size()
    }

    /// Sets `SO_RCVBUF`; see [`recv_buffer_size`](TcpStream::recv_buffer_size).
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        self.core.sock().set_recv_buffer_size(size)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.core.take_error()
    }

    /// Polls a read into `buf` through a shared reference: the poll form of
    /// [`read`](TcpStream::read), for transports that drive the socket by hand.
    /// One task reads at a time (a second concurrent reader would take the first one's
    /// wakeup). Returns `Pending` only after the socket said `WouldBlock`, so calling it
    /// until `Pending` drains the socket.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// # let (b, _) = l.accept().await.unwrap();
    /// a.write_all(b"z").await.unwrap();
    /// let mut buf = [0; 4];
    /// let n = std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
    /// assert_eq!(&buf[..n], b"z");
    /// # });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.core.poll_read(cx, buf)
    }

    /// Polls a write of `buf` through a shared reference; the poll form of
    /// [`write`](TcpStream::write) (one writing task at a time).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let n = std::future::poll_fn(|cx| a.poll_send(cx, b"abc")).await.unwrap();
    /// assert!(n > 0);
    /// # });
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.core.poll_write(cx, buf)
    }

    /// Polls a gathering write of `bufs` (one `sendmsg`); see
    /// [`poll_send`](TcpStream::poll_send).
    ///
    /// ```
    /// # use std::io::IoSlice;
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let bufs = [IoSlice::new(b"ab"), IoSlice::new(b"cd")];
    /// let n = std::future::poll_fn(|cx| a.poll_send_vectored(cx, &bufs)).await.unwrap();
    /// assert_eq!(n, 4);
    /// # });
    /// ```
    pub fn poll_send_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_write_vectored(cx, bufs)
    }
}

async fn connect_target(
    target: super::addr::sealed::Target,
    options: &ConnectOptions,
) -> io::Result<TcpStream> {
    if let Some(delay) = options.happy_eyeballs {
        let addrs = interleave(super::addr::resolve(target).await?);
        return staggered(addrs, delay, options).await;
    }
    each_addr(target, |addr| attempt(addr, options)).await
}

/// One address, within the per-attempt time limit if there is one.
async fn attempt(addr: SocketAddr, options: &ConnectOptions) -> io::Result<TcpStream> {
    match options.timeout {
        None => connect_addr(addr, options).await,
        Some(after) => crate::time::timeout(after, connect_addr(addr, options))
            .await
            .unwrap_or_else(|_| Err(NetError::ConnectTimedOut { addr, after }.into())),
    }
}

/// RFC 8305's order: the first address's family first, then alternating families, each
/// family keeping the resolver's order.
fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let Some(first) = addrs.first().copied() else {
        return addrs;
    };
    let (same, other): (Vec<_>, Vec<_>) = addrs
        .into_iter()
        .partition(|a| a.is_ipv6() == first.is_ipv6());
    let mut out = Vec::with_capacity(same.len() + other.len());
    let mut other = other.into_iter();
    for a in same {
        out.push(a);
        out.extend(other.next());
    }
    out.extend(other);
    out
}

/// Happy Eyeballs: attempts start `delay` apart (at once after a failure); the first to
/// connect wins and dropping the others closes their sockets. Bounded: one attempt per
/// address. All failing gives the last error.
async fn staggered(
    addrs: Vec<SocketAddr>,
    delay: Duration,
    options: &ConnectOptions,
) -> io::Result<TcpStream> {
    type Attempt<'a> = Pin<Box<dyn Future<Output = io::Result<TcpStream>> + Send + 'a>>;
    let mut next = addrs.into_iter();
    let mut running: Vec<Attempt<'_>> = Vec::new();
    let mut timer: Option<Pin<Box<crate::time::Sleep>>> = None;
    let mut start_now = true;
    let mut last = None;
    poll_fn(|cx| loop {
        let due = timer
            .as_mut()
            .is_some_and(|t| t.as_mut().poll(cx).is_ready());
        if start_now || due {
            start_now = false;
            timer = None;
            if let Some(addr) = next.next() {
                running.push(Box::pin(attempt(addr, options)));
                timer = Some(Box::pin(crate::time::sleep(delay)));
                // Poll the new timer (it registers) and the new attempt below.
                continue;
            }
        }
        let mut failed = false;
        let mut i = 0;
        while i < running.len() {
            match running[i].as_mut().poll(cx) {
                Poll::Ready(Ok(stream)) => return Poll::Ready(Ok(stream)),
                Poll::Ready(Err(e)) => {
                    last = Some(e);
                    drop(running.remove(i));
                    failed = true;
                }
                Poll::Pending => i += 1,
            }
        }
        if failed {
            start_now = true;
        }
        if running.is_empty() && next.len() == 0 {
            return Poll::Ready(Err(last.take().unwrap_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidInput, "no socket addresses given")
            })));
        }
        if !failed {
            return Poll::Pending;
        }
    })
    .await
}

async fn connect_addr(addr: SocketAddr, options: &ConnectOptions) -> io::Result<TcpStream> {
    let stream = TcpStream::from_mio(options.start_connect(addr)?)?;
    poll_fn(|cx| stream.core.poll_connected(cx)).await?;
    Ok(stream)
}

impl split::Sealed for TcpStream {
    type Source = mio::net::TcpStream;
    fn core(&self) -> &StreamCore<mio::net::TcpStream> {
        &self.core
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_read(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Shuts down the writing side (half-close); the socket closes when dropped.
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.core.shutdown(Shutdown::Write))
    }
}

impl fmt::Debug for TcpStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TcpStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::interleave;
    use std::net::SocketAddr;

    #[test]
    fn interleave_alternates_families_from_the_first_ones() {
        let a = |s: &str| s.parse::<SocketAddr>().unwrap();
        let (v6a, v6b, v4a, v4b, v4c) = (
            a("[::1]:1"),
            a("[::2]:1"),
            a("1.0.0.1:1"),
            a("1.0.0.2:1"),
            a("1.0.0.3:1"),
        );
        assert_eq!(interleave(vec![v6a, v6b, v4a]), [v6a, v4a, v6b]);
        assert_eq!(interleave(vec![v4a, v4b, v4c, v6a]), [v4a, v6a, v4b, v4c]);
        assert_eq!(interleave(vec![v4a]), [v4a]);
        assert!(interleave(Vec::new()).is_empty());
    }
}
