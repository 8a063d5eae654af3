//! The transport/protocol level of TLS: flow control end to end through the TLS adapter
//! (pause/resume writing and reading), close_notify on close, extra info, and start_tls
//! after a plaintext STARTTLS-like line exchange, client side and server side.
#![cfg(not(target_arch = "wasm32"))]

mod tls_common;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use tls_common::{pattern, run, Ca};
use tulipa::net::{TcpListener, TcpStream};
use tulipa::tls::{TlsInfo, TlsStream};
use tulipa::transports::{Protocol, Transport, TransportAddr};

#[derive(Default)]
struct Log {
    transport: Option<Rc<dyn Transport>>,
    events: Vec<String>,
    received: Vec<u8>,
    lost: Option<Option<String>>,
}

/// Records everything; echoes if asked.
struct Recorder {
    log: Rc<RefCell<Log>>,
    echo: bool,
}

impl Protocol for Recorder {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        let mut l = self.log.borrow_mut();
        l.events.push("made".into());
        l.transport = Some(t);
    }
    fn data_received(&mut self, d: &[u8]) {
        let t = {
            let mut l = self.log.borrow_mut();
            l.received.extend_from_slice(d);
            l.transport.clone()
        };
        if self.echo {
            t.unwrap().write(d);
        }
    }
    fn eof_received(&mut self) -> bool {
        self.log.borrow_mut().events.push("eof".into());
        false
    }
    fn connection_lost(&mut self, e: Option<std::io::Error>) {
        let mut l = self.log.borrow_mut();
        l.events.push("lost".into());
        l.lost = Some(e.map(|e| e.to_string()));
        l.transport = None;
    }
    fn pause_writing(&mut self) {
        self.log.borrow_mut().events.push("pause".into());
    }
    fn resume_writing(&mut self) {
        self.log.borrow_mut().events.push("resume".into());
    }
}

async fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    tulipa::time::timeout(Duration::from_secs(20), async {
        while !f() {
            tulipa::sleep(Duration::from_millis(2)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for: {what}"));
}

/// A server that does not read (paused) makes the client's TLS transport call
/// pause_writing; resuming the server's reading drains it and resume_writing follows; every
/// byte arrives in order.
#[test]
fn flow_control_end_to_end_through_tls() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server_cfg = ca.leaf(&["localhost"], None).server_config();
        let server_log = Rc::new(RefCell::new(Log::default()));
        let sl = server_log.clone();
        let srv = tulipa::tls::create_server(
            move || {
                struct Pausing(Recorder);
                impl Protocol for Pausing {
                    fn connection_made(&mut self, t: Rc<dyn Transport>) {
                        t.pause_reading();
                        assert!(!t.is_reading());
                        self.0.connection_made(t);
                    }
                    fn data_received(&mut self, d: &[u8]) {
                        self.0.data_received(d);
                    }
                    fn eof_received(&mut self) -> bool {
                        self.0.eof_received()
                    }
                    fn connection_lost(&mut self, e: Option<std::io::Error>) {
                        self.0.connection_lost(e);
                    }
                }
                Pausing(Recorder {
                    log: sl.clone(),
                    echo: false,
                })
            },
            "127.0.0.1:0",
            &server_cfg,
        )
        .await
        .unwrap();
        let addr = srv.addrs()[0].inet().unwrap();
        let client_log = Rc::new(RefCell::new(Log::default()));
        let cl = client_log.clone();
        let t = tulipa::tls::create_connection(
            move || Recorder {
                log: cl,
                echo: false,
            },
            addr,
            "localhost",
            &ca.client_config(),
        )
        .await
        .unwrap();
        assert_eq!(client_log.borrow().events, ["made"]);
        t.set_write_buffer_limits(Some(64 * 1024), Some(16 * 1024));
        assert_eq!(t.write_buffer_limits(), (64 * 1024, 16 * 1024));

        // Write until the transport says pause (the server is not reading).
        let data = pattern(16 << 20, 1);
        let mut sent = 0;
        let chunk = 32 * 1024;
        while !client_log.borrow().events.contains(&"pause".to_string()) {
            assert!(sent < data.len(), "16 MiB written and never paused");
            t.write(&data[sent..sent + chunk]);
            sent += chunk;
            tulipa::yield_now().await;
        }
        assert!(t.write_buffer_size() > 64 * 1024);
        let paused_at = sent;
        tulipa::sleep(Duration::from_millis(20)).await;
        assert!(
            server_log.borrow().received.len() < paused_at,
            "the paused server read everything"
        );

        // Resume the server's reading: the client drains and resumes.
        let st = server_log.borrow().transport.clone().unwrap();
        st.resume_reading();
        wait_until("resume_writing", || {
            client_log.borrow().events.contains(&"resume".to_string())
        })
        .await;
        assert!(t.write_buffer_size() <= 16 * 1024);
        wait_until("everything arrived", || {
            server_log.borrow().received.len() == paused_at
        })
        .await;
        assert!(server_log.borrow().received == data[..paused_at]);
        assert_eq!(
            client_log.borrow().events,
            ["made", "pause", "resume"],
            "one pause, one resume"
        );

        // Extra info.
        let info = TlsInfo::of_transport(&*t).unwrap();
        assert_eq!(info.server_name(), Some("localhost"));
        let peer = t
            .extra_info("peername")
            .and_then(|v| v.downcast::<TransportAddr>().ok())
            .unwrap();
        assert_eq!(peer.inet(), Some(addr));
        assert!(!t.can_write_eof());
        assert!(t.write_eof().is_err());

        // close sends close_notify: the server sees eof_received (clean), then lost(None).
        t.close();
        wait_until("server lost", || server_log.borrow().lost.is_some()).await;
        assert_eq!(server_log.borrow().events, ["made", "eof", "lost"]);
        assert_eq!(server_log.borrow().lost, Some(None));
        wait_until("client lost", || client_log.borrow().lost.is_some()).await;
        assert_eq!(client_log.borrow().lost, Some(None));
        srv.close();
    });
}

/// Client-side STARTTLS: plaintext lines over a socket transport, then start_tls, then
/// TLS on the same connection. The server side is a plain socket upgraded with TlsStream.
#[test]
fn start_tls_client_side_after_a_plaintext_exchange() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server_cfg = ca.leaf(&["localhost"], None).server_config();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let server = tulipa::spawn_local(async move {
            let (mut s, _) = l.accept().await.unwrap();
            s.write_all(b"220 hello\r\n").await.unwrap();
            let mut line = Vec::new();
            let mut b = [0u8; 1];
            while !line.ends_with(b"\r\n") {
                s.read_exact(&mut b).await.unwrap();
                line.push(b[0]);
            }
            assert_eq!(line, b"STARTTLS\r\n");
            s.write_all(b"220 go ahead\r\n").await.unwrap();
            let mut tls = TlsStream::accept(s, &server_cfg).await.unwrap();
            let mut buf = [0u8; 12];
            tls.read_exact(&mut buf).await.unwrap();
            tls.write_all(&buf.to_ascii_uppercase()).await.unwrap();
            let mut end = [0u8; 1];
            assert_eq!(tls.read(&mut end).await.unwrap(), 0, "clean close_notify");
            tls.shutdown().await.unwrap();
        });

        let plain_log = Rc::new(RefCell::new(Log::default()));
        let pl = plain_log.clone();
        let plain = tulipa::net::create_connection(
            move || Recorder {
                log: pl,
                echo: false,
            },
            addr,
        )
        .await
        .unwrap();
        wait_until("greeting", || {
            plain_log.borrow().received == b"220 hello\r\n"
        })
        .await;
        plain.write(b"STARTTLS\r\n");
        wait_until("go ahead", || {
            plain_log.borrow().received.ends_with(b"220 go ahead\r\n")
        })
        .await;
        plain.pause_reading();
        let tls_log = Rc::new(RefCell::new(Log::default()));
        let t = tulipa::tls::start_tls(
            &*plain,
            Recorder {
                log: tls_log.clone(),
                echo: false,
            },
            "localhost",
            &ca.client_config(),
        )
        .await
        .unwrap();
        assert_eq!(tls_log.borrow().events, ["made"]);
        assert!(t.info().version().is_some());
        t.write(b"secret hello");
        wait_until("upper-cased echo", || {
            tls_log.borrow().received == b"SECRET HELLO"
        })
        .await;
        t.close();
        server.await.unwrap();
        wait_until("lost", || tls_log.borrow().lost.is_some()).await;
        assert_eq!(tls_log.borrow().lost, Some(None));
        // The old protocol was dropped without connection_lost.
        assert!(plain_log.borrow().lost.is_none());
    });
}

/// Server-side STARTTLS: a plaintext protocol on a tulipa server pauses reading, says go
/// ahead, and the connection is upgraded with start_tls_server; the client is a plain
/// socket upgraded with TlsStream.
#[test]
fn start_tls_server_side_after_a_plaintext_exchange() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server_cfg = ca.leaf(&["localhost"], None).server_config();
        let (tx, rx) = tulipa::channel::oneshot::channel::<Rc<dyn Transport>>();
        let tx = std::cell::Cell::new(Some(tx));

        struct LineProto {
            t: Option<Rc<dyn Transport>>,
            buf: Vec<u8>,
            upgrade: Option<tulipa::channel::oneshot::Sender<Rc<dyn Transport>>>,
        }
        impl Protocol for LineProto {
            fn connection_made(&mut self, t: Rc<dyn Transport>) {
                t.write(b"220 ready\r\n");
                self.t = Some(t);
            }
            fn data_received(&mut self, d: &[u8]) {
                self.buf.extend_from_slice(d);
                if self.buf.ends_with(b"STARTTLS\r\n") {
                    let t = self.t.clone().unwrap();
                    // asyncio's advice: stop reading before saying go ahead.
                    t.pause_reading();
                    t.write(b"220 go ahead\r\n");
                    let _ = self.upgrade.take().unwrap().send(t);
                }
            }
        }
        let srv = tulipa::net::create_server(
            move || LineProto {
                t: None,
                buf: Vec::new(),
                upgrade: tx.take(),
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = srv.addrs()[0].inet().unwrap();
        let client_cfg = ca.client_config();
        let client = tulipa::spawn_local(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let mut greet = [0u8; 11];
            s.read_exact(&mut greet).await.unwrap();
            assert_eq!(&greet, b"220 ready\r\n");
            s.write_all(b"STARTTLS\r\n").await.unwrap();
            let mut go = [0u8; 14];
            s.read_exact(&mut go).await.unwrap();
            assert_eq!(&go, b"220 go ahead\r\n");
            let mut tls = TlsStream::connect(s, "localhost", &client_cfg)
                .await
                .unwrap();
            let data = pattern(200_000, 9);
            tls.write_all(&data).await.unwrap();
            let mut back = vec![0u8; data.len()];
            tls.read_exact(&mut back).await.unwrap();
            assert!(back == data);
            tls.shutdown().await.unwrap();
            let mut end = [0u8; 1];
            assert_eq!(tls.read(&mut end).await.unwrap(), 0);
        });
        let plain = rx.await.unwrap();
        let log = Rc::new(RefCell::new(Log::default()));
        let t = tulipa::tls::start_tls_server(
            &*plain,
            Recorder {
                log: log.clone(),
                echo: true,
            },
            &server_cfg,
        )
        .await
        .unwrap();
        assert_eq!(t.info().server_name(), Some("localhost"));
        client.await.unwrap();
        wait_until("lost", || log.borrow().lost.is_some()).await;
        // The echo outran the client's reading: pause/resume in between are fine.
        let events: Vec<_> = log
            .borrow()
            .events
            .iter()
            .filter(|e| *e != "pause" && *e != "resume")
            .cloned()
            .collect();
        assert_eq!(events, ["made", "eof", "lost"]);
        assert_eq!(log.borrow().received.len(), 200_000);
        srv.close();
    });
}

/// A peer that never reads: closing a TLS transport with a full buffer is aborted after the
/// shutdown timeout (connection_lost follows), and TlsStream::shutdown fails with
/// ShutdownTimeout.
#[test]
fn shutdown_timeout_bounds_close_when_the_peer_does_not_read() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server_cfg = ca.leaf(&["localhost"], None).server_config();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let cfg = server_cfg.clone();
        let (held_tx, held_rx) = tulipa::channel::oneshot::channel();
        tulipa::spawn_local(async move {
            let mut held = Vec::new();
            for _ in 0..2 {
                let (sock, _) = l.accept().await.unwrap();
                // Handshake, then never read again.
                held.push(TlsStream::accept(sock, &cfg).await.unwrap());
            }
            let _ = held_tx.send(held);
        })
        .detach();

        let client = ca
            .client_config()
            .with_shutdown_timeout(Duration::from_millis(200));
        let log = Rc::new(RefCell::new(Log::default()));
        let l2 = log.clone();
        let t = tulipa::tls::create_connection(
            move || Recorder {
                log: l2,
                echo: false,
            },
            addr,
            "localhost",
            &client,
        )
        .await
        .unwrap();
        let data = pattern(1 << 20, 5);
        for _ in 0..16 {
            t.write(&data);
        }
        let start = std::time::Instant::now();
        t.close();
        wait_until("aborted after the shutdown timeout", || {
            log.borrow().lost.is_some()
        })
        .await;
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(150), "{took:?}");
        assert!(took < Duration::from_secs(5), "{took:?}");

        // TlsStream: shutdown with a full buffer fails with ShutdownTimeout.
        let sock = TcpStream::connect(addr).await.unwrap();
        let mut s = TlsStream::connect(sock, "localhost", &client)
            .await
            .unwrap();
        let big = pattern(256 * 1024, 6);
        // Fill the socket buffers (bounded: the peer does not read).
        let _ = tulipa::time::timeout(Duration::from_millis(300), async {
            loop {
                s.write_all(&big).await.unwrap();
            }
        })
        .await;
        let e = s.shutdown().await.unwrap_err();
        assert_eq!(
            tulipa::tls::TlsError::of(&e),
            Some(&tulipa::tls::TlsError::ShutdownTimeout {
                after: Duration::from_millis(200)
            })
        );
        drop(held_rx);
    });
}

/// asyncio's `StreamWriter.start_tls`, both ends tulipa streams: the same reader and writer
/// go on over TLS. The client pipelines its ClientHello right behind the STARTTLS line, so
/// the server's reader has already buffered it: the upgrade must use those bytes.
#[test]
fn start_tls_streams_both_sides_with_a_pipelined_client_hello() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server_cfg = ca.leaf(&["localhost"], None).server_config();
        let buffered_at_upgrade = Rc::new(RefCell::new(Vec::new()));
        let seen = buffered_at_upgrade.clone();
        let srv = tulipa::net::start_server(
            move |mut r, w| {
                let cfg = server_cfg.clone();
                let seen = seen.clone();
                async move {
                    assert_eq!(r.read_line().await.unwrap(), b"STARTTLS\r\n");
                    // Give a pipelined ClientHello time to land in the reader's buffer.
                    tulipa::sleep(Duration::from_millis(50)).await;
                    seen.borrow_mut().push(r.buffered());
                    w.write(b"220 go\r\n");
                    tulipa::tls::start_tls_streams_server(&mut r, &w, &cfg)
                        .await
                        .unwrap();
                    assert!(TlsInfo::of(&w).is_some());
                    while let Ok(line) = r.read_line().await {
                        if line.is_empty() {
                            break;
                        }
                        w.write(&line.to_ascii_uppercase());
                    }
                    w.close();
                }
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let addr = srv.addrs()[0].inet().unwrap();

        // A pipelining client: STARTTLS, then its ClientHello at once, without waiting for
        // the go-ahead (which its stream wrapper skips when it arrives).
        let mut s = TcpStream::connect(addr).await.unwrap();
        s.write_all(b"STARTTLS\r\n").await.unwrap();
        let client = ca.client_config();
        let hs = tulipa::spawn_local(async move {
            let wrapped = SkipFirst {
                inner: s,
                skip: b"220 go\r\n".len(),
            };
            TlsStream::connect(wrapped, "localhost", &client)
                .await
                .unwrap()
        });
        let mut tls = hs.await.unwrap();
        assert!(
            buffered_at_upgrade.borrow()[0] > 0,
            "the pipelined ClientHello was already in the reader's buffer"
        );
        tls.write_all(b"one\ntwo\n").await.unwrap();
        let mut back = [0u8; 8];
        tls.read_exact(&mut back).await.unwrap();
        assert_eq!(&back, b"ONE\nTWO\n");
        tls.shutdown().await.unwrap();
        let mut end = [0u8; 1];
        assert_eq!(tls.read(&mut end).await.unwrap(), 0);

        // Client side with tulipa streams, and a failing upgrade: the reader and writer
        // report the error instead of waiting for ever.
        let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
        w.write(b"STARTTLS\r\n");
        assert_eq!(r.read_line().await.unwrap(), b"220 go\r\n");
        let e = tulipa::tls::start_tls_streams(&mut r, &w, "wrong.example", &ca.client_config())
            .await
            .unwrap_err();
        assert!(matches!(
            tulipa::tls::TlsError::of(&e),
            Some(tulipa::tls::TlsError::WrongHostName { .. })
        ));
        assert!(r.read_line().await.is_err());

        // And a good one.
        let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
        w.write(b"STARTTLS\r\n");
        assert_eq!(r.read_line().await.unwrap(), b"220 go\r\n");
        tulipa::tls::start_tls_streams(&mut r, &w, "localhost", &ca.client_config())
            .await
            .unwrap();
        w.write(b"over tls\n");
        assert_eq!(r.read_line().await.unwrap(), b"OVER TLS\n");
        w.close();
        srv.close();
    });
}

/// A stream that drops the first `skip` bytes it reads (a plaintext line a pipelining
/// STARTTLS client does not wait for).
struct SkipFirst {
    inner: TcpStream,
    skip: usize,
}

impl futures_io::AsyncRead for SkipFirst {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        while self.skip > 0 {
            let mut tmp = [0u8; 64];
            let want = self.skip.min(tmp.len());
            match std::pin::Pin::new(&mut self.inner).poll_read(cx, &mut tmp[..want]) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Ok(0)),
                Poll::Ready(Ok(n)) => self.skip -= n,
                other => return other,
            }
        }
        std::pin::Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl futures_io::AsyncWrite for SkipFirst {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// TLS over a Unix socket transport: start_tls on create_unix_connection's transport, with a
/// TlsStream over the accepted UnixStream on the other side.
#[test]
fn start_tls_over_a_unix_socket_transport() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server_cfg = ca.leaf(&["localhost"], None).server_config();
        let dir = tls_common::TempDir::new("tls-unix");
        let path = dir.path().join("tls.sock");
        let l = tulipa::net::UnixListener::bind(&path).unwrap();
        let server = tulipa::spawn_local(async move {
            let (s, _) = l.accept().await.unwrap();
            let mut tls = TlsStream::accept(s, &server_cfg).await.unwrap();
            let mut b = [0u8; 4];
            tls.read_exact(&mut b).await.unwrap();
            tls.write_all(&b).await.unwrap();
            tls.shutdown().await.unwrap();
        });
        struct Quiet;
        impl Protocol for Quiet {}
        let plain = tulipa::net::create_unix_connection(|| Quiet, &path)
            .await
            .unwrap();
        let log = Rc::new(RefCell::new(Log::default()));
        let t = tulipa::tls::start_tls(
            &*plain,
            Recorder {
                log: log.clone(),
                echo: false,
            },
            "localhost",
            &ca.client_config(),
        )
        .await
        .unwrap();
        t.write(b"unix");
        wait_until("echo", || log.borrow().received == b"unix").await;
        server.await.unwrap();
        wait_until("lost", || log.borrow().lost.is_some()).await;
        assert_eq!(log.borrow().lost, Some(None));
    });
}
