//! Every kind of I/O object left open when its `Runtime` is dropped gives back its
//! descriptors and its memory: for each kind, three rounds of "make a runtime, open the
//! objects (with reads pending), drop the runtime", and the descriptor count (entries of
//! `/proc/self/fd`) and the live heap (a counting global allocator) after round 3 are those
//! after round 1. Round 1 pays for what is initialised once per process (rustls' and ring's
//! tables, the signal doorbell, the global blocking pool), so it is the baseline.
//!
//! A runtime kept alive by a reference cycle keeps its eventfd and its heap (with its
//! thread's share of the allocator, about 1.4 MB of the process); two leaked runtimes are
//! far above the slack allowed here.
//!
//! Descriptor and heap counts are per process, so the tests of this binary take one lock
//! and run one at a time.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::RefCell;
use std::future::{pending, Future};
use std::path::PathBuf;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tulipa::net::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};
use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
use tulipa::transports::{DatagramProtocol, DatagramTransport, Protocol, Transport};

#[path = "support/mod.rs"]
mod support;
use support::within;

#[path = "support/heap.rs"]
mod heap;

/// The counts are per process: one test at a time.
static SERIAL: Mutex<()> = Mutex::new(());

/// Heap that may differ between round 1 and round 3 without a leak: the test harness's own
/// bookkeeping (threads it starts for other tests, which then wait for `SERIAL`), caches
/// that fill up to a bound (a few hundred bytes in practice). A runtime kept alive by a cycle
/// holds some 28 KB of heap (and its eventfd): two are well above this.
const HEAP_SLACK: isize = 16 * 1024;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("this test counts /proc/self/fd entries; it needs Linux's /proc")
        .count()
}

type Scenario = fn() -> Pin<Box<dyn Future<Output = ()>>>;

/// Keeps `value` alive in a task that never ends: it is dropped when the runtime tears the
/// task down.
fn hold<T: 'static>(value: T) {
    tulipa::spawn_local(async move {
        let _value = value;
        pending::<()>().await
    })
    .detach();
}

/// Runs `fut` (a pending read, say) in a task that lives until the runtime is dropped.
fn park<F: Future + 'static>(fut: F) {
    tulipa::spawn_local(async move {
        fut.await;
        pending::<()>().await
    })
    .detach();
}

/// Lets the tasks just spawned run until they park on their reads.
async fn settle_tasks() {
    for _ in 0..20 {
        tulipa::yield_now().await;
    }
}

/// Whether `now` (descriptors, live heap) is back to `base`, within the heap slack.
fn within_baseline(now: (usize, isize), base: (usize, isize)) -> bool {
    now.0 <= base.0 && now.1 <= base.1 + HEAP_SLACK
}

/// The descriptor and live-heap counts once they are back to `base`, or after 5 s: threads
/// of the blocking pool and the harness may still be finishing, so give the counts a moment
/// to come down before calling it a leak.
fn settled_counts(base: (usize, isize)) -> (usize, isize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let now = (open_fds(), heap::live());
        if within_baseline(now, base) || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Three rounds of `scenario` on a fresh runtime each; fails if round 3 left more
/// descriptors or more heap (beyond the slack) than round 1.
fn three_rounds(name: &str, scenario: Scenario) {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    within(Duration::from_secs(120), || {
        let mut first = None;
        let mut after = Vec::new();
        for round in 1..=3 {
            {
                let rt = tulipa::Runtime::new().unwrap();
                rt.block_on(scenario());
                drop(rt);
            }
            match first {
                None => {
                    let base = (open_fds(), heap::live());
                    after.push(base);
                    first = Some(base);
                }
                Some((fds1, heap1)) => {
                    let (fds, heap) = if round < 3 {
                        (open_fds(), heap::live())
                    } else {
                        settled_counts((fds1, heap1))
                    };
                    after.push((fds, heap));
                    if round == 3 {
                        assert!(
                            within_baseline((fds, heap), (fds1, heap1)),
                            "{name}: objects left open at runtime drop leak: after each round \
                             (descriptors, live heap bytes) = {after:?}"
                        );
                    }
                }
            }
        }
        eprintln!("{name}: (descriptors, live heap) after each round: {after:?}");
    });
}

fn tmp_path(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let p = std::env::temp_dir().join(format!("tulipa-rtdrop-{tag}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// A protocol that keeps its transport (the usual protocol ↔ transport cycle).
#[derive(Default)]
struct Keep(Option<Rc<dyn Transport>>);

impl Protocol for Keep {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        self.0 = Some(t);
    }
}

#[derive(Default)]
struct KeepDatagram(Option<Rc<dyn DatagramTransport>>);

impl DatagramProtocol for KeepDatagram {
    fn connection_made(&mut self, t: Rc<dyn DatagramTransport>) {
        self.0 = Some(t);
    }
}

/// A fresh self-signed identity for "localhost" (fresh per round, so no session cache
/// carries over from one round to the next).
fn tls_configs() -> (ServerConfig, ClientConfig) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let server = ServerConfig::from_pem(
        ck.cert.pem().as_bytes(),
        ck.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap();
    let client = ClientConfig::new()
        .with_root_certificates_pem(ck.cert.pem().as_bytes())
        .unwrap();
    (server, client)
}

/// A TCP connection (client and accepted end), both reading, plus the listener accepting.
fn tcp_stream() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        park(async move { c.read(&mut [0; 16]).await });
        park(async move { s.read(&mut [0; 16]).await });
        park(async move { l.accept().await.map(|_| ()) });
        settle_tasks().await;
    })
}

#[test]
fn tcp_streams_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("tcp streams", tcp_stream);
}

/// TCP transports (a protocol keeping its transport on both ends) and TCP streams
/// (`open_connection` / `start_server`, reading on both ends).
fn tcp_transport() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let srv = tulipa::net::create_server(Keep::default, "127.0.0.1:0")
            .await
            .unwrap();
        let t = tulipa::net::create_connection(Keep::default, srv.addrs()[0].inet().unwrap())
            .await
            .unwrap();
        hold((srv, t));
        let srv = tulipa::net::start_server(
            |mut r, w| async move {
                let _ = r.read(16).await;
                drop(w);
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let (mut r, w) = tulipa::net::open_connection(srv.addrs()[0].inet().unwrap())
            .await
            .unwrap();
        hold(srv);
        park(async move {
            let _ = r.read(16).await;
            drop(w);
        });
        settle_tasks().await;
    })
}

#[test]
fn tcp_transports_and_stream_readers_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("tcp transports", tcp_transport);
}

/// Unix streams, Unix transports and Unix stream readers, as for TCP.
fn unix() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let p = tmp_path("stream");
        let l = UnixListener::bind(&p).unwrap();
        let mut c = UnixStream::connect(&p).await.unwrap();
        let (mut s, _) = l.accept().await.unwrap();
        std::fs::remove_file(&p).unwrap();
        park(async move { c.read(&mut [0; 16]).await });
        park(async move { s.read(&mut [0; 16]).await });
        park(async move { l.accept().await.map(|_| ()) });

        let p = tmp_path("transport");
        let srv = tulipa::net::create_unix_server(Keep::default, &p)
            .await
            .unwrap();
        let t = tulipa::net::create_unix_connection(Keep::default, &p)
            .await
            .unwrap();
        hold((srv, t));

        let p = tmp_path("streams");
        let srv = tulipa::net::start_unix_server(
            |mut r, w| async move {
                let _ = r.read(16).await;
                drop(w);
            },
            &p,
        )
        .await
        .unwrap();
        let (mut r, w) = tulipa::net::open_unix_connection(&p).await.unwrap();
        hold(srv);
        park(async move {
            let _ = r.read(16).await;
            drop(w);
        });
        settle_tasks().await;
    })
}

#[test]
fn unix_streams_and_transports_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("unix", unix);
}

/// UDP and Unix datagram sockets receiving, and their datagram endpoints.
fn datagrams() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        park(async move { a.recv(&mut [0; 16]).await });
        let (x, y) = UnixDatagram::pair().unwrap();
        park(async move { x.recv(&mut [0; 16]).await });
        hold(y);
        let e = tulipa::net::create_datagram_endpoint(
            KeepDatagram::default,
            Some("127.0.0.1:0".parse().unwrap()),
            None,
        )
        .await
        .unwrap();
        hold(e);
        let p = tmp_path("dgram");
        let u = tulipa::net::create_unix_datagram_endpoint(KeepDatagram::default, Some(&p), None)
            .await
            .unwrap();
        std::fs::remove_file(&p).unwrap();
        hold(u);
        settle_tasks().await;
    })
}

#[test]
fn udp_and_unix_datagram_sockets_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("datagrams", datagrams);
}

/// A `TlsStream` at both ends of a TCP connection, both reading.
fn tls_streams() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let (server, client) = tls_configs();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let accept = tulipa::spawn_local(async move {
            let (s, _) = l.accept().await.unwrap();
            TlsStream::accept(s, &server).await.unwrap()
        });
        let s = TcpStream::connect(addr).await.unwrap();
        let mut c = TlsStream::connect(s, "localhost", &client).await.unwrap();
        let mut s = accept.await.unwrap();
        park(async move { c.read(&mut [0; 16]).await });
        park(async move { s.read(&mut [0; 16]).await });
        settle_tasks().await;
    })
}

#[test]
fn tls_streams_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("tls streams", tls_streams);
}

/// A `TlsStream` server on loopback that accepts one connection and parks a read on it;
/// returns its address.
async fn tls_reading_server(server: ServerConfig) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    park(async move {
        let (s, _) = l.accept().await.unwrap();
        let mut s = TlsStream::accept(s, &server).await.unwrap();
        s.read(&mut [0; 16]).await
    });
    addr
}

/// `tls::open_connection` (the adapter under a stream reader), reading, against a
/// `TlsStream` server that reads too.
fn tls_open_connection() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let (server, client) = tls_configs();
        let addr = tls_reading_server(server).await;
        let (mut r, w) = tulipa::tls::open_connection(addr, "localhost", &client)
            .await
            .unwrap();
        park(async move {
            let _ = r.read(16).await;
            drop(w);
        });
        settle_tasks().await;
    })
}

#[test]
fn tls_open_connection_client_left_open_at_runtime_drop_leaks_nothing() {
    three_rounds("tls open_connection client", tls_open_connection);
}

/// A plain stream connection upgraded with `tls::start_tls_streams` (the stream's own
/// protocol moved under the adapter), reading, against a `TlsStream` server.
fn tls_upgraded_streams() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let (server, client) = tls_configs();
        let addr = tls_reading_server(server).await;
        let (mut r, w) = tulipa::net::open_connection(addr).await.unwrap();
        tulipa::tls::start_tls_streams(&mut r, &w, "localhost", &client)
            .await
            .unwrap();
        park(async move {
            let _ = r.read(16).await;
            drop(w);
        });
        settle_tasks().await;
    })
}

#[test]
fn tls_upgraded_streams_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("tls start_tls_streams", tls_upgraded_streams);
}

/// `tls::start_server` (the adapter under the server's stream reader), reading, with a
/// `TlsStream` client that reads too.
fn tls_start_server() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let (server, client) = tls_configs();
        // The server's end is made when its side of the handshake ends, after the
        // client's: wait for it.
        let (tx, rx) = tulipa::channel::oneshot::channel::<()>();
        let tx = RefCell::new(Some(tx));
        let srv = tulipa::tls::start_server(
            move |mut r, w| {
                if let Some(tx) = tx.borrow_mut().take() {
                    let _ = tx.send(());
                }
                async move {
                    let _ = r.read(16).await;
                    drop(w);
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
        let mut c = TlsStream::connect(s, "localhost", &client).await.unwrap();
        hold(srv);
        park(async move { c.read(&mut [0; 16]).await });
        rx.await.expect("the server never saw the connection");
        settle_tasks().await;
    })
}

#[test]
fn tls_start_server_connection_left_open_at_runtime_drop_leaks_nothing() {
    three_rounds("tls start_server", tls_start_server);
}

/// TLS transports at both ends: `tls::create_server` and `tls::create_connection` with
/// protocols that keep their transports.
fn tls_transports() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let (server, client) = tls_configs();
        let srv = tulipa::tls::create_server(Keep::default, "127.0.0.1:0", &server)
            .await
            .unwrap();
        let t = tulipa::tls::create_connection(
            Keep::default,
            srv.addrs()[0].inet().unwrap(),
            "localhost",
            &client,
        )
        .await
        .unwrap();
        hold((srv, t));
        settle_tasks().await;
    })
}

#[test]
fn tls_transports_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("tls transports", tls_transports);
}

/// Hands the accepted plain transport over (reading paused, as before a STARTTLS).
struct Grab(Option<tulipa::channel::oneshot::Sender<Rc<dyn Transport>>>);

impl Protocol for Grab {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        t.pause_reading();
        if let Some(tx) = self.0.take() {
            let _ = tx.send(t);
        }
    }
}

/// The first bytes of a ClientHello record, which announces more than it sends.
const PARTIAL_CLIENT_HELLO: [u8; 9] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc];

/// Transports upgraded with `tls::start_tls` / `tls::start_tls_server` (protocols keeping
/// their TLS transports), a stream pair upgraded with `tls::start_tls_streams_server`, and
/// handshakes still running at runtime drop: a `tls::create_connection` waiting on a server
/// that never answers, and a `tls::create_server` connection whose client sent half a
/// ClientHello.
fn tls_upgrades_and_handshakes() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let (server, client) = tls_configs();

        let (tx, rx) = tulipa::channel::oneshot::channel();
        let tx = std::cell::Cell::new(Some(tx));
        let plain_srv = tulipa::net::create_server(move || Grab(tx.take()), "127.0.0.1:0")
            .await
            .unwrap();
        let c = tulipa::net::create_connection(Keep::default, plain_srv.addrs()[0].inet().unwrap())
            .await
            .unwrap();
        let s = rx.await.unwrap();
        let srv_cfg = server.clone();
        let upgraded = tulipa::spawn_local(async move {
            tulipa::tls::start_tls_server(&*s, Keep::default(), &srv_cfg)
                .await
                .unwrap()
        });
        let tc = tulipa::tls::start_tls(&*c, Keep::default(), "localhost", &client)
            .await
            .unwrap();
        let ts = upgraded.await.unwrap();
        hold((plain_srv, c, tc, ts));

        let srv_cfg = server.clone();
        let streams_srv = tulipa::net::start_server(
            move |mut r, w| {
                let cfg = srv_cfg.clone();
                async move {
                    tulipa::tls::start_tls_streams_server(&mut r, &w, &cfg)
                        .await
                        .unwrap();
                    let _ = r.read(16).await;
                    drop(w);
                }
            },
            "127.0.0.1:0",
        )
        .await
        .unwrap();
        let (mut r, w) = tulipa::tls::open_connection(
            streams_srv.addrs()[0].inet().unwrap(),
            "localhost",
            &client,
        )
        .await
        .unwrap();
        hold(streams_srv);
        park(async move {
            let _ = r.read(16).await;
            drop(w);
        });

        let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = silent.local_addr().unwrap();
        let client2 = client.clone();
        park(async move {
            tulipa::tls::create_connection(Keep::default, addr, "localhost", &client2)
                .await
                .map(|_| ())
        });
        let (held, _) = silent.accept().await.unwrap();
        hold((silent, held));

        let srv = tulipa::tls::create_server(Keep::default, "127.0.0.1:0", &server)
            .await
            .unwrap();
        let mut half = TcpStream::connect(srv.addrs()[0].inet().unwrap())
            .await
            .unwrap();
        half.write_all(&PARTIAL_CLIENT_HELLO).await.unwrap();
        while srv.active_connections() == 0 {
            tulipa::yield_now().await;
        }
        hold((srv, half));
        settle_tasks().await;
    })
}

#[test]
fn tls_upgrades_and_handshakes_in_flight_at_runtime_drop_leak_nothing() {
    three_rounds("tls upgrades and handshakes", tls_upgrades_and_handshakes);
}

/// A WebSocket client and the server's end, both receiving, over ws:// and wss://.
fn websockets() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let srv = tulipa::ws::serve(l, |mut ws| async move {
            let _ = ws.recv().await;
        });
        let mut c = tulipa::ws::connect(&format!("ws://{}/", srv.local_addr()))
            .await
            .unwrap();
        hold(srv);
        park(async move { c.recv().await.map(|_| ()) });

        let (server, client) = tls_configs();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = l.local_addr().unwrap().port();
        let srv = tulipa::ws::serve_tls(
            l,
            &server,
            tulipa::ws::Options::default(),
            |_req, mut ws| async move {
                let _ = ws.recv().await;
            },
        );
        let mut c = tulipa::ws::connect_tls(
            &format!("wss://localhost:{port}/"),
            tulipa::ws::Options::default(),
            &client,
        )
        .await
        .unwrap();
        hold(srv);
        park(async move { c.recv().await.map(|_| ()) });
        settle_tasks().await;
    })
}

#[test]
fn websockets_left_open_at_runtime_drop_leak_nothing() {
    three_rounds("websockets", websockets);
}

struct Quiet;
impl tulipa::process::SubprocessProtocol for Quiet {}

/// A child reading its stdin (its stdout being read), and the same through the protocol
/// form.
fn children() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        let mut child = tulipa::process::Command::new("cat")
            .stdin(tulipa::process::Stdio::piped())
            .stdout(tulipa::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut out = child.stdout.take().unwrap();
        park(async move { out.read(16).await.map(|_| ()) });
        hold(child);
        let (t, p) = tulipa::process::subprocess_exec(|| Quiet, "cat", Vec::<&str>::new()).unwrap();
        hold((t, p));
        settle_tasks().await;
    })
}

#[test]
fn child_processes_left_running_at_runtime_drop_leak_nothing() {
    three_rounds("children", children);
}

/// A signal listener waiting, and an `add_signal_handler` handler installed.
fn signals() -> Pin<Box<dyn Future<Output = ()>>> {
    Box::pin(async {
        use tulipa::signal::SignalKind;
        let mut s = tulipa::signal::signal(SignalKind::user_defined1()).unwrap();
        park(async move { s.recv().await });
        tulipa::signal::add_signal_handler(SignalKind::user_defined2(), || {}).unwrap();
        settle_tasks().await;
    })
}

#[test]
fn signal_listeners_left_at_runtime_drop_leak_nothing() {
    three_rounds("signals", signals);
}

/// A transport whose driver task never ran: the runtime is dropped in the same poll that
/// made it (the body returns right after `open_connection`, `create_connection`,
/// `create_datagram_endpoint` or `memory::pair`). The driver's guard, which breaks the
/// protocol ↔ transport cycle, must exist from the start, not from the driver's first poll.
/// Forty runtimes of it, so a leak of a few hundred bytes per transport exceeds the slack.
#[test]
fn transports_whose_driver_never_ran_leak_nothing_at_runtime_drop() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    within(Duration::from_secs(120), || {
        // A plain listener: the connections only need a peer that accepts.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let round = || {
            let rt = tulipa::Runtime::new().unwrap();
            rt.block_on(async {
                let (r, w) = tulipa::net::open_connection(addr).await.unwrap();
                let t = tulipa::net::create_connection(Keep::default, addr)
                    .await
                    .unwrap();
                let e = tulipa::net::create_datagram_endpoint(
                    KeepDatagram::default,
                    Some("127.0.0.1:0".parse().unwrap()),
                    None,
                )
                .await
                .unwrap();
                let pair = tulipa::transports::memory::pair(Keep::default(), Keep::default());
                // No await after these: the runtime drops before any of their drivers ran.
                hold((r, w, t, e, pair));
            });
            drop(rt);
            // The kernel queued the two connections on the listener: take them off.
            for _ in 0..2 {
                drop(listener.accept().unwrap());
            }
        };
        round();
        let base = (open_fds(), heap::live());
        for _ in 0..40 {
            round();
        }
        let now = settled_counts(base);
        assert!(
            within_baseline(now, base),
            "transports whose driver never ran leak: (descriptors, live heap) {base:?} after \
             one runtime, {now:?} after 40 more"
        );
    });
}
