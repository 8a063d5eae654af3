//! `WebSocket`, its halves, and the state they share with the connection's driver.
//!
//! Each connection has one driver (natively a task that owns the stream and the codec; in the
//! browser a task over the host's `WebSocket`) and user handles. They meet in `Shared`.

// Protocol of `Shared` (one mutex, never held while waking):
// 1. Handles push outgoing messages; the driver takes them (`driver_take`) and reports
//    what it still buffers (`set_backend_buffered`). The flow state flips to paused when
//    outgoing + backend > high, and back when it drops to low or below; only then are
//    waiting senders woken.
// 2. The driver pushes incoming messages; it reads only while `may_read` (not paused by the
//    user, incoming below `recv_limit`). The receiver taking a message wakes the driver when
//    that makes reading possible again.
// 3. `ended` is set once, by the driver; every waiter is woken then. After it, sends fail,
//    and the receiver drains what is queued, then gets the end's error (or
//    `ConnectionClosed` after a clean close).
// 4. The last user handle dropped queues a close (1001) if none was queued.

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use super::error::{close_code, Error};
use super::message::Message;

/// Default high watermark of the send buffer (bytes).
pub const DEFAULT_HIGH: usize = 64 * 1024;
/// Default receive limit (bytes of messages queued and not yet received).
pub const DEFAULT_RECV_LIMIT: usize = 1 << 20;

#[derive(Debug)]
pub(crate) struct Inner {
    incoming: VecDeque<Message>,
    incoming_bytes: usize,
    pub(crate) recv_limit: usize,
    reading_paused: bool,
    recv_waker: Option<Waker>,
    outgoing: VecDeque<Message>,
    outgoing_bytes: usize,
    backend_buffered: usize,
    high: usize,
    low: usize,
    write_paused: bool,
    send_wakers: Vec<Waker>,
    driver_waker: Option<Waker>,
    close_queued: bool,
    ended: Option<Result<(), Error>>,
    end_wakers: Vec<Waker>,
    handles: usize,
    /// Which close codes `close` accepts (browsers allow only 1000 and 3000–4999).
    sendable: fn(u16) -> bool,
    /// The code sent when the last handle is dropped.
    abandon_code: u16,
    abort: bool,
    /// The protocol dispatcher's waker, woken when the flow state flips.
    flow_waker: Option<Waker>,
    /// The negotiated subprotocol.
    protocol: Option<String>,
}

/// The state a connection's handles share with its driver.
#[derive(Debug)]
pub(crate) struct Shared {
    inner: Mutex<Inner>,
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

impl Shared {
    pub(crate) fn new() -> Arc<Shared> {
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                incoming: VecDeque::new(),
                incoming_bytes: 0,
                recv_limit: DEFAULT_RECV_LIMIT,
                reading_paused: false,
                recv_waker: None,
                outgoing: VecDeque::new(),
                outgoing_bytes: 0,
                backend_buffered: 0,
                high: DEFAULT_HIGH,
                low: DEFAULT_HIGH / 4,
                write_paused: false,
                send_wakers: Vec::new(),
                driver_waker: None,
                close_queued: false,
                ended: None,
                end_wakers: Vec::new(),
                handles: 0,
                sendable: close_code::is_sendable,
                abandon_code: close_code::GOING_AWAY,
                abort: false,
                flow_waker: None,
                protocol: None,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Recomputes the flow state; returns the senders to wake.
    fn update_flow(inner: &mut Inner) -> Vec<Waker> {
        let total = inner.outgoing_bytes + inner.backend_buffered;
        if total > inner.high && !inner.write_paused {
            inner.write_paused = true;
            return inner.flow_waker.take().into_iter().collect();
        } else if total <= inner.low && inner.write_paused {
            inner.write_paused = false;
            let mut w = std::mem::take(&mut inner.send_wakers);
            w.extend(inner.flow_waker.take());
            return w;
        }
        Vec::new()
    }

    // --- driver side ---

    /// Registers the driver's waker, takes the queued outgoing messages, and says whether
    /// it may read (rule 2).
    pub(crate) fn driver_take(&self, waker: &Waker, out: &mut Vec<Message>) -> bool {
        let mut g = self.lock();
        if !g.driver_waker.as_ref().is_some_and(|w| w.will_wake(waker)) {
            g.driver_waker = Some(waker.clone());
        }
        out.extend(g.outgoing.drain(..));
        g.backend_buffered += g.outgoing_bytes;
        g.outgoing_bytes = 0;
        !g.reading_paused && g.incoming_bytes < g.recv_limit
    }

    /// The driver's own buffer now holds `n` bytes (rule 1).
    pub(crate) fn set_backend_buffered(&self, n: usize) {
        let wake = {
            let mut g = self.lock();
            g.backend_buffered = n;
            Self::update_flow(&mut g)
        };
        wake_all(wake);
    }

    /// Queues a received message. With `discard_if_full` (this side is closing) a message
    /// over the limit is dropped rather than queued.
    pub(crate) fn push_incoming(&self, msg: Message, discard_if_full: bool) {
        let wake = {
            let mut g = self.lock();
            if discard_if_full && !msg.is_close() && g.incoming_bytes >= g.recv_limit {
                return;
            }
            g.incoming_bytes += msg.len();
            g.incoming.push_back(msg);
            g.recv_waker.take()
        };
        if let Some(w) = wake {
            w.wake();
        }
    }

    /// Sets the close codes user code may send, and the code sent when every handle is
    /// dropped (the browser backend narrows both to what `WebSocket.close` accepts).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn set_close_rule(&self, sendable: fn(u16) -> bool, abandon_code: u16) {
        let mut g = self.lock();
        g.sendable = sendable;
        g.abandon_code = abandon_code;
    }

    /// Records the negotiated subprotocol.
    pub(crate) fn set_protocol(&self, protocol: Option<String>) {
        self.lock().protocol = protocol;
    }

    /// Sets the receive limit (bytes of messages queued before reading pauses).
    pub(crate) fn set_recv_limit(&self, limit: usize) {
        self.lock().recv_limit = limit.max(1);
    }

    /// Bytes of received messages not yet taken.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn incoming_bytes(&self) -> usize {
        self.lock().incoming_bytes
    }

    /// Whether `abort` was called: the driver drops the connection without a close frame.
    pub(crate) fn abort_requested(&self) -> bool {
        self.lock().abort
    }

    pub(crate) fn request_abort(&self) {
        let driver = {
            let mut g = self.lock();
            g.abort = true;
            g.driver_waker.take()
        };
        if let Some(w) = driver {
            w.wake();
        }
    }

    /// The connection ended (rule 3).
    pub(crate) fn finish(&self, result: Result<(), Error>) {
        let (wakers, recv, driver) = {
            let mut g = self.lock();
            if g.ended.is_some() {
                return;
            }
            g.ended = Some(result);
            g.write_paused = false;
            g.outgoing.clear();
            g.outgoing_bytes = 0;
            let mut w = std::mem::take(&mut g.send_wakers);
            w.append(&mut g.end_wakers);
            (w, g.recv_waker.take(), g.driver_waker.take())
        };
        wake_all(wakers);
        recv.into_iter().chain(driver).for_each(Waker::wake);
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn is_ended(&self) -> bool {
        self.lock().ended.is_some()
    }

    // --- handle side ---

    fn add_handle(self: &Arc<Self>) -> Arc<Shared> {
        self.lock().handles += 1;
        self.clone()
    }

    fn drop_handle(&self) {
        let driver = {
            let mut g = self.lock();
            g.handles -= 1;
            if g.handles > 0 || g.ended.is_some() {
                return;
            }
            if !g.close_queued {
                g.close_queued = true;
                let code = g.abandon_code;
                g.outgoing.push_back(Message::Close {
                    code,
                    reason: String::new(),
                });
            }
            g.driver_waker.take()
        };
        if let Some(w) = driver {
            w.wake();
        }
    }

    fn end_error(g: &Inner) -> Option<Error> {
        match &g.ended {
            Some(Err(e)) => Some(e.clone()),
            Some(Ok(())) => Some(Error::ConnectionClosed),
            None => None,
        }
    }

    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        msg: &mut Option<Message>,
    ) -> Poll<Result<(), Error>> {
        let driver = {
            let mut g = self.lock();
            if let Some(e) = Self::end_error(&g) {
                return Poll::Ready(Err(e));
            }
            if g.close_queued {
                return Poll::Ready(Err(Error::ConnectionClosed));
            }
            let is_close = msg.as_ref().is_some_and(Message::is_close);
            if let Some(Message::Close { code, reason }) = msg.as_ref() {
                if !(g.sendable)(*code) || reason.len() > 123 {
                    return Poll::Ready(Err(Error::InvalidClose(*code)));
                }
            }
            // A close is never held back by the watermark: it must be able to end a
            // connection whose peer stopped reading.
            if g.write_paused && !is_close {
                if !g.send_wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    g.send_wakers.push(cx.waker().clone());
                }
                return Poll::Pending;
            }
            let m = msg.take().expect("polled after completion");
            g.close_queued |= is_close;
            g.outgoing_bytes += m.len();
            g.outgoing.push_back(m);
            let mut wake = Self::update_flow(&mut g);
            wake.extend(g.driver_waker.take());
            wake
        };
        wake_all(driver);
        Poll::Ready(Ok(()))
    }

    /// Queues a message without waiting for the watermark (the transport's `send`).
    pub(crate) fn push_now(&self, msg: Message) -> Result<(), Error> {
        let wake = {
            let mut g = self.lock();
            if let Some(e) = Self::end_error(&g) {
                return Err(e);
            }
            if g.close_queued {
                return Err(Error::ConnectionClosed);
            }
            if let Message::Close { code, reason } = &msg {
                if !(g.sendable)(*code) || reason.len() > 123 {
                    return Err(Error::InvalidClose(*code));
                }
                g.close_queued = true;
            }
            g.outgoing_bytes += msg.len();
            g.outgoing.push_back(msg);
            let mut w = Self::update_flow(&mut g);
            w.extend(g.driver_waker.take());
            w
        };
        wake_all(wake);
        Ok(())
    }

    /// Whether sends are paused, registering `cx` to be woken when that flips.
    pub(crate) fn poll_flow(&self, cx: &mut Context<'_>) -> bool {
        let mut g = self.lock();
        g.flow_waker = Some(cx.waker().clone());
        g.write_paused
    }

    pub(crate) fn is_closing(&self) -> bool {
        let g = self.lock();
        g.close_queued || g.ended.is_some() || g.abort
    }

    fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        let driver = {
            let mut g = self.lock();
            match g.incoming.pop_front() {
                Some(m) => {
                    let was_full = g.incoming_bytes >= g.recv_limit;
                    g.incoming_bytes -= m.len();
                    let resume = was_full && g.incoming_bytes < g.recv_limit;
                    let d = if resume { g.driver_waker.take() } else { None };
                    drop(g);
                    if let Some(w) = d {
                        w.wake();
                    }
                    return Poll::Ready(Ok(m));
                }
                None => {
                    if let Some(e) = Self::end_error(&g) {
                        return Poll::Ready(Err(e));
                    }
                    g.recv_waker = Some(cx.waker().clone());
                    None::<Waker>
                }
            }
        };
        debug_assert!(driver.is_none());
        Poll::Pending
    }

    fn poll_ended(&self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut g = self.lock();
        match &g.ended {
            Some(Ok(())) => Poll::Ready(Ok(())),
            Some(Err(e)) => Poll::Ready(Err(e.clone())),
            None => {
                if !g.end_wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    g.end_wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    }

    pub(crate) fn set_reading(&self, paused: bool) {
        let driver = {
            let mut g = self.lock();
            g.reading_paused = paused;
            if paused {
                None
            } else {
                g.driver_waker.take()
            }
        };
        if let Some(w) = driver {
            w.wake();
        }
    }

    pub(crate) fn set_limits(&self, high: usize, low: usize) {
        let wake = {
            let mut g = self.lock();
            g.high = high;
            g.low = low.min(high);
            Self::update_flow(&mut g)
        };
        wake_all(wake);
    }

    pub(crate) fn buffered(&self) -> usize {
        let g = self.lock();
        g.outgoing_bytes + g.backend_buffered
    }
}

/// A WebSocket connection, the same type on both targets: send and receive messages, close
/// with a code and reason.
///
/// Made by [`connect`](super::connect) (both targets), and natively by
/// `ws::client_on`, `ws::accept` and `ws::serve`. Dropping every handle of a connection
/// closes it with 1001 (going away).
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))]
/// tulipa::run(async {
///     use tulipa::ws::{self, Message};
///     let listener = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/", listener.local_addr().unwrap());
///     let server = ws::serve(listener, |mut ws: ws::WebSocket| async move {
///         while let Ok(Message::Text(t)) = ws.recv().await {
///             ws.send(Message::Text(t.to_uppercase())).await.unwrap();
///         }
///     });
///     let mut ws = ws::connect(&url).await.unwrap();
///     ws.send("hello").await.unwrap();
///     assert_eq!(ws.recv().await.unwrap(), Message::Text("HELLO".into()));
///     ws.close(1000, "bye").await.unwrap();
///     server.close();
/// });
/// ```
pub struct WebSocket {
    tx: WebSocketSender,
    rx: WebSocketReceiver,
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("buffered_amount", &self.buffered_amount())
            .finish()
    }
}

impl WebSocket {
    pub(crate) fn shared(&self) -> &Arc<Shared> {
        &self.tx.shared
    }

    pub(crate) fn from_shared(shared: Arc<Shared>) -> WebSocket {
        WebSocket {
            tx: WebSocketSender {
                shared: shared.add_handle(),
            },
            rx: WebSocketReceiver {
                shared: shared.add_handle(),
            },
        }
    }

    /// Queues a message. Waits while the send buffer is above its high watermark (see
    /// [`WebSocket::set_write_buffer_limits`]) until it drains to the low one.
    ///
    /// # Errors
    ///
    /// The error that ended the connection, or [`Error::ConnectionClosed`] once it is
    /// closed or closing; [`Error::InvalidClose`] for a `Close` with a code that may not be
    /// sent.
    ///
    /// # Cancel safety
    ///
    /// Safe: the message is queued whole in the poll that returns `Ok`, or not at all.
    pub async fn send(&self, msg: impl Into<Message>) -> Result<(), Error> {
        self.tx.send(msg).await
    }

    /// The next message. After the peer's `Close` (delivered once, as a message) it returns
    /// [`Error::ConnectionClosed`]; if the connection failed, the error (after the messages
    /// that arrived before it).
    ///
    /// # Errors
    ///
    /// As above.
    ///
    /// # Cancel safety
    ///
    /// Safe: a message leaves the queue only in the poll that returns it.
    pub async fn recv(&mut self) -> Result<Message, Error> {
        self.rx.recv().await
    }

    /// Starts the closing handshake with `code` and `reason`, then waits until the
    /// connection has ended. Messages the peer sends meanwhile still arrive through `recv`
    /// while there is room, and are dropped after that.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidClose`] for a code that may not be sent; the error that ended the
    /// connection if it failed before the handshake completed (a clean or earlier close
    /// gives `Ok`).
    ///
    /// # Cancel safety
    ///
    /// The close frame is queued on the first poll; cancelling only stops the wait.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.tx.close(code, reason).await
    }

    /// Bytes queued to send and not yet written to the network (natively: in tulipa's
    /// buffer; in the browser: tulipa's queue plus `bufferedAmount`).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let ws = tulipa::ws::connect(&url).await.unwrap();
    ///     assert_eq!(ws.buffered_amount(), 0);
    /// });
    /// ```
    pub fn buffered_amount(&self) -> usize {
        self.tx.buffered_amount()
    }

    /// Sets the send buffer's watermarks: `send` waits once more than `high` bytes are
    /// buffered, until at most `low` are (defaults 64 KiB and 16 KiB natively, 1 MiB and
    /// 256 KiB in the browser).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let ws = tulipa::ws::connect(&url).await.unwrap();
    ///     ws.set_write_buffer_limits(1 << 20, 1 << 18);
    /// });
    /// ```
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) {
        self.tx.set_write_buffer_limits(high, low);
    }

    /// Stops reading from the network (natively the socket is not read, so the peer sees
    /// TCP back-pressure; in the browser messages are buffered up to the receive limit, then
    /// the connection fails with [`Error::ReceiveBufferFull`]).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let ws = tulipa::ws::connect(&url).await.unwrap();
    ///     ws.pause_reading();
    ///     ws.resume_reading();
    /// });
    /// ```
    pub fn pause_reading(&self) {
        self.rx.pause_reading();
    }

    /// Resumes reading after [`WebSocket::pause_reading`].
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let ws = tulipa::ws::connect(&url).await.unwrap();
    ///     ws.resume_reading();
    /// });
    /// ```
    pub fn resume_reading(&self) {
        self.rx.resume_reading();
    }

    /// The subprotocol the server chose (`Sec-WebSocket-Protocol`), if any (see
    /// [`Options::protocols`](super::Options::protocols)).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     use tulipa::ws::{self, Options};
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let server_opts = Options { protocols: vec!["chat.v2".into()], ..Options::default() };
    ///     let _s = ws::serve_with(l, server_opts, |_req, ws: ws::WebSocket| async move {
    ///         assert_eq!(ws.protocol().as_deref(), Some("chat.v2"));
    ///     });
    ///     let opts = Options { protocols: vec!["chat.v1".into(), "chat.v2".into()], ..Options::default() };
    ///     let ws = ws::connect_with(&url, opts).await.unwrap();
    ///     assert_eq!(ws.protocol().as_deref(), Some("chat.v2"));
    /// });
    /// ```
    pub fn protocol(&self) -> Option<String> {
        self.tx.shared.lock().protocol.clone()
    }

    /// Drops the connection at once, without a closing handshake: the peer sees the
    /// connection end abnormally (1006), and this side's `recv` reports
    /// [`Error::ConnectionLost`]. (Browsers cannot drop a connection without a close frame:
    /// there `abort` starts a normal close with 1000.)
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |ws: tulipa::ws::WebSocket| async move { ws.abort() });
    ///     let mut ws = tulipa::ws::connect(&url).await.unwrap();
    ///     assert!(matches!(ws.recv().await, Err(tulipa::ws::Error::ConnectionLost)));
    /// });
    /// ```
    pub fn abort(&self) {
        self.tx.shared.request_abort();
    }

    /// Splits into a sender (cloneable) and a receiver, for sending and receiving from
    /// different tasks.
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     use tulipa::ws::{self, Message};
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = ws::serve(l, |mut ws: ws::WebSocket| async move {
    ///         while let Ok(m @ Message::Binary(_)) = ws.recv().await {
    ///             ws.send(m).await.unwrap();
    ///         }
    ///     });
    ///     let (tx, mut rx) = ws::connect(&url).await.unwrap().split();
    ///     let writer = tulipa::spawn(async move { tx.send(vec![1u8, 2, 3]).await });
    ///     assert_eq!(rx.recv().await.unwrap(), Message::Binary(vec![1, 2, 3]));
    ///     writer.await.unwrap().unwrap();
    /// });
    /// ```
    pub fn split(self) -> (WebSocketSender, WebSocketReceiver) {
        (self.tx, self.rx)
    }
}

/// The sending half of a [`WebSocket`] (cloneable).
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))]
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/", l.local_addr().unwrap());
///     let _s = tulipa::ws::serve(l, |mut ws: tulipa::ws::WebSocket| async move {
///         while ws.recv().await.is_ok() {}
///     });
///     let (tx, _rx) = tulipa::ws::connect(&url).await.unwrap().split();
///     let tx2 = tx.clone();
///     tx.send("one").await.unwrap();
///     tx2.send("two").await.unwrap();
/// });
/// ```
pub struct WebSocketSender {
    shared: Arc<Shared>,
}

impl Clone for WebSocketSender {
    fn clone(&self) -> WebSocketSender {
        WebSocketSender {
            shared: self.shared.add_handle(),
        }
    }
}

impl Drop for WebSocketSender {
    fn drop(&mut self) {
        self.shared.drop_handle();
    }
}

impl fmt::Debug for WebSocketSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketSender").finish_non_exhaustive()
    }
}

impl WebSocketSender {
    /// As [`WebSocket::send`].
    ///
    /// # Errors
    ///
    /// As [`WebSocket::send`].
    ///
    /// # Cancel safety
    ///
    /// Safe: the message is queued whole in the poll that returns `Ok`, or not at all.
    pub async fn send(&self, msg: impl Into<Message>) -> Result<(), Error> {
        let mut msg = Some(msg.into());
        poll_fn(|cx| self.shared.poll_send(cx, &mut msg)).await
    }

    /// As [`WebSocket::close`].
    ///
    /// # Errors
    ///
    /// As [`WebSocket::close`].
    ///
    /// # Cancel safety
    ///
    /// The close frame is queued on the first poll; cancelling only stops the wait.
    pub async fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        let mut msg = Some(Message::Close {
            code,
            reason: reason.to_owned(),
        });
        match poll_fn(|cx| self.shared.poll_send(cx, &mut msg)).await {
            Ok(()) | Err(Error::ConnectionClosed) => {}
            Err(e @ Error::InvalidClose(_)) => return Err(e),
            // Ended already: a clean end (or an earlier close) is fine.
            Err(_) => {}
        }
        match poll_fn(|cx| self.shared.poll_ended(cx)).await {
            Ok(()) | Err(Error::ConnectionClosed) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// As [`WebSocket::buffered_amount`].
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let (tx, _rx) = tulipa::ws::connect(&url).await.unwrap().split();
    ///     assert_eq!(tx.buffered_amount(), 0);
    /// });
    /// ```
    pub fn buffered_amount(&self) -> usize {
        self.shared.buffered()
    }

    /// As [`WebSocket::set_write_buffer_limits`].
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let (tx, _rx) = tulipa::ws::connect(&url).await.unwrap().split();
    ///     tx.set_write_buffer_limits(1024, 0);
    /// });
    /// ```
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) {
        self.shared.set_limits(high, low);
    }
}

/// The receiving half of a [`WebSocket`].
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))]
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/", l.local_addr().unwrap());
///     let _s = tulipa::ws::serve(l, |ws: tulipa::ws::WebSocket| async move {
///         ws.close(4000, "go").await.unwrap();
///     });
///     let (_tx, mut rx) = tulipa::ws::connect(&url).await.unwrap().split();
///     assert!(rx.recv().await.unwrap().is_close());
/// });
/// ```
pub struct WebSocketReceiver {
    shared: Arc<Shared>,
}

impl Drop for WebSocketReceiver {
    fn drop(&mut self) {
        self.shared.drop_handle();
    }
}

impl fmt::Debug for WebSocketReceiver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketReceiver").finish_non_exhaustive()
    }
}

impl WebSocketReceiver {
    /// As [`WebSocket::recv`].
    ///
    /// # Errors
    ///
    /// As [`WebSocket::recv`].
    ///
    /// # Cancel safety
    ///
    /// Safe: a message leaves the queue only in the poll that returns it.
    pub async fn recv(&mut self) -> Result<Message, Error> {
        poll_fn(|cx| self.shared.poll_recv(cx)).await
    }

    /// Polls for the next message (the shape of a `Stream`'s `poll_next`; `Err` after the
    /// end, as `recv`).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |ws: tulipa::ws::WebSocket| async move {
    ///         ws.send("hi").await.unwrap();
    ///     });
    ///     let (_tx, mut rx) = tulipa::ws::connect(&url).await.unwrap().split();
    ///     let m = std::future::poll_fn(|cx| rx.poll_recv(cx)).await.unwrap();
    ///     assert_eq!(m, tulipa::ws::Message::Text("hi".into()));
    /// });
    /// ```
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, Error>> {
        self.shared.poll_recv(cx)
    }

    /// As [`WebSocket::pause_reading`].
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let (_tx, rx) = tulipa::ws::connect(&url).await.unwrap().split();
    ///     rx.pause_reading();
    /// });
    /// ```
    pub fn pause_reading(&self) {
        self.shared.set_reading(true);
    }

    /// As [`WebSocket::resume_reading`].
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let url = format!("ws://{}/", l.local_addr().unwrap());
    ///     let _s = tulipa::ws::serve(l, |_ws| async {});
    ///     let (_tx, rx) = tulipa::ws::connect(&url).await.unwrap().split();
    ///     rx.resume_reading();
    /// });
    /// ```
    pub fn resume_reading(&self) {
        self.shared.set_reading(false);
    }
}
