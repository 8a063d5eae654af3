//! WebSockets with one API on both targets (RFC 6455).
//!
//! [`connect`] gives a [`WebSocket`]: [`send`](WebSocket::send) a [`Message`],
//! [`recv`](WebSocket::recv) the next one (`Text`, `Binary`, or the peer's `Close` with its
//! code and reason), [`close`](WebSocket::close) with a code and reason, and
//! [`split`](WebSocket::split) into a sender and a receiver for separate tasks. Errors are
//! one [`Error`] type everywhere. The same code runs natively and in the browser:
//!
//! ```
//! # #[cfg(not(target_arch = "wasm32"))]
//! # tulipa::run(async {
//! # let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! # let url = format!("ws://{}/", l.local_addr().unwrap());
//! # let _server = tulipa::ws::serve(l, |mut ws: tulipa::ws::WebSocket| async move {
//! #     while let Ok(m @ tulipa::ws::Message::Text(_)) = ws.recv().await { ws.send(m).await.unwrap(); }
//! # });
//! use tulipa::ws::{self, Message};
//! let mut ws = ws::connect(&url).await?;
//! ws.send("ping").await?;
//! match ws.recv().await? {
//!     Message::Text(t) => assert_eq!(t, "ping"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! ws.close(ws::close_code::NORMAL, "done").await?;
//! # Ok::<(), ws::Error>(())
//! # }).unwrap();
//! ```
//!
//! The callback style of asyncio is there too: a [`WebSocketProtocol`] (`connection_made`,
//! `message_received`, `connection_lost`, `pause_writing`, `resume_writing`) run on a
//! connection by [`run_protocol`], sending through its [`WebSocketTransport`].
//!
//! Natively, [`serve`] accepts WebSocket connections on a TCP listener, and [`accept`] /
//! [`client_on`] run the handshake over any futures-io stream (a TLS stream included).
//!
//! **Flow control.** `send` waits while more than the high watermark is buffered (default
//! 64 KiB natively, 1 MiB in the browser) until the buffer drains to the low watermark (a
//! quarter of it). Natively the buffer is
//! tulipa's own, drained as the socket accepts bytes. In the browser it is `bufferedAmount`,
//! which has no drain event: tulipa polls it on the loop's timers every
//! [`BROWSER_POLL_INTERVAL`] (4 ms) while a send waits, so a send resumes up to one interval
//! (plus timer clamping, about 4 ms) after the buffer drains. On the receive side, messages
//! queue up to the receive limit ([`Options::recv_limit`], default 1 MiB): natively the
//! socket is then not read (the peer feels TCP back-pressure), as after
//! [`WebSocket::pause_reading`]; the browser cannot stop its socket, so there the
//! connection fails with [`Error::ReceiveBufferFull`] (and is closed with 4008) when the
//! queue passes the limit, instead of growing without bound.
//!
//! **Protocol.** The native side is tulipa's own sans-I/O [`Codec`]: client frames masked,
//! server frames not (a violation closes with 1002), fragmentation with control frames in
//! between, automatic pongs, the closing handshake with codes and reasons, UTF-8 checked
//! as fragments arrive (1007), reserved bits and opcodes refused (1002), frame and message
//! size limits ([`Config`]; over them 1009 and [`Error::MessageTooBig`], refused from the
//! frame header before the payload is buffered).
//!
//! | | native | browser |
//! |---|---|---|
//! | `connect`, `WebSocket`, `Message`, `Error`, `split`, watermarks | yes | yes |
//! | transport | tulipa's codec over TCP (`ws://`) and over [`tls`](crate::tls) (`wss://`: `connect`, `connect_tls`, `serve_tls`) | the host's `WebSocket` (`binaryType = "arraybuffer"`); TLS is the browser's |
//! | custom request headers ([`Options::headers`]) | sent | ignored (browsers forbid them) |
//! | subprotocols ([`Options::protocols`], [`WebSocket::protocol`]) | offered and checked (client), negotiated (server) | offered through `new WebSocket(url, protocols)` |
//! | pings | answered automatically; none sent | answered by the browser; none visible |
//! | [`Options::config`] size limits | enforced (1009) | not applicable (the browser's own limits) |
//! | send flow control | exact, as the socket drains; default watermarks 64 KiB / 16 KiB | `bufferedAmount` polled every 4 ms; defaults 1 MiB / 256 KiB, since throughput is at most (high − low) per poll |
//! | receive back-pressure | socket not read past `recv_limit` or while paused | buffered to `recv_limit`, then [`Error::ReceiveBufferFull`] |
//! | close codes `close` accepts | 1000–1003, 1007–1014, 3000–4999 | 1000, 3000–4999 (the browser's rule); others are [`Error::InvalidClose`] |
//! | dropping every handle | closes with 1001 | closes with 1000 |
//! | [`WebSocket::abort`] | drops the TCP connection, no close frame (peer sees 1006) | a normal close with 1000 (browsers cannot abort) |
//! | handshake errors | [`HandshakeError`] with the status, header or reason | [`HandshakeError::Refused`] (browsers give no detail) |
//! | server: [`serve`], [`accept`], [`client_on`] | yes | absent (a page cannot listen) |
//! | sans-I/O [`Codec`], handshake helpers | yes | yes (portable; used natively) |

mod codec;
pub(crate) mod conn;
mod error;
mod handshake;
mod message;
mod protocol;

use std::time::Duration;

pub use codec::{
    encode_frame, parse_frame_header, Codec, Config, Event, FrameHeader, Opcode, Role,
};
pub use conn::{WebSocket, WebSocketReceiver, WebSocketSender};
pub use error::{close_code, Error, HandshakeError, ProtocolError};
pub use handshake::{
    accept_key, accept_response, accept_response_with, check_response, check_response_with,
    choose_protocol, client_request, generate_key, parse_request, Rejection, Request, WsUrl,
};
pub use message::Message;
pub use protocol::{run_protocol, WebSocketProtocol, WebSocketTransport};

#[cfg(not(target_arch = "wasm32"))]
pub use crate::sys::ws::{
    accept, accept_with, client_on, client_on_with, connect, connect_tls, connect_with, serve,
    serve_tls, serve_with, WsServer,
};
#[cfg(target_arch = "wasm32")]
pub use crate::sys::ws::{connect, connect_with};

/// How often the browser backend looks at `bufferedAmount` while a send waits.
///
/// ```
/// assert_eq!(tulipa::ws::BROWSER_POLL_INTERVAL.as_millis(), 4);
/// ```
pub const BROWSER_POLL_INTERVAL: Duration = Duration::from_millis(4);

/// Connection options, the same on both targets (see the table in the module docs for
/// what each target honours).
///
/// ```
/// let mut o = tulipa::ws::Options::default();
/// o.recv_limit = 4 << 20;
/// o.config.max_frame_size = 1 << 20;
/// assert_eq!(o.handshake_timeout, std::time::Duration::from_secs(10));
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    /// Frame and message size limits (native).
    pub config: Config,
    /// Extra request headers (native clients only: browsers forbid them).
    pub headers: Vec<(String, String)>,
    /// Subprotocols (`Sec-WebSocket-Protocol`). A client offers these (both targets); a
    /// server (native) supports these, in order of preference, and picks the first one the
    /// client offered. The result is [`WebSocket::protocol`].
    pub protocols: Vec<String>,
    /// Bytes of received, not yet `recv`ed messages before reading stops (native) or the
    /// connection fails (browser). Default 1 MiB; one message may pass it.
    pub recv_limit: usize,
    /// Time allowed for the opening handshake (default 10 s).
    pub handshake_timeout: Duration,
    /// Time allowed for the closing handshake before the connection is dropped (default 5 s).
    pub close_timeout: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            config: Config::default(),
            headers: Vec::new(),
            protocols: Vec::new(),
            recv_limit: conn::DEFAULT_RECV_LIMIT,
            handshake_timeout: Duration::from_secs(10),
            close_timeout: Duration::from_secs(5),
        }
    }
}
