//! The message-oriented transport/protocol pair (asyncio's callback style for WebSockets).

use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::Poll;

use super::conn::{Shared, WebSocket};
use super::error::Error;
use super::message::Message;

/// Callbacks for one WebSocket connection, asyncio-style: the message-oriented counterpart
/// of [`transports::Protocol`](crate::transports::Protocol). Run one with [`run_protocol`].
///
/// The callbacks are called one at a time from the connection's dispatcher task, never
/// from inside a [`WebSocketTransport`] method, so a callback may use the transport freely.
///
/// ```
/// use tulipa::ws::{Error, Message, WebSocketProtocol, WebSocketTransport};
///
/// /// Counts messages and says how many when the connection ends.
/// struct Counter { n: usize, transport: Option<WebSocketTransport> }
/// impl WebSocketProtocol for Counter {
///     fn connection_made(&mut self, t: WebSocketTransport) { self.transport = Some(t); }
///     fn message_received(&mut self, _m: Message) { self.n += 1; }
///     fn connection_lost(&mut self, e: Option<Error>) { println!("{} messages, {e:?}", self.n); }
/// }
/// ```
pub trait WebSocketProtocol {
    /// The connection is open; keep the transport to send.
    fn connection_made(&mut self, transport: WebSocketTransport) {
        let _ = transport;
    }

    /// A message arrived. The peer's `Close` arrives here too, just before
    /// `connection_lost(None)`.
    fn message_received(&mut self, message: Message);

    /// The connection ended: `None` after a closing handshake (or a local close), else the
    /// error. Called exactly once, last.
    fn connection_lost(&mut self, error: Option<Error>) {
        let _ = error;
    }

    /// More than the high watermark is buffered: stop sending until `resume_writing`.
    fn pause_writing(&mut self) {}

    /// The buffer drained to the low watermark.
    fn resume_writing(&mut self) {}
}

/// The sending side of a connection run by [`run_protocol`]: cheap to clone, never waits.
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))]
/// # tulipa::run(async {
/// # use tulipa::ws::*;
/// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
/// # impl WebSocketProtocol for P {
/// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
/// #     fn message_received(&mut self, _: Message) {}
/// # }
/// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
/// # let url = format!("ws://{}/", l.local_addr().unwrap());
/// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
/// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
/// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
/// # while slot.borrow().is_none() { tulipa::yield_now().await; }
/// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
/// transport.send("hello").unwrap();
/// transport.close(1000, "done").unwrap();
/// # });
/// ```
#[derive(Clone)]
pub struct WebSocketTransport {
    shared: Arc<Shared>,
    // Keeps the connection's handle count up while the protocol holds the transport.
    _sender: super::conn::WebSocketSender,
}

impl fmt::Debug for WebSocketTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketTransport")
            .field("write_buffer_size", &self.write_buffer_size())
            .finish()
    }
}

impl WebSocketTransport {
    /// Queues a message without waiting (past the high watermark too: the protocol's
    /// `pause_writing` says when to stop).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] (or the error that ended the connection) once closing;
    /// [`Error::InvalidClose`] for a `Close` with a code that may not be sent.
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// transport.send("queued at once").unwrap();
    /// assert!(transport.write_buffer_size() > 0);
    /// # });
    /// ```
    pub fn send(&self, message: impl Into<Message>) -> Result<(), Error> {
        self.shared.push_now(message.into())
    }

    /// Starts the closing handshake; `connection_lost` follows when it completes.
    ///
    /// # Errors
    ///
    /// As [`WebSocketTransport::send`].
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// transport.close(1000, "bye").unwrap();
    /// assert!(transport.is_closing());
    /// # });
    /// ```
    pub fn close(&self, code: u16, reason: &str) -> Result<(), Error> {
        self.send(Message::Close {
            code,
            reason: reason.to_owned(),
        })
    }

    /// Drops the connection without a closing handshake (see [`WebSocket::abort`]).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// transport.abort();
    /// assert!(transport.is_closing());
    /// # });
    /// ```
    pub fn abort(&self) {
        self.shared.request_abort();
    }

    /// `close` or `abort` was called, or the connection ended.
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// assert!(!transport.is_closing());
    /// # });
    /// ```
    pub fn is_closing(&self) -> bool {
        self.shared.is_closing()
    }

    /// Stops delivering messages (see [`WebSocket::pause_reading`]).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// transport.pause_reading();
    /// # });
    /// ```
    pub fn pause_reading(&self) {
        self.shared.set_reading(true);
    }

    /// Resumes delivering messages.
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// transport.pause_reading();
    /// transport.resume_reading();
    /// # });
    /// ```
    pub fn resume_reading(&self) {
        self.shared.set_reading(false);
    }

    /// Bytes buffered to send (see [`WebSocket::buffered_amount`]).
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// assert_eq!(transport.write_buffer_size(), 0);
    /// # });
    /// ```
    pub fn write_buffer_size(&self) -> usize {
        self.shared.buffered()
    }

    /// Sets the watermarks of `pause_writing` / `resume_writing`.
    ///
    /// ```
    /// # #[cfg(not(target_arch = "wasm32"))]
    /// # tulipa::run(async {
    /// # use tulipa::ws::*;
    /// # struct P(std::rc::Rc<std::cell::RefCell<Option<WebSocketTransport>>>);
    /// # impl WebSocketProtocol for P {
    /// #     fn connection_made(&mut self, t: WebSocketTransport) { *self.0.borrow_mut() = Some(t); }
    /// #     fn message_received(&mut self, _: Message) {}
    /// # }
    /// # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    /// # let url = format!("ws://{}/", l.local_addr().unwrap());
    /// # let _s = serve(l, |mut ws: WebSocket| async move { while ws.recv().await.is_ok() {} });
    /// # let slot = std::rc::Rc::new(std::cell::RefCell::new(None));
    /// # let _task = tulipa::spawn_local(run_protocol(connect(&url).await.unwrap(), P(slot.clone())));
    /// # while slot.borrow().is_none() { tulipa::yield_now().await; }
    /// # let transport: WebSocketTransport = slot.borrow().clone().unwrap();
    /// transport.set_write_buffer_limits(1 << 20, 1 << 16);
    /// # });
    /// ```
    pub fn set_write_buffer_limits(&self, high: usize, low: usize) {
        self.shared.set_limits(high, low);
    }
}

/// Runs `protocol` on an open connection until it ends: `connection_made`, then
/// `message_received` for each message (and `pause_writing` / `resume_writing` as the send
/// buffer crosses its watermarks), then `connection_lost` once.
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))]
/// tulipa::run(async {
///     use tulipa::ws::{self, Error, Message, WebSocketProtocol, WebSocketTransport};
///     struct Echo(Option<WebSocketTransport>);
///     impl WebSocketProtocol for Echo {
///         fn connection_made(&mut self, t: WebSocketTransport) { self.0 = Some(t); }
///         fn message_received(&mut self, m: Message) {
///             if !m.is_close() { let _ = self.0.as_ref().unwrap().send(m); }
///         }
///     }
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/", l.local_addr().unwrap());
///     let _s = ws::serve(l, |ws| ws::run_protocol(ws, Echo(None)));
///     let mut c = ws::connect(&url).await.unwrap();
///     c.send("via a protocol").await.unwrap();
///     assert_eq!(c.recv().await.unwrap(), Message::Text("via a protocol".into()));
/// });
/// ```
///
/// # Cancel safety
///
/// Cancelling drops the protocol without `connection_lost`; the connection is closed with
/// 1001 (1000 in the browser) once its last handle is gone.
pub async fn run_protocol<P: WebSocketProtocol>(ws: WebSocket, mut protocol: P) {
    let shared = ws.shared().clone();
    let (tx, mut rx) = ws.split();
    protocol.connection_made(WebSocketTransport {
        shared: shared.clone(),
        _sender: tx,
    });
    let mut paused = false;
    loop {
        enum Step {
            Flow(bool),
            Got(Result<Message, Error>),
        }
        let step = poll_fn(|cx| {
            let now = shared.poll_flow(cx);
            if now != paused {
                return Poll::Ready(Step::Flow(now));
            }
            rx.poll_recv(cx).map(Step::Got)
        })
        .await;
        match step {
            Step::Flow(p) => {
                paused = p;
                if p {
                    protocol.pause_writing();
                } else {
                    protocol.resume_writing();
                }
            }
            Step::Got(Ok(m)) => protocol.message_received(m),
            Step::Got(Err(Error::ConnectionClosed)) => {
                protocol.connection_lost(None);
                return;
            }
            Step::Got(Err(e)) => {
                protocol.connection_lost(Some(e));
                return;
            }
        }
    }
}
