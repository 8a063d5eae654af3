//! The asyncio entry points: `create_connection`, `create_server`, their Unix twins, and the
//! stream helpers `open_connection` / `start_server`.

use std::future::Future;
use std::io;
use std::path::Path;
use std::rc::Rc;

use super::server::Server;
use super::socket::SocketTransport;
use crate::streams::{stream_protocol, StreamReader, StreamWriter, DEFAULT_LIMIT};
use crate::sys::net::{
    lookup_host, ConnectOptions, TcpListener, TcpStream, ToSocketAddrs, UnixListener, UnixStream,
};
use crate::transports::dispatch::Callbacks;
use crate::transports::IntoProtocol;

/// Connects over TCP to `addr` and runs the protocol `protocol_factory()` makes on the
/// connection (asyncio's `loop.create_connection`). Host names are resolved on the
/// blocking pool and each address is tried in turn, the first that connects wins
/// (sequential, asyncio's default; [`create_connection_with`] takes [`ConnectOptions`] for
/// Happy Eyeballs, a local address, a time limit). The protocol's `connection_made` has run
/// when this returns.
///
/// # Errors
///
/// Resolution failed (`NotFound`, with a [`NetError`](crate::net::NetError) inside), or
/// every address refused or failed (the last error).
///
/// # Cancel safety
///
/// Cancel safe: a cancelled connect closes its socket; no protocol is made until the
/// connection is up.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::net::{create_connection, TcpListener};
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Greeter;
/// impl Protocol for Greeter {
///     fn connection_made(&mut self, t: Rc<dyn Transport>) {
///         t.write(b"hi");
///         t.close();
///     }
/// }
///
/// tulipa::run(async {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     create_connection(|| Greeter, l.local_addr().unwrap()).await.unwrap();
///     let (mut s, _) = l.accept().await.unwrap();
///     let mut buf = [0; 2];
///     s.read_exact(&mut buf).await.unwrap();
///     assert_eq!(&buf, b"hi");
/// });
/// ```
pub async fn create_connection<P: IntoProtocol>(
    protocol_factory: impl FnOnce() -> P,
    addr: impl ToSocketAddrs,
) -> io::Result<Rc<SocketTransport>> {
    create_connection_with(protocol_factory, addr, &ConnectOptions::new()).await
}

/// [`create_connection`] with [`ConnectOptions`] (asyncio's `happy_eyeballs_delay`,
/// `local_addr`, and a time limit per address).
///
/// # Errors
///
/// As [`create_connection`] and [`TcpStream::connect_with`].
///
/// # Cancel safety
///
/// Cancel safe, as [`create_connection`].
///
/// ```
/// use std::time::Duration;
/// use tulipa::net::{create_connection_with, ConnectOptions, TcpListener};
/// use tulipa::transports::{Protocol, Transport};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// tulipa::run(async {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let opts = ConnectOptions::new().happy_eyeballs(Duration::from_millis(250));
///     let t = create_connection_with(|| Quiet, l.local_addr().unwrap(), &opts).await.unwrap();
///     let (_s, peer) = l.accept().await.unwrap();
///     assert_eq!(t.local_addr().unwrap().inet(), Some(peer));
/// });
/// ```
pub async fn create_connection_with<P: IntoProtocol>(
    protocol_factory: impl FnOnce() -> P,
    addr: impl ToSocketAddrs,
    options: &ConnectOptions,
) -> io::Result<Rc<SocketTransport>> {
    let stream = TcpStream::connect_with(addr, options).await?;
    Ok(SocketTransport::start(
        stream,
        protocol_factory().into_callbacks(),
        None,
    ))
}

/// Connects to the Unix socket at `path` and runs the protocol on it (asyncio's
/// `loop.create_unix_connection`).
///
/// # Errors
///
/// The path does not exist or refuses (`NotFound`, `ConnectionRefused`), or is too long
/// for a socket address (`InvalidInput`, [`NetError::PathTooLong`](crate::net::NetError)).
///
/// # Cancel safety
///
/// Cancel safe, as [`create_connection`].
///
/// ```
/// use tulipa::net::{create_unix_connection, UnixListener};
/// use tulipa::transports::Protocol;
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// tulipa::run(async {
///     let dir = std::env::temp_dir().join(format!("tulipa-doc-{}", std::process::id()));
///     std::fs::create_dir_all(&dir).unwrap();
///     let path = dir.join("ucc.sock");
///     let _ = std::fs::remove_file(&path);
///     let l = UnixListener::bind(&path).unwrap();
///     let t = create_unix_connection(|| Quiet, &path).await.unwrap();
///     l.accept().await.unwrap();
///     # drop(t);
///     std::fs::remove_file(&path).unwrap();
/// });
/// ```
pub async fn create_unix_connection<P: IntoProtocol>(
    protocol_factory: impl FnOnce() -> P,
    path: impl AsRef<Path>,
) -> io::Result<Rc<SocketTransport>> {
    let stream = UnixStream::connect(path).await?;
    Ok(SocketTransport::start(
        stream,
        protocol_factory().into_callbacks(),
        None,
    ))
}

fn boxed_factory<P: IntoProtocol>(
    f: impl Fn() -> P + 'static,
) -> Rc<dyn Fn() -> Box<dyn Callbacks>> {
    Rc::new(move || f().into_callbacks())
}

/// Listens on every address `addr` resolves to and runs a protocol from `protocol_factory`
/// on each accepted connection (asyncio's `loop.create_server`). It serves at once; see
/// [`Server`] for closing it, its addresses, and how it survives running out of file
/// descriptors.
///
/// # Errors
///
/// Resolution failed, or binding an address failed (`AddrInUse`, `PermissionDenied`).
///
/// # Cancel safety
///
/// Cancel safe: a cancelled call closes the sockets it bound.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::net::create_server;
/// use tulipa::transports::{Protocol, Transport};
///
/// #[derive(Default)]
/// struct Echo(Option<Rc<dyn Transport>>);
/// impl Protocol for Echo {
///     fn connection_made(&mut self, t: Rc<dyn Transport>) { self.0 = Some(t); }
///     fn data_received(&mut self, d: &[u8]) { self.0.as_ref().unwrap().write(d); }
/// }
///
/// tulipa::run(async {
///     let server = create_server(Echo::default, "127.0.0.1:0").await.unwrap();
///     let addr = server.addrs()[0].inet().unwrap();
///     let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
///     w.write(b"echo\n");
///     assert_eq!(r.read_line().await.unwrap(), b"echo\n");
///     server.close();
/// });
/// ```
pub async fn create_server<P: IntoProtocol>(
    protocol_factory: impl Fn() -> P + 'static,
    addr: impl ToSocketAddrs,
) -> io::Result<Server> {
    let mut listeners = Vec::new();
    for a in lookup_host(addr).await? {
        listeners.push(TcpListener::bind(a).await?);
    }
    Ok(Server::start(
        listeners,
        boxed_factory(protocol_factory),
        None,
    ))
}

/// Listens on the Unix socket `path` (asyncio's `loop.create_unix_server`). A stale socket
/// file at `path` is removed first (only a socket, never another kind of file); closing
/// the server removes the file.
///
/// # Errors
///
/// Binding failed: the directory does not exist, the path is taken by a non-socket file
/// (`AddrInUse`), or is too long (`InvalidInput`).
///
/// ```
/// use tulipa::net::create_unix_server;
/// use tulipa::transports::Protocol;
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// tulipa::run(async {
///     let path = std::env::temp_dir().join(format!("tulipa-doc-us-{}.sock", std::process::id()));
///     let server = create_unix_server(|| Quiet, &path).await.unwrap();
///     assert!(path.exists());
///     server.close();
///     assert!(!path.exists());
/// });
/// ```
pub async fn create_unix_server<P: IntoProtocol>(
    protocol_factory: impl Fn() -> P + 'static,
    path: impl AsRef<Path>,
) -> io::Result<Server> {
    let path = path.as_ref();
    remove_stale_socket(path);
    let listener = UnixListener::bind(path)?;
    Ok(Server::start(
        vec![listener],
        boxed_factory(protocol_factory),
        Some(path.to_path_buf()),
    ))
}

fn remove_stale_socket(path: &Path) {
    use std::os::unix::fs::FileTypeExt;
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_socket() {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Connects over TCP and returns a stream reader and writer (asyncio's
/// `asyncio.open_connection`), with the default reader limit (64 KiB). For another limit,
/// pass [`stream_protocol`]`(limit)`'s protocol to [`create_connection`].
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
/// tulipa::run(async {
///     let server = tulipa::net::start_server(
///         |mut r, w| async move {
///             let line = r.read_line().await.unwrap();
///             w.write(&line);
///             w.close();
///         },
///         "127.0.0.1:0",
///     ).await.unwrap();
///     let addr = server.addrs()[0].inet().unwrap();
///     let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
///     w.write(b"round trip\n");
///     assert_eq!(r.read_line().await.unwrap(), b"round trip\n");
///     server.close();
/// });
/// ```
pub async fn open_connection(addr: impl ToSocketAddrs) -> io::Result<(StreamReader, StreamWriter)> {
    open_connection_with(addr, &ConnectOptions::new()).await
}

/// [`open_connection`] with [`ConnectOptions`] (Happy Eyeballs, a local address, a time
/// limit per address).
///
/// # Errors
///
/// As [`create_connection_with`].
///
/// # Cancel safety
///
/// Cancel safe.
///
/// ```
/// use tulipa::net::{open_connection_with, ConnectOptions, TcpListener};
/// tulipa::run(async {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let opts = ConnectOptions::new().timeout(std::time::Duration::from_secs(5));
///     let (_r, w) = open_connection_with(l.local_addr().unwrap(), &opts).await.unwrap();
///     w.close();
/// });
/// ```
pub async fn open_connection_with(
    addr: impl ToSocketAddrs,
    options: &ConnectOptions,
) -> io::Result<(StreamReader, StreamWriter)> {
    let (p, r, w) = stream_protocol(DEFAULT_LIMIT);
    create_connection_with(move || p, addr, options).await?;
    Ok((r, w))
}

/// As [`open_connection`], over a Unix socket (asyncio's `open_unix_connection`).
///
/// # Errors
///
/// As [`create_unix_connection`].
///
/// # Cancel safety
///
/// Cancel safe.
///
/// ```
/// tulipa::run(async {
///     let path = std::env::temp_dir().join(format!("tulipa-doc-ouc-{}.sock", std::process::id()));
///     let server = tulipa::net::start_unix_server(
///         |_r, w| async move { w.write(b"hi"); w.close(); },
///         &path,
///     ).await.unwrap();
///     let (mut r, _w) = tulipa::net::open_unix_connection(&path).await.unwrap();
///     assert_eq!(r.read_exact(2).await.unwrap(), b"hi");
///     server.close();
/// });
/// ```
pub async fn open_unix_connection(
    path: impl AsRef<Path>,
) -> io::Result<(StreamReader, StreamWriter)> {
    let (p, r, w) = stream_protocol(DEFAULT_LIMIT);
    create_unix_connection(move || p, path).await?;
    Ok((r, w))
}

fn stream_factory<F, Fut>(client_connected: F) -> impl Fn() -> crate::streams::StreamProtocol
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    move || {
        let (p, r, w) = stream_protocol(DEFAULT_LIMIT);
        // The callback's task starts after connection_made (spawned tasks never run inline).
        crate::spawn_local(client_connected(r, w)).detach();
        p
    }
}

/// Serves TCP on `addr`, calling `client_connected(reader, writer)` in a new task for each
/// connection (asyncio's `asyncio.start_server`).
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
/// tulipa::run(async {
///     let server = tulipa::net::start_server(
///         |mut r, w| async move {
///             while let Ok(line) = r.read_line().await {
///                 if line.is_empty() { break; }
///                 w.write(&line);
///                 if w.drain().await.is_err() { break; }
///             }
///         },
///         "127.0.0.1:0",
///     ).await.unwrap();
///     let (mut r, w) = tulipa::net::open_connection(server.addrs()[0].inet().unwrap()).await.unwrap();
///     w.write(b"a\nb\n");
///     assert_eq!(r.read_line().await.unwrap(), b"a\n");
///     assert_eq!(r.read_line().await.unwrap(), b"b\n");
///     server.close();
/// });
/// ```
pub async fn start_server<F, Fut>(
    client_connected: F,
    addr: impl ToSocketAddrs,
) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    create_server(stream_factory(client_connected), addr).await
}

/// As [`start_server`], on a Unix socket (asyncio's `start_unix_server`).
///
/// # Errors
///
/// As [`create_unix_server`].
///
/// # Cancel safety
///
/// Cancel safe.
///
/// ```
/// tulipa::run(async {
///     let path = std::env::temp_dir().join(format!("tulipa-doc-sus-{}.sock", std::process::id()));
///     let server = tulipa::net::start_unix_server(|_r, _w| async {}, &path).await.unwrap();
///     server.close();
/// });
/// ```
pub async fn start_unix_server<F, Fut>(
    client_connected: F,
    path: impl AsRef<Path>,
) -> io::Result<Server>
where
    F: Fn(StreamReader, StreamWriter) -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    create_unix_server(stream_factory(client_connected), path).await
}
