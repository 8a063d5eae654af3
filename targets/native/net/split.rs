//! Halves of a stream ([`TcpStream`](super::TcpStream) or [`UnixStream`](super::UnixStream)):
//! borrowed ([`ReadHalf`], [`WriteHalf`]) and owned ([`OwnedReadHalf`], [`OwnedWriteHalf`]).
//
// Maintainer notes: a stream's registration keeps one waker per direction, so one reader and
// one writer may poll at the same time. The halves enforce exactly that: a read half only
// reads, a write half only writes; the owned halves share the stream through an `Arc`, and the
// socket closes when the last half drops.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_io::{AsyncRead, AsyncWrite};
use mio::event::Source;

use super::stream::StreamCore;

/// Implemented by the stream types that can be split (sealed).
pub trait Sealed {
    #[doc(hidden)]
    type Source: Source + AsFd;
    #[doc(hidden)]
    fn core(&self) -> &StreamCore<Self::Source>;
}

pub(crate) fn split<T: Sealed>(stream: &mut T) -> (ReadHalf<'_, T>, WriteHalf<'_, T>) {
    (ReadHalf(stream), WriteHalf(stream))
}

pub(crate) fn into_split<T: Sealed>(stream: Arc<T>) -> (OwnedReadHalf<T>, OwnedWriteHalf<T>) {
    (OwnedReadHalf(Arc::clone(&stream)), OwnedWriteHalf(stream))
}

pub(crate) async fn read_exact<S: Source + AsFd>(
    core: &StreamCore<S>,
    mut buf: &mut [u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| core.poll_read(cx, buf)).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the peer closed the connection before the buffer was full",
            ));
        }
        buf = &mut buf[n..];
    }
    Ok(())
}

pub(crate) async fn write_all<S: Source + AsFd>(
    core: &StreamCore<S>,
    mut buf: &[u8],
) -> io::Result<()> {
    while !buf.is_empty() {
        let n = poll_fn(|cx| core.poll_write(cx, buf)).await?;
        if n == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        buf = &buf[n..];
    }
    Ok(())
}

/// The reading half of a borrowed split ([`TcpStream::split`](super::TcpStream::split)).
///
/// ```
/// # tulipa::run(async {
/// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
/// # let (mut b, _) = l.accept().await.unwrap();
/// b.write_all(b"hey").await.unwrap();
/// let (mut r, _w) = a.split();
/// let mut buf = [0; 3];
/// r.read_exact(&mut buf).await.unwrap();
/// # });
/// ```
pub struct ReadHalf<'a, T>(&'a T);

/// The writing half of a borrowed split ([`TcpStream::split`](super::TcpStream::split)).
///
/// ```
/// # tulipa::run(async {
/// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let mut a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
/// let (_r, mut w) = a.split();
/// w.write_all(b"hey").await.unwrap();
/// w.shutdown().unwrap();
/// # });
/// ```
pub struct WriteHalf<'a, T>(&'a T);

/// The reading half of an owned split
/// ([`TcpStream::into_split`](super::TcpStream::into_split)); can move to another task.
///
/// ```
/// # tulipa::run(async {
/// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
/// # let (mut b, _) = l.accept().await.unwrap();
/// let (mut r, w) = a.into_split();
/// let reader = tulipa::spawn(async move {
///     let mut buf = [0; 2];
///     r.read_exact(&mut buf).await.map(|_| buf)
/// });
/// b.write_all(b"ok").await.unwrap();
/// assert_eq!(&reader.await.unwrap().unwrap(), b"ok");
/// # drop(w);
/// # });
/// ```
pub struct OwnedReadHalf<T>(Arc<T>);

/// The writing half of an owned split
/// ([`TcpStream::into_split`](super::TcpStream::into_split)). Dropping it does not shut the
/// writing side down; call [`shutdown`](OwnedWriteHalf::shutdown) for a half-close.
///
/// ```
/// # tulipa::run(async {
/// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
/// let (_r, mut w) = a.into_split();
/// w.write_all(b"bye").await.unwrap();
/// w.shutdown().unwrap();
/// # });
/// ```
pub struct OwnedWriteHalf<T>(Arc<T>);

/// The halves given to [`OwnedReadHalf::reunite`] came from different streams; here they
/// are back.
#[derive(Debug)]
pub struct ReuniteError<T>(pub OwnedReadHalf<T>, pub OwnedWriteHalf<T>);

impl<T> fmt::Display for ReuniteError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the halves come from different streams")
    }
}

impl<T: fmt::Debug> std::error::Error for ReuniteError<T> {}

macro_rules! read_methods {
    () => {
        /// Reads what is available (at least one byte, or `Ok(0)` at EOF).
        ///
        /// # Errors
        ///
        /// As the stream's `read`.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: if the future is dropped before it completes, no data was read.
        pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            poll_fn(|cx| self.0.core().poll_read(cx, buf)).await
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
        pub async fn read_exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
            read_exact(self.0.core(), buf).await
        }
    };
}

macro_rules! write_methods {
    () => {
        /// Writes some of `buf` (at least one byte); returns how many.
        ///
        /// # Errors
        ///
        /// As the stream's `write`.
        ///
        /// # Cancel safety
        ///
        /// Cancel safe: if the future is dropped before it completes, nothing was written.
        pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            poll_fn(|cx| self.0.core().poll_write(cx, buf)).await
        }

        /// Writes all of `buf`.
        ///
        /// # Errors
        ///
        /// As the stream's `write`.
        ///
        /// # Cancel safety
        ///
        /// Not cancel safe: a prefix may have been written when the future is dropped.
        pub async fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
            write_all(self.0.core(), buf).await
        }

        /// Shuts down the writing side (half-close): the peer reads EOF.
        ///
        /// # Errors
        ///
        /// The OS refused.
        pub fn shutdown(&self) -> io::Result<()> {
            self.0.core().shutdown(Shutdown::Write)
        }
    };
}

impl<T: Sealed> ReadHalf<'_, T> {
    read_methods!();
}

impl<T: Sealed> WriteHalf<'_, T> {
    write_methods!();
}

impl<T: Sealed> OwnedReadHalf<T> {
    read_methods!();

    /// Puts the halves back together into the stream.
    ///
    /// # Errors
    ///
    /// [`ReuniteError`] (with both halves) if they come from different streams.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let a = tulipa::net::TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
    /// let (r, w) = a.into_split();
    /// let a = r.reunite(w).unwrap();
    /// # drop(a);
    /// # });
    /// ```
    pub fn reunite(self, other: OwnedWriteHalf<T>) -> Result<T, ReuniteError<T>> {
        if !Arc::ptr_eq(&self.0, &other.0) {
            return Err(ReuniteError(self, other));
        }
        drop(other);
        Ok(Arc::into_inner(self.0).expect("the two halves held the only references"))
    }
}

impl<T: Sealed> OwnedWriteHalf<T> {
    write_methods!();
}

impl<T> AsRef<T> for OwnedReadHalf<T> {
    fn as_ref(&self) -> &T {
        &self.0
    }
}

impl<T> AsRef<T> for OwnedWriteHalf<T> {
    fn as_ref(&self) -> &T {
        &self.0
    }
}

impl<T: Sealed> AsyncRead for ReadHalf<'_, T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.core().poll_read(cx, buf)
    }
}

impl<T: Sealed> AsyncRead for OwnedReadHalf<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        self.0.core().poll_read(cx, buf)
    }
}

fn poll_write<T: Sealed>(t: &T, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
    t.core().poll_write(cx, buf)
}

impl<T: Sealed> AsyncWrite for WriteHalf<'_, T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write(self.0, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.core().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.core().shutdown(Shutdown::Write))
    }
}

impl<T: Sealed> AsyncWrite for OwnedWriteHalf<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        poll_write(&*self.0, cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.0.core().poll_write_vectored(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.0.core().shutdown(Shutdown::Write))
    }
}

impl<T: fmt::Debug> fmt::Debug for ReadHalf<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReadHalf").field(self.0).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for WriteHalf<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WriteHalf").field(self.0).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedReadHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedReadHalf").field(&*self.0).finish()
    }
}

impl<T: fmt::Debug> fmt::Debug for OwnedWriteHalf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OwnedWriteHalf").field(&*self.0).finish()
    }
}
