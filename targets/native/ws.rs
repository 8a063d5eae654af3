//! The native WebSocket: the driver task that pumps the codec over any futures-io stream, the
//! client and server handshakes, `connect` over TCP and `serve` on a listener.

use std::future::{poll_fn, Future};
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};

use crate::net::{TcpListener, TcpStream};
use crate::task::JoinHandle;
use crate::ws::conn::Shared;
use crate::ws::{
    accept_response_with, check_response_with, choose_protocol, client_request, generate_key,
    parse_request, Codec, Error, Event, HandshakeError, Message, Options, Rejection, Role,
    WebSocket, WsUrl,
};

/// Opens a WebSocket to a `ws://` URL over TCP, or a `wss://` URL over TLS (tulipa's
/// [`tls`](crate::tls), trusting the bundled web PKI roots; for other roots or a client
/// certificate use [`connect_tls`]).
///
/// ```
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/", l.local_addr().unwrap());
///     let _server = tulipa::ws::serve(l, |_ws| async {});
///     let ws = tulipa::ws::connect(&url).await.unwrap();
///     ws.close(1000, "").await.unwrap();
/// });
/// ```
///
/// # Errors
///
/// [`Error::InvalidUrl`], [`Error::Io`] (connecting; for `wss://` also the TLS handshake,
/// with a [`TlsError`](crate::tls::TlsError) inside), [`Error::Handshake`].
///
/// # Cancel safety
///
/// Safe: a connection made so far is closed.
pub async fn connect(url: &str) -> Result<WebSocket, Error> {
    connect_with(url, Options::default()).await
}

/// [`connect`] with options (limits, extra request headers, handshake timeout).
///
/// ```
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/", l.local_addr().unwrap());
///     let _server = tulipa::ws::serve(l, |_ws| async {});
///     let mut opts = tulipa::ws::Options::default();
///     opts.headers.push(("Authorization".into(), "Bearer t".into()));
///     let _ws = tulipa::ws::connect_with(&url, opts).await.unwrap();
/// });
/// ```
///
/// # Errors
///
/// As [`connect`].
///
/// # Cancel safety
///
/// Safe: a connection made so far is closed.
pub async fn connect_with(url: &str, options: Options) -> Result<WebSocket, Error> {
    let parsed = WsUrl::parse(url)?;
    if parsed.secure {
        return connect_tls(url, options, &crate::tls::ClientConfig::new()).await;
    }
    let timeout = options.handshake_timeout;
    let stream = crate::time::timeout(
        timeout,
        TcpStream::connect((parsed.host.as_str(), parsed.port)),
    )
    .await
    .map_err(|_| Error::Handshake(HandshakeError::Timeout))??;
    let _ = stream.set_nodelay(true);
    client_on_with(stream, url, options).await
}

/// Opens a WebSocket to a `wss://` URL with a TLS client configuration of your own (custom
/// roots, a client certificate, ALPN). Native only. The options' handshake timeout covers
/// the TCP connect, the TLS handshake and the WebSocket handshake together.
///
/// ```
/// use tulipa::tls::{ClientConfig, ServerConfig};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let port = l.local_addr().unwrap().port();
///     let _s = tulipa::ws::serve_tls(l, &server, Default::default(), |_req, ws: tulipa::ws::WebSocket| async move {
///         let _ = ws.send("over TLS").await;
///     });
///     let url = format!("wss://localhost:{port}/");
///     let mut ws = tulipa::ws::connect_tls(&url, Default::default(), &client).await.unwrap();
///     assert_eq!(ws.recv().await.unwrap(), tulipa::ws::Message::Text("over TLS".into()));
/// });
/// ```
///
/// # Errors
///
/// As [`connect`]; [`Error::InvalidUrl`] for a `ws://` URL. A certificate the
/// configuration does not accept is an [`Error::Io`] carrying the
/// [`TlsError`](crate::tls::TlsError) (wrong host name, expired, unknown issuer, ...).
///
/// # Cancel safety
///
/// Safe: a connection made so far is closed.
pub async fn connect_tls(
    url: &str,
    options: Options,
    tls: &crate::tls::ClientConfig,
) -> Result<WebSocket, Error> {
    let parsed = WsUrl::parse(url)?;
    if !parsed.secure {
        return Err(Error::InvalidUrl(format!(
            "{url}: connect_tls needs a wss:// URL (use connect for ws://)"
        )));
    }
    let timeout = options.handshake_timeout;
    let handshake = async {
        let tcp = TcpStream::connect((parsed.host.as_str(), parsed.port)).await?;
        let _ = tcp.set_nodelay(true);
        let tls = crate::tls::TlsStream::connect(tcp, &parsed.host, tls).await?;
        client_on_with(tls, url, options).await
    };
    crate::time::timeout(timeout, handshake)
        .await
        .map_err(|_| Error::Handshake(HandshakeError::Timeout))?
}

/// Runs the client handshake for `url` over an already connected `stream` (TCP, TLS, Unix,
/// an in-memory pipe: any futures-io stream), then hands the stream to a driver task.
///
/// ```
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = l.local_addr().unwrap();
///     let _server = tulipa::ws::serve(l, |_ws| async {});
///     let tcp = tulipa::net::TcpStream::connect(addr).await.unwrap();
///     let _ws = tulipa::ws::client_on(tcp, &format!("ws://{addr}/")).await.unwrap();
/// });
/// ```
///
/// # Errors
///
/// [`Error::InvalidUrl`], [`Error::Io`], [`Error::Handshake`].
///
/// # Cancel safety
///
/// Safe: the stream is dropped (closed).
pub async fn client_on<S>(stream: S, url: &str) -> Result<WebSocket, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    client_on_with(stream, url, Options::default()).await
}

/// [`client_on`] with options.
///
/// ```
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = l.local_addr().unwrap();
///     let _server = tulipa::ws::serve(l, |_ws| async {});
///     let tcp = tulipa::net::TcpStream::connect(addr).await.unwrap();
///     let url = format!("ws://{addr}/");
///     let _ws = tulipa::ws::client_on_with(tcp, &url, Default::default()).await.unwrap();
/// });
/// ```
///
/// # Errors
///
/// As [`client_on`].
///
/// # Cancel safety
///
/// Safe: the stream is dropped (closed).
pub async fn client_on_with<S>(
    mut stream: S,
    url: &str,
    options: Options,
) -> Result<WebSocket, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let parsed = WsUrl::parse(url)?;
    let key = generate_key();
    let mut headers = options.headers.clone();
    if !options.protocols.is_empty() {
        headers.push((
            "Sec-WebSocket-Protocol".into(),
            options.protocols.join(", "),
        ));
    }
    let request = client_request(&parsed, &key, &headers);
    let handshake = async {
        write_all(&mut stream, &request).await?;
        let mut head = Vec::new();
        loop {
            let mut chunk = [0u8; 1024];
            let n = read(&mut stream, &mut chunk).await?;
            if n == 0 {
                return Err(Error::Handshake(HandshakeError::Eof));
            }
            head.extend_from_slice(&chunk[..n]);
            if let Some((len, chosen)) = check_response_with(&head, &key, &options.protocols)? {
                head.drain(..len);
                return Ok((head, chosen));
            }
        }
    };
    let (leftover, chosen) = crate::time::timeout(options.handshake_timeout, handshake)
        .await
        .map_err(|_| Error::Handshake(HandshakeError::Timeout))??;
    Ok(start(stream, Role::Client, leftover, chosen, &options))
}

/// Runs the server handshake on an accepted `stream` (any futures-io stream): reads the
/// upgrade request, answers 101, and hands the stream to a driver task. A bad request is
/// answered with its status (400, 405, 426, 431, 505) and the stream closed.
///
/// ```
/// tulipa::run(async {
///     use tulipa::ws::{self, Message};
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/", l.local_addr().unwrap());
///     let client = tulipa::spawn_local(async move {
///         let mut ws = ws::connect(&url).await.unwrap();
///         ws.recv().await.unwrap()
///     });
///     let (tcp, _) = l.accept().await.unwrap();
///     let ws = ws::accept(tcp).await.unwrap();
///     ws.send("welcome").await.unwrap();
///     assert_eq!(client.await.unwrap(), Message::Text("welcome".into()));
/// });
/// ```
///
/// # Errors
///
/// [`Error::Handshake`] (`Rejected(status)` for a bad request, `Timeout`, `Eof`),
/// [`Error::Io`].
///
/// # Cancel safety
///
/// Safe: the stream is dropped (closed).
pub async fn accept<S>(stream: S) -> Result<WebSocket, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    Ok(accept_with(stream, Options::default()).await?.1)
}

/// [`accept`] with options; also gives the request (path, headers).
///
/// ```
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let url = format!("ws://{}/room/7", l.local_addr().unwrap());
///     let _client = tulipa::spawn_local(async move { tulipa::ws::connect(&url).await });
///     let (tcp, _) = l.accept().await.unwrap();
///     let (req, _ws) = tulipa::ws::accept_with(tcp, Default::default()).await.unwrap();
///     assert_eq!(req.path, "/room/7");
/// });
/// ```
///
/// # Errors
///
/// As [`accept`].
///
/// # Cancel safety
///
/// Safe: the stream is dropped (closed).
pub async fn accept_with<S>(
    mut stream: S,
    options: Options,
) -> Result<(crate::ws::Request, WebSocket), Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let (req, leftover) = match read_request(&mut stream, &options).await? {
        Ok(ok) => ok,
        Err(rejection) => {
            reject(&mut stream, &rejection).await;
            return Err(Error::Handshake(HandshakeError::Rejected(rejection.status)));
        }
    };
    let chosen = choose_protocol(&req.protocols, &options.protocols).map(str::to_owned);
    write_all(
        &mut stream,
        &accept_response_with(&req.key, chosen.as_deref()),
    )
    .await?;
    Ok((req, start(stream, Role::Server, leftover, chosen, &options)))
}

/// Reads an upgrade request: the request and the bytes after it, or the rejection to send.
pub(crate) async fn read_request<S>(
    stream: &mut S,
    options: &Options,
) -> Result<Result<(crate::ws::Request, Vec<u8>), Rejection>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let read_head = async {
        let mut head = Vec::new();
        loop {
            let mut chunk = [0u8; 1024];
            let n = read(stream, &mut chunk).await?;
            if n == 0 {
                return Err(Error::Handshake(HandshakeError::Eof));
            }
            head.extend_from_slice(&chunk[..n]);
            match parse_request(&head) {
                Ok(Some((len, req))) => {
                    head.drain(..len);
                    return Ok(Ok((req, head)));
                }
                Ok(None) => {}
                Err(r) => return Ok(Err(r)),
            }
        }
    };
    crate::time::timeout(options.handshake_timeout, read_head)
        .await
        .map_err(|_| Error::Handshake(HandshakeError::Timeout))?
}

/// Answers a refused request and closes the stream (bounded by a 5 s write timeout).
pub(crate) async fn reject<S>(stream: &mut S, rejection: &Rejection)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let resp = rejection.response();
    let _ = crate::time::timeout(Duration::from_secs(5), async {
        write_all(stream, &resp).await?;
        poll_fn(|cx| Pin::new(&mut *stream).poll_close(cx)).await?;
        Ok::<(), Error>(())
    })
    .await;
}

/// A running WebSocket server (from [`serve`]). Dropping it does not stop it; call
/// [`WsServer::close`].
#[derive(Debug)]
pub struct WsServer {
    task: JoinHandle<()>,
    addr: std::net::SocketAddr,
}

impl WsServer {
    /// The address the server listens on.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     let s = tulipa::ws::serve(l, |_ws| async {});
    ///     assert!(s.local_addr().ip().is_loopback());
    /// });
    /// ```
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Stops accepting (open connections go on until their handlers end).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    ///     tulipa::ws::serve(l, |_ws| async {}).close();
    /// });
    /// ```
    pub fn close(&self) {
        self.task.cancel();
    }
}

/// Serves WebSocket connections on `listener`: each accepted connection runs the handshake
/// (bad requests are answered with their HTTP status) and then `handler` in its own task on
/// this loop. One failing connection never stops the others.
///
/// ```
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let server = tulipa::ws::serve(l, |mut ws: tulipa::ws::WebSocket| async move {
///         while let Ok(m) = ws.recv().await {
///             if m.is_close() || ws.send(m).await.is_err() {
///                 break;
///             }
///         }
///     });
///     let mut ws = tulipa::ws::connect(&format!("ws://{}/", server.local_addr())).await.unwrap();
///     ws.send("echo").await.unwrap();
///     assert_eq!(ws.recv().await.unwrap(), tulipa::ws::Message::Text("echo".into()));
///     server.close();
/// });
/// ```
pub fn serve<F, Fut>(listener: TcpListener, handler: F) -> WsServer
where
    F: Fn(WebSocket) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    serve_with(listener, Options::default(), move |_req, ws| handler(ws))
}

/// [`serve`] with options; the handler also gets the request (path, headers).
///
/// ```
/// tulipa::run(async {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let mut opts = tulipa::ws::Options::default();
///     opts.config.max_message_size = 1 << 20;
///     let s = tulipa::ws::serve_with(l, opts, |req, ws: tulipa::ws::WebSocket| async move {
///         let _ = ws.send(req.path).await;
///     });
///     let mut ws = tulipa::ws::connect(&format!("ws://{}/p", s.local_addr())).await.unwrap();
///     assert_eq!(ws.recv().await.unwrap(), tulipa::ws::Message::Text("/p".into()));
/// });
/// ```
pub fn serve_with<F, Fut>(listener: TcpListener, options: Options, handler: F) -> WsServer
where
    F: Fn(crate::ws::Request, WebSocket) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    serve_inner(listener, None, options, handler)
}

/// [`serve_with`] over TLS (`wss://`): each accepted connection first runs the TLS handshake
/// under the configuration's handshake timeout; a connection whose TLS handshake fails is
/// closed (and reported to the configuration's handshake error handler, if it has one)
/// without reaching `handler`. Native only.
///
/// ```
/// use tulipa::tls::{ClientConfig, ServerConfig};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let s = tulipa::ws::serve_tls(l, &server, Default::default(), |req, ws: tulipa::ws::WebSocket| async move {
///         let _ = ws.send(req.path).await;
///     });
///     let url = format!("wss://localhost:{}/secure", s.local_addr().port());
///     let mut ws = tulipa::ws::connect_tls(&url, Default::default(), &client).await.unwrap();
///     assert_eq!(ws.recv().await.unwrap(), tulipa::ws::Message::Text("/secure".into()));
/// });
/// ```
pub fn serve_tls<F, Fut>(
    listener: TcpListener,
    tls: &crate::tls::ServerConfig,
    options: Options,
    handler: F,
) -> WsServer
where
    F: Fn(crate::ws::Request, WebSocket) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    serve_inner(listener, Some(tls.clone()), options, handler)
}

fn serve_inner<F, Fut>(
    listener: TcpListener,
    tls: Option<crate::tls::ServerConfig>,
    options: Options,
    handler: F,
) -> WsServer
where
    F: Fn(crate::ws::Request, WebSocket) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let addr = listener
        .local_addr()
        .unwrap_or_else(|_| std::net::SocketAddr::from(([0, 0, 0, 0], 0)));
    let handler = Rc::new(handler);
    let task = crate::spawn_local(async move {
        loop {
            let (tcp, _) = match listener.accept().await {
                Ok(c) => c,
                // EMFILE and the like: back off briefly instead of spinning.
                Err(_) => {
                    crate::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let _ = tcp.set_nodelay(true);
            let handler = handler.clone();
            let options = options.clone();
            let tls = tls.clone();
            crate::spawn_local(async move {
                let accepted = match tls {
                    None => accept_with(tcp, options).await,
                    Some(cfg) => match crate::tls::TlsStream::accept(tcp, &cfg).await {
                        Ok(stream) => accept_with(stream, options).await,
                        Err(e) => {
                            if let Some(tls_error) = crate::tls::TlsError::of(&e) {
                                cfg.report(tls_error);
                            }
                            return;
                        }
                    },
                };
                if let Ok((req, ws)) = accepted {
                    handler(req, ws).await;
                }
            })
            .detach();
        }
    });
    WsServer { task, addr }
}

/// Starts the driver task for a stream whose handshake is done.
fn start<S>(
    stream: S,
    role: Role,
    leftover: Vec<u8>,
    protocol: Option<String>,
    options: &Options,
) -> WebSocket
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let shared = Shared::new();
    shared.set_protocol(protocol);
    shared.set_recv_limit(options.recv_limit);
    let ws = WebSocket::from_shared(shared.clone());
    let mut codec = Codec::new(role, options.config);
    codec.receive(&leftover);
    crate::spawn_local(drive(stream, codec, shared, options.close_timeout)).detach();
    ws
}

/// How many read/write rounds the driver makes before yielding to other tasks.
const ROUNDS: usize = 32;
const READ_CHUNK: usize = 64 * 1024;

/// The driver: owns the stream and the codec until the connection ends.
async fn drive<S>(mut stream: S, mut codec: Codec, shared: Arc<Shared>, close_timeout: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut out = Vec::new();
    let mut failure: Option<Error> = None;
    let mut close_deadline: Option<Pin<Box<crate::time::Sleep>>> = None;
    let mut events_pending = true; // leftover bytes from the handshake
    let result: Result<(), Error> = poll_fn(|cx| {
        for _ in 0..ROUNDS {
            let mut progress = false;
            // 1. Commands from the handles.
            let may_read = shared.driver_take(cx.waker(), &mut out);
            for m in out.drain(..) {
                // After a close was sent the codec refuses more; those are dropped.
                let _ = codec.send(&m);
            }
            if shared.abort_requested() {
                return Poll::Ready(Err(Error::ConnectionLost));
            }
            // 2. Parse what is buffered.
            if events_pending {
                events_pending = false;
                if let Err(e) = deliver(&mut codec, &shared) {
                    failure.get_or_insert(e);
                }
            }
            // 3. Write.
            let mut wrote = false;
            while !codec.output().is_empty() {
                match Pin::new(&mut stream).poll_write(cx, codec.output()) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()))
                    }
                    Poll::Ready(Ok(n)) => {
                        codec.consume_output(n);
                        wrote = true;
                        progress = true;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(lost_or(e))),
                    Poll::Pending => break,
                }
            }
            if wrote {
                if let Poll::Ready(Err(e)) = Pin::new(&mut stream).poll_flush(cx) {
                    return Poll::Ready(Err(lost_or(e)));
                }
            }
            shared.set_backend_buffered(codec.output().len());
            let flushed = codec.output().is_empty();
            // 4. Ends.
            if flushed {
                if let Some(e) = failure.take() {
                    return Poll::Ready(Err(e));
                }
                if codec.is_closed() && codec.role() == Role::Server {
                    return Poll::Ready(Ok(()));
                }
            }
            if codec.close_sent() {
                let deadline = close_deadline
                    .get_or_insert_with(|| Box::pin(crate::time::sleep(close_timeout)));
                if deadline.as_mut().poll(cx).is_ready() {
                    // The peer never answered the close (or, for a client, never closed
                    // the TCP connection after it).
                    return Poll::Ready(if codec.is_closed() {
                        Ok(())
                    } else {
                        Err(Error::ConnectionLost)
                    });
                }
            }
            // 5. Read: while the handles have room, and always while closing (the answer
            // to our close must get through; messages over the limit are then dropped).
            if (may_read || codec.close_sent()) && failure.is_none() {
                let room = codec.read_buffer(READ_CHUNK);
                match Pin::new(&mut stream).poll_read(cx, room) {
                    Poll::Ready(Ok(0)) => {
                        return Poll::Ready(if codec.is_closed() {
                            Ok(())
                        } else {
                            Err(Error::ConnectionLost)
                        });
                    }
                    Poll::Ready(Ok(n)) => {
                        codec.commit_read(n);
                        if let Err(e) = deliver(&mut codec, &shared) {
                            failure = Some(e);
                        }
                        progress = true;
                    }
                    Poll::Ready(Err(e)) => return Poll::Ready(Err(lost_or(e))),
                    Poll::Pending => {}
                }
            }
            if !progress {
                return Poll::Pending;
            }
        }
        // Bounded: give the other tasks a turn, then go on.
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
    // Close the stream (bounded), then report the end.
    let _ = crate::time::timeout(
        Duration::from_secs(1),
        poll_fn(|cx| Pin::new(&mut stream).poll_close(cx)),
    )
    .await;
    drop(stream);
    shared.finish(result);
}

/// Hands every complete event in the codec to the handles.
fn deliver(codec: &mut Codec, shared: &Shared) -> Result<(), Error> {
    loop {
        match codec.next_event()? {
            None => return Ok(()),
            Some(Event::Message(m)) => shared.push_incoming(m, codec.close_sent()),
            Some(Event::Close { code, reason }) => {
                shared.push_incoming(Message::Close { code, reason }, false);
            }
            Some(Event::Ping(_) | Event::Pong(_)) => {}
        }
    }
}

/// A reset or broken pipe is the peer going away (1006); other errors stay I/O errors.
fn lost_or(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::ConnectionReset
        | io::ErrorKind::BrokenPipe
        | io::ErrorKind::ConnectionAborted
        | io::ErrorKind::UnexpectedEof => Error::ConnectionLost,
        _ => e.into(),
    }
}

async fn read<S: AsyncRead + Unpin>(s: &mut S, buf: &mut [u8]) -> Result<usize, Error> {
    Ok(poll_fn(|cx| Pin::new(&mut *s).poll_read(cx, buf)).await?)
}

async fn write_all<S: AsyncWrite + Unpin>(s: &mut S, mut data: &[u8]) -> Result<(), Error> {
    while !data.is_empty() {
        let n = poll_fn(|cx| Pin::new(&mut *s).poll_write(cx, data)).await?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::WriteZero).into());
        }
        data = &data[n..];
    }
    poll_fn(|cx| Pin::new(&mut *s).poll_flush(cx)).await?;
    Ok(())
}
