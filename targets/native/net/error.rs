//! `NetError`: the typed causes tulipa puts inside the `io::Error`s of `tulipa::net`.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Why a `tulipa::net` operation failed, when the cause is tulipa's to name rather than a
/// plain OS error code.
///
/// Socket functions return [`std::io::Error`]; for the failures below the error's
/// [`kind`](io::Error::kind) is the one listed and its inner error is a `NetError`, which
/// [`NetError::of`] finds. Plain OS failures (a refused connection is
/// [`ConnectionRefused`](io::ErrorKind::ConnectionRefused), a reset
/// [`ConnectionReset`](io::ErrorKind::ConnectionReset)) stay plain `io::Error`s.
///
/// ```
/// use tulipa::net::{NetError, TcpStream};
///
/// tulipa::run(async {
///     let err = TcpStream::connect(("no-such-host.invalid", 80)).await.unwrap_err();
///     assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
///     assert!(matches!(NetError::of(&err), Some(NetError::Unresolvable { .. })));
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetError {
    /// The host name could not be resolved (getaddrinfo failed: no such name, or no DNS).
    /// Kind: [`NotFound`](io::ErrorKind::NotFound).
    Unresolvable {
        /// The name that was looked up.
        host: String,
        /// The resolver's own message.
        reason: String,
    },
    /// The name resolved, but to no address usable here. Kind:
    /// [`NotFound`](io::ErrorKind::NotFound).
    NoAddresses {
        /// The name that was looked up.
        host: String,
    },
    /// A Unix socket path does not fit in `sockaddr_un` (at most `max` bytes on this OS).
    /// Kind: [`InvalidInput`](io::ErrorKind::InvalidInput). Use a shorter or relative path.
    PathTooLong {
        /// The path that was given.
        path: PathBuf,
        /// The longest path this OS accepts, in bytes.
        max: usize,
    },
    /// A datagram is larger than the socket can send in one piece (EMSGSIZE: over 65,507
    /// bytes for UDP over IPv4, or over the socket's send buffer). Kind:
    /// [`InvalidInput`](io::ErrorKind::InvalidInput). Nothing was sent.
    DatagramTooLarge {
        /// The datagram's length in bytes.
        len: usize,
    },
    /// A connection attempt took longer than the caller's limit (see
    /// [`TcpStream::connect_timeout`](crate::net::TcpStream::connect_timeout)). Kind:
    /// [`TimedOut`](io::ErrorKind::TimedOut). A connect the OS itself gives up on is a plain
    /// `TimedOut` OS error.
    ConnectTimedOut {
        /// The address that did not answer.
        addr: SocketAddr,
        /// The limit that passed.
        after: Duration,
    },
}

impl NetError {
    /// The `NetError` inside `err`, if tulipa put one there. It is found at every level: an
    /// error a [`StreamReader`](crate::streams::StreamReader) or
    /// [`StreamWriter`](crate::streams::StreamWriter) reports (again and again, after the
    /// connection broke) is a copy that wraps the original, which this sees through; so
    /// use this rather than downcasting [`get_ref`](io::Error::get_ref) yourself.
    ///
    /// ```
    /// let plain = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    /// assert_eq!(tulipa::net::NetError::of(&plain), None);
    /// ```
    pub fn of(err: &io::Error) -> Option<&NetError> {
        crate::io_error::find::<NetError>(err)
    }

    /// The `io::ErrorKind` this cause is reported with.
    ///
    /// ```
    /// use tulipa::net::NetError;
    /// let e = NetError::DatagramTooLarge { len: 70_000 };
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        match self {
            NetError::Unresolvable { .. } | NetError::NoAddresses { .. } => io::ErrorKind::NotFound,
            NetError::PathTooLong { .. } | NetError::DatagramTooLarge { .. } => {
                io::ErrorKind::InvalidInput
            }
            NetError::ConnectTimedOut { .. } => io::ErrorKind::TimedOut,
        }
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::Unresolvable { host, reason } => {
                write!(f, "could not resolve host name {host:?}: {reason}")
            }
            NetError::NoAddresses { host } => write!(f, "host name {host:?} has no addresses"),
            NetError::PathTooLong { path, max } => write!(
                f,
                "Unix socket path is {} bytes, longer than the {max} this OS allows: {}",
                path.as_os_str().len(),
                path.display()
            ),
            NetError::DatagramTooLarge { len } => write!(
                f,
                "datagram of {len} bytes is too large to send in one piece (EMSGSIZE)"
            ),
            NetError::ConnectTimedOut { addr, after } => {
                write!(f, "connecting to {addr} timed out after {after:?}")
            }
        }
    }
}

impl std::error::Error for NetError {}

impl From<NetError> for io::Error {
    fn from(e: NetError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

#[allow(dead_code)]
/// Linux's EMSGSIZE (the same number on every Linux architecture tulipa builds for).
const EMSGSIZE: i32 = if cfg!(any(target_os = "linux", target_os = "android")) {
    90
} else {
    40 // the BSDs and macOS
};

#[allow(dead_code)] // used by the UDP and Unix datagram sockets
/// Turns EMSGSIZE from a datagram send into [`NetError::DatagramTooLarge`].
pub(crate) fn datagram_send_error(err: io::Error, len: usize) -> io::Error {
    if err.raw_os_error() == Some(EMSGSIZE) {
        NetError::DatagramTooLarge { len }.into()
    } else {
        err
    }
}
