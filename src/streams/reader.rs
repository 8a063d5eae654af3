//! `StreamReader`: buffered reads over a transport, with a size limit.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::error::StreamError;
use super::protocol::{release, SharedRc};

/// The reading half of a stream connection (asyncio's `StreamReader`).
///
/// Data the transport delivers is buffered here until read. The reader's *limit* (given to
/// [`stream_protocol`](super::stream_protocol), 64 KiB by default) bounds a line or record
/// for [`read_until`](StreamReader::read_until) / [`read_line`](StreamReader::read_line),
/// and bounds memory: above twice the limit of unread data the transport's reading is
/// paused, and it resumes once reads bring it back to the limit.
///
/// Also implements futures-io's `AsyncRead` and `AsyncBufRead`.
///
/// ```
/// tulipa::run(async {
///     let ((mut r, _w), (_r2, w2)) = tulipa::streams::pipe();
///     w2.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nbody");
///     w2.write_eof().unwrap();
///     assert_eq!(r.read_line().await.unwrap(), b"GET / HTTP/1.1\r\n");
///     assert_eq!(r.read_until(b"\r\n\r\n").await.unwrap(), b"Host: x\r\n\r\n");
///     assert_eq!(r.read_exact(4).await.unwrap(), b"body");
///     assert!(r.at_eof());
/// });
/// ```
pub struct StreamReader {
    shared: SharedRc,
    /// Data moved out of the shared buffer, `local[pos..]` unread.
    local: Vec<u8>,
    pos: usize,
}

impl StreamReader {
    pub(crate) fn new(shared: SharedRc) -> StreamReader {
        StreamReader {
            shared,
            local: Vec::new(),
            pos: 0,
        }
    }

    fn available(&self) -> usize {
        self.local.len() - self.pos
    }

    /// Moves newly arrived data into `local`.
    fn pull(&mut self) {
        let mut s = self.shared.borrow_mut();
        if s.incoming.is_empty() {
            return;
        }
        if self.pos == self.local.len() {
            self.local.clear();
            self.pos = 0;
            std::mem::swap(&mut self.local, &mut s.incoming);
        } else {
            if self.pos > 0 {
                self.local.drain(..self.pos);
                self.pos = 0;
            }
            self.local.append(&mut s.incoming);
        }
    }

    /// Waits for more data: `Ok(true)` when some arrived, `Ok(false)` at EOF, or the
    /// connection's error.
    fn poll_more(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<bool>> {
        let (has, resume) = {
            let mut s = self.shared.borrow_mut();
            if let Some(e) = s.error() {
                return Poll::Ready(Err(e));
            }
            if s.incoming.is_empty() {
                if s.eof {
                    return Poll::Ready(Ok(false));
                }
                s.read_waker = Some(cx.waker().clone());
                // Waiting for more while reading is paused (a `read_exact` larger than twice
                // the limit): resume, or this would wait for ever (asyncio does the same).
                let resume = if s.read_paused {
                    s.read_paused = false;
                    s.transport.clone()
                } else {
                    None
                };
                (false, resume)
            } else {
                (true, None)
            }
        };
        if let Some(t) = resume {
            t.resume_reading();
        }
        if has {
            self.pull();
            Poll::Ready(Ok(true))
        } else {
            Poll::Pending
        }
    }

    /// Marks `n` bytes of `local` consumed and resumes the transport if it was paused and the
    /// buffer is back to the limit (protocol rule 2).
    fn consume_n(&mut self, n: usize) {
        self.pos += n;
        if self.pos == self.local.len() {
            self.local.clear();
            self.pos = 0;
        }
        let resume = {
            let mut s = self.shared.borrow_mut();
            s.buffered -= n;
            if s.read_paused && s.buffered <= s.limit {
                s.read_paused = false;
                s.transport.clone()
            } else {
                None
            }
        };
        if let Some(t) = resume {
            t.resume_reading();
        }
    }

    fn take(&mut self, n: usize) -> Vec<u8> {
        let out = self.local[self.pos..self.pos + n].to_vec();
        self.consume_n(n);
        out
    }

    /// Takes every unread byte out of the reader (for `tulipa::tls`'s stream upgrade: bytes
    /// that arrived after the plaintext part belong to the TLS handshake).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn take_buffered(&mut self) -> Vec<u8> {
        self.pull();
        let n = self.available();
        self.take(n)
    }

    fn check_error(&self) -> io::Result<()> {
        let s = self.shared.borrow();
        match s.error() {
            // An early end (a TLS connection closed without close_notify): the data that
            // arrived before it is read first, then the error.
            Some(e)
                if e.kind() == io::ErrorKind::UnexpectedEof
                    && (self.available() > 0 || !s.incoming.is_empty()) =>
            {
                Ok(())
            }
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Reads up to `n` bytes: what is buffered, or waits for the next arrival. An empty
    /// result means EOF (or `n == 0`).
    ///
    /// # Errors
    ///
    /// The connection broke (the error `connection_lost` reported), as asyncio does even if
    /// unread data is buffered; except an `UnexpectedEof` error (a TLS peer that closed
    /// without close_notify), which comes after the data that arrived before it.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed until it returns.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((mut r, _), (_, w)) = tulipa::streams::pipe();
    ///     w.write(b"abcdef");
    ///     assert_eq!(r.read(4).await.unwrap(), b"abcd");
    ///     assert_eq!(r.read(4).await.unwrap(), b"ef");
    /// });
    /// ```
    pub async fn read(&mut self, n: usize) -> io::Result<Vec<u8>> {
        if n == 0 {
            return Ok(Vec::new());
        }
        poll_fn(|cx| {
            self.check_error()?;
            loop {
                self.pull();
                let avail = self.available();
                if avail > 0 {
                    return Poll::Ready(Ok(self.take(avail.min(n))));
                }
                match self.poll_more(cx) {
                    Poll::Ready(Ok(true)) => continue,
                    Poll::Ready(Ok(false)) => return Poll::Ready(Ok(Vec::new())),
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }

    /// Reads exactly `n` bytes (asyncio's `readexactly`).
    ///
    /// # Errors
    ///
    /// [`StreamError::IncompleteRead`] if EOF comes first: it carries the bytes that did
    /// arrive (they are consumed). [`StreamError::Io`] if the connection broke.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed until it returns.
    ///
    /// ```
    /// use tulipa::streams::StreamError;
    /// tulipa::run(async {
    ///     let ((mut r, _), (_, w)) = tulipa::streams::pipe();
    ///     w.write(b"abc");
    ///     w.write_eof().unwrap();
    ///     assert_eq!(r.read_exact(2).await.unwrap(), b"ab");
    ///     match r.read_exact(5).await {
    ///         Err(StreamError::IncompleteRead { partial, expected }) => {
    ///             assert_eq!((partial, expected), (b"c".to_vec(), Some(5)));
    ///         }
    ///         other => panic!("{other:?}"),
    ///     }
    /// });
    /// ```
    pub async fn read_exact(&mut self, n: usize) -> Result<Vec<u8>, StreamError> {
        poll_fn(|cx| {
            self.check_error()?;
            loop {
                self.pull();
                let avail = self.available();
                if avail >= n {
                    return Poll::Ready(Ok(self.take(n)));
                }
                match self.poll_more(cx) {
                    Poll::Ready(Ok(true)) => continue,
                    Poll::Ready(Ok(false)) => {
                        let partial = self.take(avail);
                        return Poll::Ready(Err(StreamError::IncompleteRead {
                            partial,
                            expected: Some(n),
                        }));
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }

    /// Reads up to and including `separator` (asyncio's `readuntil`).
    ///
    /// # Errors
    ///
    /// * [`StreamError::LimitOverrun`] if the data before the separator is longer than the
    ///   limit, or if more than the limit arrived without one. The data stays in the buffer
    ///   (`consumed` says how much is in the way): read it with [`read`](Self::read) or
    ///   [`read_exact`](Self::read_exact) to get past it. Reading is paused meanwhile above
    ///   twice the limit, so memory stays bounded.
    /// * [`StreamError::IncompleteRead`] if EOF comes first; `partial` is what was left
    ///   (consumed), `expected` is `None`.
    /// * [`StreamError::Io`] if the connection broke.
    ///
    /// # Panics
    ///
    /// If `separator` is empty.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed until it returns.
    ///
    /// ```
    /// use tulipa::streams::{self, StreamError};
    /// use tulipa::transports::memory;
    /// tulipa::run(async {
    ///     let (pa, mut r, _wa) = streams::stream_protocol(8);
    ///     let (pb, _rb, w) = streams::stream_protocol(8);
    ///     memory::pair(pa, pb);
    ///     w.write(b"short;this one is far too long;");
    ///     assert_eq!(r.read_until(b";").await.unwrap(), b"short;");
    ///     let e = r.read_until(b";").await.unwrap_err();
    ///     assert!(matches!(e, StreamError::LimitOverrun { consumed: 24 }));
    ///     assert_eq!(r.read_exact(25).await.unwrap(), b"this one is far too long;");
    /// });
    /// ```
    pub async fn read_until(&mut self, separator: &[u8]) -> Result<Vec<u8>, StreamError> {
        assert!(!separator.is_empty(), "read_until: the separator is empty");
        let limit = self.shared.borrow().limit;
        // Where to resume the search: bytes before it were scanned already.
        let mut offset = 0;
        poll_fn(|cx| {
            self.check_error()?;
            loop {
                self.pull();
                let buf = &self.local[self.pos..];
                if let Some(i) = find(&buf[offset.min(buf.len())..], separator) {
                    let isep = offset + i;
                    if isep > limit {
                        return Poll::Ready(Err(StreamError::LimitOverrun { consumed: isep }));
                    }
                    return Poll::Ready(Ok(self.take(isep + separator.len())));
                }
                offset = (buf.len() + 1).saturating_sub(separator.len());
                if offset > limit {
                    return Poll::Ready(Err(StreamError::LimitOverrun { consumed: offset }));
                }
                match self.poll_more(cx) {
                    Poll::Ready(Ok(true)) => continue,
                    Poll::Ready(Ok(false)) => {
                        let partial = self.take(self.available());
                        return Poll::Ready(Err(StreamError::IncompleteRead {
                            partial,
                            expected: None,
                        }));
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(e.into())),
                    Poll::Pending => return Poll::Pending,
                }
            }
        })
        .await
    }

    /// Reads one line, through `\n` (asyncio's `readline`). At EOF it returns what is left
    /// (without a newline), and then empty lines.
    ///
    /// # Errors
    ///
    /// * [`StreamError::LimitOverrun`] if the line is longer than the limit. Unlike
    ///   `read_until`, the offending data is discarded first (through the newline if it
    ///   arrived, else all that is buffered), so the next call reads on: an over-long line
    ///   costs its beginning, never unbounded memory.
    /// * [`StreamError::Io`] if the connection broke.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed until it returns.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((mut r, _), (_, w)) = tulipa::streams::pipe();
    ///     w.write(b"one\ntwo");
    ///     w.close();
    ///     assert_eq!(r.read_line().await.unwrap(), b"one\n");
    ///     assert_eq!(r.read_line().await.unwrap(), b"two");
    ///     assert_eq!(r.read_line().await.unwrap(), b"");
    /// });
    /// ```
    pub async fn read_line(&mut self) -> Result<Vec<u8>, StreamError> {
        match self.read_until(b"\n").await {
            Ok(line) => Ok(line),
            Err(StreamError::IncompleteRead { partial, .. }) => Ok(partial),
            Err(StreamError::LimitOverrun { consumed }) => {
                let buf = &self.local[self.pos..];
                let n = if buf.get(consumed) == Some(&b'\n') {
                    consumed + 1
                } else {
                    buf.len()
                };
                self.consume_n(n);
                Err(StreamError::LimitOverrun { consumed })
            }
            Err(e) => Err(e),
        }
    }

    /// EOF was received and everything before it was read.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((mut r, _), (_, w)) = tulipa::streams::pipe();
    ///     assert!(!r.at_eof());
    ///     w.write(b"x");
    ///     w.write_eof().unwrap();
    ///     r.read(1).await.unwrap();
    ///     r.read(1).await.unwrap();
    ///     assert!(r.at_eof());
    /// });
    /// ```
    pub fn at_eof(&self) -> bool {
        let s = self.shared.borrow();
        s.eof && s.incoming.is_empty() && self.available() == 0
    }

    /// The limit given at creation.
    ///
    /// ```
    /// let (_p, r, _w) = tulipa::streams::stream_protocol(100);
    /// assert_eq!(r.limit(), 100);
    /// ```
    pub fn limit(&self) -> usize {
        self.shared.borrow().limit
    }

    /// Bytes received and not yet read.
    ///
    /// ```
    /// let (_p, r, _w) = tulipa::streams::stream_protocol(100);
    /// assert_eq!(r.buffered(), 0);
    /// ```
    pub fn buffered(&self) -> usize {
        self.shared.borrow().buffered
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() == 1 {
        return haystack.iter().position(|&b| b == needle[0]);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

impl futures_io::AsyncRead for StreamReader {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let data = match futures_io::AsyncBufRead::poll_fill_buf(Pin::new(&mut *this), cx) {
            Poll::Ready(Ok(d)) => d,
            Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
            Poll::Pending => return Poll::Pending,
        };
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        this.consume_n(n);
        Poll::Ready(Ok(n))
    }
}

impl futures_io::AsyncBufRead for StreamReader {
    fn poll_fill_buf(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<&[u8]>> {
        let this = self.get_mut();
        this.check_error()?;
        loop {
            this.pull();
            if this.available() > 0 {
                break;
            }
            match this.poll_more(cx) {
                Poll::Ready(Ok(true)) => continue,
                Poll::Ready(Ok(false)) => break,
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(&this.local[this.pos..]))
    }

    fn consume(self: Pin<&mut Self>, amt: usize) {
        let this = self.get_mut();
        let amt = amt.min(this.available());
        this.consume_n(amt);
    }
}

impl Drop for StreamReader {
    fn drop(&mut self) {
        release(&self.shared, true);
    }
}

impl fmt::Debug for StreamReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamReader")
            .field("buffered", &self.buffered())
            .field("limit", &self.limit())
            .finish_non_exhaustive()
    }
}
