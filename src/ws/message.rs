//! The message type.

/// A WebSocket message, the same on both targets.
///
/// Pings and pongs are not messages: they are answered automatically (by tulipa natively, by
/// the browser on the web).
///
/// ```
/// use tulipa::ws::Message;
/// let m: Message = "hello".into();
/// assert_eq!(m, Message::Text("hello".to_owned()));
/// assert_eq!(Message::from(vec![1u8, 2]).len(), 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A text message (valid UTF-8, checked on receipt).
    Text(String),
    /// A binary message.
    Binary(Vec<u8>),
    /// The peer's close frame: its code (1005 when the frame carried none) and reason.
    /// Received once, as the last message; sending one is the same as `close(code, reason)`.
    Close {
        /// The close code (see [`close_code`](super::close_code)).
        code: u16,
        /// The reason, at most 123 bytes of UTF-8.
        reason: String,
    },
}

impl Message {
    /// Payload length in bytes (the reason's for `Close`).
    ///
    /// ```
    /// assert_eq!(tulipa::ws::Message::Text("héllo".into()).len(), 6);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Message::Text(s) => s.len(),
            Message::Binary(b) => b.len(),
            Message::Close { reason, .. } => reason.len(),
        }
    }

    /// Whether the payload is empty.
    ///
    /// ```
    /// assert!(tulipa::ws::Message::Binary(Vec::new()).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether this is a `Close` message.
    ///
    /// ```
    /// use tulipa::ws::Message;
    /// assert!(Message::Close { code: 1000, reason: String::new() }.is_close());
    /// ```
    pub fn is_close(&self) -> bool {
        matches!(self, Message::Close { .. })
    }
}

impl From<String> for Message {
    fn from(s: String) -> Message {
        Message::Text(s)
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Message {
        Message::Text(s.to_owned())
    }
}

impl From<Vec<u8>> for Message {
    fn from(b: Vec<u8>) -> Message {
        Message::Binary(b)
    }
}

impl From<&[u8]> for Message {
    fn from(b: &[u8]) -> Message {
        Message::Binary(b.to_vec())
    }
}
