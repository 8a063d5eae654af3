//! The WebSocket error types and close codes.

use std::fmt;
use std::io;
use std::sync::Arc;

/// Close codes of RFC 6455 section 7.4.1 that tulipa sends or reports.
///
/// ```
/// assert_eq!(tulipa::ws::close_code::MESSAGE_TOO_BIG, 1009);
/// ```
pub mod close_code {
    /// 1000: the purpose of the connection was fulfilled.
    pub const NORMAL: u16 = 1000;
    /// 1001: an endpoint is going away (a server shutting down, a page navigating away).
    pub const GOING_AWAY: u16 = 1001;
    /// 1002: the peer broke the protocol (unmasked client frame, reserved bits, ...).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// 1003: a message type the endpoint cannot accept.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// 1005: reported (never sent) when a close frame carried no code.
    pub const NO_STATUS: u16 = 1005;
    /// 1006: reported (never sent) when the connection ended without a closing handshake.
    pub const ABNORMAL: u16 = 1006;
    /// 1007: a text message was not valid UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// 1008: a message violated the endpoint's policy.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// 1009: a frame or message was larger than the configured maximum.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// 4008 (private range): the browser backend's receive buffer passed its limit (the
    /// browser lets script send only 1000 and 3000–4999, so not 1008).
    pub const RECEIVE_BUFFER_FULL: u16 = 4008;
    /// 1011: the server met an unexpected condition.
    pub const INTERNAL_ERROR: u16 = 1011;

    /// Whether `code` may appear in a close frame on the wire (RFC 6455 7.4.1 and 7.4.2:
    /// 1000–1003, 1007–1014, and the registered / private ranges 3000–4999).
    ///
    /// ```
    /// use tulipa::ws::close_code;
    /// assert!(close_code::is_sendable(close_code::NORMAL));
    /// assert!(close_code::is_sendable(4000));
    /// assert!(!close_code::is_sendable(close_code::ABNORMAL)); // reported, never sent
    /// ```
    pub fn is_sendable(code: u16) -> bool {
        matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

/// A violation of RFC 6455 by the peer. The connection is closed with
/// [`ProtocolError::close_code`] (1002, or 1007 for invalid UTF-8).
///
/// ```
/// use tulipa::ws::{Codec, Error, ProtocolError, Role};
/// let mut server = Codec::new(Role::Server, Default::default());
/// server.receive(&[0x81, 0x00]); // an unmasked text frame from a "client"
/// assert!(matches!(server.next_event(), Err(Error::Protocol(ProtocolError::UnmaskedFrame))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// RSV1–3 set without a negotiated extension (tulipa negotiates none).
    ReservedBits,
    /// A client sent a frame without a mask (servers must reject it).
    UnmaskedFrame,
    /// A server sent a masked frame (clients must reject it).
    MaskedFrame,
    /// An opcode RFC 6455 reserves (3–7, 11–15).
    ReservedOpcode(u8),
    /// A control frame (close, ping, pong) with FIN clear.
    FragmentedControlFrame,
    /// A control frame with more than 125 bytes of payload.
    ControlFrameTooLong,
    /// A continuation frame with no fragmented message in progress.
    UnexpectedContinuation,
    /// A new text or binary frame while a fragmented message was still in progress.
    ExpectedContinuation,
    /// A 64-bit payload length with its most significant bit set.
    InvalidLength,
    /// A close frame with a one-byte payload.
    InvalidClosePayload,
    /// A close frame with a code that may not be sent (1005, 1006, 1015, < 1000, ...).
    InvalidCloseCode(u16),
    /// A text message, or a close reason, that is not valid UTF-8 (close code 1007).
    InvalidUtf8,
}

impl ProtocolError {
    /// The close code sent to the peer for this violation.
    ///
    /// ```
    /// use tulipa::ws::{close_code, ProtocolError};
    /// assert_eq!(ProtocolError::ReservedBits.close_code(), close_code::PROTOCOL_ERROR);
    /// assert_eq!(ProtocolError::InvalidUtf8.close_code(), close_code::INVALID_PAYLOAD);
    /// ```
    pub fn close_code(&self) -> u16 {
        match self {
            ProtocolError::InvalidUtf8 => close_code::INVALID_PAYLOAD,
            _ => close_code::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::ReservedBits => f.write_str("reserved bits set in a frame"),
            ProtocolError::UnmaskedFrame => f.write_str("client frame was not masked"),
            ProtocolError::MaskedFrame => f.write_str("server frame was masked"),
            ProtocolError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            ProtocolError::FragmentedControlFrame => f.write_str("fragmented control frame"),
            ProtocolError::ControlFrameTooLong => {
                f.write_str("control frame payload longer than 125 bytes")
            }
            ProtocolError::UnexpectedContinuation => {
                f.write_str("continuation frame without a message in progress")
            }
            ProtocolError::ExpectedContinuation => {
                f.write_str("new data frame while a fragmented message was in progress")
            }
            ProtocolError::InvalidLength => f.write_str("invalid 64-bit payload length"),
            ProtocolError::InvalidClosePayload => f.write_str("close frame with 1-byte payload"),
            ProtocolError::InvalidCloseCode(c) => write!(f, "invalid close code {c}"),
            ProtocolError::InvalidUtf8 => f.write_str("text is not valid UTF-8"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// A failed opening handshake.
///
/// ```
/// use tulipa::ws::{check_response, HandshakeError};
/// let e = check_response(b"HTTP/1.1 403 Forbidden\r\n\r\n", "key").unwrap_err();
/// assert_eq!(e, HandshakeError::Status(403, "Forbidden".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The server answered with a status other than 101 (its status code and reason).
    Status(u16, String),
    /// The response or request was not valid HTTP/1.1 (the parser's message).
    Malformed(String),
    /// A required header was missing or wrong (its name).
    BadHeader(&'static str),
    /// `Sec-WebSocket-Accept` did not match the key sent.
    BadAccept,
    /// The request or response head was larger than the limit (8 KiB).
    TooLarge,
    /// The peer closed the connection before the handshake completed.
    Eof,
    /// The browser refused or failed the connection (it gives no detail, by design).
    Refused,
    /// The server refused the client's request with this HTTP status (server side).
    Rejected(u16),
    /// The handshake did not complete in time.
    Timeout,
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::Status(code, reason) => {
                write!(f, "server answered {code} {reason} instead of 101")
            }
            HandshakeError::Malformed(m) => write!(f, "malformed HTTP: {m}"),
            HandshakeError::BadHeader(h) => write!(f, "missing or invalid header {h}"),
            HandshakeError::BadAccept => f.write_str("Sec-WebSocket-Accept does not match"),
            HandshakeError::TooLarge => f.write_str("handshake head larger than 8 KiB"),
            HandshakeError::Eof => f.write_str("connection closed during the handshake"),
            HandshakeError::Refused => f.write_str("the browser could not open the connection"),
            HandshakeError::Rejected(s) => write!(f, "request refused with HTTP {s}"),
            HandshakeError::Timeout => f.write_str("handshake timed out"),
        }
    }
}

/// The error of every `tulipa::ws` operation, the same on both targets.
///
/// ```
/// # #[cfg(not(target_arch = "wasm32"))]
/// tulipa::run(async {
///     let e = tulipa::ws::connect("ftp://example.org/").await.unwrap_err();
///     assert!(matches!(e, tulipa::ws::Error::InvalidUrl(_)));
/// });
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The peer broke RFC 6455; the connection was closed with the violation's close code.
    Protocol(ProtocolError),
    /// A frame or message was larger than the configured maximum (`size` bytes announced or
    /// accumulated, `limit` the maximum); the connection was closed with 1009.
    MessageTooBig {
        /// Bytes of the frame or message seen so far (or announced by the frame header).
        size: u64,
        /// The configured maximum.
        limit: usize,
    },
    /// The opening handshake failed.
    Handshake(HandshakeError),
    /// The URL is not a `ws://` or `wss://` URL tulipa can connect to.
    InvalidUrl(String),
    /// A close code that may not be sent (see [`close_code::is_sendable`]) or a reason
    /// longer than 123 bytes.
    InvalidClose(u16),
    /// The connection is closed: the closing handshake finished (the `Close` message was
    /// already received), or `close` was called.
    ConnectionClosed,
    /// The connection ended without a closing handshake (close code 1006): the peer went
    /// away or the TCP connection was reset.
    ConnectionLost,
    /// Browser only: messages arrived faster than they were received and the receive buffer
    /// passed its limit (bytes); the connection was closed with 4008.
    ReceiveBufferFull(usize),
    /// An I/O error on the underlying stream.
    Io(Arc<io::Error>),
}

impl Error {
    /// The close code that this error sent (or, for 1006, reports), if it ended the
    /// connection.
    ///
    /// ```
    /// use tulipa::ws::Error;
    /// let e = Error::MessageTooBig { size: 10, limit: 4 };
    /// assert_eq!(e.close_code(), Some(1009));
    /// ```
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Error::Protocol(p) => Some(p.close_code()),
            Error::MessageTooBig { .. } => Some(close_code::MESSAGE_TOO_BIG),
            Error::ConnectionLost => Some(close_code::ABNORMAL),
            Error::ReceiveBufferFull(_) => Some(close_code::RECEIVE_BUFFER_FULL),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Protocol(p) => write!(f, "WebSocket protocol error: {p}"),
            Error::MessageTooBig { size, limit } => {
                write!(
                    f,
                    "WebSocket message of {size} bytes exceeds the limit of {limit}"
                )
            }
            Error::Handshake(h) => write!(f, "WebSocket handshake failed: {h}"),
            Error::InvalidUrl(u) => write!(f, "invalid WebSocket URL: {u}"),
            Error::InvalidClose(c) => write!(f, "close code {c} (or its reason) may not be sent"),
            Error::ConnectionClosed => f.write_str("WebSocket connection is closed"),
            Error::ConnectionLost => {
                f.write_str("WebSocket connection lost without a closing handshake (1006)")
            }
            Error::ReceiveBufferFull(n) => {
                write!(f, "WebSocket receive buffer passed its limit of {n} bytes")
            }
            Error::Io(e) => write!(f, "WebSocket I/O error: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Protocol(p) => Some(p),
            Error::Io(e) => Some(&**e),
            _ => None,
        }
    }
}

impl From<ProtocolError> for Error {
    fn from(p: ProtocolError) -> Error {
        Error::Protocol(p)
    }
}

impl From<HandshakeError> for Error {
    fn from(h: HandshakeError) -> Error {
        Error::Handshake(h)
    }
}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        Error::Io(Arc::new(e))
    }
}
