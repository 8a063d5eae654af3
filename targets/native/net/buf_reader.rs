//! [`BufReader`]: buffers a stream's reads, for futures-io's [`AsyncBufRead`].

use std::fmt;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};

const DEFAULT_CAPACITY: usize = 8 * 1024;

/// Adds a read buffer to a stream ([`TcpStream`](super::TcpStream),
/// [`UnixStream`](super::UnixStream), a read half, or any `AsyncRead`), so it implements
/// [`AsyncBufRead`] (line- and delimiter-based reading with futures-util's
/// `AsyncBufReadExt`). Writes pass straight through to the inner stream.
///
/// Reads larger than the buffer bypass it when it is empty.
///
/// ```
/// use std::future::poll_fn;
/// use std::pin::Pin;
/// use futures_io::AsyncBufRead;
/// use tulipa::net::{BufReader, UnixStream};
///
/// tulipa::run(async {
///     let (mut a, b) = UnixStream::pair().unwrap();
///     a.write_all(b"first line\nsecond").await.unwrap();
///     let mut r = BufReader::new(b);
///     let buffered = poll_fn(|cx| Pin::new(&mut r).poll_fill_buf(cx).map_ok(|b| b.to_vec()))
///         .await
///         .unwrap();
///     let line_end = buffered.iter().position(|&c| c == b'\n').unwrap();
///     assert_eq!(&buffered[..line_end], b"first line");
///     Pin::new(&mut r).consume(line_end + 1);
///     assert_eq!(r.buffer(), b"second");
/// });
/// ```
pub struct BufReader<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
}

impl<R> BufReader<R> {
    /// Wraps `inner` with an 8 KiB buffer.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let r = tulipa::net::BufReader::new(a);
    /// assert_eq!(r.capacity(), 8192);
    /// # });
    /// ```
    pub fn new(inner: R) -> BufReader<R> {
        BufReader::with_capacity(DEFAULT_CAPACITY, inner)
    }

    /// Wraps `inner` with a buffer of `capacity` bytes (at least 1).
    ///
    /// ```
    /// # tulipa::run(async {
    /// let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let r = tulipa::net::BufReader::with_capacity(64, a);
    /// assert_eq!(r.capacity(), 64);
    /// # });
    /// ```
    pub fn with_capacity(capacity: usize, inner: R) -> BufReader<R> {
        BufReader {
            inner,
            buf: vec![0; capacity.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    /// The buffer's size.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// assert_eq!(tulipa::net::BufReader::with_capacity(10, a).capacity(), 10);
    /// # });
    /// ```
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// The bytes read from the stream and not yet consumed.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// assert!(tulipa::net::BufReader::new(a).buffer().is_empty());
    /// # });
    /// ```
    pub fn buffer(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// The inner stream.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let r = tulipa::net::BufReader::new(a);
    /// assert!(r.get_ref().peer_addr().is_ok());
    /// # });
    /// ```
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// The inner stream, mutably (reading from it directly skips the buffered bytes).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let mut r = tulipa::net::BufReader::new(a);
    /// r.get_mut().write_all(b"x").await.unwrap();
    /// # });
    /// ```
    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    /// The inner stream; buffered bytes not yet consumed are lost (read
    /// [`buffer`](BufReader::buffer) first).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let (a, _b) = tulipa::net::UnixStream::pair().unwrap();
    /// let a = tulipa::net::BufReader::new(a).into_inner();
    /// # drop(a);
    /// # });
    /// ```
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for BufReader<R> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pos == self.filled && out.len() >= self.buf.len() {
            return Pin::new(&mut self.inner).poll_read(cx, out);
        }
        let available = std::task::ready!(self.as_mut().poll_fill_buf(cx))?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }
}

impl<R: AsyncRead + Unpin> AsyncBufRead for BufReader<R> {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        if this.pos == this.filled {
            let n = std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, &mut this.buf))?;
            this.pos = 0;
            this.filled = n;
        }
        Poll::Ready(Ok(&this.buf[this.pos..this.filled]))
    }

    fn consume(mut self: Pin<&mut Self>, amt: usize) {
        self.pos = (self.pos + amt).min(self.filled);
    }
}

impl<R: AsyncWrite + Unpin> AsyncWrite for BufReader<R> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

impl<R: fmt::Debug> fmt::Debug for BufReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BufReader")
            .field("inner", &self.inner)
            .field("buffered", &(self.filled - self.pos))
            .field("capacity", &self.buf.len())
            .finish()
    }
}
