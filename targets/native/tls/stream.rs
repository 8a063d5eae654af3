//! `TlsStream`: TLS over any futures-io stream, with split halves.
//
// Maintainer notes.
//
// 1. The rustls connection is pumped by the stream's own poll calls; nothing runs in the
//    background. `poll_read` reads ciphertext only when rustls has no plaintext left, so
//    rustls' plaintext buffer never overflows.
// 2. After the handshake the read path never writes to the underlying stream: with split
//    halves (or any other split) a write from the reader's task would replace the waker
//    the writer's task parked on. TLS records rustls queues while reading (a KeyUpdate
//    answer) go out with the next write, flush or close.
// 3. EOF from the underlying stream after the handshake without a close_notify is
//    `TlsError::Truncated`, after the plaintext that came before it has been returned.
// 4. A read that finds some plaintext but less than the caller asked for first tries one
//    more read of ciphertext (never waiting: WouldBlock just leaves the waker registered),
//    so bulk transfers move two TLS records per read and per echo write instead of one.

use std::fmt;
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use super::config::{ClientConfig, ServerConfig};
use super::error::TlsError;
use super::session::{Session, TlsInfo};

/// Adapts an async stream to rustls' blocking `Read`/`Write` for one poll: `Pending`
/// becomes `WouldBlock` (the waker is registered).
struct SyncIo<'a, 'b, S> {
    io: &'a mut S,
    cx: &'a mut Context<'b>,
}

impl<S: AsyncRead + Unpin> Read for SyncIo<'_, '_, S> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_read(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl<S: AsyncWrite + Unpin> Write for SyncIo<'_, '_, S> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write(self.cx, buf) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        match Pin::new(&mut *self.io).poll_write_vectored(self.cx, bufs) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match Pin::new(&mut *self.io).poll_flush(self.cx) {
            Poll::Ready(r) => r,
            Poll::Pending => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

/// A TLS connection over any futures-io stream (a `tulipa::net::TcpStream` or
/// `UnixStream`, or anything else with `AsyncRead + AsyncWrite`), itself an `AsyncRead +
/// AsyncWrite`: read and write plaintext, rustls encrypts underneath.
///
/// Made by [`TlsStream::connect`] (client) or [`TlsStream::accept`] (server), which run
/// the handshake under the configuration's handshake timeout. This is also how to upgrade
/// a plain connection after a STARTTLS exchange: talk in plain text on the socket first,
/// then wrap it.
///
/// Reading: a peer that closes without a TLS close_notify after the handshake makes a
/// read fail with [`TlsError::Truncated`] (after every byte that came before it was
/// returned); end of file (`Ok(0)`) means the peer really closed. Closing
/// ([`TlsStream::shutdown`], or futures-io's `poll_close`) sends close_notify, flushes and
/// half-closes the underlying stream. Dropping the stream without closing it sends no
/// close_notify: the peer sees a truncated connection, as it should for a connection that
/// was abandoned.
///
/// ```
/// use futures_io::{AsyncRead, AsyncWrite};
/// use tulipa::net::{TcpListener, TcpStream};
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
///
/// tulipa::run(async move {
///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = listener.local_addr().unwrap();
///     tulipa::spawn(async move {
///         let (sock, _) = listener.accept().await.unwrap();
///         let mut tls = TlsStream::accept(sock, &server).await.unwrap();
///         let mut buf = [0; 5];
///         tls.read_exact(&mut buf).await.unwrap();
///         tls.write_all(&buf).await.unwrap();
///         tls.shutdown().await.unwrap();
///     }).detach();
///
///     let sock = TcpStream::connect(addr).await.unwrap();
///     let mut tls = TlsStream::connect(sock, "localhost", &client).await.unwrap();
///     tls.write_all(b"hello").await.unwrap();
///     let mut buf = [0; 5];
///     tls.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hello");
///     assert_eq!(tls.read(&mut buf).await.unwrap(), 0); // close_notify, then EOF
/// });
/// ```
pub struct TlsStream<S> {
    io: S,
    session: Session,
    info: TlsInfo,
    shutdown_timeout: Duration,
    /// close_notify queued (by close or drop).
    close_sent: bool,
    /// The peer's close_notify (or a truncation) was seen.
    read_done: bool,
    failed: Option<TlsError>,
    /// Plaintext bytes rustls holds, as of the last processing.
    plain: usize,
    /// The underlying stream reached end of file.
    eof_seen: bool,
    /// A read error met while topping up, reported after the plaintext before it.
    io_error: Option<io::Error>,
}

/// rustls holds at most a little over 16 KiB of plaintext before refusing more ciphertext;
/// top up only below that (rule 4).
const TOP_UP_BELOW: usize = 16 * 1024;

fn err(e: TlsError) -> io::Error {
    e.into()
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// Runs a client handshake over `io`, verifying that the server's certificate is valid
    /// for `server_name` (a DNS name, also sent as SNI, or an IP address), under the
    /// configuration's handshake timeout (asyncio's `ssl_handshake_timeout`).
    ///
    /// # Errors
    ///
    /// An `io::Error` with a [`TlsError`] inside for TLS failures (a bad certificate, a
    /// protocol error, [`TlsError::HandshakeTimeout`], [`TlsError::HandshakeEof`]), or the
    /// underlying stream's error. `io` is dropped (closed) on failure.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe in the sense that `io` is consumed: dropping the future drops (and
    /// closes) the stream mid-handshake.
    ///
    /// ```
    /// use tulipa::net::{TcpListener, TcpStream};
    /// use tulipa::tls::{ClientConfig, TlsError, TlsStream};
    ///
    /// let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let client = ClientConfig::new().with_root_certificates_pem(other.cert.pem().as_bytes())
    ///     .unwrap()
    ///     .with_handshake_timeout(std::time::Duration::from_millis(100));
    /// tulipa::run(async move {
    ///     // A server that accepts and never answers.
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let sock = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     let e = TlsStream::connect(sock, "localhost", &client).await.err().unwrap();
    ///     assert!(matches!(TlsError::of(&e), Some(TlsError::HandshakeTimeout { .. })));
    /// });
    /// ```
    pub async fn connect(io: S, server_name: &str, config: &ClientConfig) -> io::Result<Self> {
        let session = Session::client(config, server_name).map_err(err)?;
        Self::handshake(
            io,
            session,
            config.handshake_timeout(),
            config.shutdown_timeout(),
        )
        .await
    }

    /// Runs a server handshake over `io` (an accepted connection) under the configuration's
    /// handshake timeout.
    ///
    /// # Errors
    ///
    /// As [`TlsStream::connect`]: garbage instead of a ClientHello is
    /// [`TlsError::Protocol`], a missing required client certificate
    /// [`TlsError::ClientCertificateRequired`]. The configuration's handshake error
    /// handler is *not* called (that is for servers tulipa runs for you).
    ///
    /// # Cancel safety
    ///
    /// As [`TlsStream::connect`].
    ///
    /// ```
    /// use tulipa::net::{TcpListener, TcpStream};
    /// use tulipa::tls::{ServerConfig, TlsError, TlsStream};
    ///
    /// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    ///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// tulipa::run(async move {
    ///     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let mut c = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
    ///     c.write_all(b"GET / HTTP/1.1\r\n\r\n").await.unwrap(); // plain HTTP to a TLS port
    ///     let (sock, _) = listener.accept().await.unwrap();
    ///     let e = TlsStream::accept(sock, &server).await.err().unwrap();
    ///     assert!(matches!(TlsError::of(&e), Some(TlsError::Protocol { .. })));
    /// });
    /// ```
    pub async fn accept(io: S, config: &ServerConfig) -> io::Result<Self> {
        let session = Session::server(config).map_err(err)?;
        Self::handshake(
            io,
            session,
            config.handshake_timeout(),
            config.shutdown_timeout(),
        )
        .await
    }

    async fn handshake(
        io: S,
        session: Session,
        timeout: Duration,
        shutdown_timeout: Duration,
    ) -> io::Result<Self> {
        let mut s = TlsStream {
            io,
            session,
            info: TlsInfo::default(),
            shutdown_timeout,
            close_sent: false,
            read_done: false,
            failed: None,
            plain: 0,
            eof_seen: false,
            io_error: None,
        };
        match crate::time::timeout(timeout, poll_fn(|cx| s.poll_handshake(cx))).await {
            Ok(Ok(())) => {
                s.info = s.session.info();
                Ok(s)
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err(err(TlsError::HandshakeTimeout { after: timeout })),
        }
    }

    fn poll_handshake(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        loop {
            let mut write_blocked = false;
            while self.session.conn.wants_write() {
                match self.session.conn.write_tls(&mut SyncIo {
                    io: &mut self.io,
                    cx,
                }) {
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        write_blocked = true;
                        break;
                    }
                    Err(e) => return Poll::Ready(Err(e)),
                }
            }
            if !self.session.conn.is_handshaking() {
                return if write_blocked {
                    Poll::Pending
                } else {
                    Poll::Ready(Ok(()))
                };
            }
            if !self.session.conn.wants_read() {
                if write_blocked {
                    return Poll::Pending;
                }
                continue;
            }
            match self.session.conn.read_tls(&mut SyncIo {
                io: &mut self.io,
                cx,
            }) {
                Ok(0) => return Poll::Ready(Err(err(TlsError::HandshakeEof))),
                Ok(_) => {
                    if let Err(e) = self.session.process() {
                        self.send_alert(cx);
                        return Poll::Ready(Err(err(e)));
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
    }

    /// Best effort: sends the alert rustls queued after an error, without waiting.
    fn send_alert(&mut self, cx: &mut Context<'_>) {
        while self.session.conn.wants_write() {
            if self
                .session
                .conn
                .write_tls(&mut SyncIo {
                    io: &mut self.io,
                    cx,
                })
                .is_err()
            {
                break;
            }
        }
    }

    /// Writes queued ciphertext. `Ready(Ok)`: all sent.
    fn poll_flush_tls(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.session.conn.wants_write() {
            match self.session.conn.write_tls(&mut SyncIo {
                io: &mut self.io,
                cx,
            }) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Err(e) => return Poll::Ready(Err(e)),
            }
        }
        Poll::Ready(Ok(()))
    }

    /// Reads some plaintext into `buf`; `Ok(0)` is a clean end of file (the peer sent
    /// close_notify).
    ///
    /// # Errors
    ///
    /// [`TlsError::Truncated`] (kind `UnexpectedEof`) if the peer closed without
    /// close_notify; a TLS protocol error; the underlying stream's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: no plaintext is consumed until it is returned.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// async fn first(s: &mut TlsStream<tulipa::net::TcpStream>) -> Vec<u8> {
    ///     let mut buf = vec![0; 4096];
    ///     let n = s.read(&mut buf).await.unwrap();
    ///     buf.truncate(n);
    ///     buf
    /// }
    /// # let _ = first;
    /// ```
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_read(cx, buf)).await
    }

    /// Reads exactly `buf.len()` bytes.
    ///
    /// # Errors
    ///
    /// `UnexpectedEof` if the stream ends first, or as [`TlsStream::read`].
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: bytes read before the cancellation are lost.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// async fn header(s: &mut TlsStream<tulipa::net::TcpStream>) -> [u8; 4] {
    ///     let mut h = [0; 4];
    ///     s.read_exact(&mut h).await.unwrap();
    ///     h
    /// }
    /// # let _ = header;
    /// ```
    pub async fn read_exact(&mut self, mut buf: &mut [u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let n = self.read(buf).await?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "TLS stream ended before read_exact was satisfied",
                ));
            }
            buf = &mut buf[n..];
        }
        Ok(())
    }

    /// Encrypts some of `data` and sends what the underlying stream takes now, without
    /// waiting for the rest to go out; returns how much of `data` was taken (waits only
    /// while rustls' 64 KiB send buffer is full). For streaming many writes, this with a
    /// final [`TlsStream::flush`] (or [`TlsStream::shutdown`]) batches records into fewer
    /// system calls than [`TlsStream::write_all`], which waits for each write to be flushed.
    ///
    /// # Errors
    ///
    /// The underlying stream's error, or `BrokenPipe` after close.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if it has not returned, nothing of `data` was taken.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// async fn stream_out(s: &mut TlsStream<tulipa::net::TcpStream>, mut data: &[u8]) {
    ///     while !data.is_empty() {
    ///         let n = s.write(data).await.unwrap();
    ///         data = &data[n..];
    ///     }
    ///     s.flush().await.unwrap();
    /// }
    /// # let _ = stream_out;
    /// ```
    pub async fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        poll_fn(|cx| Pin::new(&mut *self).poll_write(cx, data)).await
    }

    /// Sends every encrypted record still buffered, then flushes the underlying stream.
    ///
    /// # Errors
    ///
    /// The underlying stream's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: calling it again resumes the flush.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// async fn done(s: &mut TlsStream<tulipa::net::TcpStream>) {
    ///     s.flush().await.unwrap();
    /// }
    /// # let _ = done;
    /// ```
    pub async fn flush(&mut self) -> io::Result<()> {
        poll_fn(|cx| Pin::new(&mut *self).poll_flush(cx)).await
    }

    /// Writes all of `data` (encrypted) and flushes it to the underlying stream.
    ///
    /// # Errors
    ///
    /// The underlying stream's error, or `BrokenPipe` after close.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: part of `data` may have been written.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// async fn hello(s: &mut TlsStream<tulipa::net::TcpStream>) {
    ///     s.write_all(b"hello").await.unwrap();
    /// }
    /// # let _ = hello;
    /// ```
    pub async fn write_all(&mut self, mut data: &[u8]) -> io::Result<()> {
        while !data.is_empty() {
            let n = poll_fn(|cx| Pin::new(&mut *self).poll_write(cx, data)).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            data = &data[n..];
        }
        poll_fn(|cx| Pin::new(&mut *self).poll_flush(cx)).await
    }

    /// Sends close_notify, flushes, and half-closes the underlying stream, within the
    /// configuration's shutdown timeout (asyncio's `ssl_shutdown_timeout`). Reading may go
    /// on (the peer's remaining data and its close_notify).
    ///
    /// # Errors
    ///
    /// [`TlsError::ShutdownTimeout`] if the peer did not take our data in time, or the
    /// underlying stream's error.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: close_notify is queued once; calling again resumes the flush.
    ///
    /// ```
    /// # use tulipa::net::{TcpListener, TcpStream};
    /// # use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// # let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
    /// tulipa::run(async move {
    ///     # let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     # let addr = listener.local_addr().unwrap();
    ///     # tulipa::spawn(async move {
    ///     #     let (sock, _) = listener.accept().await.unwrap();
    ///     #     let mut tls = TlsStream::accept(sock, &server).await.unwrap();
    ///     #     let mut buf = [0; 1];
    ///     #     assert_eq!(tls.read(&mut buf).await.unwrap(), 0);
    ///     # }).detach();
    ///     let sock = TcpStream::connect(addr).await.unwrap();
    ///     let mut tls = TlsStream::connect(sock, "localhost", &client).await.unwrap();
    ///     tls.shutdown().await.unwrap(); // the server reads a clean EOF
    /// });
    /// ```
    pub async fn shutdown(&mut self) -> io::Result<()> {
        let after = self.shutdown_timeout;
        match crate::time::timeout(after, poll_fn(|cx| self.poll_shutdown(cx))).await {
            Ok(r) => r,
            Err(_) => Err(err(TlsError::ShutdownTimeout { after })),
        }
    }

    fn poll_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.close_sent {
            self.close_sent = true;
            self.session.conn.send_close_notify();
        }
        match self.poll_flush_tls(cx) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        Pin::new(&mut self.io).poll_close(cx)
    }
}

impl<S> TlsStream<S> {
    /// What the handshake negotiated.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// fn alpn<S>(s: &TlsStream<S>) -> Option<&[u8]> {
    ///     s.info().alpn_protocol()
    /// }
    /// # let _ = alpn::<tulipa::net::TcpStream>;
    /// ```
    pub fn info(&self) -> &TlsInfo {
        &self.info
    }

    /// The underlying stream.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// fn peer(s: &TlsStream<tulipa::net::TcpStream>) -> std::net::SocketAddr {
    ///     s.get_ref().peer_addr().unwrap()
    /// }
    /// # let _ = peer;
    /// ```
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The underlying stream, mutably (reading or writing it directly corrupts the TLS
    /// session; use it for socket options).
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// fn nodelay(s: &mut TlsStream<tulipa::net::TcpStream>) {
    ///     s.get_mut().set_nodelay(true).unwrap();
    /// }
    /// # let _ = nodelay;
    /// ```
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The underlying stream and the rustls connection, for what this type does not cover.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// fn parts(s: TlsStream<tulipa::net::TcpStream>) -> tulipa::net::TcpStream {
    ///     let (sock, _conn) = s.into_parts();
    ///     sock
    /// }
    /// # let _ = parts;
    /// ```
    pub fn into_parts(self) -> (S, rustls::Connection) {
        (self.io, self.session.conn)
    }

    /// Splits into a read half and a write half that can be used from two tasks (or
    /// threads, if `S: Send`). Each operation locks the stream for the duration of one
    /// poll. [`TlsReadHalf::reunite`] puts them back together.
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// fn halves(s: TlsStream<tulipa::net::TcpStream>) {
    ///     let (r, w) = s.split();
    ///     let s = r.reunite(w).unwrap();
    ///     # drop(s);
    /// }
    /// # let _ = halves;
    /// ```
    pub fn split(self) -> (TlsReadHalf<S>, TlsWriteHalf<S>) {
        let shared = Arc::new(Mutex::new(self));
        (TlsReadHalf(Arc::clone(&shared)), TlsWriteHalf(shared))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> TlsStream<S> {
    /// One read of ciphertext from the socket into rustls, then processing, as both reads of
    /// `poll_read` do: sets `eof_seen` at end of file and `plain` after processing. The
    /// outer error is a TLS failure (also kept in `failed`), the inner result the socket's
    /// (`WouldBlock` included), for the caller to place.
    fn take_in(&mut self, cx: &mut Context<'_>) -> io::Result<io::Result<()>> {
        match self.session.conn.read_tls(&mut SyncIo {
            io: &mut self.io,
            cx,
        }) {
            Ok(0) => self.eof_seen = true,
            Ok(_) => match self.session.process_count() {
                Ok(p) => self.plain = p,
                Err(e) => {
                    self.failed = Some(e.clone());
                    return Err(err(e));
                }
            },
            Err(e) => return Ok(Err(e)),
        }
        Ok(Ok(()))
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(e) = &this.failed {
            return Poll::Ready(Err(err(e.clone())));
        }
        loop {
            // Rule 4: with some plaintext ready but less than asked for, take in what the
            // socket already holds (without waiting), so one read returns up to two records.
            if this.plain > 0
                && this.plain < buf.len()
                && this.plain <= TOP_UP_BELOW
                && !this.eof_seen
                && this.io_error.is_none()
            {
                match this.take_in(cx) {
                    Err(tls) => return Poll::Ready(Err(tls)),
                    Ok(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => {}
                    // Reported after the plaintext already decrypted.
                    Ok(Err(e)) => this.io_error = Some(e),
                    Ok(Ok(())) => {}
                }
            }
            match this.session.conn.reader().read(buf) {
                Ok(n) => {
                    if n == 0 {
                        this.read_done = true;
                    }
                    this.plain = this.plain.saturating_sub(n);
                    return Poll::Ready(Ok(n));
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    this.read_done = true;
                    this.failed = Some(TlsError::Truncated);
                    return Poll::Ready(Err(err(TlsError::Truncated)));
                }
                Err(e) => return Poll::Ready(Err(e)),
            }
            this.plain = 0;
            if let Some(e) = this.io_error.take() {
                return Poll::Ready(Err(e));
            }
            if buf.is_empty() {
                return Poll::Ready(Ok(0));
            }
            // At EOF rustls now knows; the reader above reports it (clean or truncated).
            match this.take_in(cx) {
                Err(tls) => return Poll::Ready(Err(tls)),
                Ok(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => return Poll::Pending,
                Ok(Err(e)) => return Poll::Ready(Err(e)),
                Ok(Ok(())) => {}
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.close_sent {
            return Poll::Ready(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write on a TLS stream after close",
            )));
        }
        loop {
            let n = this.session.conn.writer().write(buf)?;
            let flushed = this.poll_flush_tls(cx);
            match flushed {
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending if n == 0 => return Poll::Pending,
                Poll::Ready(Ok(())) if n == 0 && !buf.is_empty() => continue,
                _ => return Poll::Ready(Ok(n)),
            }
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match this.poll_flush_tls(cx) {
            Poll::Ready(Ok(())) => Pin::new(&mut this.io).poll_flush(cx),
            other => other,
        }
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.get_mut().poll_shutdown(cx)
    }
}

impl<S> fmt::Debug for TlsStream<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsStream")
            .field("info", &self.info)
            .field("closed", &self.close_sent)
            .field("read_done", &self.read_done)
            .finish_non_exhaustive()
    }
}

fn lock<S>(m: &Mutex<TlsStream<S>>) -> MutexGuard<'_, TlsStream<S>> {
    // A panic while polling cannot leave the TLS state half-updated in a way that matters
    // more than the panic itself; keep going.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The reading half of a [`TlsStream`] (from [`TlsStream::split`]): `AsyncRead`.
///
/// ```
/// # use tulipa::tls::{TlsReadHalf, TlsStream};
/// fn reader(s: TlsStream<tulipa::net::TcpStream>) -> TlsReadHalf<tulipa::net::TcpStream> {
///     s.split().0
/// }
/// # let _ = reader;
/// ```
pub struct TlsReadHalf<S>(Arc<Mutex<TlsStream<S>>>);

/// The writing half of a [`TlsStream`] (from [`TlsStream::split`]): `AsyncWrite`;
/// closing it sends close_notify.
///
/// ```
/// # use tulipa::tls::{TlsWriteHalf, TlsStream};
/// fn writer(s: TlsStream<tulipa::net::TcpStream>) -> TlsWriteHalf<tulipa::net::TcpStream> {
///     s.split().1
/// }
/// # let _ = writer;
/// ```
pub struct TlsWriteHalf<S>(Arc<Mutex<TlsStream<S>>>);

/// The halves given to [`TlsReadHalf::reunite`] came from different streams; here they
/// are back.
#[derive(Debug)]
pub struct TlsReuniteError<S>(pub TlsReadHalf<S>, pub TlsWriteHalf<S>);

impl<S> fmt::Display for TlsReuniteError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tried to reunite halves of different TLS streams")
    }
}

impl<S: fmt::Debug> std::error::Error for TlsReuniteError<S> {}

impl<S> TlsReadHalf<S> {
    /// Puts the two halves back into one stream.
    ///
    /// # Errors
    ///
    /// The halves come from different streams (they are handed back).
    ///
    /// ```
    /// # use tulipa::tls::TlsStream;
    /// fn roundtrip(s: TlsStream<tulipa::net::TcpStream>) -> TlsStream<tulipa::net::TcpStream> {
    ///     let (r, w) = s.split();
    ///     r.reunite(w).unwrap()
    /// }
    /// # let _ = roundtrip;
    /// ```
    pub fn reunite(self, other: TlsWriteHalf<S>) -> Result<TlsStream<S>, TlsReuniteError<S>> {
        if !Arc::ptr_eq(&self.0, &other.0) {
            return Err(TlsReuniteError(self, other));
        }
        drop(other);
        let m = Arc::try_unwrap(self.0)
            .unwrap_or_else(|_| unreachable!("both halves were given, no other owner exists"));
        Ok(m.into_inner().unwrap_or_else(|p| p.into_inner()))
    }

    /// What the handshake negotiated.
    ///
    /// ```
    /// # use tulipa::tls::TlsReadHalf;
    /// fn version(r: &TlsReadHalf<tulipa::net::TcpStream>) -> Option<tulipa::tls::TlsVersion> {
    ///     r.info().version()
    /// }
    /// # let _ = version;
    /// ```
    pub fn info(&self) -> TlsInfo {
        lock(&self.0).info.clone()
    }
}

impl<S> TlsWriteHalf<S> {
    /// What the handshake negotiated.
    ///
    /// ```
    /// # use tulipa::tls::TlsWriteHalf;
    /// fn version(w: &TlsWriteHalf<tulipa::net::TcpStream>) -> Option<tulipa::tls::TlsVersion> {
    ///     w.info().version()
    /// }
    /// # let _ = version;
    /// ```
    pub fn info(&self) -> TlsInfo {
        lock(&self.0).info.clone()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TlsReadHalf<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.0)).poll_read(cx, buf)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for TlsWriteHalf<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *lock(&self.0)).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *lock(&self.0)).poll_close(cx)
    }
}

impl<S> fmt::Debug for TlsReadHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsReadHalf")
    }
}

impl<S> fmt::Debug for TlsWriteHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TlsWriteHalf")
    }
}

#[allow(dead_code)]
fn _assert_send<S: Send>() {
    fn is_send<T: Send>() {}
    is_send::<TlsStream<S>>();
    is_send::<TlsReadHalf<S>>();
}
