//! Native streams: stream-style echo servers over TCP and Unix sockets (`start_server`,
//! `open_connection`), driven by tulipa, by a Python asyncio client and by socat; the
//! futures-io traits.

// Sockets are native only.
#![cfg(not(target_arch = "wasm32"))]

use std::future::poll_fn;
use std::io::Write;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use futures_io::{AsyncBufRead, AsyncRead, AsyncWrite};
use tulipa::net::{open_connection, open_unix_connection, start_server, start_unix_server, Server};
use tulipa::streams::{self, StreamReader, StreamWriter};

#[path = "support/mod.rs"]
mod support;
use support::{require, within};

const LIMIT: Duration = Duration::from_secs(60);

/// The stream-style echo handler: line by line until EOF, then close.
async fn echo_lines(mut r: StreamReader, w: StreamWriter) {
    loop {
        match r.read_line().await {
            Ok(line) if line.is_empty() => break,
            Ok(line) => {
                w.write(&line);
                if w.drain().await.is_err() {
                    return;
                }
            }
            Err(_) => return,
        }
    }
    w.close();
    let _ = w.wait_closed().await;
}

async fn echo_server() -> (Server, std::net::SocketAddr) {
    let server = start_server(echo_lines, "127.0.0.1:0").await.unwrap();
    let addr = server.addrs()[0].inet().unwrap();
    (server, addr)
}

#[test]
fn stream_echo_server_over_tcp() {
    within(LIMIT, || {
        tulipa::run(async {
            let (server, addr) = echo_server().await;
            let mut clients = Vec::new();
            for c in 0..10 {
                clients.push(tulipa::spawn_local(async move {
                    let (mut r, w) = open_connection(addr).await.unwrap();
                    assert_eq!(w.peer_addr().unwrap().inet(), Some(addr));
                    for i in 0..200 {
                        let line = format!("client {c} line {i} {}\n", "x".repeat(i * 7));
                        w.write(line.as_bytes());
                        w.drain().await.unwrap();
                        assert_eq!(r.read_line().await.unwrap(), line.as_bytes());
                    }
                    w.write_eof().unwrap();
                    assert!(r.read_line().await.unwrap().is_empty());
                    assert!(r.at_eof());
                    w.close();
                    w.wait_closed().await.unwrap();
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            server.close();
            server.wait_closed().await;
        });
    });
}

#[test]
fn stream_echo_server_over_unix_sockets() {
    within(LIMIT, || {
        tulipa::run(async {
            let path = std::env::temp_dir()
                .join(format!("tulipa-{}-stream-echo.sock", std::process::id()));
            let server = start_unix_server(echo_lines, &path).await.unwrap();
            let (mut r, w) = open_unix_connection(&path).await.unwrap();
            let big = format!("{}\n", "y".repeat(60_000));
            w.write(big.as_bytes());
            w.write(b"small\n");
            assert_eq!(r.read_line().await.unwrap(), big.as_bytes());
            assert_eq!(r.read_line().await.unwrap(), b"small\n");
            w.write_eof().unwrap();
            assert!(r.read(1).await.unwrap().is_empty());
            server.close();
            server.wait_closed().await;
            assert!(!path.exists());
        });
    });
}

#[test]
fn stream_echo_server_driven_by_python_asyncio_client() {
    require("python3", "--version");
    within(LIMIT, || {
        let rt = tulipa::Runtime::new().unwrap();
        let server = rt.block_on(echo_server());
        let port = server.1.port();
        // The Python client runs on a thread; the loop serves meanwhile.
        let client = thread::spawn(move || {
            let script = r#"
import asyncio, sys
async def main(port):
    r, w = await asyncio.open_connection('127.0.0.1', port)
    for i in range(100):
        line = ('python %d ' % i + 'z' * (i * 31) + '\n').encode()
        w.write(line)
        await w.drain()
        back = await r.readline()
        assert back == line, (back, line)
    w.write_eof()
    assert await r.read() == b''
    w.close()
    await w.wait_closed()
    print('ok')
asyncio.run(main(int(sys.argv[1])))
"#;
            Command::new("python3")
                .args(["-c", script, &port.to_string()])
                .output()
                .unwrap()
        });
        let out = rt.block_on(async {
            while !client.is_finished() {
                tulipa::sleep(Duration::from_millis(5)).await;
            }
            client.join().unwrap()
        });
        assert!(
            out.status.success(),
            "python client failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
        server.0.close();
        rt.block_on(server.0.wait_closed());
    });
}

#[test]
fn stream_client_against_python_asyncio_stream_server() {
    require("python3", "--version");
    let script = r#"
import asyncio
async def handle(r, w):
    while True:
        line = await r.readline()
        if not line:
            break
        w.write(line.upper())
        await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
"#;
    let mut child = Command::new("python3")
        .args(["-c", script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let port: u16 = line.trim().parse().unwrap();
    within(LIMIT, || {
        tulipa::run(async move {
            let (mut r, w) = open_connection(("127.0.0.1", port)).await.unwrap();
            for i in 0..100 {
                w.write(format!("tulipa {i}\n").as_bytes());
                w.drain().await.unwrap();
                assert_eq!(
                    r.read_line().await.unwrap(),
                    format!("TULIPA {i}\n").as_bytes()
                );
            }
            w.write_eof().unwrap();
            assert!(r.read_line().await.unwrap().is_empty());
            w.close();
            w.wait_closed().await.unwrap();
        });
    });
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn stream_echo_server_driven_by_socat() {
    require("socat", "-V");
    within(LIMIT, || {
        let rt = tulipa::Runtime::new().unwrap();
        let (server, addr) = rt.block_on(echo_server());
        let input: String = (0..1000).map(|i| format!("socat line {i}\n")).collect();
        let expected = input.clone();
        let client = thread::spawn(move || {
            let mut child = Command::new("socat")
                .args(["-t", "5", "-", &format!("TCP:{addr}")])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
            child.wait_with_output().unwrap()
        });
        let out = rt.block_on(async {
            while !client.is_finished() {
                tulipa::sleep(Duration::from_millis(5)).await;
            }
            client.join().unwrap()
        });
        assert!(out.status.success());
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
        server.close();
        rt.block_on(server.wait_closed());
    });
}

#[test]
fn stream_custom_limit_over_tcp() {
    within(LIMIT, || {
        tulipa::run(async {
            let (server, addr) = echo_server().await;
            let (p, mut r, w) = streams::stream_protocol(16);
            tulipa::net::create_connection(move || p, addr)
                .await
                .unwrap();
            w.write(b"a line longer than sixteen bytes\nok\n");
            assert!(matches!(
                r.read_line().await,
                Err(streams::StreamError::LimitOverrun { .. })
            ));
            assert_eq!(r.read_line().await.unwrap(), b"ok\n");
            w.close();
            server.close();
        });
    });
}

#[test]
fn stream_futures_io_traits_read_and_write() {
    within(LIMIT, || {
        tulipa::run(async {
            let ((mut r, _w), (_r2, mut w2)) = streams::pipe();
            let n = poll_fn(|cx| Pin::new(&mut w2).poll_write(cx, b"line one\nline two")).await;
            assert_eq!(n.unwrap(), 17);
            poll_fn(|cx| Pin::new(&mut w2).poll_flush(cx))
                .await
                .unwrap();
            let mut buf = [0u8; 4];
            let n = poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf))
                .await
                .unwrap();
            assert_eq!(&buf[..n], b"line");
            let avail = poll_fn(|cx| Pin::new(&mut r).poll_fill_buf(cx).map_ok(|b| b.to_vec()))
                .await
                .unwrap();
            assert_eq!(avail, b" one\nline two");
            Pin::new(&mut r).consume(5);
            poll_fn(|cx| Pin::new(&mut w2).poll_close(cx))
                .await
                .unwrap();
            assert_eq!(r.read_line().await.unwrap(), b"line two");
            let n = poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf))
                .await
                .unwrap();
            assert_eq!(n, 0, "poll_close half-closes: the reader sees EOF");
        });
    });
}

#[test]
fn stream_peer_reset_fails_the_pending_read_and_later_calls() {
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let (mut r, w) = open_connection(addr).await.unwrap();
            let (s, _) = listener.accept().unwrap();
            let reader = tulipa::spawn_local(async move {
                let first = r.read(100).await;
                let second = r.read_line().await;
                (first, second)
            });
            tulipa::sleep(Duration::from_millis(20)).await;
            assert!(!reader.is_finished(), "the read waits for data");
            socket2::SockRef::from(&s)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(s); // RST
            let (first, second) = reader.await.unwrap();
            assert_eq!(
                first.unwrap_err().kind(),
                std::io::ErrorKind::ConnectionReset
            );
            match second {
                Err(streams::StreamError::Io(e)) => {
                    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset)
                }
                other => panic!("expected the reset again, got {other:?}"),
            }
            // Writing to the dead connection: drain reports the failure, no SIGPIPE.
            w.write(b"anyone?");
            let e = w.drain().await.unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
            assert_eq!(
                w.wait_closed().await.unwrap_err().kind(),
                std::io::ErrorKind::ConnectionReset
            );
        });
    });
}

#[test]
fn stream_write_to_a_closed_peer_breaks_the_pipe() {
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let (mut r, w) = open_connection(addr).await.unwrap();
            let (s, _) = listener.accept().unwrap();
            drop(s); // FIN; our later writes are answered with RST
            assert!(r.read(10).await.unwrap().is_empty(), "EOF first");
            let mut failed = None;
            for _ in 0..100 {
                w.write(&[0u8; 64 * 1024]);
                if let Err(e) = w.drain().await {
                    failed = Some(e);
                    break;
                }
                tulipa::sleep(Duration::from_millis(5)).await;
            }
            let e = failed.expect("writing to a closed peer must fail");
            assert!(
                matches!(
                    e.kind(),
                    std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
                ),
                "{e:?}"
            );
        });
    });
}

/// Without its peer programs every interop test here fails (naming `make setup`) instead of
/// passing without having run.
#[test]
fn interop_tests_fail_when_their_peers_are_missing() {
    support::assert_fails_without_peers("stream_echo_server_driven_by_python_asyncio_client");
    support::assert_fails_without_peers("stream_client_against_python_asyncio_stream_server");
    support::assert_fails_without_peers("stream_echo_server_driven_by_socat");
}
