//! [`UnixStream`]: a Unix-domain stream connection on the loop's reactor.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};

use super::addr::unix_path;
use super::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};
use super::stream::StreamCore;

/// A Unix-domain stream connection (asyncio's `open_unix_connection` socket).
///
/// It behaves like [`TcpStream`](super::TcpStream): async `read`/`write` methods, the
/// futures-io traits, half-close with [`shutdown`](UnixStream::shutdown), split halves,
/// writes that never raise SIGPIPE, errors that stay reported.
///
/// ```
/// use tulipa::net::{UnixListener, UnixStream};
///
/// tulipa::run(async {
///     let path = std::env::temp_dir().join(format!("tulipa-doc-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let listener = UnixListener::bind(&path).unwrap();
///     let mut client = UnixStream::connect(&path).await.unwrap();
///     let (mut server, _) = listener.accept().await.unwrap();
///     client.write_all(b"over unix").await.unwrap();
///     let mut buf = [0; 9];
///     server.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"over unix");
///     std::fs::remove_file(&path).unwrap();
/// });
/// ```
pub struct UnixStream {
    core: StreamCore<mio::net::UnixStream>,
}

impl UnixStream {
    /// Connects to the socket at `path`.
    ///
    /// # Errors
    ///
    /// [`NetError::PathTooLong`](super::NetError::PathTooLong) (kind
    /// [`InvalidInput`](io::ErrorKind::InvalidInput)) for a path that does not fit in a
    /// `sockaddr_un`; [`NotFound`](io::ErrorKind::NotFound) when no socket file exists;
    /// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused) when nobody listens on it
    /// any more; `WouldBlock` when the listener's backlog is full.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe in that nothing leaks: dropping the future closes the socket.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let e = tulipa::net::UnixStream::connect("/nonexistent/tulipa.sock").await.unwrap_err();
    ///     assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    /// });
    /// ```
    pub async fn connect(path: impl AsRef<Path>) -> io::Result<UnixStream> {
        let stream = mio::net::UnixStream::connect(unix_path(path.as_ref())?)?;
        let stream = UnixStream::from_mio(stream)?;
        poll_fn(|cx| stream.core.poll_connected(cx)).await?;
        Ok(stream)
    }

    /// A connected pair of streams (`socketpair`).
    ///
    /// # Errors
    ///
    /// Out of descriptors, or outside a tulipa runtime.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (mut a, mut b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.write_all(b"x").await.unwrap();
    /// let mut buf = [0; 1];
    /// b.read_exact(&mut buf).await.unwrap();
    /// # });
    /// ```
    pub fn pair() -> io::Result<(UnixStream, UnixStream)> {
        let (a, b) = mio::net::UnixStream::pair()?;
        Ok((UnixStream::from_mio(a)?, UnixStream::from_mio(b)?))
    }

    /// Wraps a connected std stream (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Outside a tulipa runtime, or if the reactor refuses the socket.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    /// let a = tulipa::net::UnixStream::from_std(a).unwrap();
    /// # drop(a);
    /// # });
    /// ```
    pub fn from_std(stream: std::os::unix::net::UnixStream) -> io::Result<UnixStream> {
        stream.set_nonblocking(true)?;
        UnixStream::from_mio(mio::net::UnixStream::from_std(stream))
    }

    pub(crate) fn from_mio(stream: mio::net::UnixStream) -> io::Result<UnixStream> {
        Ok(UnixStream {
            core: StreamCore::new(stream)?,
        })
    }

    /// This end's address (usually unnamed for a connecting socket).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// assert!(a.local_addr().unwrap().is_unnamed());
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.core.source().local_addr()
    }

    /// The peer's address (the listener's path for a connected client).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// assert!(a.peer_addr().unwrap().as_pathname().is_none());
    /// # });
    /// ```
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.core.source().peer_addr()
    }

    /// Reads what is available (at least one byte), or `Ok(0)` at EOF.
    ///
    /// # Errors
    ///
    /// [`ConnectionReset`](io::ErrorKind::ConnectionReset) and the like, on this and every
    /// later call.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no data was read.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (mut a, b) = tulipa::net::UnixStream::pair().unwrap();
    /// drop(b);
    /// assert_eq!(a.read(&mut [0; 4]).await.unwrap(), 0);
    /// # });
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.core.poll_read(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof) if the peer closes first.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: bytes read before the drop are lost to the caller.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (mut a, mut b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.write_all(b"abc").await.unwrap();
    /// let mut buf = [0; 3];
    /// b.read_exact(&mut buf).await.unwrap();
    /// # });
    /// ```
    pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        split::read_exact(&self.core, buf).await
    }

    /// Writes some of `buf` (at least one byte); returns how many.
    ///
    /// # Errors
    ///
    /// [`BrokenPipe`](io::ErrorKind::BrokenPipe) when the peer is gone (never SIGPIPE).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, nothing was written.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (mut a, b) = tulipa::net::UnixStream::pair().unwrap();
    /// drop(b);
    /// let e = a.write(b"x").await.unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe);
    /// # });
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.core.poll_write(cx, buf)).await
    }

    /// Writes all of `buf`.
    ///
    /// # Errors
    ///
    /// As [`write`](UnixStream::write).
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: a prefix may have been written when the future is dropped.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (mut a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.write_all(b"all of it").await.unwrap();
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
    /// let path = std::env::temp_dir().join(format!("tulipa-usf-{}", std::process::id()));
    /// std::fs::write(&path, b"whole file").unwrap();
    /// let file = std::fs::File::open(&path).unwrap();
    /// let (mut a, mut b) = tulipa::net::UnixStream::pair().unwrap();
    /// assert_eq!(a.sendfile(&file, 0, None).await.unwrap(), 10);
    /// let mut got = [0; 10];
    /// b.read_exact(&mut got).await.unwrap();
    /// assert_eq!(&got, b"whole file");
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

    /// Flushes: there is no user-space buffer, so this returns at once.
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
    /// let (mut a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.flush().await.unwrap();
    /// # });
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }

    /// Shuts down reading, writing (half-close: the peer reads EOF), or both.
    ///
    /// # Errors
    ///
    /// The OS refused.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, mut b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.shutdown(std::net::Shutdown::Write).unwrap();
    /// assert_eq!(b.read(&mut [0; 1]).await.unwrap(), 0);
    /// # });
    /// ```
    pub fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        self.core.shutdown(how)
    }

    /// Borrowed read and write halves; see [`TcpStream::split`](super::TcpStream::split).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (mut a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let (_r, mut w) = a.split();
    /// w.write_all(b"x").await.unwrap();
    /// # });
    /// ```
    pub fn split(&mut self) -> (ReadHalf<'_, UnixStream>, WriteHalf<'_, UnixStream>) {
        split::split(self)
    }

    /// Owned halves for two tasks; see [`TcpStream::into_split`](super::TcpStream::into_split).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let (r, w) = a.into_split();
    /// let a = r.reunite(w).unwrap();
    /// # drop(a);
    /// # });
    /// ```
    pub fn into_split(self) -> (OwnedReadHalf<UnixStream>, OwnedWriteHalf<UnixStream>) {
        split::into_split(Arc::new(self))
    }

    /// The kernel's send buffer size (`SO_SNDBUF`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.set_send_buffer_size(1 << 16).unwrap();
    /// assert!(a.send_buffer_size().unwrap() >= 1 << 16);
    /// # });
    /// ```
    pub fn send_buffer_size(&self) -> io::Result<usize> {
        self.core.sock().send_buffer_size()
    }

    /// Sets `SO_SNDBUF`; see [`send_buffer_size`](UnixStream::send_buffer_size).
    pub fn set_send_buffer_size(&self, size: usize) -> io::Result<()> {
        self.core.sock().set_send_buffer_size(size)
    }

    /// The kernel's receive buffer size (`SO_RCVBUF`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.set_recv_buffer_size(1 << 16).unwrap();
    /// assert!(a.recv_buffer_size().unwrap() >= 1 << 16);
    /// # });
    /// ```
    pub fn recv_buffer_size(&self) -> io::Result<usize> {
        self.core.sock().recv_buffer_size()
    }

    /// Sets `SO_RCVBUF`; see [`recv_buffer_size`](UnixStream::recv_buffer_size).
    pub fn set_recv_buffer_size(&self, size: usize) -> io::Result<()> {
        self.core.sock().set_recv_buffer_size(size)
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// assert!(a.take_error().unwrap().is_none());
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.core.take_error()
    }

    /// The poll form of [`read`](UnixStream::read) through a shared reference, for
    /// transports; see [`TcpStream::poll_recv`](super::TcpStream::poll_recv).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (mut a, b) = tulipa::net::UnixStream::pair().unwrap();
    /// a.write_all(b"z").await.unwrap();
    /// let mut buf = [0; 1];
    /// std::future::poll_fn(|cx| b.poll_recv(cx, &mut buf)).await.unwrap();
    /// # });
    /// ```
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.core.poll_read(cx, buf)
    }

    /// The poll form of [`write`](UnixStream::write) through a shared reference.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// std::future::poll_fn(|cx| a.poll_send(cx, b"z")).await.unwrap();
    /// # });
    /// ```
    pub fn poll_send(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.core.poll_write(cx, buf)
    }

    /// The poll form of a gathering write (one `sendmsg`).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let bufs = [std::io::IoSlice::new(b"a"), std::io::IoSlice::new(b"b")];
    /// assert_eq!(std::future::poll_fn(|cx| a.poll_send_vectored(cx, &bufs)).await.unwrap(), 2);
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

impl split::Sealed for UnixStream {
    type Source = mio::net::UnixStream;
    fn core(&self) -> &StreamCore<mio::net::UnixStream> {
        &self.core
    }
}

impl AsyncRead for UnixStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.core.poll_read(cx, buf)
    }
}

impl AsyncWrite for UnixStream {
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

impl fmt::Debug for UnixStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixStream")
            .field("local", &self.local_addr().ok())
            .field("peer", &self.peer_addr().ok())
            .finish()
    }
}
