//! TLS interoperability with independent peers: a tulipa client against `openssl
//! s_server` and Python's `ssl` + asyncio server, and `openssl s_client` and a Python
//! asyncio client against tulipa servers; TLS 1.2 and 1.3, with ALPN, certificates made
//! by rcgen at test time; STARTTLS against Python's `StreamWriter.start_tls` both ways. Peer processes are killed on every path. A test whose peer
//! program is missing fails, naming the fix (`make setup` installs openssl and python3).
#![cfg(not(target_arch = "wasm32"))]

mod tls_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tls_common::{free_port, require, run, Ca, Peer, TempDir};
use tulipa::tls::{ClientConfig, TlsInfo, TlsVersion};

/// Reads the child's stdout lines on a thread until one contains `marker` (or the
/// deadline passes); returns the lines read so far and the rest of the stream as a channel.
fn wait_for_line(
    out: impl Read + Send + 'static,
    marker: &'static str,
    limit: Duration,
) -> (Vec<String>, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) => {
                let hit = l.contains(marker);
                seen.push(l);
                if hit {
                    return (seen, rx);
                }
            }
            Err(_) => panic!("peer never printed {marker:?}; it printed {seen:?}"),
        }
    }
}

fn s_server(dir: &TempDir, id: &tls_common::Identity, version: &str, port: u16) -> Peer {
    let cert = dir.write("server.pem", &id.cert_pem);
    let key = dir.write("server.key", &id.key_pem);
    let child = Command::new("openssl")
        .args(["s_server", "-accept"])
        .arg(port.to_string())
        .arg("-cert")
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .args([version, "-alpn", "h2,http/1.1", "-rev", "-naccept", "1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn openssl s_server");
    Peer(child)
}

fn client_against_s_server(version_flag: &str, expect: TlsVersion) {
    require("openssl", "version");
    let ca = Ca::new("tulipa interop CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("s-server");
    let port = free_port();
    let mut peer = s_server(&dir, &id, version_flag, port);
    let (_, _rest) = wait_for_line(
        peer.0.stdout.take().unwrap(),
        "ACCEPT",
        Duration::from_secs(20),
    );
    let client = ca.client_config().with_alpn(&["http/1.1", "h2"]);
    run(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
            .await
            .unwrap();
        let info = TlsInfo::of(&w).unwrap();
        assert_eq!(info.version(), Some(expect));
        // s_server's ALPN list is its preference: it picks h2, which we also offer.
        assert_eq!(info.alpn_protocol(), Some(&b"h2"[..]));
        w.write(b"hello tulipa\n");
        assert_eq!(r.read_line().await.unwrap(), b"apilut olleh\n");
        w.close();
        w.wait_closed().await.ok();
    });
    drop(peer);
}

#[test]
fn tulipa_client_against_openssl_s_server_tls13() {
    client_against_s_server("-tls1_3", TlsVersion::Tls13);
}

#[test]
fn tulipa_client_against_openssl_s_server_tls12() {
    client_against_s_server("-tls1_2", TlsVersion::Tls12);
}

/// `openssl s_client` against a tulipa `start_server` echo: it checks our certificate
/// against the CA (-verify_return_error), negotiates `version` and ALPN, echoes a line,
/// and on stdin EOF sends close_notify, which the server sees as a clean EOF.
fn s_client_against_tulipa(version_flag: &'static str, expect: &'static str) {
    require("openssl", "version");
    let ca = Ca::new("tulipa interop CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("s-client");
    let ca_path = dir.write("ca.pem", &ca.cert_pem);
    let server = id.server_config().with_alpn(&["h2", "http/1.1"]);
    run(async move {
        let (done_tx, done_rx) = tulipa::channel::oneshot::channel();
        let done_tx = std::cell::Cell::new(Some(done_tx));
        let srv = tulipa::tls::start_server(
            move |mut r, w| {
                let done = done_tx.take();
                async move {
                    let info = TlsInfo::of(&w).unwrap();
                    let ended = loop {
                        match r.read_line().await {
                            Ok(l) if l.is_empty() => break "clean".to_string(),
                            Ok(l) => w.write(&l),
                            Err(e) => break format!("error: {e}"),
                        }
                    };
                    w.close();
                    if let Some(d) = done {
                        let _ = d.send((info, ended));
                    }
                }
            },
            "127.0.0.1:0",
            &server,
        )
        .await
        .unwrap();
        let port = srv.addrs()[0].inet().unwrap().port();
        let out = tulipa::to_thread(move || {
            let mut child = Peer(
                Command::new("openssl")
                    .args(["s_client", "-connect"])
                    .arg(format!("127.0.0.1:{port}"))
                    .args(["-servername", "localhost", "-CAfile"])
                    .arg(&ca_path)
                    .args(["-verify_return_error", version_flag, "-alpn", "http/1.1"])
                    .args(["-brief"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn openssl s_client"),
            );
            let mut stdin = child.0.stdin.take().unwrap();
            stdin.write_all(b"ping over tls\n").unwrap();
            let (_, _rest) = wait_for_line(
                child.0.stdout.take().unwrap(),
                "ping over tls",
                Duration::from_secs(20),
            );
            drop(stdin); // EOF: s_client sends close_notify and exits
            let status = child.0.wait().unwrap();
            let mut err = String::new();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            (status.success(), err)
        })
        .await
        .unwrap();
        let (ok, brief) = out;
        assert!(ok, "s_client failed: {brief}");
        assert!(brief.contains(expect), "{brief}");
        assert!(brief.contains("Verification: OK"), "{brief}");
        let (info, ended) = tulipa::time::timeout(Duration::from_secs(20), done_rx)
            .await
            .expect("server handler finished")
            .unwrap();
        assert_eq!(ended, "clean", "s_client's close_notify is a clean EOF");
        assert_eq!(info.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(info.server_name(), Some("localhost"));
        srv.close();
    });
}

#[test]
fn openssl_s_client_against_tulipa_server_tls13() {
    s_client_against_tulipa("-tls1_3", "Protocol version: TLSv1.3");
}

#[test]
fn openssl_s_client_against_tulipa_server_tls12() {
    s_client_against_tulipa("-tls1_2", "Protocol version: TLSv1.2");
}

const PY_SERVER: &str = r#"
import asyncio, ssl, sys
cert, key, maxv = sys.argv[1], sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.set_alpn_protocols(["h2", "http/1.1"])
if maxv == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
async def handle(r, w):
    ssl_obj = w.get_extra_info("ssl_object")
    w.write(("%s %s\n" % (ssl_obj.version(), ssl_obj.selected_alpn_protocol())).encode())
    total = 0
    while True:
        d = await r.read(65536)
        if not d:
            break
        total += len(d)
        w.write(d)
        await w.drain()
    w.close()
    await w.wait_closed()
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ctx)
    print("PORT", srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"#;

fn client_against_python(maxv: &'static str, expect: TlsVersion, line: &'static str) {
    require("python3", "--version");
    let ca = Ca::new("tulipa interop CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("py-server");
    let cert = dir.write("server.pem", &id.cert_pem);
    let key = dir.write("server.key", &id.key_pem);
    let mut peer = Peer(
        Command::new("python3")
            .args(["-c", PY_SERVER])
            .arg(&cert)
            .arg(&key)
            .arg(maxv)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (lines, _rest) = wait_for_line(
        peer.0.stdout.take().unwrap(),
        "PORT",
        Duration::from_secs(20),
    );
    let port: u16 = lines.last().unwrap()[5..].trim().parse().unwrap();
    let client: ClientConfig = ca.client_config().with_alpn(&["http/1.1"]);
    run(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
            .await
            .unwrap();
        assert_eq!(r.read_line().await.unwrap(), line.as_bytes());
        assert_eq!(TlsInfo::of(&w).unwrap().version(), Some(expect));
        // 1 MiB through Python's TLS and back.
        let data = tls_common::pattern(1 << 20, 7);
        let sent = data.clone();
        let w = std::rc::Rc::new(w);
        let w2 = w.clone();
        let writer = tulipa::spawn_local(async move {
            for c in sent.chunks(50_000) {
                w2.write(c);
                w2.drain().await.unwrap();
            }
        });
        let got = r.read_exact(data.len()).await.unwrap();
        writer.await.unwrap();
        assert!(got == data, "echoed bytes differ");
        w.close();
        // Python's close after our close_notify ends cleanly.
        assert!(r.read(10).await.unwrap().is_empty());
    });
    drop(peer);
}

#[test]
fn tulipa_client_against_python_asyncio_ssl_server_tls13() {
    client_against_python("1.3", TlsVersion::Tls13, "TLSv1.3 http/1.1\n");
}

#[test]
fn tulipa_client_against_python_asyncio_ssl_server_tls12() {
    client_against_python("1.2", TlsVersion::Tls12, "TLSv1.2 http/1.1\n");
}

const PY_CLIENT: &str = r#"
import asyncio, ssl, sys
port, cafile, maxv = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(cafile=cafile)
ctx.set_alpn_protocols(["h2"])
if maxv == "1.2":
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
async def main():
    r, w = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, server_hostname="localhost")
    ssl_obj = w.get_extra_info("ssl_object")
    data = bytes((i * 7) % 256 for i in range(300000))
    w.write(data)
    await w.drain()
    got = await r.readexactly(len(data))
    assert got == data
    print("ok", ssl_obj.version(), ssl_obj.selected_alpn_protocol(), flush=True)
    w.close()
    await w.wait_closed()
asyncio.run(main())
"#;

fn python_client_against_tulipa(maxv: &'static str, expect: &'static str) {
    require("python3", "--version");
    let ca = Ca::new("tulipa interop CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("py-client");
    let ca_path = dir.write("ca.pem", &ca.cert_pem);
    let server = id.server_config().with_alpn(&["h2"]);
    run(async move {
        let (done_tx, done_rx) = tulipa::channel::oneshot::channel();
        let done_tx = std::cell::Cell::new(Some(done_tx));
        let srv = tulipa::tls::start_server(
            move |mut r, w| {
                let done = done_tx.take();
                async move {
                    let ended = loop {
                        match r.read(65536).await {
                            Ok(d) if d.is_empty() => break "clean".to_string(),
                            Ok(d) => {
                                w.write(&d);
                                if w.drain().await.is_err() {
                                    break "drain failed".into();
                                }
                            }
                            Err(e) => break format!("error: {e}"),
                        }
                    };
                    w.close();
                    if let Some(d) = done {
                        let _ = d.send(ended);
                    }
                }
            },
            "127.0.0.1:0",
            &server,
        )
        .await
        .unwrap();
        let port = srv.addrs()[0].inet().unwrap().port();
        let out = tulipa::to_thread(move || {
            let child = Peer(
                Command::new("python3")
                    .args(["-c", PY_CLIENT])
                    .arg(port.to_string())
                    .arg(&ca_path)
                    .arg(maxv)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            );
            let mut child = child;
            let mut out = String::new();
            child
                .0
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            let mut err = String::new();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            (out, err)
        })
        .await
        .unwrap();
        assert_eq!(out.0.trim(), expect, "python said: {}", out.1);
        let ended = tulipa::time::timeout(Duration::from_secs(20), done_rx)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ended, "clean");
        srv.close();
    });
}

#[test]
fn python_asyncio_ssl_client_against_tulipa_server_tls13() {
    python_client_against_tulipa("1.3", "ok TLSv1.3 h2");
}

#[test]
fn python_asyncio_ssl_client_against_tulipa_server_tls12() {
    python_client_against_tulipa("1.2", "ok TLSv1.2 h2");
}

const PY_STARTTLS_SERVER: &str = r#"
import asyncio, ssl, sys
cert, key = sys.argv[1], sys.argv[2]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
async def handle(r, w):
    line = await r.readline()
    assert line == b"STARTTLS\r\n", line
    w.write(b"220 go\r\n")
    await w.drain()
    await w.start_tls(ctx)
    while True:
        line = await r.readline()
        if not line:
            break
        w.write(line.upper())
        await w.drain()
    w.close()
    await w.wait_closed()
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    print("PORT", srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
asyncio.run(main())
"#;

/// STARTTLS against Python: a tulipa stream client upgrades with start_tls_streams while
/// Python's server upgrades with `StreamWriter.start_tls`.
#[test]
fn start_tls_streams_against_python_asyncio_start_tls() {
    require("python3", "--version");
    let ca = Ca::new("tulipa interop CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("py-starttls");
    let cert = dir.write("server.pem", &id.cert_pem);
    let key = dir.write("server.key", &id.key_pem);
    let mut peer = Peer(
        Command::new("python3")
            .args(["-c", PY_STARTTLS_SERVER])
            .arg(&cert)
            .arg(&key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let (lines, _rest) = wait_for_line(
        peer.0.stdout.take().unwrap(),
        "PORT",
        Duration::from_secs(20),
    );
    let port: u16 = lines.last().unwrap()[5..].trim().parse().unwrap();
    let client = ca.client_config();
    run(async move {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
        w.write(b"STARTTLS\r\n");
        assert_eq!(r.read_line().await.unwrap(), b"220 go\r\n");
        tulipa::tls::start_tls_streams(&mut r, &w, "localhost", &client)
            .await
            .unwrap();
        assert!(TlsInfo::of(&w).unwrap().version().is_some());
        w.write(b"now encrypted\n");
        assert_eq!(r.read_line().await.unwrap(), b"NOW ENCRYPTED\n");
        w.close();
        w.wait_closed().await.ok();
    });
    drop(peer);
}

const PY_STARTTLS_CLIENT: &str = r#"
import asyncio, ssl, sys
port, cafile = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=cafile)
async def main():
    r, w = await asyncio.open_connection("127.0.0.1", port)
    w.write(b"STARTTLS\r\n")
    await w.drain()
    assert await r.readline() == b"220 go\r\n"
    await w.start_tls(ctx, server_hostname="localhost")
    w.write(b"hello from python\n")
    await w.drain()
    print((await r.readline()).decode().strip(), w.get_extra_info("ssl_object").version(), flush=True)
    w.close()
    await w.wait_closed()
asyncio.run(main())
"#;

/// STARTTLS the other way: Python's client upgrades with `StreamWriter.start_tls`, the
/// tulipa stream server with start_tls_streams_server.
#[test]
fn python_asyncio_start_tls_against_start_tls_streams_server() {
    require("python3", "--version");
    let ca = Ca::new("tulipa interop CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("py-starttls-client");
    let ca_path = dir.write("ca.pem", &ca.cert_pem);
    let server = id.server_config();
    run(async move {
        let srv = tulipa::net::start_server(
            move |mut r, w| {
                let server = server.clone();
                async move {
                    assert_eq!(r.read_line().await.unwrap(), b"STARTTLS\r\n");
                    w.write(b"220 go\r\n");
                    tulipa::tls::start_tls_streams_server(&mut r, &w, &server)
                        .await
                        .unwrap();
                    let line = r.read_line().await.unwrap();
                    w.write(&line.to_ascii_uppercase());
                    // Python closes after reading; we see its close_notify.
                    assert!(r.read_line().await.unwrap().is_empty());
                    w.close();
                }
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let port = srv.addrs()[0].inet().unwrap().port();
        let out = tulipa::to_thread(move || {
            let mut child = Peer(
                Command::new("python3")
                    .args(["-c", PY_STARTTLS_CLIENT])
                    .arg(port.to_string())
                    .arg(&ca_path)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap(),
            );
            let mut out = String::new();
            child
                .0
                .stdout
                .take()
                .unwrap()
                .read_to_string(&mut out)
                .unwrap();
            let mut err = String::new();
            child
                .0
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut err)
                .unwrap();
            (out, err)
        })
        .await
        .unwrap();
        assert_eq!(
            out.0.trim(),
            "HELLO FROM PYTHON TLSv1.3",
            "python: {}",
            out.1
        );
        srv.close();
    });
}

/// Without its peer programs every interop test here fails (naming `make setup`) instead of
/// passing without having run.
#[test]
fn interop_tests_fail_when_their_peers_are_missing() {
    tls_common::assert_fails_without_peers("tulipa_client_against_openssl_s_server_tls13");
    tls_common::assert_fails_without_peers("openssl_s_client_against_tulipa_server_tls12");
    tls_common::assert_fails_without_peers("tulipa_client_against_python_asyncio_ssl_server_tls13");
    tls_common::assert_fails_without_peers("python_asyncio_ssl_client_against_tulipa_server_tls12");
    tls_common::assert_fails_without_peers("start_tls_streams_against_python_asyncio_start_tls");
    tls_common::assert_fails_without_peers(
        "python_asyncio_start_tls_against_start_tls_streams_server",
    );
}
