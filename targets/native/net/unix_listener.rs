//! [`UnixListener`]: a listening Unix-domain stream socket on the loop's reactor.

use std::fmt;
use std::future::poll_fn;
use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};

use mio::Interest;

use super::addr::unix_path;
use super::evented::Evented;
use super::UnixStream;

/// A listening Unix-domain socket (the socket under asyncio's `create_unix_server`).
///
/// Binding creates the socket file; it is not removed when the listener drops (remove it
/// yourself, as with std's listener).
///
/// ```
/// use tulipa::net::{UnixListener, UnixStream};
///
/// tulipa::run(async {
///     let path = std::env::temp_dir().join(format!("tulipa-l-{}.sock", std::process::id()));
///     let _ = std::fs::remove_file(&path);
///     let l = UnixListener::bind(&path).unwrap();
///     let c = tulipa::spawn({
///         let path = path.clone();
///         async move { UnixStream::connect(&path).await.unwrap() }
///     });
///     let (_s, _) = l.accept().await.unwrap();
///     c.await.unwrap();
///     std::fs::remove_file(&path).unwrap();
/// });
/// ```
pub struct UnixListener {
    io: Evented<mio::net::UnixListener>,
}

impl UnixListener {
    pub(crate) fn source(&self) -> &mio::net::UnixListener {
        self.io.source()
    }

    /// Creates the socket file at `path` and listens on it.
    ///
    /// # Errors
    ///
    /// [`NetError::PathTooLong`](super::NetError::PathTooLong) (kind
    /// [`InvalidInput`](io::ErrorKind::InvalidInput)) for a path that does not fit in a
    /// `sockaddr_un`; [`AddrInUse`](io::ErrorKind::AddrInUse) if the file exists.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let long = "/tmp/".to_owned() + &"x".repeat(200);
    /// let e = tulipa::net::UnixListener::bind(&long).unwrap_err();
    /// assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    /// # });
    /// ```
    pub fn bind(path: impl AsRef<Path>) -> io::Result<UnixListener> {
        let listener = mio::net::UnixListener::bind(unix_path(path.as_ref())?)?;
        Ok(UnixListener {
            io: Evented::new(listener, Interest::READABLE)?,
        })
    }

    /// Wraps a listening std socket (switched to non-blocking mode).
    ///
    /// # Errors
    ///
    /// Outside a tulipa runtime, or if the reactor refuses the socket.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let path = std::env::temp_dir().join(format!("tulipa-fs-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
    /// let l = tulipa::net::UnixListener::from_std(l).unwrap();
    /// # drop(l);
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn from_std(listener: std::os::unix::net::UnixListener) -> io::Result<UnixListener> {
        listener.set_nonblocking(true)?;
        Ok(UnixListener {
            io: Evented::new(
                mio::net::UnixListener::from_std(listener),
                Interest::READABLE,
            )?,
        })
    }

    /// The address (path) the listener is bound to.
    ///
    /// ```
    /// # tulipa::run(async {
    /// let path = std::env::temp_dir().join(format!("tulipa-la-{}.sock", std::process::id()));
    /// let _ = std::fs::remove_file(&path);
    /// let l = tulipa::net::UnixListener::bind(&path).unwrap();
    /// assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
    /// std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.source().local_addr()
    }

    /// Waits for the next connection.
    ///
    /// # Errors
    ///
    /// The OS's accept error (EMFILE/ENFILE repeat until descriptors free up: back off).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, no connection was taken.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let path = std::env::temp_dir().join(format!("tulipa-ac-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let l = tulipa::net::UnixListener::bind(&path).unwrap();
    /// let _c = tulipa::net::UnixStream::connect(&path).await.unwrap();
    /// let (_s, _addr) = l.accept().await.unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub async fn accept(&self) -> io::Result<(UnixStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// The poll form of [`accept`](UnixListener::accept).
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let path = std::env::temp_dir().join(format!("tulipa-pa-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let l = tulipa::net::UnixListener::bind(&path).unwrap();
    /// let _c = tulipa::net::UnixStream::connect(&path).await.unwrap();
    /// let (_s, _) = std::future::poll_fn(|cx| l.poll_accept(cx)).await.unwrap();
    /// # std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(UnixStream, SocketAddr)>> {
        let (stream, peer) = std::task::ready!(self.io.poll_read(cx, |l| l.accept()))?;
        Poll::Ready(UnixStream::from_mio(stream).map(|s| (s, peer)))
    }

    /// Takes the pending socket error (`SO_ERROR`), if any.
    ///
    /// ```
    /// # tulipa::run(async {
    /// # let path = std::env::temp_dir().join(format!("tulipa-te-{}.sock", std::process::id()));
    /// # let _ = std::fs::remove_file(&path);
    /// let l = tulipa::net::UnixListener::bind(&path).unwrap();
    /// assert!(l.take_error().unwrap().is_none());
    /// # std::fs::remove_file(&path).unwrap();
    /// # });
    /// ```
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.io.source().take_error()
    }
}

impl fmt::Debug for UnixListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnixListener")
            .field("local", &self.local_addr().ok())
            .finish()
    }
}
