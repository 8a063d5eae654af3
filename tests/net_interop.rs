//! Interoperability with independent peers: a tulipa echo server driven by `socat`, `nc`
//! and a Python asyncio client; a tulipa client against a Python asyncio echo server; Unix
//! and UDP sockets through `socat`. A test whose peer program is missing fails, naming the
//! fix (`make setup` installs socat, netcat-openbsd and python3).
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr};
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use tulipa::net::{TcpListener, TcpStream, UdpSocket, UnixListener};

#[path = "support/mod.rs"]
mod support;
use support::{require, within};

const LIMIT: Duration = Duration::from_secs(120);

/// Test data: `len` bytes of a repeating, position-dependent pattern.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

/// A tulipa echo server: echoes each connection, half-closes after the client's EOF.
fn echo_server(listener: TcpListener) -> tulipa::JoinHandle<()> {
    tulipa::spawn(async move {
        loop {
            let (conn, _) = listener.accept().await.unwrap();
            tulipa::spawn(async move {
                let (mut r, mut w) = conn.into_split();
                let mut buf = vec![0; 16 * 1024];
                loop {
                    match r.read(&mut buf).await {
                        Ok(0) => break,
                        Ok(n) => {
                            if w.write_all(&buf[..n]).await.is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    }
                }
                let _ = w.shutdown();
            })
            .detach();
        }
    })
}

/// Runs `cmd` with `input` on stdin (closed after) and returns its stdout.
async fn run_with_input(mut cmd: Command, input: Vec<u8>) -> Vec<u8> {
    tulipa::spawn_blocking(move || {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let writer = thread::spawn(move || {
            stdin.write_all(&input).unwrap();
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        assert!(out.status.success(), "{cmd:?} failed: {:?}", out.status);
        out.stdout
    })
    .await
    .unwrap()
}

#[test]
fn socat_drives_a_tulipa_echo_server() {
    require("socat", "-V");
    within(LIMIT, || {
        tulipa::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = l.local_addr().unwrap().port();
            let _server = echo_server(l);
            let data = pattern(300_000);
            let mut cmd = Command::new("socat");
            cmd.args(["-t", "10", "-", &format!("TCP:127.0.0.1:{port}")]);
            let out = run_with_input(cmd, data.clone()).await;
            assert_eq!(out.len(), data.len());
            assert!(out == data);
        })
    });
}

#[test]
fn nc_drives_a_tulipa_echo_server() {
    require("nc", "-h");
    within(LIMIT, || {
        tulipa::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = l.local_addr().unwrap().port();
            let _server = echo_server(l);
            let data = pattern(100_000);
            let mut cmd = Command::new("nc");
            // -N: shut down the socket's writing side at stdin's EOF (OpenBSD netcat).
            cmd.args(["-N", "127.0.0.1", &port.to_string()]);
            let out = run_with_input(cmd, data.clone()).await;
            assert!(
                out == data,
                "nc got {} of {} bytes back",
                out.len(),
                data.len()
            );
        })
    });
}

const PY_CLIENT: &str = r#"
import asyncio, sys
async def main(port):
    r, w = await asyncio.open_connection('127.0.0.1', port)
    data = bytes((i * 31) % 251 for i in range(1_000_000))
    async def send():
        for i in range(0, len(data), 7777):
            w.write(data[i:i + 7777])
            await w.drain()
        w.write_eof()
    t = asyncio.create_task(send())
    got = await r.read()
    await t
    w.close()
    await w.wait_closed()
    if got != data:
        sys.exit(f"mismatch: got {len(got)} bytes, sent {len(data)}")
    print("ok", len(got))
asyncio.run(main(int(sys.argv[1])))
"#;

#[test]
fn python_asyncio_client_against_a_tulipa_echo_server() {
    require("python3", "--version");
    within(LIMIT, || {
        tulipa::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = l.local_addr().unwrap().port();
            let _server = echo_server(l);
            let mut cmd = Command::new("python3");
            cmd.args(["-c", PY_CLIENT, &port.to_string()]);
            let out = run_with_input(cmd, Vec::new()).await;
            assert_eq!(String::from_utf8_lossy(&out).trim(), "ok 1000000");
        })
    });
}

const PY_SERVER: &str = r#"
import asyncio, sys
async def handle(r, w):
    while True:
        d = await r.read(65536)
        if not d:
            break
        w.write(d)
        await w.drain()
    w.write_eof()
    await w.drain()
    w.close()
async def main():
    srv = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    srv.close()
    await srv.wait_closed()
asyncio.run(main())
"#;

#[test]
fn tulipa_client_against_a_python_asyncio_echo_server() {
    require("python3", "--version");
    within(LIMIT, || {
        tulipa::run(async {
            let mut child = Command::new("python3")
                .args(["-c", PY_SERVER])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap();
            let stdout = child.stdout.take().unwrap();
            let port: u16 = tulipa::spawn_blocking(move || {
                let mut line = String::new();
                BufReader::new(stdout).read_line(&mut line).unwrap();
                line.trim().parse().unwrap()
            })
            .await
            .unwrap();
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            for round in 0..3 {
                let c = TcpStream::connect(addr).await.unwrap();
                let data = pattern(500_000 + round);
                let (mut r, mut w) = c.into_split();
                let sent = data.clone();
                let writer = tulipa::spawn(async move {
                    for chunk in sent.chunks(10_000) {
                        w.write_all(chunk).await.unwrap();
                    }
                    w.shutdown().unwrap(); // Python sees EOF, echoes the rest, half-closes
                    w
                });
                let mut got = Vec::new();
                let mut buf = [0; 4096];
                loop {
                    let n = r.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                let w = writer.await.unwrap();
                assert!(
                    got == data,
                    "round {round}: {} of {} bytes",
                    got.len(),
                    data.len()
                );
                drop(r.reunite(w).unwrap());
            }
            drop(child.stdin.take()); // the server exits at stdin's EOF
            let status = tulipa::spawn_blocking(move || child.wait().unwrap())
                .await
                .unwrap();
            assert!(status.success());
        })
    });
}

#[test]
fn socat_over_a_unix_socket() {
    require("socat", "-V");
    within(LIMIT, || {
        tulipa::run(async {
            let path = std::env::temp_dir().join(format!("tulipa-io-{}.sock", std::process::id()));
            let _ = std::fs::remove_file(&path);
            let l = UnixListener::bind(&path).unwrap();
            let server = tulipa::spawn(async move {
                let (mut s, _) = l.accept().await.unwrap();
                let mut buf = [0; 8192];
                loop {
                    let n = s.read(&mut buf).await.unwrap();
                    if n == 0 {
                        break;
                    }
                    s.write_all(&buf[..n]).await.unwrap();
                }
                s.shutdown(Shutdown::Write).unwrap();
            });
            let data = pattern(200_000);
            let mut cmd = Command::new("socat");
            cmd.args(["-t", "10", "-"]);
            cmd.arg(format!("UNIX-CONNECT:{}", path.display()));
            let out = run_with_input(cmd, data.clone()).await;
            server.await.unwrap();
            std::fs::remove_file(&path).unwrap();
            assert!(out == data);
        })
    });
}

#[test]
fn socat_sends_udp_datagrams() {
    require("socat", "-V");
    within(LIMIT, || {
        tulipa::run(async {
            let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let port = s.local_addr().unwrap().port();
            let mut cmd = Command::new("socat");
            cmd.args(["-u", "-", &format!("UDP:127.0.0.1:{port}")]);
            let sender = tulipa::spawn(run_with_input(cmd, b"datagram from socat".to_vec()));
            let mut buf = [0; 256];
            let (n, from) = s.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"datagram from socat");
            assert!(from.ip().is_loopback());
            sender.await.unwrap();
        })
    });
}

/// Without its peer programs every interop test here fails (naming `make setup`) instead of
/// passing without having run.
#[test]
fn interop_tests_fail_when_their_peers_are_missing() {
    support::assert_fails_without_peers("socat_drives_a_tulipa_echo_server");
    support::assert_fails_without_peers("nc_drives_a_tulipa_echo_server");
    support::assert_fails_without_peers("python_asyncio_client_against_a_tulipa_echo_server");
    support::assert_fails_without_peers("tulipa_client_against_a_python_asyncio_echo_server");
    support::assert_fails_without_peers("socat_over_a_unix_socket");
    support::assert_fails_without_peers("socat_sends_udp_datagrams");
}
