//! The child's standard streams as non-blocking pipes on the reactor: [`ChildStdin`]
//! (`AsyncWrite`), [`ChildStdout`] and [`ChildStderr`] (`AsyncRead` + `AsyncBufRead`, and
//! asyncio's `StreamReader` methods with a size limit).
//
// Maintainer notes.
//
// 1. Every read and write goes through `Evented` (`Registration::poll_io`): no retry loop
//    here. Writes run inside `without_sigpipe`, so a write to a child that closed its stdin
//    returns BrokenPipe whatever SIGPIPE's disposition.
// 2. A reader's buffer is exactly `limit` bytes: reading pauses (the child blocks on a full
//    pipe) when it is full and resumes as it is consumed. `read_until` scans only bytes not
//    scanned before, so a long record costs linear time.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, IoSlice, Read, Write};
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use mio::unix::pipe::{Receiver, Sender};
use mio::Interest;

use crate::streams::StreamError;
use crate::sys::net::evented::Evented;
use crate::sys::sigpipe::without_sigpipe;

/// How many reads one `read_to_end` poll makes before it yields to other tasks.
const READS_PER_POLL: usize = 16;

/// The child's standard input: write to it, close it to send end of file.
///
/// Implements futures-io's [`AsyncWrite`]; `poll_close` (and [`close`](ChildStdin::close),
/// and dropping it) closes the pipe. A write after the child closed its end (or exited)
/// fails with [`io::ErrorKind::BrokenPipe`]; it never raises SIGPIPE.
///
/// ```
/// use tulipa::process::{Command, Stdio};
///
/// tulipa::run(async {
///     let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
///     let mut stdin = child.stdin.take().unwrap();
///     stdin.write_all(b"hello").await.unwrap();
///     stdin.close();
///     let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
///     assert_eq!(out, b"hello");
///     assert!(child.wait().await.unwrap().success());
/// });
/// ```
pub struct ChildStdin {
    io: Option<Evented<Sender>>,
}

fn closed() -> io::Error {
    io::Error::new(io::ErrorKind::BrokenPipe, "the child's stdin was closed")
}

impl ChildStdin {
    pub(crate) fn new(pipe: std::process::ChildStdin) -> io::Result<ChildStdin> {
        let tx = Sender::from(pipe);
        tx.set_nonblocking(true)?;
        Ok(ChildStdin {
            io: Some(Evented::new(tx, Interest::WRITABLE)?),
        })
    }

    pub(crate) fn poll_write_buf(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, &[IoSlice::new(buf)])
    }

    fn poll_write_bufs(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let Some(io) = &self.io else {
            return Poll::Ready(Err(closed()));
        };
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(Ok(0));
        }
        io.poll_write(cx, |s| without_sigpipe(|| (&*s).write_vectored(bufs)))
    }

    /// Writes some of `buf` (at least one byte, unless `buf` is empty) once the pipe has room;
    /// returns how much.
    ///
    /// # Errors
    ///
    /// `BrokenPipe` if the child closed its stdin or exited (or [`close`](Self::close) was
    /// called).
    ///
    /// # Cancel safety
    ///
    /// Safe: nothing was written if it did not complete.
    ///
    /// ```
    /// # use tulipa::process::{Command, Stdio};
    /// # tulipa::run(async {
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).stdout(Stdio::null()).spawn().unwrap();
    /// let n = child.stdin.as_mut().unwrap().write(b"abc").await.unwrap();
    /// assert_eq!(n, 3);
    /// # child.stdin.take(); child.wait().await.unwrap();
    /// # });
    /// ```
    pub async fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_write_buf(cx, buf)).await
    }

    /// Writes all of `buf`, waiting for room as the child reads (asyncio's `write` followed by
    /// `drain`).
    ///
    /// # Errors
    ///
    /// As [`write`](Self::write).
    ///
    /// # Cancel safety
    ///
    /// Not safe: part of `buf` may have been written.
    ///
    /// ```
    /// # use tulipa::process::{Command, Stdio};
    /// # tulipa::run(async {
    /// let mut child = Command::new("wc").arg("-c").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    /// child.stdin.as_mut().unwrap().write_all(&[b'x'; 100_000]).await.unwrap();
    /// child.stdin.take(); // EOF
    /// let out = child.stdout.as_mut().unwrap().read_to_end().await.unwrap();
    /// assert_eq!(String::from_utf8(out).unwrap().trim(), "100000");
    /// # child.wait().await.unwrap();
    /// # });
    /// ```
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Closes the pipe: the child reads end of file. Later writes fail with `BrokenPipe`.
    ///
    /// ```
    /// # use tulipa::process::{Command, Stdio};
    /// # tulipa::run(async {
    /// let mut child = Command::new("cat").stdin(Stdio::piped()).spawn().unwrap();
    /// child.stdin.as_mut().unwrap().close();
    /// assert!(child.wait().await.unwrap().success()); // cat saw EOF and exited
    /// # });
    /// ```
    pub fn close(&mut self) {
        self.io = None;
    }
}

impl AsyncWrite for ChildStdin {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_buf(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, bufs)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(())) // a pipe has no user-space buffer
    }

    fn poll_close(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.close();
        Poll::Ready(Ok(()))
    }
}

impl fmt::Debug for ChildStdin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildStdin")
            .field("open", &self.io.is_some())
            .finish()
    }
}

/// The shared reader behind [`ChildStdout`] and [`ChildStderr`].
pub(crate) struct PipeReader {
    io: Evented<Receiver>,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    eof: bool,
}

impl PipeReader {
    fn new(rx: Receiver, limit: usize) -> io::Result<PipeReader> {
        rx.set_nonblocking(true)?;
        Ok(PipeReader {
            io: Evented::new(rx, Interest::READABLE)?,
            buf: vec![0; limit.max(1)].into_boxed_slice(),
            pos: 0,
            filled: 0,
            eof: false,
        })
    }

    fn buffered(&self) -> &[u8] {
        &self.buf[self.pos..self.filled]
    }

    /// Reads more into the buffer's free tail (after compacting); returns the bytes added,
    /// 0 at EOF or when the buffer is full.
    fn poll_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.eof {
            return Poll::Ready(Ok(0));
        }
        if self.pos > 0 && self.filled == self.buf.len() {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        } else if self.pos == self.filled {
            self.pos = 0;
            self.filled = 0;
        }
        if self.filled == self.buf.len() {
            return Poll::Ready(Ok(0));
        }
        let PipeReader {
            io, buf, filled, ..
        } = self;
        let space = &mut buf[*filled..];
        let len = space.len();
        let n = std::task::ready!(io.poll_read_stream(cx, len, |s| (&*s).read(space)))?;
        if n == 0 {
            self.eof = true;
        }
        self.filled += n;
        Poll::Ready(Ok(n))
    }

    fn poll_fill_buf(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        if self.pos == self.filled && !self.eof {
            std::task::ready!(self.poll_more(cx))?;
        }
        Poll::Ready(Ok(self.buffered()))
    }

    fn consume(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.filled);
    }

    pub(crate) fn poll_read(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.pos == self.filled && !self.eof && out.len() >= self.buf.len() {
            let PipeReader { io, .. } = self;
            let len = out.len();
            let n = std::task::ready!(io.poll_read_stream(cx, len, |s| (&*s).read(out)))?;
            if n == 0 {
                self.eof = true;
            }
            return Poll::Ready(Ok(n));
        }
        let available = std::task::ready!(self.poll_fill_buf(cx))?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Poll::Ready(Ok(n))
    }

    /// Appends everything up to EOF to `out`; yields after a few reads so a fast child
    /// cannot hold the loop.
    pub(crate) fn poll_read_to_end(
        &mut self,
        cx: &mut Context<'_>,
        out: &mut Vec<u8>,
    ) -> Poll<io::Result<()>> {
        out.extend_from_slice(self.buffered());
        self.pos = self.filled;
        for _ in 0..READS_PER_POLL {
            if self.eof {
                return Poll::Ready(Ok(()));
            }
            let start = out.len();
            let chunk = self.buf.len().max(64 * 1024);
            out.resize(start + chunk, 0);
            let r = self
                .io
                .poll_read_stream(cx, chunk, |s| (&*s).read(&mut out[start..]));
            match r {
                Poll::Ready(Ok(n)) => {
                    out.truncate(start + n);
                    if n == 0 {
                        self.eof = true;
                    }
                }
                Poll::Ready(Err(e)) => {
                    out.truncate(start);
                    return Poll::Ready(Err(e));
                }
                Poll::Pending => {
                    out.truncate(start);
                    return Poll::Pending;
                }
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let got = poll_fn(|cx| {
            self.poll_fill_buf(cx)
                .map_ok(|b| b[..b.len().min(n)].to_vec())
        })
        .await?;
        self.consume(got.len());
        Ok(got)
    }

    async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        let mut out = Vec::with_capacity(n.min(self.buf.len()));
        while out.len() < n {
            let want = n - out.len();
            let take = poll_fn(|cx| {
                self.poll_fill_buf(cx).map_ok(|chunk| {
                    let take = chunk.len().min(want);
                    out.extend_from_slice(&chunk[..take]);
                    take
                })
            })
            .await?;
            if take == 0 {
                return Err(StreamError::IncompleteRead {
                    partial: out,
                    expected: Some(n),
                });
            }
            self.consume(take);
        }
        Ok(out)
    }

    /// Rule 2. `at_eof_ok`: return the rest at EOF (read_line) instead of IncompleteRead.
    async fn read_until(&mut self, sep: &[u8], at_eof_ok: bool) -> Result<Vec<u8>, StreamError> {
        assert!(
            !sep.is_empty(),
            "read_until: the separator must not be empty"
        );
        let mut scanned: usize = 0;
        loop {
            let have = self.buffered();
            if have.len() >= sep.len() {
                let from = scanned.saturating_sub(sep.len() - 1);
                if let Some(i) = have[from..].windows(sep.len()).position(|w| w == sep) {
                    let end = from + i + sep.len();
                    let line = have[..end].to_vec();
                    self.consume(end);
                    return Ok(line);
                }
                scanned = have.len();
            }
            if self.eof {
                let partial = self.buffered().to_vec();
                self.consume(partial.len());
                if at_eof_ok {
                    return Ok(partial);
                }
                return Err(StreamError::IncompleteRead {
                    partial,
                    expected: None,
                });
            }
            if self.filled - self.pos == self.buf.len() {
                return Err(StreamError::LimitOverrun { consumed: scanned });
            }
            // Compaction moves the data to the front; `scanned` counts from `pos`, so it holds.
            poll_fn(|cx| self.poll_more(cx)).await?;
        }
    }
}

macro_rules! reader_type {
    ($name:ident, $std:ty, $what:literal, $fdno:literal, $example_cmd:literal) => {
        #[doc = concat!("The child's ", $what, ": a buffered pipe reader.")]
        ///
        /// It implements futures-io's [`AsyncRead`] and [`AsyncBufRead`], and has asyncio's
        /// `StreamReader` methods. Its buffer holds exactly the reader's limit
        /// ([`Command::limit`](super::Command::limit), 64 KiB by default, asyncio's
        /// `limit=`): when it is full, reading pauses and the child blocks on the full
        /// pipe; consuming resumes it. A line or record longer than the limit is a
        /// [`StreamError::LimitOverrun`].
        ///
        /// ```
        /// use tulipa::process::{Command, Stdio};
        ///
        /// tulipa::run(async {
        #[doc = concat!("    let mut child = Command::new(\"sh\").args([\"-c\", \"", $example_cmd, "\"])")]
        #[doc = concat!("        .", $what, "(Stdio::piped()).spawn().unwrap();")]
        #[doc = concat!("    let r = child.", $what, ".as_mut().unwrap();")]
        ///     assert_eq!(r.read_line().await.unwrap(), b"one\n");
        ///     assert_eq!(r.read_line().await.unwrap(), b"two\n");
        ///     assert_eq!(r.read_line().await.unwrap(), b""); // EOF
        ///     child.wait().await.unwrap();
        /// });
        /// ```
        pub struct $name(PipeReader);

        impl $name {
            pub(crate) fn new(pipe: $std, limit: usize) -> io::Result<$name> {
                Ok($name(PipeReader::new(Receiver::from(pipe), limit)?))
            }

            pub(crate) fn inner(&mut self) -> &mut PipeReader {
                &mut self.0
            }

            pub(crate) fn into_reader(self) -> PipeReader {
                self.0
            }

            /// Reads up to `n` bytes: what is buffered, or else what one read brings; empty
            /// at EOF (asyncio's `read(n)`).
            ///
            /// # Errors
            ///
            /// The read failed.
            ///
            /// # Cancel safety
            ///
            /// Safe: nothing is consumed unless it returns.
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"sh\").args([\"-c\", \"echo hi >&", $fdno, "\"]).", $what, "(Stdio::piped()).spawn().unwrap();")]
            #[doc = concat!("let r = c.", $what, ".as_mut().unwrap();")]
            /// let mut got = Vec::new();
            /// loop {
            ///     let chunk = r.read(2).await.unwrap();
            ///     if chunk.is_empty() { break; }
            ///     got.extend(chunk);
            /// }
            /// assert_eq!(got, b"hi\n");
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
                self.0.read(n).await
            }

            /// Reads exactly `n` bytes (asyncio's `readexactly`).
            ///
            /// # Errors
            ///
            /// [`StreamError::IncompleteRead`] (with the bytes that came) if EOF comes first;
            /// [`StreamError::Io`] if a read failed.
            ///
            /// # Cancel safety
            ///
            /// Not safe: bytes already taken from the buffer are lost.
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"sh\").args([\"-c\", \"printf abcdef >&", $fdno, "\"]).", $what, "(Stdio::piped()).spawn().unwrap();")]
            #[doc = concat!("let r = c.", $what, ".as_mut().unwrap();")]
            /// assert_eq!(r.read_exact(4).await.unwrap(), b"abcd");
            /// assert!(r.read_exact(4).await.is_err()); // only "ef" is left
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
                self.0.read_exact(n).await
            }

            /// Reads up to and including `separator` (asyncio's `readuntil`).
            ///
            /// # Errors
            ///
            /// [`StreamError::IncompleteRead`] at EOF without the separator (the rest is
            /// consumed and returned in it); [`StreamError::LimitOverrun`] if the separator
            /// is not within the limit (the data stays buffered: read it with
            /// [`read`](Self::read)); [`StreamError::Io`] if a read failed.
            ///
            /// # Panics
            ///
            /// If `separator` is empty.
            ///
            /// # Cancel safety
            ///
            /// Safe: nothing is consumed unless it returns.
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"sh\").args([\"-c\", \"printf 'a;b;' >&", $fdno, "\"]).", $what, "(Stdio::piped()).spawn().unwrap();")]
            #[doc = concat!("let r = c.", $what, ".as_mut().unwrap();")]
            /// assert_eq!(r.read_until(b";").await.unwrap(), b"a;");
            /// assert_eq!(r.read_until(b";").await.unwrap(), b"b;");
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub async fn read_until(&mut self, separator: &[u8]) -> Result<Vec<u8>, StreamError> {
                self.0.read_until(separator, false).await
            }

            /// Reads one line, with its `\n`; at EOF, what is left (empty when nothing is)
            /// (asyncio's `readline`).
            ///
            /// # Errors
            ///
            /// [`StreamError::LimitOverrun`] if no `\n` is within the limit (the data stays
            /// buffered); [`StreamError::Io`] if a read failed.
            ///
            /// # Cancel safety
            ///
            /// Safe: nothing is consumed unless it returns.
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"sh\").args([\"-c\", \"printf 'x\\\\ny' >&", $fdno, "\"]).", $what, "(Stdio::piped()).spawn().unwrap();")]
            #[doc = concat!("let r = c.", $what, ".as_mut().unwrap();")]
            /// assert_eq!(r.read_line().await.unwrap(), b"x\n");
            /// assert_eq!(r.read_line().await.unwrap(), b"y");
            /// assert_eq!(r.read_line().await.unwrap(), b"");
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub async fn read_line(&mut self) -> Result<Vec<u8>, StreamError> {
                self.0.read_until(b"\n", true).await
            }

            /// Reads everything up to EOF (asyncio's `read()`).
            ///
            /// # Errors
            ///
            /// A read failed (what was read so far is lost).
            ///
            /// # Cancel safety
            ///
            /// Not safe: what was read so far is lost.
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"sh\").args([\"-c\", \"seq 3 >&", $fdno, "\"]).", $what, "(Stdio::piped()).spawn().unwrap();")]
            #[doc = concat!("let all = c.", $what, ".as_mut().unwrap().read_to_end().await.unwrap();")]
            /// assert_eq!(all, b"1\n2\n3\n");
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub async fn read_to_end(&mut self) -> io::Result<Vec<u8>> {
                let mut out = Vec::new();
                poll_fn(|cx| self.0.poll_read_to_end(cx, &mut out)).await?;
                Ok(out)
            }

            /// Whether EOF was seen and the buffer is empty (asyncio's `at_eof`).
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"true\").", $what, "(Stdio::piped()).spawn().unwrap();")]
            #[doc = concat!("let r = c.", $what, ".as_mut().unwrap();")]
            /// assert!(!r.at_eof());
            /// r.read_to_end().await.unwrap();
            /// assert!(r.at_eof());
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub fn at_eof(&self) -> bool {
                self.0.eof && self.0.pos == self.0.filled
            }

            /// The reader's limit: its buffer's size.
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"true\").", $what, "(Stdio::piped()).limit(1024).spawn().unwrap();")]
            #[doc = concat!("assert_eq!(c.", $what, ".as_ref().unwrap().limit(), 1024);")]
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub fn limit(&self) -> usize {
                self.0.buf.len()
            }

            /// The bytes read from the pipe and not consumed yet.
            ///
            /// ```
            /// # use tulipa::process::{Command, Stdio};
            /// # tulipa::run(async {
            #[doc = concat!("let mut c = Command::new(\"true\").", $what, "(Stdio::piped()).spawn().unwrap();")]
            #[doc = concat!("assert!(c.", $what, ".as_ref().unwrap().buffer().is_empty());")]
            /// # c.wait().await.unwrap();
            /// # });
            /// ```
            pub fn buffer(&self) -> &[u8] {
                self.0.buffered()
            }
        }

        impl AsyncRead for $name {
            fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, out: &mut [u8]) -> Poll<io::Result<usize>> {
                self.0.poll_read(cx, out)
            }
        }

        impl AsyncBufRead for $name {
            fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
                self.get_mut().0.poll_fill_buf(cx)
            }

            fn consume(mut self: Pin<&mut Self>, amt: usize) {
                self.0.consume(amt);
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("buffered", &(self.0.filled - self.0.pos))
                    .field("limit", &self.0.buf.len())
                    .field("eof", &self.0.eof)
                    .finish()
            }
        }
    };
}

reader_type!(
    ChildStdout,
    std::process::ChildStdout,
    "stdout",
    "1",
    "echo one; echo two"
);
reader_type!(
    ChildStderr,
    std::process::ChildStderr,
    "stderr",
    "2",
    "echo one >&2; echo two >&2"
);
