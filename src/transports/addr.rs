//! The address of one end of a transport.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The address of one end of a transport, as [`Transport::peer_addr`] and
/// [`Transport::local_addr`] report it (asyncio's `get_extra_info('peername')` /
/// `'sockname'`).
///
/// [`Transport::peer_addr`]: super::Transport::peer_addr
/// [`Transport::local_addr`]: super::Transport::local_addr
///
/// ```
/// use tulipa::transports::TransportAddr;
///
/// let a = TransportAddr::Inet("127.0.0.1:8080".parse().unwrap());
/// assert_eq!(a.to_string(), "127.0.0.1:8080");
/// assert_eq!(a.inet(), Some("127.0.0.1:8080".parse().unwrap()));
/// assert_eq!(TransportAddr::Unix(None).to_string(), "(unnamed)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportAddr {
    /// An IPv4 or IPv6 socket address (TCP, UDP).
    Inet(SocketAddr),
    /// A Unix-domain socket path; `None` for an unnamed socket (the client end of a
    /// connection, or one end of a socket pair).
    Unix(Option<PathBuf>),
    /// Any other kind of end: a WebSocket URL, an in-memory pipe's name.
    Other(String),
}

impl TransportAddr {
    /// The socket address, if this is an IP end.
    ///
    /// ```
    /// use tulipa::transports::TransportAddr;
    /// assert_eq!(TransportAddr::Other("x".into()).inet(), None);
    /// ```
    pub fn inet(&self) -> Option<SocketAddr> {
        match self {
            TransportAddr::Inet(a) => Some(*a),
            _ => None,
        }
    }
}

impl From<SocketAddr> for TransportAddr {
    fn from(a: SocketAddr) -> TransportAddr {
        TransportAddr::Inet(a)
    }
}

impl fmt::Display for TransportAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportAddr::Inet(a) => a.fmt(f),
            TransportAddr::Unix(Some(p)) => p.display().fmt(f),
            TransportAddr::Unix(None) => f.write_str("(unnamed)"),
            TransportAddr::Other(s) => f.write_str(s),
        }
    }
}
