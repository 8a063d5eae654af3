//! TLS under hostile or heavy peers: a slowloris cut off by the handshake timeout, garbage
//! instead of a ClientHello, truncation (EOF without close_notify), 25 concurrent clients
//! × 1 MiB each way, and split halves over a Unix socket pair.
#![cfg(not(target_arch = "wasm32"))]

mod tls_common;

use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tls_common::{pattern, run, Ca};
use tulipa::net::{TcpListener, TcpStream, UnixStream};
use tulipa::tls::{ServerConfig, TlsError, TlsStream};

fn echo_server_config(ca: &Ca) -> (ServerConfig, Arc<Mutex<Vec<TlsError>>>) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let e2 = errors.clone();
    let config = ca
        .leaf(&["localhost"], None)
        .server_config()
        .with_handshake_timeout(Duration::from_millis(300))
        .with_handshake_error_handler(move |e| e2.lock().unwrap().push(e.clone()));
    (config, errors)
}

async fn start_echo(config: &ServerConfig) -> tulipa::net::Server {
    tulipa::tls::start_server(
        |mut r, w| async move {
            loop {
                match r.read(64 * 1024).await {
                    Ok(d) if d.is_empty() => break,
                    Ok(d) => {
                        w.write(&d);
                        if w.drain().await.is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
            w.close();
        },
        "127.0.0.1:0",
        config,
    )
    .await
    .unwrap()
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    tulipa::time::timeout(Duration::from_secs(20), async {
        while !f() {
            tulipa::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
}

async fn echo_once(addr: std::net::SocketAddr, ca: &Ca) {
    let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &ca.client_config())
        .await
        .unwrap();
    w.write(b"still serving\n");
    assert_eq!(r.read_line().await.unwrap(), b"still serving\n");
}

#[test]
fn slowloris_is_cut_off_by_the_handshake_timeout() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let (config, errors) = echo_server_config(&ca);
        let srv = start_echo(&config).await;
        let addr = srv.addrs()[0].inet().unwrap();
        // The first bytes of a ClientHello record, then nothing.
        let mut slow = TcpStream::connect(addr).await.unwrap();
        slow.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc])
            .await
            .unwrap();
        let start = std::time::Instant::now();
        // Meanwhile others are served.
        echo_once(addr, &ca).await;
        let mut buf = [0u8; 64];
        let n = tulipa::time::timeout(Duration::from_secs(10), slow.read(&mut buf))
            .await
            .expect("the stalled connection was not cut off");
        // Aborted: a reset or EOF, never data.
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(250),
            "cut off too early: {took:?}"
        );
        wait_until("the server reported the timeout", || {
            !errors.lock().unwrap().is_empty()
        })
        .await;
        assert_eq!(
            errors.lock().unwrap()[0],
            TlsError::HandshakeTimeout {
                after: Duration::from_millis(300)
            }
        );
        wait_until("no connection left", || srv.active_connections() == 0).await;
        srv.close();
    });
}

#[test]
fn tls_stream_handshake_timeout_on_a_silent_server() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sock = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (_held, _) = l.accept().await.unwrap();
        let cfg = ca
            .client_config()
            .with_handshake_timeout(Duration::from_millis(100));
        let e = TlsStream::connect(sock, "localhost", &cfg)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(e.to_string().contains("did not finish within"), "{e}");
    });
}

#[test]
fn garbage_instead_of_client_hello_gets_an_error_and_the_server_serves_on() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let (config, errors) = echo_server_config(&ca);
        let srv = start_echo(&config).await;
        let addr = srv.addrs()[0].inet().unwrap();
        for garbage in [
            &b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"[..],
            &[0xffu8; 300][..],
            &b"\x16\x03\x01\x00\x05hello"[..],
        ] {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(garbage).await.unwrap();
            // The server answers with an alert (or nothing) and closes.
            let mut got = Vec::new();
            let mut buf = [0u8; 256];
            tulipa::time::timeout(Duration::from_secs(10), async {
                loop {
                    match c.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
            })
            .await
            .expect("server closed the garbage connection");
            if !got.is_empty() {
                assert_eq!(got[0], 0x15, "a TLS alert record: {got:?}");
            }
            echo_once(addr, &ca).await;
        }
        wait_until("three errors reported", || {
            errors.lock().unwrap().len() == 3
        })
        .await;
        for e in errors.lock().unwrap().iter() {
            assert!(matches!(e, TlsError::Protocol { .. }), "{e:?}");
            assert!(e.to_string().contains("is the peer speaking TLS"), "{e}");
        }
        wait_until("no connection left", || srv.active_connections() == 0).await;
        srv.close();
    });
}

#[test]
fn eof_without_close_notify_is_truncation_after_the_data() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server = ca.leaf(&["localhost"], None).server_config();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tulipa::spawn_local(async move {
            for _ in 0..2 {
                let (sock, _) = l.accept().await.unwrap();
                let mut s = TlsStream::accept(sock, &server).await.unwrap();
                s.write_all(b"partial data").await.unwrap();
                // Close the TCP connection without close_notify.
                let (sock, _conn) = s.into_parts();
                drop(sock);
            }
        })
        .detach();

        // Stream API: the data, then an UnexpectedEof error, never a clean EOF.
        let (mut r, _w) = tulipa::tls::open_connection(addr, "localhost", &ca.client_config())
            .await
            .unwrap();
        assert_eq!(r.read_exact(12).await.unwrap(), b"partial data");
        let e = r.read(10).await.unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
        assert!(e.to_string().contains("close_notify"), "{e}");

        // TlsStream: the same, with the typed error.
        let sock = TcpStream::connect(addr).await.unwrap();
        let mut s = TlsStream::connect(sock, "localhost", &ca.client_config())
            .await
            .unwrap();
        // A larger buffer than the data: the read returns the data (topping up finds the
        // EOF), the next one the truncation.
        let mut b = [0u8; 64];
        let mut got = Vec::new();
        let e = loop {
            match s.read(&mut b).await {
                Ok(0) => panic!("a truncated connection reported a clean EOF"),
                Ok(n) => got.extend_from_slice(&b[..n]),
                Err(e) => break e,
            }
        };
        assert_eq!(got, b"partial data");
        assert_eq!(TlsError::of(&e), Some(&TlsError::Truncated));
        // And it stays failed.
        assert!(s.read(&mut b).await.is_err());
    });
}

#[test]
fn twenty_five_clients_a_mebibyte_each_way() {
    run(async {
        let ca = Rc::new(Ca::new("tulipa test CA"));
        let (config, errors) = echo_server_config(&ca);
        let config = config.with_handshake_timeout(Duration::from_secs(30));
        let srv = start_echo(&config).await;
        let addr = srv.addrs()[0].inet().unwrap();
        let mut clients = Vec::new();
        for i in 0..25u8 {
            let ca = ca.clone();
            clients.push(tulipa::spawn_local(async move {
                let (mut r, w) =
                    tulipa::tls::open_connection(addr, "localhost", &ca.client_config())
                        .await
                        .unwrap();
                let data = pattern(1 << 20, i);
                let sent = data.clone();
                let w = Rc::new(w);
                let w2 = w.clone();
                let writer = tulipa::spawn_local(async move {
                    for c in sent.chunks(37_000) {
                        w2.write(c);
                        w2.drain().await.unwrap();
                    }
                });
                let got = r.read_exact(data.len()).await.unwrap();
                writer.await.unwrap();
                assert!(got == data, "client {i}: echoed bytes differ");
                w.close();
                assert!(
                    r.read(1).await.unwrap().is_empty(),
                    "client {i}: clean close"
                );
                got.len()
            }));
        }
        let mut total = 0;
        for c in clients {
            total += c.await.unwrap();
        }
        assert_eq!(total, 25 << 20);
        assert!(
            errors.lock().unwrap().is_empty(),
            "{:?}",
            errors.lock().unwrap()
        );
        wait_until("no connection left", || srv.active_connections() == 0).await;
        srv.close();
    });
}

#[test]
fn split_halves_over_a_unix_socket_pair() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server = ca.leaf(&["localhost"], None).server_config();
        let client = ca.client_config();
        let (a, b) = UnixStream::pair().unwrap();
        let srv = tulipa::spawn_local(async move {
            let s = TlsStream::accept(b, &server).await.unwrap();
            let (r, w) = s.split();
            // Echo with the halves in two tasks.
            let (tx, mut rx) = tulipa::channel::mpsc::bounded::<Vec<u8>>(4);
            let reader = tulipa::spawn_local(async move {
                let mut r = r;
                let mut buf = vec![0u8; 8192];
                loop {
                    let n = std::future::poll_fn(|cx| {
                        futures_io::AsyncRead::poll_read(std::pin::Pin::new(&mut r), cx, &mut buf)
                    })
                    .await
                    .unwrap();
                    if n == 0 {
                        break;
                    }
                    tx.send(buf[..n].to_vec()).await.unwrap();
                }
                r
            });
            let writer = tulipa::spawn_local(async move {
                let mut w = w;
                while let Some(chunk) = rx.recv().await {
                    let mut c = &chunk[..];
                    while !c.is_empty() {
                        let n = std::future::poll_fn(|cx| {
                            futures_io::AsyncWrite::poll_write(std::pin::Pin::new(&mut w), cx, c)
                        })
                        .await
                        .unwrap();
                        c = &c[n..];
                    }
                }
                std::future::poll_fn(|cx| {
                    futures_io::AsyncWrite::poll_close(std::pin::Pin::new(&mut w), cx)
                })
                .await
                .unwrap();
                w
            });
            let r = reader.await.unwrap();
            let w = writer.await.unwrap();
            r.reunite(w).unwrap()
        });
        let mut c = TlsStream::connect(a, "localhost", &client).await.unwrap();
        let data = pattern(300_000, 3);
        let (cr, mut cw) = (data.clone(), ());
        let _ = &mut cw;
        c.write_all(&cr).await.unwrap();
        let mut got = vec![0u8; data.len()];
        c.read_exact(&mut got).await.unwrap();
        assert!(got == data);
        c.shutdown().await.unwrap();
        let mut end = [0u8; 1];
        assert_eq!(c.read(&mut end).await.unwrap(), 0);
        let reunited = srv.await.unwrap();
        assert!(reunited.info().version().is_some());
    });
}
