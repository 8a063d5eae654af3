//! `StreamWriter`: writes with flow control over a transport.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::protocol::{release, SharedRc};
use crate::transports::{Transport, TransportAddr};

/// The writing half of a stream connection (asyncio's `StreamWriter`).
///
/// [`write`](Self::write) never blocks: it hands the bytes to the transport, whose buffer
/// grows. Await [`drain`](Self::drain) after writing to wait while the buffer is above its
/// high watermark; that is what keeps a fast writer's memory bounded by a slow peer.
///
/// Also implements futures-io's `AsyncWrite`: `poll_write` waits as `drain` does before
/// taking more, `poll_flush` is `drain`, `poll_close` half-closes (`write_eof`) when the
/// transport can, else closes.
///
/// ```
/// tulipa::run(async {
///     let ((_r, w), (mut r2, _w2)) = tulipa::streams::pipe();
///     w.write(b"hello ");
///     w.writelines(&[b"wor", b"ld"]);
///     w.drain().await.unwrap();
///     w.close();
///     w.wait_closed().await.unwrap();
///     assert_eq!(r2.read_exact(11).await.unwrap(), b"hello world");
/// });
/// ```
pub struct StreamWriter {
    shared: SharedRc,
}

impl StreamWriter {
    pub(crate) fn new(shared: SharedRc) -> StreamWriter {
        StreamWriter { shared }
    }

    /// The transport, if connected and not lost yet.
    fn transport_or_early(&self) -> Result<Rc<dyn Transport>, bool> {
        let s = self.shared.borrow();
        match &s.transport {
            Some(t) => Ok(Rc::clone(t)),
            None => Err(s.lost),
        }
    }

    /// Detaches the writer from its transport: writes are kept (as before
    /// `connection_made`) until a protocol switch connects it again (`tulipa::tls`'s stream
    /// upgrade, so nothing is written in plain text during the handshake).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn detach_transport(&self) -> Option<Rc<dyn Transport>> {
        self.shared.borrow_mut().transport.take()
    }

    /// Queues `data` for sending; never blocks. Data written after `close` or `write_eof`,
    /// or after the connection is lost, is dropped.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     w.write(b"x");
    ///     assert_eq!(w.transport().unwrap().write_buffer_size(), 1);
    /// });
    /// ```
    pub fn write(&self, data: &[u8]) {
        match self.transport_or_early() {
            Ok(t) => t.write(data),
            Err(false) => self.shared.borrow_mut().early.extend_from_slice(data),
            Err(true) => {}
        }
    }

    /// Queues several buffers in order.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     w.writelines(&[b"a", b"bc"]);
    ///     assert_eq!(w.transport().unwrap().write_buffer_size(), 3);
    /// });
    /// ```
    pub fn writelines(&self, chunks: &[&[u8]]) {
        for c in chunks {
            self.write(c);
        }
    }

    /// Whether [`write_eof`](Self::write_eof) is supported by the transport.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     assert!(w.can_write_eof());
    /// });
    /// ```
    pub fn can_write_eof(&self) -> bool {
        self.transport_or_early()
            .map_or(true, |t| t.can_write_eof())
    }

    /// Half-closes: the peer reads EOF after the data written so far; this side can still
    /// read.
    ///
    /// # Errors
    ///
    /// `Unsupported` from transports that cannot half-close.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((mut r, w), (mut r2, w2)) = tulipa::streams::pipe();
    ///     w.write(b"question");
    ///     w.write_eof().unwrap();
    ///     assert_eq!(r2.read(100).await.unwrap(), b"question");
    ///     assert!(r2.read(100).await.unwrap().is_empty());
    ///     w2.write(b"answer"); // the other direction still works
    ///     assert_eq!(r.read(100).await.unwrap(), b"answer");
    /// });
    /// ```
    pub fn write_eof(&self) -> io::Result<()> {
        match self.transport_or_early() {
            Ok(t) => t.write_eof(),
            Err(false) => {
                self.shared.borrow_mut().early_eof = true;
                Ok(())
            }
            Err(true) => Ok(()),
        }
    }

    /// Closes the connection after the buffered data is sent. Await
    /// [`wait_closed`](Self::wait_closed) to know when it is done.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     w.close();
    ///     assert!(w.is_closing());
    /// });
    /// ```
    pub fn close(&self) {
        match self.transport_or_early() {
            Ok(t) => t.close(),
            Err(false) => self.shared.borrow_mut().early_close = true,
            Err(true) => {}
        }
    }

    /// `close` was called or the connection is gone.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     assert!(!w.is_closing());
    /// });
    /// ```
    pub fn is_closing(&self) -> bool {
        match self.transport_or_early() {
            Ok(t) => t.is_closing(),
            Err(lost) => lost || self.shared.borrow().early_close,
        }
    }

    /// The transport under this writer (until the connection is lost), for its addresses,
    /// buffer limits and the rest.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     w.transport().unwrap().set_write_buffer_limits(Some(1024), None);
    /// });
    /// ```
    pub fn transport(&self) -> Option<Rc<dyn Transport>> {
        self.transport_or_early().ok()
    }

    /// The peer's address (asyncio's `get_extra_info('peername')`).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     assert!(w.peer_addr().is_some());
    /// });
    /// ```
    pub fn peer_addr(&self) -> Option<TransportAddr> {
        self.transport().and_then(|t| t.peer_addr())
    }

    /// This end's address (asyncio's `get_extra_info('sockname')`).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     assert!(w.local_addr().is_some());
    /// });
    /// ```
    pub fn local_addr(&self) -> Option<TransportAddr> {
        self.transport().and_then(|t| t.local_addr())
    }

    fn poll_drain(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut s = self.shared.borrow_mut();
        if let Some(e) = s.error() {
            return Poll::Ready(Err(e));
        }
        if s.lost {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection lost",
            )));
        }
        if !s.write_paused {
            return Poll::Ready(Ok(()));
        }
        if !s.drain_wakers.iter().any(|w| w.will_wake(cx.waker())) {
            s.drain_wakers.push(cx.waker().clone());
        }
        Poll::Pending
    }

    /// Waits until the transport's write buffer is back at its low watermark, if it went
    /// above the high one (otherwise returns at once). Call it after writes.
    ///
    /// # Errors
    ///
    /// The connection's error if it broke; `ConnectionReset` ("connection lost") if it is
    /// gone, even cleanly (asyncio's rule: nothing written now could arrive).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits; the data stays queued.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), (mut r2, _w2)) = tulipa::streams::pipe();
    ///     w.transport().unwrap().set_write_buffer_limits(Some(4), Some(0));
    ///     w.write(b"12345"); // above the high watermark: drain waits for the reader
    ///     let reader = tulipa::spawn_local(async move { r2.read_exact(5).await.unwrap() });
    ///     w.drain().await.unwrap();
    ///     assert_eq!(reader.await.unwrap(), b"12345");
    /// });
    /// ```
    pub async fn drain(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_drain(cx)).await
    }

    /// Waits until the connection is closed (`connection_lost` ran).
    ///
    /// # Errors
    ///
    /// The error the connection ended with, if any.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _other) = tulipa::streams::pipe();
    ///     w.close();
    ///     w.wait_closed().await.unwrap();
    /// });
    /// ```
    pub async fn wait_closed(&self) -> io::Result<()> {
        poll_fn(|cx| {
            let mut s = self.shared.borrow_mut();
            if s.lost {
                return Poll::Ready(match s.error() {
                    Some(e) => Err(e),
                    None => Ok(()),
                });
            }
            if !s.closed_wakers.iter().any(|w| w.will_wake(cx.waker())) {
                s.closed_wakers.push(cx.waker().clone());
            }
            Poll::Pending
        })
        .await
    }
}

impl futures_io::AsyncWrite for StreamWriter {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.poll_drain(cx) {
            Poll::Ready(Ok(())) => {
                self.write(buf);
                Poll::Ready(Ok(buf.len()))
            }
            other => other.map_ok(|()| 0),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_drain(cx)
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.can_write_eof() {
            Poll::Ready(self.write_eof())
        } else {
            self.close();
            Poll::Ready(Ok(()))
        }
    }
}

impl Drop for StreamWriter {
    fn drop(&mut self) {
        release(&self.shared, false);
    }
}

impl fmt::Debug for StreamWriter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamWriter")
            .field("closing", &self.is_closing())
            .finish_non_exhaustive()
    }
}
