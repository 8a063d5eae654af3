//! The typed causes inside `io::Error`s (`TlsError::of`, `NetError::of`) survive every
//! level an error travels through: the raw `TlsStream`, the TLS transport's
//! `connection_lost`, and the stream reader and writer of `tls::open_connection`,
//! `tls::start_server` and `tls::start_tls_streams`, on the client and on the server.
//!
//! The TLS case is a truncation: the peer closes its TCP connection (a FIN, no
//! close_notify) after sending some data; the other side must read the data, then get
//! `UnexpectedEof` with `TlsError::Truncated` inside, at every later read too.
#![cfg(not(target_arch = "wasm32"))]

#[path = "tls_common/mod.rs"]
mod common;

use std::cell::RefCell;
use std::io;
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::Duration;

use tulipa::channel::oneshot;
use tulipa::net::{NetError, TcpListener, TcpStream};
use tulipa::tls::{ClientConfig, ServerConfig, TlsError, TlsStream};
use tulipa::transports::Protocol;

fn configs() -> (ServerConfig, ClientConfig) {
    let id = common::self_signed(&["localhost"]);
    let client = ClientConfig::new()
        .with_root_certificates_pem(id.cert_pem.as_bytes())
        .unwrap();
    (id.server_config(), client)
}

/// Sends `data` over `tls`, then ends the TCP connection with a FIN and no close_notify.
/// The socket is returned (still open for reading) so that whatever the peer sends later
/// does not turn the FIN into a reset.
async fn truncate(mut tls: TlsStream<TcpStream>, data: &[u8]) -> TcpStream {
    tls.write_all(data).await.unwrap();
    tls.flush().await.unwrap();
    let (tcp, _session) = tls.into_parts();
    tcp.shutdown(Shutdown::Write).unwrap();
    tcp
}

/// What a truncated read must look like.
#[track_caller]
fn assert_truncated(e: &io::Error, level: &str) {
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{level}: {e}");
    assert_eq!(
        TlsError::of(e),
        Some(&TlsError::Truncated),
        "{level}: the typed cause is lost ({e:?})"
    );
}

/// A TLS server (a `TlsStream`) that sends `data` and truncates; yields its socket.
async fn truncating_server(
    server: ServerConfig,
    data: &'static [u8],
) -> (SocketAddr, tulipa::JoinHandle<TcpStream>) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let task = tulipa::spawn_local(async move {
        let (s, _) = l.accept().await.unwrap();
        let tls = TlsStream::accept(s, &server).await.unwrap();
        truncate(tls, data).await
    });
    (addr, task)
}

#[test]
fn truncation_is_typed_through_the_open_connection_reader_and_writer() {
    common::run(async {
        let (server, client) = configs();
        let (addr, peer) = truncating_server(server, b"partial").await;
        let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
            .await
            .unwrap();
        assert_eq!(r.read_exact(7).await.unwrap(), b"partial");
        // Every later read reports it again, each time with its cause.
        for _ in 0..3 {
            let e = r.read(100).await.unwrap_err();
            assert_truncated(&e, "open_connection reader");
        }
        let e = io::Error::from(r.read_exact(1).await.unwrap_err());
        assert_truncated(&e, "open_connection read_exact");
        assert_truncated(
            &w.wait_closed().await.unwrap_err(),
            "open_connection wait_closed",
        );
        assert_truncated(&w.drain().await.unwrap_err(), "open_connection drain");
        drop(peer.await.unwrap());
    });
}

#[test]
fn truncation_is_typed_through_the_start_server_reader_and_writer() {
    common::run(async {
        let (server, client) = configs();
        let (tx, rx) = oneshot::channel::<Vec<io::Error>>();
        let tx = RefCell::new(Some(tx));
        let srv = tulipa::tls::start_server(
            move |mut r, w| {
                let tx = tx.borrow_mut().take();
                async move {
                    assert_eq!(r.read_exact(7).await.unwrap(), b"partial");
                    let errors = vec![
                        r.read(100).await.unwrap_err(),
                        r.read(100).await.unwrap_err(),
                        w.wait_closed().await.unwrap_err(),
                        w.drain().await.unwrap_err(),
                    ];
                    let _ = tx.expect("one connection").send(errors);
                }
            },
            "127.0.0.1:0",
            &server,
        )
        .await
        .unwrap();
        let s = TcpStream::connect(srv.addrs()[0].inet().unwrap())
            .await
            .unwrap();
        let tls = TlsStream::connect(s, "localhost", &client).await.unwrap();
        let tcp = truncate(tls, b"partial").await;
        for e in rx.await.unwrap() {
            assert_truncated(&e, "start_server reader/writer");
        }
        drop(tcp);
        srv.close();
    });
}

#[test]
fn truncation_is_typed_through_upgraded_streams() {
    common::run(async {
        let (server, client) = configs();
        let (addr, peer) = truncating_server(server, b"partial").await;
        let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
        tulipa::tls::start_tls_streams(&mut r, &w, "localhost", &client)
            .await
            .unwrap();
        assert_eq!(r.read_exact(7).await.unwrap(), b"partial");
        assert_truncated(&r.read(100).await.unwrap_err(), "start_tls_streams reader");
        assert_truncated(
            &w.wait_closed().await.unwrap_err(),
            "start_tls_streams writer",
        );
        drop(peer.await.unwrap());
    });
}

/// Records what a TLS transport hands its protocol.
struct Record {
    data: Rc<RefCell<Vec<u8>>>,
    lost: Option<oneshot::Sender<Option<io::Error>>>,
}

impl Protocol for Record {
    fn data_received(&mut self, d: &[u8]) {
        self.data.borrow_mut().extend_from_slice(d);
    }
    fn connection_lost(&mut self, e: Option<io::Error>) {
        if let Some(tx) = self.lost.take() {
            let _ = tx.send(e);
        }
    }
}

#[test]
fn truncation_is_typed_through_tls_transports_on_both_sides() {
    common::run(async {
        let (server, client) = configs();

        // Client side: tls::create_connection against a truncating TlsStream server.
        let (addr, peer) = truncating_server(server.clone(), b"partial").await;
        let data = Rc::new(RefCell::new(Vec::new()));
        let (tx, rx) = oneshot::channel();
        let d = Rc::clone(&data);
        let _t = tulipa::tls::create_connection(
            move || Record {
                data: d,
                lost: Some(tx),
            },
            addr,
            "localhost",
            &client,
        )
        .await
        .unwrap();
        let e = rx.await.unwrap().expect("the truncation is an error");
        assert_eq!(*data.borrow(), b"partial");
        assert_truncated(&e, "client transport connection_lost");
        drop(peer.await.unwrap());

        // Server side: tls::create_server, with a truncating TlsStream client.
        let data = Rc::new(RefCell::new(Vec::new()));
        let (tx, rx) = oneshot::channel();
        let tx = RefCell::new(Some(tx));
        let d = Rc::clone(&data);
        let srv = tulipa::tls::create_server(
            move || Record {
                data: Rc::clone(&d),
                lost: tx.borrow_mut().take(),
            },
            "127.0.0.1:0",
            &server,
        )
        .await
        .unwrap();
        let s = TcpStream::connect(srv.addrs()[0].inet().unwrap())
            .await
            .unwrap();
        let tls = TlsStream::connect(s, "localhost", &client).await.unwrap();
        let tcp = truncate(tls, b"partial").await;
        let e = rx.await.unwrap().expect("the truncation is an error");
        assert_eq!(*data.borrow(), b"partial");
        assert_truncated(&e, "server transport connection_lost");
        drop(tcp);
        srv.close();
    });
}

#[test]
fn truncation_is_typed_through_raw_tls_streams_on_both_sides() {
    common::run(async {
        let (server, client) = configs();
        // The client reads a truncation from the server.
        let (addr, peer) = truncating_server(server.clone(), b"partial").await;
        let s = TcpStream::connect(addr).await.unwrap();
        let mut c = TlsStream::connect(s, "localhost", &client).await.unwrap();
        let mut buf = [0; 7];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"partial");
        // Every later read reports it again, each time with its cause.
        for _ in 0..3 {
            assert_truncated(&c.read(&mut [0; 16]).await.unwrap_err(), "TlsStream client");
        }
        drop(peer.await.unwrap());

        // The server reads a truncation from the client.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = tulipa::spawn_local(async move {
            let (s, _) = l.accept().await.unwrap();
            let mut tls = TlsStream::accept(s, &server).await.unwrap();
            let mut buf = [0; 7];
            tls.read_exact(&mut buf).await.unwrap();
            assert_eq!(&buf, b"partial");
            let mut errors = Vec::new();
            for _ in 0..3 {
                errors.push(tls.read(&mut [0; 16]).await.unwrap_err());
            }
            errors
        });
        let s = TcpStream::connect(addr).await.unwrap();
        let tls = TlsStream::connect(s, "localhost", &client).await.unwrap();
        let tcp = truncate(tls, b"partial").await;
        for e in srv.await.unwrap() {
            assert_truncated(&e, "TlsStream server");
        }
        drop(tcp);
    });
}

#[test]
fn stream_reader_and_writer_keep_a_net_error_and_an_os_error_code() {
    common::run(async {
        // Any transport may end a stream protocol with a typed error: the reader and the
        // writer report it, with its cause, as often as they are asked.
        let (mut p, mut r, w) = tulipa::streams::stream_protocol(1024);
        let cause = NetError::ConnectTimedOut {
            addr: "192.0.2.1:80".parse().unwrap(),
            after: Duration::from_secs(3),
        };
        p.connection_lost(Some(cause.clone().into()));
        for _ in 0..2 {
            let e = r.read(10).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::TimedOut);
            assert_eq!(NetError::of(&e), Some(&cause));
            assert_eq!(e.to_string(), cause.to_string());
        }
        let e = w.wait_closed().await.unwrap_err();
        assert_eq!(NetError::of(&e), Some(&cause));
        assert_eq!(TlsError::of(&e), None);

        // A plain OS error keeps its code.
        let (mut p, mut r, w) = tulipa::streams::stream_protocol(1024);
        p.connection_lost(Some(io::Error::from_raw_os_error(libc_econnreset())));
        let e = r.read(10).await.unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::ConnectionReset);
        assert_eq!(e.raw_os_error(), Some(libc_econnreset()));
        assert_eq!(NetError::of(&e), None);
        assert_eq!(
            w.drain().await.unwrap_err().raw_os_error(),
            Some(libc_econnreset())
        );
    });
}

/// ECONNRESET on the systems tulipa runs on.
fn libc_econnreset() -> i32 {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        104
    } else {
        54
    }
}

#[test]
fn net_errors_are_typed_at_every_level() {
    common::run(async {
        let long = std::path::PathBuf::from("/tmp").join("x".repeat(200));
        let is_too_long = |e: &io::Error, level: &str| {
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{level}: {e}");
            assert!(
                matches!(NetError::of(e), Some(NetError::PathTooLong { .. })),
                "{level}: {e:?}"
            );
        };
        is_too_long(
            &tulipa::net::UnixStream::connect(&long).await.unwrap_err(),
            "UnixStream::connect",
        );
        struct Quiet;
        impl Protocol for Quiet {}
        is_too_long(
            &tulipa::net::create_unix_connection(|| Quiet, &long)
                .await
                .unwrap_err(),
            "create_unix_connection",
        );
        is_too_long(
            &tulipa::net::open_unix_connection(&long).await.unwrap_err(),
            "open_unix_connection",
        );
    });
}
