//! A soak test: one tulipa runtime serving and using TCP, TLS and WebSocket connections and
//! starting child processes, for minutes at a moderate, bounded load on loopback, while its
//! own memory and descriptor use is watched for growth.
//!
//! ```text
//! cargo run --release --example soak -- SECS     # or: make soak SECS=600
//! ```
//!
//! # What runs
//!
//! On one `tulipa::run` loop, four kinds of work, each from a fixed number of worker tasks,
//! each worker paced by an interval so that the kind never exceeds its rate cap:
//!
//! | kind | workers | cap | one operation |
//! |---|---|---|---|
//! | `tcp` | 8 | 100/s | connect to the echo server (`net::TcpListener`/`TcpStream`), echo 4 payloads, half-close, read EOF |
//! | `tls` | 4 | 25/s | TCP connect, `TlsStream::connect` to a `tls::start_server` echo server, echo 4 payloads, close_notify, read the server's close_notify |
//! | `ws` | 8 | 50/s | `ws::connect` to a `ws::serve` echo server, echo 4 binary messages, close handshake |
//! | `proc` | 4 | 10/s | alternately `cat` with piped stdin/stdout fed and drained by `communicate`, and `true`, each waited for |
//!
//! Every echoed byte is compared; every operation runs under a 10 s timeout; every failure
//! (client or server side, a timeout, a mismatch) is counted, and the first few of each kind
//! are printed. The TLS certificate is made at start with rcgen, as the TLS tests and
//! examples do.
//!
//! # Sampling
//!
//! Every 10 s the soak closes a gate that every operation passes through, waits for the
//! operations in flight and the server-side handlers to finish, and then reads the
//! process's resident set size (`VmRSS` in `/proc/self/status`) and its open descriptors
//! (the entries of `/proc/self/fd`). Measuring at a quiet point means a sample does not
//! depend on how many connections happened to be open at that instant, so the descriptor
//! count of a process that does not leak is the same in every sample. Each sample prints one
//! line with the counts of operations so far.
//!
//! # The pass rule
//!
//! SECS must be at least 60, and is rounded down to whole 10 s samples. The first
//! `max(60 s, 20 % of the run)` is warm-up (at most half the run, so that a short run still
//! has samples to judge) and is not judged. Over the n samples after it, with
//! `k = max(1, n / 3)`, the trend of a series is the median of its last k samples over the
//! median of its first k samples, minus one: for 600 s, 48 samples and k = 16; for 60 s, 3
//! samples and k = 1. The run passes when all of these hold, and the last line says
//! `SOAK PASS` (exit status 0), or `SOAK FAIL: reasons` (exit status 1):
//!
//! 1. no errors, of any kind;
//! 2. at least 3 samples after the warm-up;
//! 3. the RSS trend is at most +5 %, and so is the descriptor trend;
//! 4. every kind completed operations in every judged sample interval (none stalled) and
//!    over the whole run reached at least a quarter of its rate cap.
//!
//! A least-squares slope of each series over the judged window (as growth over the window
//! relative to the mean) is printed too, for information; it is not part of the rule.
//! A watchdog thread ends the process with status 3 if the run overstays SECS by two
//! minutes. A line `soak-result key=value ...` gives the numbers for scripts.
//!
//! # Checking the checker
//!
//! For testing this tool only: the environment variable `TULIPA_SOAK_LEAK=memory` makes
//! every operation keep 4 KiB, and `TULIPA_SOAK_LEAK=fd` keeps one descriptor open every 25
//! operations; a run with either must end in `SOAK FAIL`.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    std::process::exit(soak::main());
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // The soak needs sockets, processes and /proc: native only.
}

#[cfg(not(target_arch = "wasm32"))]
mod soak {
    use std::cell::{Cell, RefCell};
    use std::fmt::Display;
    use std::net::{Shutdown, SocketAddr};
    use std::rc::Rc;
    use std::time::Duration;

    use tulipa::net::{TcpListener, TcpStream};
    use tulipa::process::{Command, Stdio};
    use tulipa::streams::{StreamReader, StreamWriter};
    use tulipa::sync::Semaphore;
    use tulipa::time::{self, MissedTickBehavior};
    use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};
    use tulipa::ws::{self, Message, WebSocket};
    use tulipa::Instant;

    const SAMPLE_EVERY: Duration = Duration::from_secs(10);
    const OP_TIMEOUT: Duration = Duration::from_secs(10);
    /// How long a sample waits for server-side handlers to end before it measures anyway.
    const SETTLE_LIMIT: Duration = Duration::from_secs(2);
    const MIN_SECS: u64 = 60;
    const MAX_GROWTH_PCT: f64 = 5.0;
    /// The share of its rate cap a kind must reach over the run.
    const MIN_RATE_SHARE: f64 = 0.25;
    const ERRORS_SHOWN: u64 = 3;
    /// Echo rounds per connection, and the largest payload of a round.
    const ROUNDS: usize = 4;
    const MAX_PAYLOAD: usize = 4096;

    const TCP: usize = 0;
    const TLS: usize = 1;
    const WS: usize = 2;
    const PROC: usize = 3;

    struct Kind {
        name: &'static str,
        workers: usize,
        /// Operations per second, at most, for the whole kind.
        cap: f64,
    }

    const KINDS: [Kind; 4] = [
        Kind {
            name: "tcp",
            workers: 8,
            cap: 100.0,
        },
        Kind {
            name: "tls",
            workers: 4,
            cap: 25.0,
        },
        Kind {
            name: "ws",
            workers: 8,
            cap: 50.0,
        },
        Kind {
            name: "proc",
            workers: 4,
            cap: 10.0,
        },
    ];

    fn total_workers() -> usize {
        KINDS.iter().map(|k| k.workers).sum()
    }

    #[derive(Clone, Copy, PartialEq)]
    enum Leak {
        None,
        Memory,
        Fd,
    }

    #[derive(Default)]
    struct Stats {
        ops: [Cell<u64>; 4],
        errors: [Cell<u64>; 4],
        /// Server-side handlers running now, per kind: a sample waits for these to end.
        handlers: [Cell<u64>; 4],
    }

    impl Stats {
        fn error(&self, kind: usize, what: impl Display) {
            let n = self.errors[kind].get() + 1;
            self.errors[kind].set(n);
            if n <= ERRORS_SHOWN {
                eprintln!("soak: {} error #{n}: {what}", KINDS[kind].name);
            }
        }

        fn errors(&self) -> u64 {
            self.errors.iter().map(Cell::get).sum()
        }

        fn ops(&self) -> [u64; 4] {
            std::array::from_fn(|k| self.ops[k].get())
        }
    }

    /// Counts a server-side handler as running until it is dropped (however it ends).
    struct HandlerGuard(Rc<Stats>, usize);

    impl HandlerGuard {
        fn new(stats: &Rc<Stats>, kind: usize) -> HandlerGuard {
            stats.handlers[kind].set(stats.handlers[kind].get() + 1);
            HandlerGuard(stats.clone(), kind)
        }
    }

    impl Drop for HandlerGuard {
        fn drop(&mut self) {
            let h = &self.0.handlers[self.1];
            h.set(h.get() - 1);
        }
    }

    struct Ctx {
        stats: Rc<Stats>,
        /// Every operation holds one permit; a sample takes them all.
        gate: Semaphore,
        stop: Cell<bool>,
        tcp_addr: SocketAddr,
        tls_addr: SocketAddr,
        ws_url: String,
        tls_client: ClientConfig,
        leak: Leak,
        leaked_memory: RefCell<Vec<Vec<u8>>>,
        leaked_fds: RefCell<Vec<std::fs::File>>,
        leak_count: Cell<u64>,
    }

    impl Ctx {
        fn leak_one(&self) {
            let n = self.leak_count.get() + 1;
            self.leak_count.set(n);
            match self.leak {
                Leak::None => {}
                // Filled, so that the pages are really resident.
                Leak::Memory => self.leaked_memory.borrow_mut().push(vec![0x5a; 4096]),
                Leak::Fd if n % 25 == 0 => {
                    let f = std::fs::File::open("/dev/null").expect("opening /dev/null");
                    self.leaked_fds.borrow_mut().push(f);
                }
                Leak::Fd => {}
            }
        }
    }

    #[derive(Clone, Copy)]
    struct Sample {
        secs: f64,
        rss_kib: u64,
        fds: u64,
        ops: [u64; 4],
        errors: u64,
        /// Server-side handlers that had not ended by the time of the measurement.
        busy: u64,
    }

    pub fn main() -> i32 {
        let secs: u64 = match std::env::args().nth(1).map(|s| s.parse()) {
            Some(Ok(s)) if s >= MIN_SECS => s,
            _ => {
                eprintln!("usage: soak SECS (a whole number of seconds, at least {MIN_SECS})");
                return 2;
            }
        };
        let leak = match std::env::var("TULIPA_SOAK_LEAK").as_deref() {
            Err(_) | Ok("") => Leak::None,
            Ok("memory") => Leak::Memory,
            Ok("fd") => Leak::Fd,
            Ok(other) => {
                eprintln!("soak: TULIPA_SOAK_LEAK must be memory or fd, not {other:?}");
                return 2;
            }
        };
        if std::fs::read_dir("/proc/self/fd").is_err() || rss_kib().is_none() {
            eprintln!("soak: needs /proc/self/status and /proc/self/fd (Linux)");
            return 2;
        }

        // The hard deadline: whatever happens on the loop, the process ends.
        let overstay = Duration::from_secs(secs + 120);
        std::thread::spawn(move || {
            std::thread::sleep(overstay);
            eprintln!(
                "soak: still running {} s after the start",
                overstay.as_secs()
            );
            println!("SOAK FAIL: hard deadline");
            std::process::exit(3);
        });

        let (cert_pem, key_pem) = certificate();
        // Short handshake and shutdown limits: a stuck TLS connection should surface as an
        // error well inside the operation timeout.
        let tls_server = ServerConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())
            .expect("the generated certificate and key")
            .with_handshake_timeout(Duration::from_secs(5))
            .with_shutdown_timeout(Duration::from_secs(5));
        let tls_client = ClientConfig::new()
            .with_root_certificates_pem(cert_pem.as_bytes())
            .expect("the generated certificate")
            .with_handshake_timeout(Duration::from_secs(5))
            .with_shutdown_timeout(Duration::from_secs(5));

        println!(
            "soak: {secs} s; {}; a sample every {} s{}",
            KINDS
                .iter()
                .map(|k| format!("{} {} workers <= {}/s", k.name, k.workers, k.cap))
                .collect::<Vec<_>>()
                .join(", "),
            SAMPLE_EVERY.as_secs(),
            match leak {
                Leak::None => "",
                Leak::Memory => "; LEAKING 4 KiB per operation (TULIPA_SOAK_LEAK=memory)",
                Leak::Fd => "; LEAKING a descriptor per 25 operations (TULIPA_SOAK_LEAK=fd)",
            }
        );

        let stats = Rc::new(Stats::default());
        let samples = tulipa::run(run(secs, stats.clone(), tls_server, tls_client, leak));
        report(secs, &samples, &stats)
    }

    async fn run(
        secs: u64,
        stats: Rc<Stats>,
        tls_server: ServerConfig,
        tls_client: ClientConfig,
        leak: Leak,
    ) -> Vec<Sample> {
        let tcp_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind tcp");
        let tcp_addr = tcp_listener.local_addr().expect("tcp address");
        let tcp_server = tulipa::spawn_local(tcp_server(tcp_listener, stats.clone()));

        let tls = {
            let stats = stats.clone();
            tulipa::tls::start_server(
                move |r, w| tls_handler(r, w, HandlerGuard::new(&stats, TLS)),
                "127.0.0.1:0",
                &tls_server,
            )
            .await
            .expect("bind tls")
        };
        let tls_addr = tls.addrs()[0].inet().expect("a TCP address");

        let ws_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind ws");
        let ws_server = {
            let stats = stats.clone();
            ws::serve(ws_listener, move |ws| {
                ws_handler(ws, stats.clone(), HandlerGuard::new(&stats, WS))
            })
        };
        let ws_url = format!("ws://{}/", ws_server.local_addr());

        let ctx = Rc::new(Ctx {
            stats: stats.clone(),
            gate: Semaphore::new(total_workers()),
            stop: Cell::new(false),
            tcp_addr,
            tls_addr,
            ws_url,
            tls_client,
            leak,
            leaked_memory: RefCell::new(Vec::new()),
            leaked_fds: RefCell::new(Vec::new()),
            leak_count: Cell::new(0),
        });

        let start = Instant::now();
        let mut workers = Vec::new();
        for (kind, k) in KINDS.iter().enumerate() {
            for id in 0..k.workers {
                workers.push(tulipa::spawn_local(worker(kind, id as u64, ctx.clone())));
            }
        }

        let mut samples = Vec::new();
        for i in 1..=secs / SAMPLE_EVERY.as_secs() {
            tulipa::sleep_until(start + SAMPLE_EVERY * i as u32).await;
            let s = sample(&ctx, start).await;
            println!(
                "soak: t={:4.0} s  rss {:7} KiB  fds {:4}  ops tcp {:6} tls {:6} ws {:6} proc {:5}  errors {}{}",
                s.secs,
                s.rss_kib,
                s.fds,
                s.ops[TCP],
                s.ops[TLS],
                s.ops[WS],
                s.ops[PROC],
                s.errors,
                match s.busy {
                    0 => String::new(),
                    n => format!("  ({n} server handlers still running)"),
                }
            );
            samples.push(s);
        }

        ctx.stop.set(true);
        for w in workers {
            // Each worker ends after its current operation, which is under OP_TIMEOUT.
            let _ = w.await;
        }
        tls.close();
        ws_server.close();
        tcp_server.cancel();
        samples
    }

    /// Closes the gate (waits for every operation in flight), waits for the server-side
    /// handlers to end, measures, and opens the gate again.
    async fn sample(ctx: &Ctx, start: Instant) -> Sample {
        let _all = ctx.gate.acquire_many(total_workers()).await;
        let settle_by = Instant::now() + SETTLE_LIMIT;
        // A client's operation ends when it has seen the server's close; the server's task
        // may take a few more loop turns to drop its socket.
        while ctx.stats.handlers.iter().any(|h| h.get() > 0) && Instant::now() < settle_by {
            tulipa::sleep(Duration::from_millis(5)).await;
        }
        for _ in 0..8 {
            tulipa::yield_now().await;
        }
        Sample {
            secs: (Instant::now() - start).as_secs_f64(),
            rss_kib: rss_kib().unwrap_or(0),
            fds: open_fds(),
            ops: ctx.stats.ops(),
            errors: ctx.stats.errors(),
            busy: ctx.stats.handlers.iter().map(Cell::get).sum(),
        }
    }

    fn rss_kib() -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }

    /// Open descriptors, not counting the one that reads the directory.
    fn open_fds() -> u64 {
        std::fs::read_dir("/proc/self/fd")
            .map(|d| d.count() as u64)
            .unwrap_or(0)
            .saturating_sub(1)
    }

    async fn worker(kind: usize, id: u64, ctx: Rc<Ctx>) {
        let k = &KINDS[kind];
        let mut pace = time::interval(Duration::from_secs_f64(k.workers as f64 / k.cap));
        // After a sample's pause, carry on at the cap rather than catching up in a burst.
        pace.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut n = 0u64;
        loop {
            pace.tick().await;
            if ctx.stop.get() {
                return;
            }
            let _permit = ctx.gate.acquire().await;
            if ctx.stop.get() {
                return;
            }
            let seq = (id << 32) | n;
            n += 1;
            let op = async {
                match kind {
                    TCP => tcp_op(ctx.tcp_addr, seq).await,
                    TLS => tls_op(ctx.tls_addr, &ctx.tls_client, seq).await,
                    WS => ws_op(&ctx.ws_url, seq).await,
                    _ => proc_op(seq).await,
                }
            };
            match time::timeout(OP_TIMEOUT, op).await {
                Ok(Ok(())) => ctx.stats.ops[kind].set(ctx.stats.ops[kind].get() + 1),
                Ok(Err(e)) => ctx.stats.error(kind, e),
                Err(_) => ctx
                    .stats
                    .error(kind, format!("timed out after {OP_TIMEOUT:?}")),
            }
            ctx.leak_one();
        }
    }

    /// The payload of one round: its length and bytes depend on the operation and round, so
    /// that an echo from the wrong connection or round cannot match.
    fn payload(seq: u64, round: usize) -> Vec<u8> {
        let x = seq
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(round as u64);
        let len = 1 + (x >> 40) as usize % MAX_PAYLOAD;
        (0..len).map(|i| (x as usize + i * 7) as u8).collect()
    }

    fn ctx_err(what: &'static str) -> impl Fn(std::io::Error) -> String {
        move |e| format!("{what}: {e}")
    }

    async fn tcp_op(addr: SocketAddr, seq: u64) -> Result<(), String> {
        let mut s = TcpStream::connect(addr).await.map_err(ctx_err("connect"))?;
        let mut buf = vec![0; MAX_PAYLOAD];
        for round in 0..ROUNDS {
            let p = payload(seq, round);
            s.write_all(&p).await.map_err(ctx_err("write"))?;
            s.read_exact(&mut buf[..p.len()])
                .await
                .map_err(ctx_err("read"))?;
            if buf[..p.len()] != p[..] {
                return Err(format!("echo mismatch in round {round}"));
            }
        }
        s.shutdown(Shutdown::Write).map_err(ctx_err("shutdown"))?;
        match s.read(&mut buf).await.map_err(ctx_err("read EOF"))? {
            0 => Ok(()),
            n => Err(format!("{n} bytes after the echo instead of EOF")),
        }
    }

    async fn tcp_server(listener: TcpListener, stats: Rc<Stats>) {
        loop {
            match listener.accept().await {
                Ok((conn, _)) => {
                    let guard = HandlerGuard::new(&stats, TCP);
                    tulipa::spawn_local(tcp_echo(conn, guard)).detach();
                }
                Err(e) => {
                    stats.error(TCP, format!("accept: {e}"));
                    // Out of descriptors, say: do not spin.
                    tulipa::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    async fn tcp_echo(mut conn: TcpStream, guard: HandlerGuard) {
        let mut buf = vec![0; 16 * 1024];
        loop {
            match conn.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => {
                    if let Err(e) = conn.write_all(&buf[..n]).await {
                        return guard.0.error(TCP, format!("server write: {e}"));
                    }
                }
                Err(e) => return guard.0.error(TCP, format!("server read: {e}")),
            }
        }
    }

    async fn tls_op(addr: SocketAddr, config: &ClientConfig, seq: u64) -> Result<(), String> {
        let sock = TcpStream::connect(addr).await.map_err(ctx_err("connect"))?;
        let mut tls = TlsStream::connect(sock, "localhost", config)
            .await
            .map_err(ctx_err("handshake"))?;
        let mut buf = vec![0; MAX_PAYLOAD];
        for round in 0..ROUNDS {
            let p = payload(seq, round);
            tls.write_all(&p).await.map_err(ctx_err("write"))?;
            tls.read_exact(&mut buf[..p.len()])
                .await
                .map_err(ctx_err("read"))?;
            if buf[..p.len()] != p[..] {
                return Err(format!("echo mismatch in round {round}"));
            }
        }
        tls.shutdown().await.map_err(ctx_err("close_notify"))?;
        // The server answers our close_notify with its own: a clean EOF, not a truncation.
        match tls.read(&mut buf).await.map_err(ctx_err("read EOF"))? {
            0 => Ok(()),
            n => Err(format!("{n} bytes after the echo instead of EOF")),
        }
    }

    async fn tls_handler(mut r: StreamReader, w: StreamWriter, guard: HandlerGuard) {
        loop {
            match r.read(64 * 1024).await {
                Ok(data) if data.is_empty() => break,
                Ok(data) => {
                    w.write(&data);
                    if let Err(e) = w.drain().await {
                        return guard.0.error(TLS, format!("server drain: {e}"));
                    }
                }
                Err(e) => return guard.0.error(TLS, format!("server read: {e}")),
            }
        }
        w.close();
        if let Err(e) = w.wait_closed().await {
            guard.0.error(TLS, format!("server close: {e}"));
        }
    }

    async fn ws_op(url: &str, seq: u64) -> Result<(), String> {
        let mut ws = ws::connect(url)
            .await
            .map_err(|e| format!("connect: {e}"))?;
        for round in 0..ROUNDS {
            let p = payload(seq, round);
            ws.send(Message::Binary(p.clone()))
                .await
                .map_err(|e| format!("send: {e}"))?;
            match ws.recv().await.map_err(|e| format!("recv: {e}"))? {
                Message::Binary(b) if b == p => {}
                other => return Err(format!("echo mismatch in round {round}: {other:?}")),
            }
        }
        ws.close(1000, "done")
            .await
            .map_err(|e| format!("close: {e}"))
    }

    async fn ws_handler(mut ws: WebSocket, stats: Rc<Stats>, _guard: HandlerGuard) {
        loop {
            match ws.recv().await {
                Ok(Message::Close { .. }) | Err(ws::Error::ConnectionClosed) => return,
                Ok(m) => {
                    if let Err(e) = ws.send(m).await {
                        return stats.error(WS, format!("server send: {e}"));
                    }
                }
                Err(e) => return stats.error(WS, format!("server recv: {e}")),
            }
        }
    }

    async fn proc_op(seq: u64) -> Result<(), String> {
        if seq % 2 == 0 {
            let mut child = Command::new("cat")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("spawn cat: {e}"))?;
            let p = payload(seq, 0);
            let out = child
                .communicate(Some(&p))
                .await
                .map_err(ctx_err("communicate"))?;
            if !out.status.success() {
                return Err(format!("cat: {}", out.status));
            }
            if out.stdout != p {
                return Err("cat echoed something else".to_owned());
            }
        } else {
            let mut child = Command::new("true")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .map_err(|e| format!("spawn true: {e}"))?;
            let status = child.wait().await.map_err(ctx_err("wait"))?;
            if !status.success() {
                return Err(format!("true: {status}"));
            }
        }
        Ok(())
    }

    /// A self-signed certificate for `localhost` and its key, as PEM.
    fn certificate() -> (String, String) {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])
            .expect("generating a certificate");
        (ck.cert.pem(), ck.signing_key.serialize_pem())
    }

    fn median(values: &[f64]) -> f64 {
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        }
    }

    /// The median of the last `k` over the median of the first `k`, minus one, in percent.
    fn trend_pct(values: &[f64], k: usize) -> f64 {
        let first = median(&values[..k]);
        let last = median(&values[values.len() - k..]);
        (last - first) / first * 100.0
    }

    /// The least-squares slope times the window's length, relative to the mean, in percent.
    fn slope_pct(t: &[f64], values: &[f64]) -> f64 {
        let n = t.len() as f64;
        let (mt, mv) = (t.iter().sum::<f64>() / n, values.iter().sum::<f64>() / n);
        let cov: f64 = t.iter().zip(values).map(|(a, b)| (a - mt) * (b - mv)).sum();
        let var: f64 = t.iter().map(|a| (a - mt) * (a - mt)).sum();
        if var == 0.0 || mv == 0.0 {
            return 0.0;
        }
        cov / var * (t[t.len() - 1] - t[0]) / mv * 100.0
    }

    fn report(secs: u64, samples: &[Sample], stats: &Stats) -> i32 {
        let warmup = (MIN_SECS as f64)
            .max(secs as f64 * 0.2)
            .min(secs as f64 / 2.0);
        let judged: Vec<&Sample> = samples.iter().filter(|s| s.secs > warmup + 1.0).collect();
        let mut fails = Vec::new();
        let errors = stats.errors();
        if errors > 0 {
            let per: Vec<String> = KINDS
                .iter()
                .enumerate()
                .map(|(k, kind)| format!("{} {}", kind.name, stats.errors[k].get()))
                .collect();
            fails.push(format!("{errors} errors ({})", per.join(", ")));
        }
        println!(
            "soak: summary: {secs} s, {} samples, warm-up {warmup:.0} s, {} samples judged",
            samples.len(),
            judged.len()
        );

        let mut result = vec![format!("secs={secs}"), format!("errors={errors}")];
        if judged.len() < 3 {
            fails.push(format!("only {} samples after the warm-up", judged.len()));
        } else {
            let k = (judged.len() / 3).max(1);
            let t: Vec<f64> = judged.iter().map(|s| s.secs).collect();
            let series = [
                (
                    "rss",
                    "rss KiB",
                    judged.iter().map(|s| s.rss_kib as f64).collect::<Vec<_>>(),
                ),
                ("fds", "fds", judged.iter().map(|s| s.fds as f64).collect()),
            ];
            for (name, label, values) in &series {
                let trend = trend_pct(values, k);
                let slope = slope_pct(&t, values);
                let (first, last) = match name {
                    &"rss" => (samples[0].rss_kib, samples[samples.len() - 1].rss_kib),
                    _ => (samples[0].fds, samples[samples.len() - 1].fds),
                };
                println!(
                    "soak:   {label}: first {first}, last {last}; judged window median of first {k} {:.0} -> last {k} {:.0}: trend {trend:+.2} % (least-squares {slope:+.2} %)",
                    median(&values[..k]),
                    median(&values[values.len() - k..]),
                );
                result.push(format!("{name}_first={first}"));
                result.push(format!("{name}_last={last}"));
                result.push(format!("{name}_trend_pct={trend:.2}"));
                result.push(format!("{name}_slope_pct={slope:.2}"));
                if trend > MAX_GROWTH_PCT {
                    fails.push(format!(
                        "{name} grew {trend:+.2} % after the warm-up (limit {MAX_GROWTH_PCT} %)"
                    ));
                }
            }
        }

        let ran = samples.last().map_or(0.0, |s| s.secs).max(1.0);
        let ops = stats.ops();
        let mut line = Vec::new();
        for (k, kind) in KINDS.iter().enumerate() {
            let rate = ops[k] as f64 / ran;
            line.push(format!("{} {} ({rate:.1}/s)", kind.name, ops[k]));
            result.push(format!("{}_ops={}", kind.name, ops[k]));
            if rate < kind.cap * MIN_RATE_SHARE {
                fails.push(format!(
                    "{} ran at {rate:.1}/s, under a quarter of its {}/s cap",
                    kind.name, kind.cap
                ));
            }
            // A judged interval in which the kind completed nothing is a stall.
            let stalled = samples
                .windows(2)
                .filter(|w| w[1].secs > warmup + 1.0 && w[1].ops[k] == w[0].ops[k])
                .count();
            if stalled > 0 {
                fails.push(format!(
                    "{} completed nothing in {stalled} sample intervals",
                    kind.name
                ));
            }
        }
        println!("soak:   ops: {}", line.join(", "));
        println!("soak:   errors: {errors}");
        println!("soak-result {}", result.join(" "));
        if fails.is_empty() {
            println!("SOAK PASS");
            0
        } else {
            println!("SOAK FAIL: {}", fails.join("; "));
            1
        }
    }
}
