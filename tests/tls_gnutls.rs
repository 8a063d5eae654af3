//! TLS interoperability with GnuTLS, a second TLS implementation independent of both rustls
//! and openssl (tests/tls_interop.rs): a tulipa client against `gnutls-serv --echo`, and
//! `gnutls-cli` against tulipa echo servers, each at both levels of `tulipa::tls` (the raw
//! `TlsStream`, and `open_connection` / `start_server`). GnuTLS is made to speak TLS 1.2 or
//! TLS 1.3 only (its priority strings), and each side checks what was negotiated (version,
//! ALPN), that data comes back intact, and that a close with close_notify is a clean end
//! of file, while a GnuTLS peer killed with SIGKILL (its TCP connection closed without
//! close_notify) is the typed `TlsError::Truncated`. Certificates are made by rcgen at test
//! time. Peer processes are killed on every path; a test whose peer program is missing
//! fails, naming the fix (`make setup` installs gnutls-bin).
#![cfg(not(target_arch = "wasm32"))]

mod tls_common;

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Command, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tls_common::{free_port, require, run, Ca, Identity, Peer, TempDir};
use tulipa::channel::oneshot;
use tulipa::net::{TcpListener, TcpStream};
use tulipa::tls::{ServerConfig, TlsError, TlsInfo, TlsStream, TlsVersion};

const TLS12: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.2";
const TLS13: &str = "NORMAL:-VERS-ALL:+VERS-TLS1.3";

/// How long a peer may take to start or to print a line we wait for. Generous: on a loaded
/// machine a process start can take seconds, and each wait ends as soon as the line comes.
const PEER_WAIT: Duration = Duration::from_secs(30);

/// Which level of `tulipa::tls` a test drives.
#[derive(Clone, Copy, Debug)]
enum Level {
    /// `TlsStream::connect` / `TlsStream::accept` over a `TcpStream`.
    TlsStream,
    /// `tls::open_connection` / `tls::start_server`: stream readers and writers.
    Streams,
}

/// Reads `out` line by line on a thread, sending each line to the returned channel. The
/// thread keeps reading after the receiver is dropped, so that a peer that writes a lot
/// (gnutls-serv logs every echoed record on stderr) never blocks on a full pipe.
fn lines_of(out: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    rx
}

/// Waits for the first line for which `pick` says something, failing the test if none comes
/// within [`PEER_WAIT`] or the stream ends first.
#[track_caller]
fn wait_line<T>(
    rx: &mpsc::Receiver<String>,
    what: &str,
    mut pick: impl FnMut(&str) -> Option<T>,
) -> T {
    let deadline = Instant::now() + PEER_WAIT;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(v) = pick(&line) {
                    return v;
                }
                if seen.len() < 50 {
                    seen.push(line);
                }
            }
            Err(e) => panic!("the peer never printed {what} ({e}); it printed {seen:#?}"),
        }
    }
}

/// `lines` numbered lines of text: the echo round trips' payload. Text, because
/// gnutls-serv treats some input (lines starting with `**`) as commands.
fn text_lines(lines: usize) -> Vec<u8> {
    (0..lines)
        .flat_map(|i| format!("line {i:05} {}\n", "tulipa-gnutls ".repeat(6)).into_bytes())
        .collect()
}

// --- a tulipa client against gnutls-serv ------------------------------------------------------

/// A running `gnutls-serv --echo` (killed when dropped) and its stdout, where it describes
/// each connection it accepted.
struct GnutlsServ {
    port: u16,
    stdout: mpsc::Receiver<String>,
    peer: Peer,
    _dir: TempDir,
}

impl GnutlsServ {
    /// Starts gnutls-serv with the certificate `id`, the priority string `priority` and
    /// the ALPN protocols `alpn`, and waits until it listens. The port comes from
    /// `free_port`, so another process may take it first: then gnutls-serv says
    /// "bind() failed" and is started again on another port.
    fn start(id: &Identity, priority: &str, alpn: &[&str]) -> GnutlsServ {
        require("gnutls-serv", "--version");
        let dir = TempDir::new("gnutls-serv");
        let cert = dir.write("server.pem", &id.cert_pem);
        let key = dir.write("server.key", &id.key_pem);
        for _attempt in 0..10 {
            let port = free_port();
            let mut cmd = Command::new("gnutls-serv");
            cmd.arg("--echo")
                .arg(format!("--port={port}"))
                .arg("--x509certfile")
                .arg(&cert)
                .arg("--x509keyfile")
                .arg(&key)
                .arg(format!("--priority={priority}"))
                // No client certificate is asked for.
                .arg("--disable-client-cert");
            for p in alpn {
                cmd.arg(format!("--alpn={p}"));
            }
            let mut peer = Peer(
                cmd.stdin(Stdio::null())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn gnutls-serv"),
            );
            let stdout = lines_of(peer.0.stdout.take().unwrap());
            let stderr = lines_of(peer.0.stderr.take().unwrap());
            // "Echo Server listening on IPv4 0.0.0.0 port N...done", printed once it
            // listens, or "...bind() failed: ..." (stderr; the IPv6 line that follows is
            // not needed, as the tests connect to 127.0.0.1).
            let listening = wait_line(&stderr, "its IPv4 listening line", |l| {
                l.contains("listening on IPv4")
                    .then(|| l.ends_with("...done"))
            });
            if listening {
                return GnutlsServ {
                    port,
                    stdout,
                    peer,
                    _dir: dir,
                };
            }
        }
        panic!("gnutls-serv could not bind a free port in 10 attempts");
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// The value of gnutls-serv's next "- {field}: value" line about a connection.
    #[track_caller]
    fn reported(&self, field: &str) -> String {
        let prefix = format!("- {field}: ");
        wait_line(&self.stdout, &prefix, |l| {
            l.strip_prefix(&prefix).map(|v| v.trim().to_string())
        })
    }
}

/// A tulipa client against `gnutls-serv --echo` restricted by `priority`: the version is
/// `expect` on both sides, ALPN picks the protocol both support (the client offers h2 and
/// http/1.1, gnutls-serv supports http/1.1 only), 276 kB come back intact, and our
/// close_notify is answered by gnutls-serv's, a clean end of file.
fn client_against_gnutls_serv(level: Level, priority: &str, expect: TlsVersion) {
    let ca = Ca::new("tulipa gnutls CA");
    let id = ca.leaf(&["localhost"], None);
    let serv = GnutlsServ::start(&id, priority, &["http/1.1"]);
    let client = ca.client_config().with_alpn(&["h2", "http/1.1"]);
    let addr = serv.addr();
    let data = text_lines(3000);
    run(async move {
        match level {
            Level::TlsStream => {
                let tcp = TcpStream::connect(addr).await.unwrap();
                let mut tls = TlsStream::connect(tcp, "localhost", &client).await.unwrap();
                assert_eq!(tls.info().version(), Some(expect));
                assert_eq!(tls.info().alpn_protocol(), Some(&b"http/1.1"[..]));
                // One record's worth at a time, each read back before the next is sent.
                for chunk in data.chunks(16 * 1024) {
                    tls.write_all(chunk).await.unwrap();
                    let mut back = vec![0; chunk.len()];
                    tls.read_exact(&mut back).await.unwrap();
                    assert!(back == chunk, "gnutls-serv echoed other bytes");
                }
                tls.shutdown().await.unwrap();
                let mut buf = [0; 64];
                assert_eq!(
                    tls.read(&mut buf).await.unwrap(),
                    0,
                    "gnutls-serv's close_notify is a clean end of file"
                );
            }
            Level::Streams => {
                let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
                    .await
                    .unwrap();
                let info = TlsInfo::of(&w).unwrap();
                assert_eq!(info.version(), Some(expect));
                assert_eq!(info.alpn_protocol(), Some(&b"http/1.1"[..]));
                // Written by another task while this one reads, through the flow control
                // of both sides.
                let w = Rc::new(w);
                let w2 = Rc::clone(&w);
                let sent = data.clone();
                let writer = tulipa::spawn_local(async move {
                    for c in sent.chunks(50_000) {
                        w2.write(c);
                        w2.drain().await.unwrap();
                    }
                });
                let got = r.read_exact(data.len()).await.unwrap();
                writer.await.unwrap();
                assert!(got == data, "gnutls-serv echoed other bytes");
                w.close();
                assert!(
                    r.read(64).await.unwrap().is_empty(),
                    "gnutls-serv's close_notify is a clean end of file"
                );
                w.wait_closed().await.unwrap();
            }
        }
    });
    // gnutls-serv's own account of the connection.
    let version = match expect {
        TlsVersion::Tls12 => "TLS1.2",
        _ => "TLS1.3",
    };
    assert_eq!(serv.reported("Version"), version);
    assert_eq!(serv.reported("Application protocol"), "http/1.1");
    drop(serv);
}

#[test]
fn tulipa_client_against_gnutls_serv_tls13() {
    client_against_gnutls_serv(Level::Streams, TLS13, TlsVersion::Tls13);
}

#[test]
fn tulipa_client_against_gnutls_serv_tls12() {
    client_against_gnutls_serv(Level::Streams, TLS12, TlsVersion::Tls12);
}

#[test]
fn tls_stream_client_against_gnutls_serv_tls13() {
    client_against_gnutls_serv(Level::TlsStream, TLS13, TlsVersion::Tls13);
}

#[test]
fn tls_stream_client_against_gnutls_serv_tls12() {
    client_against_gnutls_serv(Level::TlsStream, TLS12, TlsVersion::Tls12);
}

/// What a truncated read must look like.
#[track_caller]
fn assert_truncated(e: &io::Error, level: Level) {
    assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof, "{level:?}: {e}");
    assert_eq!(
        TlsError::of(e),
        Some(&TlsError::Truncated),
        "{level:?}: not the typed truncation ({e:?})"
    );
}

/// gnutls-serv echoes a line, then is killed with SIGKILL: its connection ends with a FIN
/// and no close_notify, which the tulipa client, having read the echo, reads as
/// `TlsError::Truncated` (every time it reads).
fn killed_gnutls_serv_is_truncation(level: Level, priority: &str) {
    let ca = Ca::new("tulipa gnutls CA");
    let id = ca.leaf(&["localhost"], None);
    let serv = GnutlsServ::start(&id, priority, &[]);
    let client = ca.client_config();
    let addr = serv.addr();
    let line = b"before the kill\n";
    run(async move {
        // gnutls-serv has read everything sent to it once it echoed it, so killing it
        // closes the connection with a FIN (unread data would make it a reset).
        let kill = move || {
            let mut serv = serv;
            serv.peer.0.kill().unwrap();
            serv.peer.0.wait().unwrap();
        };
        match level {
            Level::TlsStream => {
                let tcp = TcpStream::connect(addr).await.unwrap();
                let mut tls = TlsStream::connect(tcp, "localhost", &client).await.unwrap();
                tls.write_all(line).await.unwrap();
                let mut back = [0; 16];
                tls.read_exact(&mut back).await.unwrap();
                assert_eq!(&back, line);
                kill();
                let mut buf = [0; 64];
                for _ in 0..2 {
                    assert_truncated(&tls.read(&mut buf).await.unwrap_err(), level);
                }
            }
            Level::Streams => {
                let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
                    .await
                    .unwrap();
                w.write(line);
                assert_eq!(r.read_line().await.unwrap(), line);
                kill();
                for _ in 0..2 {
                    assert_truncated(&r.read(64).await.unwrap_err(), level);
                }
                assert_truncated(&w.wait_closed().await.unwrap_err(), level);
            }
        }
    });
}

#[test]
fn killed_gnutls_serv_is_truncation_for_tls_stream_tls13() {
    killed_gnutls_serv_is_truncation(Level::TlsStream, TLS13);
}

#[test]
fn killed_gnutls_serv_is_truncation_for_open_connection_tls12() {
    killed_gnutls_serv_is_truncation(Level::Streams, TLS12);
}

// --- gnutls-cli against tulipa servers --------------------------------------------------------

/// What a tulipa echo server reports about its one connection: what the handshake
/// negotiated, and how reading ended (`Ok` for the client's close_notify).
type Report = (TlsInfo, io::Result<()>);

/// Keeps a tulipa echo server serving.
enum Serving {
    Streams(tulipa::net::Server),
    TlsStream(tulipa::JoinHandle<()>),
}

/// A tulipa TLS echo server at `level` on a free loopback port: for its first connection it
/// echoes what it reads until the client closes, then closes too (with close_notify), and
/// sends its report.
async fn echo_server(
    level: Level,
    config: ServerConfig,
) -> (u16, oneshot::Receiver<Report>, Serving) {
    let (report_tx, report_rx) = oneshot::channel::<Report>();
    match level {
        Level::TlsStream => {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = listener.local_addr().unwrap().port();
            let task = tulipa::spawn_local(async move {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut tls = TlsStream::accept(tcp, &config).await.unwrap();
                let info = tls.info().clone();
                let mut buf = vec![0; 16 * 1024];
                let ended = loop {
                    match tls.read(&mut buf).await {
                        Ok(0) => break Ok(()),
                        Ok(n) => tls.write_all(&buf[..n]).await.unwrap(),
                        Err(e) => break Err(e),
                    }
                };
                if ended.is_ok() {
                    tls.shutdown().await.unwrap();
                }
                let _ = report_tx.send((info, ended));
            });
            (port, report_rx, Serving::TlsStream(task))
        }
        Level::Streams => {
            let report_tx = Cell::new(Some(report_tx));
            let srv = tulipa::tls::start_server(
                move |mut r, w| {
                    let report_tx = report_tx.take();
                    async move {
                        let info = TlsInfo::of(&w).unwrap();
                        let ended = loop {
                            match r.read(16 * 1024).await {
                                Ok(d) if d.is_empty() => break Ok(()),
                                Ok(d) => {
                                    w.write(&d);
                                    w.drain().await.unwrap();
                                }
                                Err(e) => break Err(e),
                            }
                        };
                        w.close();
                        if let Some(tx) = report_tx {
                            let _ = tx.send((info, ended));
                        }
                    }
                },
                "127.0.0.1:0",
                &config,
            )
            .await
            .unwrap();
            let port = srv.addrs()[0].inet().unwrap().port();
            (port, report_rx, Serving::Streams(srv))
        }
    }
}

impl Serving {
    fn stop(self) {
        match self {
            Serving::Streams(srv) => srv.close(),
            Serving::TlsStream(task) => drop(task),
        }
    }
}

/// A `gnutls-cli` command for 127.0.0.1:`port`, checking the server's certificate against
/// `ca` for the name localhost (also sent as SNI), offering ALPN http/1.1 and h2, and
/// writing its informational messages to `log` so that its stdout is only the data it
/// received. Its debug output (stderr) at level 5 names each alert it receives.
fn gnutls_cli(port: u16, ca: &std::path::Path, log: &std::path::Path, priority: &str) -> Command {
    let mut cmd = Command::new("gnutls-cli");
    cmd.args(["-d", "5"])
        .arg(format!("--port={port}"))
        .arg("--x509cafile")
        .arg(ca)
        .args(["--sni-hostname=localhost", "--verify-hostname=localhost"])
        .args(["--alpn=http/1.1", "--alpn=h2"])
        .arg(format!("--priority={priority}"))
        .arg("--logfile")
        .arg(log)
        .arg("127.0.0.1");
    cmd
}

/// gnutls-cli (restricted by `priority`) against a tulipa echo server supporting ALPN h2
/// only: the version is `expect` on both sides and ALPN picks h2 on both; 276 kB of stdin
/// come back intact on gnutls-cli's stdout; its close_notify (on stdin EOF) is a clean end
/// of file for the server, whose close_notify gnutls-cli receives in turn (its own
/// "Peer has closed" line does not tell: after stdin EOF it also prints it for a TCP close
/// without close_notify).
fn gnutls_cli_against_tulipa(level: Level, priority: &'static str, expect: TlsVersion) {
    require("gnutls-cli", "--version");
    let ca = Ca::new("tulipa gnutls CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("gnutls-cli");
    let ca_path = dir.write("ca.pem", &ca.cert_pem);
    let log_path = dir.path().join("gnutls-cli.log");
    let config = id.server_config().with_alpn(&["h2"]);
    let data = text_lines(3000);
    run(async move {
        let (port, report, serving) = echo_server(level, config).await;
        let sent = data.clone();
        let (status, echoed, log, debug) = tulipa::to_thread(move || {
            let mut cli = Peer(
                gnutls_cli(port, &ca_path, &log_path, priority)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("spawn gnutls-cli"),
            );
            let mut stderr = cli.0.stderr.take().unwrap();
            let debug = std::thread::spawn(move || {
                let mut text = String::new();
                stderr.read_to_string(&mut text).map(|_| text)
            });
            // Written from another thread while this one reads the echo, so that neither
            // pipe can fill up and stall gnutls-cli. Closing stdin makes gnutls-cli send
            // close_notify; it then reads until the server closes.
            let mut stdin = cli.0.stdin.take().unwrap();
            let feeder = std::thread::spawn(move || stdin.write_all(&sent));
            let mut echoed = Vec::new();
            cli.0
                .stdout
                .take()
                .unwrap()
                .read_to_end(&mut echoed)
                .unwrap();
            feeder.join().unwrap().unwrap();
            let status: ExitStatus = cli.0.wait().unwrap();
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let debug = debug.join().unwrap().unwrap();
            (status, echoed, log, debug)
        })
        .await
        .unwrap();
        assert!(status.success(), "gnutls-cli failed ({status}):\n{log}");
        assert!(
            echoed == data,
            "gnutls-cli got {} bytes back, not the {} it sent:\n{log}",
            echoed.len(),
            data.len()
        );
        let version = match expect {
            TlsVersion::Tls12 => "(TLS1.2-",
            _ => "(TLS1.3-",
        };
        assert!(log.contains(&format!("- Description: {version}")), "{log}");
        assert!(log.contains("- Application protocol: h2"), "{log}");
        assert!(
            debug.contains("Close notify - was received"),
            "gnutls-cli did not receive the server's close_notify:\n{log}"
        );
        let (info, ended) = tulipa::time::timeout(PEER_WAIT, report)
            .await
            .expect("the server reported")
            .unwrap();
        ended.expect("gnutls-cli's close_notify is a clean end of file");
        assert_eq!(info.version(), Some(expect));
        assert_eq!(info.alpn_protocol(), Some(&b"h2"[..]));
        assert_eq!(info.server_name(), Some("localhost"));
        serving.stop();
    });
}

#[test]
fn gnutls_cli_against_tulipa_server_tls13() {
    gnutls_cli_against_tulipa(Level::Streams, TLS13, TlsVersion::Tls13);
}

#[test]
fn gnutls_cli_against_tulipa_server_tls12() {
    gnutls_cli_against_tulipa(Level::Streams, TLS12, TlsVersion::Tls12);
}

#[test]
fn gnutls_cli_against_tls_stream_server_tls13() {
    gnutls_cli_against_tulipa(Level::TlsStream, TLS13, TlsVersion::Tls13);
}

#[test]
fn gnutls_cli_against_tls_stream_server_tls12() {
    gnutls_cli_against_tulipa(Level::TlsStream, TLS12, TlsVersion::Tls12);
}

/// gnutls-cli sends a line, gets it echoed, and is killed with SIGKILL: the tulipa server
/// reads the end of its connection (a FIN, no close_notify) as `TlsError::Truncated`.
fn killed_gnutls_cli_is_truncation(level: Level, priority: &'static str) {
    require("gnutls-cli", "--version");
    let ca = Ca::new("tulipa gnutls CA");
    let id = ca.leaf(&["localhost"], None);
    let dir = TempDir::new("gnutls-cli-kill");
    let ca_path = dir.write("ca.pem", &ca.cert_pem);
    let log_path = dir.path().join("gnutls-cli.log");
    let config = id.server_config();
    run(async move {
        let (port, report, serving) = echo_server(level, config).await;
        tulipa::to_thread(move || {
            let mut cli = Peer(
                gnutls_cli(port, &ca_path, &log_path, priority)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("spawn gnutls-cli"),
            );
            // stdin stays open: gnutls-cli must not send close_notify before it dies.
            let mut stdin = cli.0.stdin.take().unwrap();
            stdin.write_all(b"before the kill\n").unwrap();
            let stdout = lines_of(cli.0.stdout.take().unwrap());
            // Once it printed the echo, gnutls-cli has read all the server sent (the echo
            // is the last record), so dying closes with a FIN, not a reset.
            wait_line(&stdout, "the echoed line", |l| {
                (l == "before the kill").then_some(())
            });
            cli.0.kill().unwrap();
            cli.0.wait().unwrap();
            drop(stdin);
        })
        .await
        .unwrap();
        let (_info, ended) = tulipa::time::timeout(PEER_WAIT, report)
            .await
            .expect("the server reported")
            .unwrap();
        assert_truncated(&ended.unwrap_err(), level);
        serving.stop();
    });
}

#[test]
fn killed_gnutls_cli_is_truncation_for_tls_stream_server_tls13() {
    killed_gnutls_cli_is_truncation(Level::TlsStream, TLS13);
}

#[test]
fn killed_gnutls_cli_is_truncation_for_start_server_tls12() {
    killed_gnutls_cli_is_truncation(Level::Streams, TLS12);
}

/// Without gnutls-serv and gnutls-cli every test here fails (naming `make setup`) instead
/// of passing without having run.
#[test]
fn gnutls_tests_fail_when_their_peers_are_missing() {
    for name in [
        "tulipa_client_against_gnutls_serv_tls13",
        "tulipa_client_against_gnutls_serv_tls12",
        "tls_stream_client_against_gnutls_serv_tls13",
        "tls_stream_client_against_gnutls_serv_tls12",
        "killed_gnutls_serv_is_truncation_for_tls_stream_tls13",
        "killed_gnutls_serv_is_truncation_for_open_connection_tls12",
        "gnutls_cli_against_tulipa_server_tls13",
        "gnutls_cli_against_tulipa_server_tls12",
        "gnutls_cli_against_tls_stream_server_tls13",
        "gnutls_cli_against_tls_stream_server_tls12",
        "killed_gnutls_cli_is_truncation_for_tls_stream_server_tls13",
        "killed_gnutls_cli_is_truncation_for_start_server_tls12",
    ] {
        tls_common::assert_fails_without_peers(name);
    }
}
