//! The native WebSocket client and server over loopback: echo, fragmentation, close codes,
//! and bad input to the server (each bad connection is closed with the right code or HTTP
//! status while the server goes on serving others).
#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use tulipa::net::{TcpListener, TcpStream};
use tulipa::time::timeout;
use tulipa::ws::{self, encode_frame, parse_frame_header, Error, Message, Opcode, Options};

const LIMIT: Duration = Duration::from_secs(20);

/// Runs `f` on a fresh loop, failing (not hanging) after `LIMIT`.
fn run<F: std::future::Future<Output = ()> + 'static>(f: F) {
    tulipa::run(async move {
        timeout(LIMIT, f)
            .await
            .expect("test timed out: lost wakeup or hang");
    });
}

/// An echo server (text and binary echoed; `close:CODE:REASON` makes the server close).
async fn echo_server(options: Options) -> (ws::WsServer, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = ws::serve_with(l, options, |_req, mut ws: ws::WebSocket| async move {
        loop {
            match ws.recv().await {
                Ok(Message::Text(t)) if t.starts_with("close:") => {
                    let mut parts = t.splitn(3, ':').skip(1);
                    let code = parts.next().unwrap().parse().unwrap();
                    let reason = parts.next().unwrap_or("");
                    let _ = ws.close(code, reason).await;
                    return;
                }
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                    if ws.send(m).await.is_err() {
                        return;
                    }
                }
                _ => return,
            }
        }
    });
    let url = format!("ws://{}/", server.local_addr());
    (server, url)
}

async fn check_echo(url: &str) {
    let mut c = ws::connect(url).await.unwrap();
    c.send("still serving").await.unwrap();
    assert_eq!(
        c.recv().await.unwrap(),
        Message::Text("still serving".into())
    );
    c.close(1000, "").await.unwrap();
}

/// A raw TCP client that has done the handshake.
async fn raw_client(url: &str) -> TcpStream {
    let u = ws::WsUrl::parse(url).unwrap();
    let mut s = TcpStream::connect((u.host.as_str(), u.port)).await.unwrap();
    let key = ws::generate_key();
    s.write_all(&ws::client_request(&u, &key, &[]))
        .await
        .unwrap();
    let head = read_head(&mut s).await;
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    s
}

async fn read_head(s: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).await.unwrap() == 0 {
            break;
        }
        head.push(b[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Reads frames until a close frame; returns its code, then checks the server closes TCP.
async fn expect_close_code(s: &mut TcpStream) -> u16 {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        while let Some(h) = parse_frame_header(&buf).unwrap() {
            let end = h.header_len + h.payload_len as usize;
            if buf.len() < end {
                break;
            }
            if h.opcode == Opcode::Close {
                let p = &buf[h.header_len..end];
                let code = u16::from_be_bytes([p[0], p[1]]);
                // Then the server closes the TCP connection.
                loop {
                    match s.read(&mut chunk).await {
                        Ok(0) | Err(_) => return code,
                        Ok(_) => {}
                    }
                }
            }
            buf.drain(..end);
        }
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed without a close frame");
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn masked(fin: bool, op: Opcode, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::new();
    encode_frame(&mut f, fin, op, Some([9, 8, 7, 6]), payload);
    f
}

#[test]
fn ws_echo_text_binary_and_one_mebibyte() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let mut c = ws::connect(&url).await.unwrap();
        c.send("héllo").await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Text("héllo".into()));
        c.send(vec![0u8, 1, 2, 255]).await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Binary(vec![0, 1, 2, 255]));
        let big: Vec<u8> = (0..1 << 20).map(|i| (i * 7) as u8).collect();
        c.send(big.clone()).await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Binary(big));
        c.send(Message::Text(String::new())).await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Text(String::new()));
        c.close(1000, "bye").await.unwrap();
        assert!(matches!(c.send("late").await, Err(Error::ConnectionClosed)));
    });
}

#[test]
fn ws_client_close_code_and_reason_reach_the_server() {
    run(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", l.local_addr().unwrap());
        let seen = Rc::new(std::cell::RefCell::new(None));
        let s2 = seen.clone();
        let _server = ws::serve(l, move |mut ws: ws::WebSocket| {
            let seen = s2.clone();
            async move {
                let m = ws.recv().await.unwrap();
                *seen.borrow_mut() = Some(m);
                assert!(matches!(ws.recv().await, Err(Error::ConnectionClosed)));
            }
        });
        let c = ws::connect(&url).await.unwrap();
        c.close(4001, "client done").await.unwrap();
        while seen.borrow().is_none() {
            tulipa::yield_now().await;
        }
        assert_eq!(
            seen.borrow().clone().unwrap(),
            Message::Close {
                code: 4001,
                reason: "client done".into()
            }
        );
    });
}

#[test]
fn ws_server_initiated_close_is_seen_by_the_client() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let mut c = ws::connect(&url).await.unwrap();
        c.send("close:4321:server says bye").await.unwrap();
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Close {
                code: 4321,
                reason: "server says bye".into()
            }
        );
        assert!(matches!(c.recv().await, Err(Error::ConnectionClosed)));
    });
}

#[test]
fn ws_server_going_away_is_an_error_not_a_hang() {
    run(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", l.local_addr().unwrap());
        let server = tulipa::spawn_local(async move {
            let (mut tcp, _) = l.accept().await.unwrap();
            let head = read_head(&mut tcp).await;
            let key = head
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap()
                .to_owned();
            tcp.write_all(&ws::accept_response(&key)).await.unwrap();
            // Then vanish without a close frame.
        });
        let mut c = ws::connect(&url).await.unwrap();
        server.await.unwrap();
        let e = c.recv().await.unwrap_err();
        assert!(matches!(e, Error::ConnectionLost), "{e}");
        assert_eq!(e.close_code(), Some(1006));
        assert!(c.send("x").await.is_err());
    });
}

#[test]
fn ws_fragments_and_interleaved_ping_from_a_raw_client() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let mut s = raw_client(&url).await;
        let mut frames = masked(false, Opcode::Text, "frag".as_bytes());
        frames.extend(masked(true, Opcode::Ping, b"are you there"));
        frames.extend(masked(true, Opcode::Continuation, "ment".as_bytes()));
        s.write_all(&frames).await.unwrap();
        // First the pong (sent at once), then the echo of the whole message.
        let mut buf = Vec::new();
        let mut got = Vec::new();
        let mut chunk = [0u8; 1024];
        while got.len() < 2 {
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            buf.extend_from_slice(&chunk[..n]);
            while let Some(h) = parse_frame_header(&buf).unwrap() {
                let end = h.header_len + h.payload_len as usize;
                if buf.len() < end {
                    break;
                }
                assert!(h.mask.is_none(), "server frames are not masked");
                got.push((h.opcode, buf[h.header_len..end].to_vec()));
                buf.drain(..end);
            }
        }
        assert_eq!(got[0], (Opcode::Pong, b"are you there".to_vec()));
        assert_eq!(got[1], (Opcode::Text, b"fragment".to_vec()));
    });
}

#[test]
fn ws_bad_handshakes_get_http_statuses_and_the_server_keeps_serving() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let addr = url
            .trim_start_matches("ws://")
            .trim_end_matches('/')
            .to_owned();
        let good = "GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                    Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
        for (req, status) in [
            ("GET / HTTP/1.1\r\nHost: h\r\n\r\n".to_owned(), "426"),
            (good.replace("Version: 13", "Version: 7"), "426"),
            (good.replace("GET", "PUT"), "405"),
            (good.replace("dGhlIHNhbXBsZSBub25jZQ==", "x"), "400"),
            ("\x16\x03\x01 not http at all\r\n\r\n".to_owned(), "400"),
        ] {
            let mut s = TcpStream::connect(addr.as_str()).await.unwrap();
            s.write_all(req.as_bytes()).await.unwrap();
            let head = read_head(&mut s).await;
            assert!(
                head.starts_with(&format!("HTTP/1.1 {status} ")),
                "{req:?} -> {head}"
            );
            if status == "426" && req.contains("Version: 7") {
                assert!(head.contains("Sec-WebSocket-Version: 13"), "{head}");
            }
            check_echo(&url).await;
        }
    });
}

#[test]
fn ws_unmasked_client_frame_closes_with_1002() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let mut s = raw_client(&url).await;
        let mut f = Vec::new();
        encode_frame(&mut f, true, Opcode::Text, None, b"naked");
        s.write_all(&f).await.unwrap();
        assert_eq!(expect_close_code(&mut s).await, 1002);
        check_echo(&url).await;
    });
}

#[test]
fn ws_reserved_bits_close_with_1002() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let mut s = raw_client(&url).await;
        let mut f = masked(true, Opcode::Text, b"x");
        f[0] |= 0x40; // RSV1
        s.write_all(&f).await.unwrap();
        assert_eq!(expect_close_code(&mut s).await, 1002);
        check_echo(&url).await;
    });
}

#[test]
fn ws_invalid_utf8_across_fragments_closes_with_1007() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let mut s = raw_client(&url).await;
        let mut f = masked(false, Opcode::Text, &[b'o', b'k', 0xE2, 0x82]);
        f.extend(masked(true, Opcode::Continuation, &[0x28])); // not a continuation byte
        s.write_all(&f).await.unwrap();
        assert_eq!(expect_close_code(&mut s).await, 1007);
        check_echo(&url).await;
    });
}

#[test]
fn ws_oversize_frame_and_message_close_with_1009() {
    run(async {
        let mut o = Options::default();
        o.config.max_frame_size = 4096;
        o.config.max_message_size = 6000;
        let (_server, url) = echo_server(o).await;
        // A frame announcing 1 GiB: refused from its header.
        let mut s = raw_client(&url).await;
        s.write_all(&[0x82, 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0, 1, 2, 3, 4])
            .await
            .unwrap();
        assert_eq!(expect_close_code(&mut s).await, 1009);
        // A message of two 4 KiB fragments, each fine alone.
        let mut s = raw_client(&url).await;
        let mut f = masked(false, Opcode::Binary, &[0; 4000]);
        f.extend(masked(true, Opcode::Continuation, &[0; 4000]));
        s.write_all(&f).await.unwrap();
        assert_eq!(expect_close_code(&mut s).await, 1009);
        // The tulipa client reports it as a typed error when it is the one sending.
        let mut c = ws::connect(&url).await.unwrap();
        c.send(vec![0u8; 5000]).await.unwrap();
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Close {
                code: 1009,
                reason: String::new()
            }
        );
        check_echo(&url).await;
    });
}

#[test]
fn ws_client_that_stops_reading_bounds_server_memory() {
    run(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", l.local_addr().unwrap());
        const MSG: usize = 16 * 1024;
        let report = Rc::new(Cell::new(None));
        let r2 = report.clone();
        let _server = ws::serve(l, move |mut ws: ws::WebSocket| {
            let report = r2.clone();
            async move {
                match ws.recv().await {
                    Ok(Message::Text(t)) if t == "flood me" => {}
                    // Another client, served while the flooded connection is stuck.
                    Ok(m) => {
                        let _ = ws.send(m).await;
                        return;
                    }
                    Err(_) => return,
                }
                ws.set_write_buffer_limits(128 * 1024, 32 * 1024);
                let mut sent = 0usize;
                // Sends until one send blocks for 300 ms: the client reads nothing, so the
                // socket buffers fill and the watermark holds the rest.
                while sent < 4096 {
                    match timeout(Duration::from_millis(300), ws.send(vec![7u8; MSG])).await {
                        Ok(r) => r.unwrap(),
                        Err(_) => break,
                    }
                    sent += 1;
                }
                report.set(Some((sent, ws.buffered_amount())));
            }
        });
        let mut s = raw_client(&url).await;
        s.write_all(&masked(true, Opcode::Text, b"flood me"))
            .await
            .unwrap();
        while report.get().is_none() {
            tulipa::sleep(Duration::from_millis(10)).await;
        }
        let (sent, buffered) = report.get().unwrap();
        assert!(
            sent < 4096,
            "the server never blocked ({sent} x 16 KiB sent)"
        );
        assert!(
            buffered <= 128 * 1024 + MSG,
            "buffered {buffered} bytes, above the high watermark"
        );
        // Another client is served meanwhile.
        let mut c = ws::connect(&url).await.unwrap();
        c.send("hi").await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Text("hi".into()));
        drop(s);
    });
}

#[test]
fn ws_paused_reading_applies_back_pressure_and_resumes() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let mut c = ws::connect(&url).await.unwrap();
        c.pause_reading();
        for i in 0..10 {
            c.send(format!("m{i}")).await.unwrap();
        }
        c.resume_reading();
        for i in 0..10 {
            assert_eq!(c.recv().await.unwrap(), Message::Text(format!("m{i}")));
        }
    });
}

#[test]
fn ws_send_waits_above_the_high_watermark_and_resumes_below_the_low() {
    run(async {
        // A server that reads nothing until told by the test: the client's sends must block.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", l.local_addr().unwrap());
        let go = Rc::new(tulipa::sync::Event::new());
        let g2 = go.clone();
        let _server = ws::serve(l, move |mut ws: ws::WebSocket| {
            let go = g2.clone();
            async move {
                go.wait().await;
                while let Ok(Message::Binary(_)) = ws.recv().await {}
            }
        });
        let c = ws::connect(&url).await.unwrap();
        c.set_write_buffer_limits(64 * 1024, 16 * 1024);
        let mut blocked = false;
        for _ in 0..2000 {
            match timeout(Duration::from_millis(200), c.send(vec![1u8; 32 * 1024])).await {
                Ok(r) => r.unwrap(),
                Err(_) => {
                    blocked = true;
                    break;
                }
            }
        }
        assert!(blocked, "sends never waited");
        assert!(c.buffered_amount() > 16 * 1024);
        go.set();
        // Once the server reads, the buffer drains and sends go on.
        c.send(vec![1u8; 32 * 1024]).await.unwrap();
    });
}

#[test]
fn ws_split_halves_work_from_separate_tasks() {
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let (tx, mut rx) = ws::connect(&url).await.unwrap().split();
        let writer = tulipa::spawn_local(async move {
            for i in 0..100u32 {
                tx.send(i.to_be_bytes().to_vec()).await.unwrap();
            }
            tx
        });
        for i in 0..100u32 {
            assert_eq!(
                rx.recv().await.unwrap(),
                Message::Binary(i.to_be_bytes().to_vec())
            );
        }
        let tx = writer.await.unwrap();
        tx.close(1000, "").await.unwrap();
        assert_eq!(
            rx.recv().await.unwrap(),
            Message::Close {
                code: 1000,
                reason: String::new()
            }
        );
    });
}

#[test]
fn ws_urls_and_close_codes_are_checked_before_anything_is_sent() {
    run(async {
        assert!(matches!(
            ws::connect("http://x/").await,
            Err(Error::InvalidUrl(_))
        ));
        // wss:// goes through TLS now: nothing listens there, so connecting fails first.
        assert!(matches!(
            ws::connect("wss://127.0.0.1:1/").await,
            Err(Error::Io(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused
        ));
        let (_server, url) = echo_server(Options::default()).await;
        let c = ws::connect(&url).await.unwrap();
        assert!(matches!(
            c.close(1005, "").await,
            Err(Error::InvalidClose(1005))
        ));
        c.send("still open").await.unwrap();
    });
}

#[test]
fn ws_protocol_gets_made_messages_flow_and_lost_in_order() {
    use std::cell::RefCell;
    use ws::{WebSocketProtocol, WebSocketTransport};

    #[derive(Default)]
    struct Log(Rc<RefCell<Vec<String>>>, Option<WebSocketTransport>);
    impl WebSocketProtocol for Log {
        fn connection_made(&mut self, t: WebSocketTransport) {
            self.0.borrow_mut().push("made".into());
            t.set_write_buffer_limits(1024, 0);
            // Past the watermark at once: pause_writing must follow.
            t.send(vec![0u8; 4096]).unwrap();
            self.1 = Some(t);
        }
        fn message_received(&mut self, m: Message) {
            self.0.borrow_mut().push(format!("{m:?}"));
            if let Message::Binary(_) = m {
                self.1.as_ref().unwrap().close(4005, "proto").unwrap();
                assert!(self.1.as_ref().unwrap().is_closing());
            }
        }
        fn connection_lost(&mut self, e: Option<Error>) {
            self.0.borrow_mut().push(format!("lost {e:?}"));
        }
        fn pause_writing(&mut self) {
            self.0.borrow_mut().push("pause".into());
        }
        fn resume_writing(&mut self) {
            self.0.borrow_mut().push("resume".into());
        }
    }
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let c = ws::connect(&url).await.unwrap();
        let log = Rc::new(RefCell::new(Vec::new()));
        ws::run_protocol(c, Log(log.clone(), None)).await;
        let log = log.borrow();
        assert_eq!(log[0], "made");
        assert_eq!(log[1], "pause");
        assert_eq!(log[2], "resume");
        assert!(log[3].starts_with("Binary"), "{log:?}");
        assert_eq!(log[4], "Close { code: 4005, reason: \"\" }");
        assert_eq!(log[5], "lost None");
        assert_eq!(log.len(), 6);
    });
}

#[test]
fn ws_paused_client_stops_reading_so_the_server_feels_back_pressure() {
    run(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", l.local_addr().unwrap());
        let blocked_after = Rc::new(Cell::new(None));
        let b2 = blocked_after.clone();
        let _server = ws::serve(l, move |ws: ws::WebSocket| {
            let blocked_after = b2.clone();
            async move {
                ws.set_write_buffer_limits(64 * 1024, 16 * 1024);
                for i in 0..10_000usize {
                    let send = ws.send(vec![3u8; 16 * 1024]);
                    if timeout(Duration::from_millis(300), send).await.is_err() {
                        blocked_after.set(Some(i));
                        return;
                    }
                }
            }
        });
        let o = Options {
            recv_limit: 64 * 1024,
            ..Options::default()
        };
        let mut c = ws::connect_with(&url, o).await.unwrap();
        c.pause_reading();
        while blocked_after.get().is_none() {
            tulipa::sleep(Duration::from_millis(10)).await;
        }
        // The server blocked after the client's queue limit, the socket buffers and the
        // server's watermark filled: far fewer than the 10,000 messages it wanted to send.
        let sent = blocked_after.get().unwrap();
        assert!(sent < 10_000, "the server never blocked");
        c.resume_reading();
        // Everything that was sent arrives once reading resumes.
        for _ in 0..sent {
            assert_eq!(
                c.recv().await.unwrap(),
                Message::Binary(vec![3u8; 16 * 1024])
            );
        }
    });
}

#[test]
fn ws_client_that_never_sends_a_handshake_is_dropped_after_the_timeout() {
    run(async {
        let o = Options {
            handshake_timeout: Duration::from_millis(200),
            ..Options::default()
        };
        let (_server, url) = echo_server(o).await;
        let addr = url
            .trim_start_matches("ws://")
            .trim_end_matches('/')
            .to_owned();
        let mut idle = TcpStream::connect(addr.as_str()).await.unwrap();
        let mut b = [0u8; 16];
        // The server closes the silent connection (EOF, or a reset).
        let n = timeout(Duration::from_secs(5), idle.read(&mut b))
            .await
            .expect("the server kept a silent connection open");
        assert!(matches!(n, Ok(0) | Err(_)), "{n:?}");
        check_echo(&url).await;
    });
}

#[test]
fn ws_handles_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<ws::WebSocket>();
    send_sync::<ws::WebSocketSender>();
    send_sync::<ws::WebSocketReceiver>();
    send_sync::<ws::WebSocketTransport>();
    send_sync::<Error>();
    // A handle moved to another thread still works: send from there, receive here.
    run(async {
        let (_server, url) = echo_server(Options::default()).await;
        let (tx, mut rx) = ws::connect(&url).await.unwrap().split();
        let other = std::thread::spawn(move || {
            let rt = tulipa::Runtime::new().unwrap();
            rt.block_on(async move { tx.send("from another thread").await.unwrap() });
        });
        assert_eq!(
            rx.recv().await.unwrap(),
            Message::Text("from another thread".into())
        );
        tulipa::to_thread(move || other.join().unwrap())
            .await
            .unwrap();
    });
}

#[test]
fn ws_subprotocols_are_negotiated_and_checked() {
    run(async {
        let server_opts = Options {
            protocols: vec!["v3".into(), "v2".into()],
            ..Options::default()
        };
        let (_server, url) = echo_server(server_opts).await;
        // The server's preference among those offered.
        let opts = Options {
            protocols: vec!["v2".into(), "v3".into()],
            ..Options::default()
        };
        let c = ws::connect_with(&url, opts).await.unwrap();
        assert_eq!(c.protocol().as_deref(), Some("v3"));
        // Nothing in common: no subprotocol, the connection still opens.
        let opts = Options {
            protocols: vec!["v1".into()],
            ..Options::default()
        };
        let c = ws::connect_with(&url, opts).await.unwrap();
        assert_eq!(c.protocol(), None);
        assert_eq!(ws::connect(&url).await.unwrap().protocol(), None);

        // A server that answers with a subprotocol nobody offered is refused.
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let bad_url = format!("ws://{}/", l.local_addr().unwrap());
        let rogue = tulipa::spawn_local(async move {
            let (mut tcp, _) = l.accept().await.unwrap();
            let head = read_head(&mut tcp).await;
            let key = head
                .lines()
                .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap()
                .to_owned();
            tcp.write_all(&ws::accept_response_with(&key, Some("evil")))
                .await
                .unwrap();
            tcp
        });
        let e = ws::connect(&bad_url).await.unwrap_err();
        assert!(
            matches!(
                e,
                Error::Handshake(ws::HandshakeError::BadHeader("Sec-WebSocket-Protocol"))
            ),
            "{e}"
        );
        drop(rogue.await.unwrap());
    });
}
