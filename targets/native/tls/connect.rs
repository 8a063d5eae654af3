//! asyncio's entry points with TLS: `create_connection` / `create_server` /
//! `open_connection` / `start_server` with a TLS configuration, and `start_tls`.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::rc::Rc;

use super::adapter::{Shared, TlsAdapter, TlsTransport};
use super::config::{ClientConfig, ServerConfig};
use super::session::Session;
use crate::net::{Server, SocketTransport, ToSocketAddrs};
use crate::streams::{stream_protocol, StreamReader, StreamWriter, DEFAULT_LIMIT};
use crate::sys::net::{lookup_host, TcpListener, TcpStream};
use crate::transports::dispatch::Callbacks;
use crate::transports::{IntoProtocol, Transport};

fn callbacks<P: IntoProtocol>(p: P) -> Box<dyn Callbacks> {
    p.into_callbacks()
}

fn client_shared(
    config: &ClientConfig,
    server_name: &str,
    factory: Box<dyn FnOnce() -> Box<dyn Callbacks>>,
) -> io::Result<Rc<Shared>> {
    let session = Session::client(config, server_name)?;
    Ok(Shared::new(
        session,
        factory,
        config.handshake_timeout(),
        config.shutdown_timeout(),
        None,
    ))
}

fn server_shared(
    config: &ServerConfig,
    factory: Box<dyn FnOnce() -> Box<dyn Callbacks>>,
) -> io::Result<Rc<Shared>> {
    let session = Session::server(config)?;
    Ok(Shared::new(
        session,
        factory,
        config.handshake_timeout(),
        config.shutdown_timeout(),
        Some(config.clone()),
    ))
}

/// Connects over TCP to `addr`, runs a TLS client handshake verifying `server_name`, then
/// runs the protocol `protocol_factory()` makes over the TLS connection: it reads and
/// writes plaintext (asyncio's `loop.create_connection(..., ssl=context,
/// server_hostname=name)`). The protocol is made, and its `connection_made` has run, when
/// this returns; a failed handshake never makes it.
///
/// # Errors
///
/// As [`crate::net::create_connection`] for the TCP part; TLS failures are `io::Error`s
/// with a [`TlsError`](super::TlsError) inside (a bad certificate, a timeout, ...). The
/// connection is closed on failure.
///
/// # Cancel safety
///
/// Cancel safe: a cancelled call aborts the connection; no protocol is made.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsError};
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let srv = tulipa::tls::create_server(|| Quiet, "127.0.0.1:0", &server).await.unwrap();
///     let addr = srv.addrs()[0].inet().unwrap();
///     // The certificate is for "localhost", not "example.com".
///     let e = tulipa::tls::create_connection(|| Quiet, addr, "example.com", &client)
///         .await.unwrap_err();
///     assert!(matches!(TlsError::of(&e), Some(TlsError::WrongHostName { .. })));
///     srv.close();
/// });
/// ```
pub async fn create_connection<P: IntoProtocol>(
    protocol_factory: impl FnOnce() -> P + 'static,
    addr: impl ToSocketAddrs,
    server_name: &str,
    config: &ClientConfig,
) -> io::Result<Rc<TlsTransport>> {
    let factory: Box<dyn FnOnce() -> Box<dyn Callbacks>> =
        Box::new(move || protocol_factory().into_callbacks());
    let shared = client_shared(config, server_name, factory)?;
    let stream = TcpStream::connect(addr).await?;
    let waiter = shared.handshake();
    SocketTransport::start(stream, callbacks(TlsAdapter::new(shared)), None);
    Ok(waiter.await?)
}

/// Listens on every address `addr` resolves to and serves TLS: each accepted connection
/// runs a server handshake, then a protocol from `protocol_factory` over it (asyncio's
/// `loop.create_server(..., ssl=context)`). Handshakes that fail (garbage, a stalled
/// client cut off by the handshake timeout, a refused client certificate) close that
/// connection without making a protocol, are reported to the configuration's
/// [handshake error handler](ServerConfig::with_handshake_error_handler), and the server
/// goes on serving.
///
/// # Errors
///
/// As [`crate::net::create_server`].
///
/// # Cancel safety
///
/// Cancel safe: a cancelled call closes the sockets it bound.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::tls::{ClientConfig, ServerConfig};
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Hello;
/// impl Protocol for Hello {
///     fn connection_made(&mut self, t: Rc<dyn Transport>) {
///         t.write(b"hello over TLS\n");
///         t.close();
///     }
/// }
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let srv = tulipa::tls::create_server(|| Hello, "127.0.0.1:0", &server).await.unwrap();
///     let addr = srv.addrs()[0].inet().unwrap();
///     let (mut r, _w) = tulipa::tls::open_connection(addr, "localhost", &client).await.unwrap();
///     assert_eq!(r.read_line().await.unwrap(), b"hello over TLS\n");
///     assert!(r.read_line().await.unwrap().is_empty()); // close_notify: a clean EOF
///     srv.close();
/// });
/// ```
pub async fn create_server<P: IntoProtocol>(
    protocol_factory: impl Fn() -> P + 'static,
    addr: impl ToSocketAddrs,
    config: &ServerConfig,
) -> io::Result<Server> {
    // Fail early on a configuration that cannot make sessions.
    Session::server(config)?;
    let mut listeners = Vec::new();
    for a in lookup_host(addr).await? {
        listeners.push(TcpListener::bind(a).await?);
    }
    let config = config.clone();
    let protocol_factory = Rc::new(protocol_factory);
    let factory: Rc<dyn Fn() -> Box<dyn Callbacks>> = Rc::new(move || {
        let pf = Rc::clone(&protocol_factory);
        let app: Box<dyn FnOnce() -> Box<dyn Callbacks>> = Box::new(move || pf().into_callbacks());
        match server_shared(&config, app) {
            Ok(shared) => callbacks(TlsAdapter::new(shared)),
            // Session::server succeeded above with the same configuration; should it fail
            // now, the connection is closed at once.
            Err(_) => callbacks(Refuse),
        }
    });
    Ok(Server::start(listeners, factory, None))
}

/// Closes a connection as soon as it is made.
struct Refuse;

impl crate::transports::Protocol for Refuse {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        t.abort();
    }
}

/// Connects over TCP and TLS and returns a stream reader and writer (asyncio's
/// `asyncio.open_connection(host, port, ssl=context, server_hostname=name)`), once the
/// handshake has finished. [`TlsInfo::of`](super::TlsInfo::of)`(&writer)` gives the
/// negotiated details. Reading after a peer closed without close_notify fails with an
/// `UnexpectedEof` error (a truncation), never a clean EOF.
///
/// # Errors
///
/// As [`create_connection`].
///
/// # Cancel safety
///
/// Cancel safe, as [`create_connection`].
///
/// ```
/// use tulipa::tls::{ClientConfig, ServerConfig};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let srv = tulipa::tls::start_server(
///         |mut r, w| async move {
///             let line = r.read_line().await.unwrap();
///             w.write(&line);
///             w.close();
///         },
///         "127.0.0.1:0",
///         &server,
///     ).await.unwrap();
///     let addr = srv.addrs()[0].inet().unwrap();
///     let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client).await.unwrap();
///     w.write(b"secret\n");
///     assert_eq!(r.read_line().await.unwrap(), b"secret\n");
///     srv.close();
/// });
/// ```
pub async fn open_connection(
    addr: impl ToSocketAddrs,
    server_name: &str,
    config: &ClientConfig,
) -> io::Result<(StreamReader, StreamWriter)> {
    let (p, r, w) = stream_protocol(DEFAULT_LIMIT);
    create_connection(move || p, addr, server_name, config).await?;
    Ok((r, w))
}

/// Serves TLS on `addr`, calling `client_connected(reader, writer)` in a new task for each
/// connection whose handshake succeeded (asyncio's `asyncio.start_server(...,
/// ssl=context)`). Failed handshakes never reach the callback (see [`create_server`]).
///
/// # Errors
///
/// As [`create_server`].
///
/// # Cancel safety
///
/// Cancel safe, as [`create_server`].
///
/// ```
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsInfo};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let srv = tulipa::tls::start_server(
///         |_r, w| async move {
///             // The server side sees the name the client asked for (SNI).
///             let sni = TlsInfo::of(&w).unwrap().server_name().unwrap().to_string();
///             w.write(sni.as_bytes());
///             w.close();
///         },
///         "127.0.0.1:0",
///         &server,
///     ).await.unwrap();
///     let addr = srv.addrs()[0].inet().unwrap();
///     let (mut r, _w) = tulipa::tls::open_connection(addr, "localhost", &client).await.unwrap();
///     assert_eq!(r.read(100).await.unwrap(), b"localhost");
///     srv.close();
/// });
/// ```
pub async fn start_server<F, Fut>(
    client_connected: F,
    addr: impl ToSocketAddrs,
    config: &ServerConfig,
) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let client_connected = Rc::new(client_connected);
    create_server(
        move || {
            let (p, r, w) = stream_protocol(DEFAULT_LIMIT);
            // Made after the handshake; the task first runs after connection_made.
            crate::spawn_local(client_connected(r, w)).detach();
            p
        },
        addr,
        config,
    )
    .await
}

/// The socket transport under `t`, found through its `extra_info`, if it is one: what
/// `start_tls` can upgrade.
fn socket_transport(t: &dyn Transport) -> Option<Rc<SocketTransport>> {
    t.extra_info("socket_transport")
        .and_then(|b| b.downcast::<Rc<SocketTransport>>().ok())
        .map(|b| *b)
}

async fn upgrade(transport: &dyn Transport, shared: Rc<Shared>) -> io::Result<Rc<TlsTransport>> {
    let Some(transport) = socket_transport(transport) else {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "start_tls: only socket transports (TCP, Unix) can be upgraded",
        ));
    };
    let waiter = shared.handshake();
    let adapter = callbacks(TlsAdapter::new(Rc::clone(&shared)));
    match transport.replace_protocol(adapter) {
        Ok(old) => drop(old),
        Err(_) => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "start_tls: the transport is closed, or start_tls was called from inside \
                 its protocol's callback (call it from a task)",
            ))
        }
    }
    let lower: Rc<dyn Transport> = transport;
    shared.attach(Rc::clone(&lower));
    lower.resume_reading();
    Ok(waiter.await?)
}

/// Upgrades a live plain connection to TLS as the client (asyncio's `loop.start_tls(...,
/// server_side=False, server_hostname=name)`), for STARTTLS-style protocols: after the
/// plaintext exchange, the transport's current protocol is dropped (without
/// `connection_lost`), `protocol` takes over and gets `connection_made` with the returned
/// TLS transport once the handshake has finished.
///
/// To not lose the peer's first TLS bytes to the old protocol, do as asyncio advises:
/// pause reading on the transport when the plaintext exchange is over (this resumes it).
///
/// # Errors
///
/// As [`create_connection`]; `InvalidInput` if the transport is closed or this is called
/// from inside its protocol's callback (call it from a task).
///
/// # Cancel safety
///
/// Cancel safe: a cancelled upgrade aborts the connection.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::net::{create_connection, TcpListener};
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = l.local_addr().unwrap();
///     tulipa::spawn(async move {
///         // A server that speaks TLS at once (the plaintext part is left out here).
///         let (s, _) = l.accept().await.unwrap();
///         let mut tls = TlsStream::accept(s, &server).await.unwrap();
///         tls.write_all(b"hi").await.unwrap();
///         tls.shutdown().await.unwrap();
///     }).detach();
///     let plain = create_connection(|| Quiet, addr).await.unwrap();
///     plain.pause_reading();
///     let tls = tulipa::tls::start_tls(&*plain, Quiet, "localhost", &client).await.unwrap();
///     assert!(tls.info().version().is_some());
///     tls.close();
/// });
/// ```
pub async fn start_tls<P: IntoProtocol + 'static>(
    transport: &dyn Transport,
    protocol: P,
    server_name: &str,
    config: &ClientConfig,
) -> io::Result<Rc<TlsTransport>> {
    let shared = client_shared(
        config,
        server_name,
        Box::new(move || protocol.into_callbacks()),
    )?;
    upgrade(transport, shared).await
}

/// Upgrades a live plain connection to TLS as the server (asyncio's `loop.start_tls(...,
/// server_side=True)`); otherwise as [`start_tls`]. Pause reading on the transport before
/// you send the go-ahead line, so the client's ClientHello is not read by the old
/// protocol.
///
/// # Errors
///
/// As [`start_tls`].
///
/// # Cancel safety
///
/// Cancel safe: a cancelled upgrade aborts the connection.
///
/// ```
/// use tulipa::net::{create_server, TcpStream};
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let (tx, rx) = tulipa::channel::oneshot::channel();
///     let tx = std::cell::Cell::new(Some(tx));
///     let srv = create_server(move || {
///         struct Grab(Option<tulipa::channel::oneshot::Sender<Rc<dyn Transport>>>);
///         impl Protocol for Grab {
///             fn connection_made(&mut self, t: Rc<dyn Transport>) {
///                 t.pause_reading();
///                 let _ = self.0.take().unwrap().send(t);
///             }
///         }
///         Grab(tx.take())
///     }, "127.0.0.1:0").await.unwrap();
///     # use std::rc::Rc;
///     let addr = srv.addrs()[0].inet().unwrap();
///     let client_task = tulipa::spawn_local(async move {
///         let s = TcpStream::connect(addr).await.unwrap();
///         let mut tls = TlsStream::connect(s, "localhost", &client).await.unwrap();
///         let mut b = [0; 2];
///         tls.read_exact(&mut b).await.unwrap();
///         b
///     });
///     let plain = rx.await.unwrap();
///     let tls = tulipa::tls::start_tls_server(&*plain, Quiet, &server).await.unwrap();
///     tls.write(b"ok");
///     assert_eq!(&client_task.await.unwrap(), b"ok");
///     srv.close();
/// });
/// ```
pub async fn start_tls_server<P: IntoProtocol + 'static>(
    transport: &dyn Transport,
    protocol: P,
    config: &ServerConfig,
) -> io::Result<Rc<TlsTransport>> {
    let shared = server_shared(config, Box::new(move || protocol.into_callbacks()))?;
    upgrade(transport, shared).await
}

type Slot = Rc<RefCell<Option<Box<dyn Callbacks>>>>;

/// Rule of the stream upgrade: the stream's own protocol moves under the TLS adapter as its
/// user protocol, so the same reader and writer go on, now over TLS.
async fn upgrade_streams(
    reader: &mut StreamReader,
    writer: &StreamWriter,
    make: impl FnOnce(Box<dyn FnOnce() -> Box<dyn Callbacks>>) -> io::Result<Rc<Shared>>,
) -> io::Result<()> {
    let Some(plain) = writer.transport() else {
        return Err(io::Error::new(
            io::ErrorKind::NotConnected,
            "start_tls: the stream is not connected (or already closed)",
        ));
    };
    let Some(sock) = socket_transport(&*plain) else {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "start_tls: only streams over socket transports (TCP, Unix) can be upgraded",
        ));
    };
    let slot: Slot = Rc::new(RefCell::new(None));
    let for_factory = Rc::clone(&slot);
    let shared = make(Box::new(move || {
        for_factory
            .borrow_mut()
            .take()
            .expect("tulipa: the stream's protocol is handed over once")
    }))?;
    let waiter = shared.handshake();
    let old = sock
        .replace_protocol(callbacks(TlsAdapter::new(Rc::clone(&shared))))
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                "start_tls: the connection is already gone",
            )
        })?;
    *slot.borrow_mut() = Some(old);
    // Bytes the reader holds arrived after the plaintext part: the peer's first TLS bytes.
    let early = reader.take_buffered();
    // Writes made during the handshake wait and go out encrypted.
    writer.detach_transport();
    let lower: Rc<dyn Transport> = sock;
    shared.attach(Rc::clone(&lower));
    if !early.is_empty() {
        shared.receive(&early);
    }
    lower.resume_reading();
    match waiter.await {
        Ok(_) => Ok(()),
        Err(e) => {
            // The stream's protocol never got the TLS transport: tell it the connection is
            // gone, so its reader and writer report the error.
            let old = slot.borrow_mut().take();
            if let Some(mut p) = old {
                p.connection_lost(Some(e.clone().into()));
            }
            Err(e.into())
        }
    }
}

/// Upgrades a plain stream connection to TLS as the client, keeping the same reader and
/// writer (asyncio's `StreamWriter.start_tls(sslcontext, server_hostname=name)`): after a
/// STARTTLS-like plaintext exchange, the reader and writer carry TLS once this returns,
/// and [`TlsInfo::of`](super::TlsInfo::of)`(&writer)` shows the details. Writes made
/// during the handshake are sent encrypted after it. Bytes the reader had buffered and not
/// read are taken as the start of the TLS handshake.
///
/// # Errors
///
/// As [`start_tls`]; `NotConnected` if the stream is closed; `Unsupported` for a stream that
/// is not over a socket. On a TLS failure the reader and writer report the error too.
///
/// # Cancel safety
///
/// Cancel safe: a cancelled upgrade aborts the connection.
///
/// ```
/// use tulipa::net::TcpListener;
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsInfo, TlsStream};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let addr = l.local_addr().unwrap();
///     tulipa::spawn(async move {
///         let (mut s, _) = l.accept().await.unwrap();
///         let mut line = [0; 10];
///         s.read_exact(&mut line).await.unwrap(); // "STARTTLS\r\n"
///         s.write_all(b"220 go\r\n").await.unwrap();
///         let mut tls = TlsStream::accept(s, &server).await.unwrap();
///         tls.write_all(b"secret\n").await.unwrap();
///         tls.shutdown().await.unwrap();
///     }).detach();
///     let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
///     w.write(b"STARTTLS\r\n");
///     assert_eq!(r.read_line().await.unwrap(), b"220 go\r\n");
///     tulipa::tls::start_tls_streams(&mut r, &w, "localhost", &client).await.unwrap();
///     assert!(TlsInfo::of(&w).is_some());
///     assert_eq!(r.read_line().await.unwrap(), b"secret\n");
/// });
/// ```
pub async fn start_tls_streams(
    reader: &mut StreamReader,
    writer: &StreamWriter,
    server_name: &str,
    config: &ClientConfig,
) -> io::Result<()> {
    upgrade_streams(reader, writer, |f| client_shared(config, server_name, f)).await
}

/// As [`start_tls_streams`], as the server (asyncio's `StreamWriter.start_tls` with a
/// server context): typically right after writing the go-ahead line. Bytes of the
/// client's handshake that the reader already buffered are used, not lost.
///
/// # Errors
///
/// As [`start_tls_streams`].
///
/// # Cancel safety
///
/// Cancel safe: a cancelled upgrade aborts the connection.
///
/// ```
/// use tulipa::net::TcpStream;
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let srv = tulipa::net::start_server(
///         move |mut r, w| {
///             let server = server.clone();
///             async move {
///                 assert_eq!(r.read_line().await.unwrap(), b"STARTTLS\r\n");
///                 w.write(b"220 go\r\n");
///                 tulipa::tls::start_tls_streams_server(&mut r, &w, &server).await.unwrap();
///                 let line = r.read_line().await.unwrap();
///                 w.write(&line.to_ascii_uppercase());
///                 w.close();
///             }
///         },
///         "127.0.0.1:0",
///     ).await.unwrap();
///     let mut s = TcpStream::connect(srv.addrs()[0].inet().unwrap()).await.unwrap();
///     s.write_all(b"STARTTLS\r\n").await.unwrap();
///     let mut go = [0; 8];
///     s.read_exact(&mut go).await.unwrap();
///     let mut tls = TlsStream::connect(s, "localhost", &client).await.unwrap();
///     tls.write_all(b"quiet\n").await.unwrap();
///     let mut up = [0; 6];
///     tls.read_exact(&mut up).await.unwrap();
///     assert_eq!(&up, b"QUIET\n");
///     srv.close();
/// });
/// ```
pub async fn start_tls_streams_server(
    reader: &mut StreamReader,
    writer: &StreamWriter,
    config: &ServerConfig,
) -> io::Result<()> {
    upgrade_streams(reader, writer, |f| server_shared(config, f)).await
}
