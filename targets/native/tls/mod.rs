//! TLS with rustls: client and server configurations, TLS over any stream, and asyncio's
//! TLS entry points (`tulipa::tls`, native targets only; in a browser TLS belongs to the
//! host: use `wss://` and `https://`).
//!
//! | asyncio | tulipa |
//! |---|---|
//! | `ssl.create_default_context()` (client) | [`ClientConfig::new`] (bundled webpki roots) |
//! | `ctx.load_verify_locations(cafile)` | [`ClientConfig::with_root_certificates_pem`] |
//! | `ctx.load_cert_chain(cert, key)` (server) | [`ServerConfig::from_pem`], [`ServerConfig::from_pem_files`] |
//! | `ctx.load_cert_chain` (client) | [`ClientConfig::with_client_certificate_pem`] |
//! | `ctx.set_alpn_protocols([...])` | [`ClientConfig::with_alpn`], [`ServerConfig::with_alpn`] |
//! | `ctx.verify_mode = CERT_REQUIRED / CERT_OPTIONAL` (server) | [`ServerConfig::with_client_auth`] |
//! | `ctx.check_hostname = False; verify_mode = CERT_NONE` | [`ClientConfig::dangerous_accept_any_certificate_for_tests`] |
//! | `ssl_handshake_timeout=`, `ssl_shutdown_timeout=` | `with_handshake_timeout`, `with_shutdown_timeout` (60 s, 30 s) |
//! | `asyncio.open_connection(host, port, ssl=ctx, server_hostname=name)` | [`open_connection`]`(addr, name, &config)` |
//! | `asyncio.start_server(cb, host, port, ssl=ctx)` | [`start_server`]`(cb, addr, &config)` |
//! | `loop.create_connection(factory, host, port, ssl=ctx)` | [`create_connection`] |
//! | `loop.create_server(factory, host, port, ssl=ctx)` | [`create_server`] |
//! | `loop.start_tls(transport, protocol, ctx, server_side=...)` | [`start_tls`], [`start_tls_server`] |
//! | `await writer.start_tls(ctx, server_hostname=name)` | [`start_tls_streams`], [`start_tls_streams_server`] |
//! | `ssl_object.version()`, `.cipher()`, `.selected_alpn_protocol()`, `getpeercert()` | [`TlsInfo`] |
//! | `SSLError`, `SSLCertVerificationError` | [`TlsError`] inside the `io::Error` |
//!
//! Two levels, both pumping rustls' sans-I/O state machine:
//!
//! * [`TlsStream`] wraps any futures-io stream (`tulipa::net::TcpStream`, `UnixStream`,
//!   ...) and is itself `AsyncRead + AsyncWrite`, with split halves. It is also the simple
//!   way to do STARTTLS on a socket: talk plaintext first, then wrap it.
//! * The transport level: a TLS protocol adapter sits between the socket transport and
//!   your protocol (asyncio's `SSLProtocol`); your protocol sees plaintext through a
//!   [`TlsTransport`], with flow control end to end. The stream helpers
//!   ([`open_connection`], [`start_server`]) are built on it.
//!
//! Common behaviour:
//! - Certificates are verified against the bundled Mozilla roots (webpki-roots) unless you
//!   give your own; failures are typed ([`TlsError`]), each with a message saying what to
//!   fix: wrong host name, expired, self-signed, unknown issuer, client certificate
//!   missing.
//! - Every handshake is bounded by the handshake timeout (default 60 s) and every close by
//!   the shutdown timeout (default 30 s). Closing sends close_notify.
//! - A peer that closes without close_notify after the handshake is reported as
//!   [`TlsError::Truncated`] (an `UnexpectedEof` error), never as a clean end of file; the
//!   data it sent before is delivered first.
//! - The crypto provider is rustls' `ring`.
//!
//! ```
//! use tulipa::tls::{ClientConfig, ServerConfig};
//!
//! // A certificate for "localhost" (here made on the spot with rcgen).
//! let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
//! let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
//!     ck.signing_key.serialize_pem().as_bytes()).unwrap();
//! let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
//!
//! tulipa::run(async move {
//!     let srv = tulipa::tls::start_server(
//!         |mut r, w| async move {
//!             while let Ok(line) = r.read_line().await {
//!                 if line.is_empty() { break; }
//!                 w.write(&line);
//!             }
//!             w.close();
//!         },
//!         "127.0.0.1:0",
//!         &server,
//!     ).await.unwrap();
//!     let addr = srv.addrs()[0].inet().unwrap();
//!     let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client).await.unwrap();
//!     w.write(b"over TLS\n");
//!     assert_eq!(r.read_line().await.unwrap(), b"over TLS\n");
//!     srv.close();
//! });
//! ```

mod adapter;
mod config;
mod connect;
mod error;
mod session;
mod stream;
mod verify;

pub use adapter::TlsTransport;
pub use config::{
    certificates_from_pem, private_key_from_pem, ClientAuth, ClientConfig, HandshakeErrorHandler,
    ServerConfig, TlsVersion, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use connect::{
    create_connection, create_server, open_connection, start_server, start_tls, start_tls_server,
    start_tls_streams, start_tls_streams_server,
};
pub use error::TlsError;
pub use session::TlsInfo;
pub use stream::{TlsReadHalf, TlsReuniteError, TlsStream, TlsWriteHalf};

/// rustls itself, for [`ClientConfig::from_rustls`] / [`ServerConfig::from_rustls`].
pub use rustls;
/// The certificate and key types the configurations take (from rustls-pki-types).
pub use rustls::pki_types::{CertificateDer, PrivateKeyDer};
