//! TLS workloads: handshakes per second (a new TCP connection and a full TLS 1.3 handshake
//! each, session resumption off) and bulk throughput over one TLS connection, client and
//! server in one process on one runtime, so the number is that runtime's whole cost of
//! both ends.
//!
//! Both runtimes use the very same rustls configurations (rustls 0.23.46, ring provider,
//! TLS 1.3 only, an ECDSA P-256 certificate made by rcgen before the timed part):
//!
//! * tulipa: `tulipa::tls::TlsStream` over `tulipa::net::TcpStream`, tasks from
//!   `spawn_local`; variant `tulipa-streams` uses asyncio's stream API instead
//!   (`tls::start_server` / `tls::open_connection`, the TLS protocol adapter under
//!   `StreamReader`/`StreamWriter`).
//! * tokio: `tokio_rustls::{TlsAcceptor, TlsConnector}` over `tokio::net::TcpStream`,
//!   current_thread.
//!
//! Handshakes: the client connects, handshakes, sends one byte, reads one byte back and
//! closes; connections are sequential. Bulk: one connection; the client writes `bytes` in
//! 64 KiB chunks from one task while another reads the echo; the server echoes with one
//! task (read up to 64 KiB, write it without waiting for a flush: tokio's `write_all`,
//! tulipa's `TlsStream::write` loop).

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

const CHUNK: usize = 64 * 1024;

/// The rustls configurations shared by every variant.
pub struct Configs {
    server: Arc<rustls::ServerConfig>,
    client: Arc<rustls::ClientConfig>,
}

pub fn configs() -> Configs {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = rustls::pki_types::PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![ck.cert.der().clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ck.cert.der().clone()).unwrap();
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    // Every handshake a full one.
    client.resumption = rustls::client::Resumption::disabled();
    Configs {
        server: Arc::new(server),
        client: Arc::new(client),
    }
}

// --- tulipa: TlsStream ----------------------------------------------------------------------

pub fn tulipa_handshakes(n: usize) -> Duration {
    use tulipa::net::{TcpListener, TcpStream};
    use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
    let c = configs();
    let server = ServerConfig::from_rustls(c.server);
    let client = ClientConfig::from_rustls(c.client);
    tulipa_runtime().block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tulipa::spawn_local(async move {
            loop {
                let (sock, _) = listener.accept().await.unwrap();
                let server = server.clone();
                tulipa::spawn_local(async move {
                    let mut s = TlsStream::accept(sock, &server).await.unwrap();
                    let mut b = [0u8; 1];
                    s.read_exact(&mut b).await.unwrap();
                    s.write_all(&b).await.unwrap();
                    let _ = s.shutdown().await;
                })
                .detach();
            }
        })
        .detach();
        let start = Instant::now();
        for _ in 0..n {
            let sock = TcpStream::connect(addr).await.unwrap();
            let mut s = TlsStream::connect(sock, "localhost", &client)
                .await
                .unwrap();
            s.write_all(b"x").await.unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await.unwrap();
            std::hint::black_box(b);
            let _ = s.shutdown().await;
        }
        start.elapsed()
    })
}

pub fn tulipa_bulk(bytes: usize) -> Duration {
    use futures_io::{AsyncRead, AsyncWrite};
    use std::future::poll_fn;
    use std::pin::Pin;
    use tulipa::net::{TcpListener, TcpStream};
    use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
    let c = configs();
    let server = ServerConfig::from_rustls(c.server);
    let client = ClientConfig::from_rustls(c.client);
    tulipa_runtime().block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tulipa::spawn_local(async move {
            let (sock, _) = listener.accept().await.unwrap();
            sock.set_nodelay(true).unwrap();
            let mut s = TlsStream::accept(sock, &server).await.unwrap();
            let mut buf = vec![0x55u8; CHUNK];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                // `write` without waiting for each flush, as tokio's `write_all` does
                // (tulipa's `write_all` also flushes); shutdown flushes the rest.
                let mut part = &buf[..n];
                while !part.is_empty() {
                    let k = s.write(part).await.unwrap();
                    part = &part[k..];
                }
            }
            let _ = s.shutdown().await;
        })
        .detach();
        let sock = TcpStream::connect(addr).await.unwrap();
        sock.set_nodelay(true).unwrap();
        let s = TlsStream::connect(sock, "localhost", &client)
            .await
            .unwrap();
        let (mut r, mut w) = s.split();
        let start = Instant::now();
        let writer = tulipa::spawn_local(async move {
            let chunk = vec![0xa5u8; CHUNK];
            let mut left = bytes;
            while left > 0 {
                let mut part = &chunk[..left.min(CHUNK)];
                left -= part.len();
                while !part.is_empty() {
                    let n = poll_fn(|cx| Pin::new(&mut w).poll_write(cx, part))
                        .await
                        .unwrap();
                    part = &part[n..];
                }
            }
            poll_fn(|cx| Pin::new(&mut w).poll_flush(cx)).await.unwrap();
            w
        });
        let mut buf = vec![0x55u8; CHUNK];
        let mut got = 0;
        while got < bytes {
            let n = poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf))
                .await
                .unwrap();
            assert!(n > 0, "echo ended early");
            assert!(buf[..n].iter().all(|&b| b == 0xa5));
            got += n;
        }
        let elapsed = start.elapsed();
        let mut w = writer.await.unwrap();
        poll_fn(|cx| Pin::new(&mut w).poll_close(cx)).await.unwrap();
        elapsed
    })
}

// --- tulipa: asyncio's stream API over the TLS protocol adapter -----------------------------

pub fn tulipa_streams_handshakes(n: usize) -> Duration {
    use tulipa::tls::{ClientConfig, ServerConfig};
    let c = configs();
    let server = ServerConfig::from_rustls(c.server);
    let client = ClientConfig::from_rustls(c.client);
    tulipa_runtime().block_on(async move {
        let srv = tulipa::tls::start_server(
            |mut r, w| async move {
                let b = r.read_exact(1).await.unwrap();
                w.write(&b);
                w.close();
            },
            "127.0.0.1:0",
            &server,
        )
        .await
        .unwrap();
        let addr = srv.addrs()[0].inet().unwrap();
        let start = Instant::now();
        for _ in 0..n {
            let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
                .await
                .unwrap();
            w.write(b"x");
            std::hint::black_box(r.read_exact(1).await.unwrap());
            w.close();
        }
        let elapsed = start.elapsed();
        srv.close();
        elapsed
    })
}

pub fn tulipa_streams_bulk(bytes: usize) -> Duration {
    use tulipa::tls::{ClientConfig, ServerConfig};
    let c = configs();
    let server = ServerConfig::from_rustls(c.server);
    let client = ClientConfig::from_rustls(c.client);
    tulipa_runtime().block_on(async move {
        let srv = tulipa::tls::start_server(
            |mut r, w| async move {
                loop {
                    let d = r.read(CHUNK).await.unwrap();
                    if d.is_empty() {
                        break;
                    }
                    w.write(&d);
                    w.drain().await.unwrap();
                }
                w.close();
            },
            "127.0.0.1:0",
            &server,
        )
        .await
        .unwrap();
        let addr = srv.addrs()[0].inet().unwrap();
        let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
            .await
            .unwrap();
        let start = Instant::now();
        let writer = tulipa::spawn_local(async move {
            let chunk = vec![0xa5u8; CHUNK];
            let mut left = bytes;
            while left > 0 {
                let n = left.min(CHUNK);
                w.write(&chunk[..n]);
                left -= n;
                w.drain().await.unwrap();
            }
            w
        });
        let mut got = 0;
        while got < bytes {
            let d = r.read(CHUNK).await.unwrap();
            assert!(!d.is_empty(), "echo ended early");
            assert!(d.iter().all(|&b| b == 0xa5));
            got += d.len();
        }
        let elapsed = start.elapsed();
        writer.await.unwrap().close();
        srv.close();
        elapsed
    })
}

// --- tokio + tokio-rustls -------------------------------------------------------------------

pub fn tokio_handshakes(n: usize) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    let c = configs();
    let acceptor = tokio_rustls::TlsAcceptor::from(c.server);
    let connector = tokio_rustls::TlsConnector::from(c.client);
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio_runtime().block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let (sock, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let mut s = acceptor.accept(sock).await.unwrap();
                    let mut b = [0u8; 1];
                    s.read_exact(&mut b).await.unwrap();
                    s.write_all(&b).await.unwrap();
                    let _ = s.shutdown().await;
                });
            }
        });
        let start = Instant::now();
        for _ in 0..n {
            let sock = TcpStream::connect(addr).await.unwrap();
            let mut s = connector.connect(name.clone(), sock).await.unwrap();
            s.write_all(b"x").await.unwrap();
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await.unwrap();
            std::hint::black_box(b);
            let _ = s.shutdown().await;
        }
        start.elapsed()
    })
}

pub fn tokio_bulk(bytes: usize) -> Duration {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};
    let c = configs();
    let acceptor = tokio_rustls::TlsAcceptor::from(c.server);
    let connector = tokio_rustls::TlsConnector::from(c.client);
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    tokio_runtime().block_on(async move {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let (sock, _) = listener.accept().await.unwrap();
            sock.set_nodelay(true).unwrap();
            let mut s = acceptor.accept(sock).await.unwrap();
            let mut buf = vec![0x55u8; CHUNK];
            loop {
                let n = s.read(&mut buf).await.unwrap();
                if n == 0 {
                    break;
                }
                s.write_all(&buf[..n]).await.unwrap();
            }
            let _ = s.shutdown().await;
        });
        let sock = TcpStream::connect(addr).await.unwrap();
        sock.set_nodelay(true).unwrap();
        let s = connector.connect(name, sock).await.unwrap();
        let (mut r, mut w) = tokio::io::split(s);
        let start = Instant::now();
        let writer = tokio::spawn(async move {
            let chunk = vec![0xa5u8; CHUNK];
            let mut left = bytes;
            while left > 0 {
                let n = left.min(CHUNK);
                w.write_all(&chunk[..n]).await.unwrap();
                left -= n;
            }
            w.flush().await.unwrap();
            w
        });
        let mut buf = vec![0x55u8; CHUNK];
        let mut got = 0;
        while got < bytes {
            let n = r.read(&mut buf).await.unwrap();
            assert!(n > 0, "echo ended early");
            assert!(buf[..n].iter().all(|&b| b == 0xa5));
            got += n;
        }
        let elapsed = start.elapsed();
        let mut w = writer.await.unwrap();
        let _ = w.shutdown().await;
        elapsed
    })
}
