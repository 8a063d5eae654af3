//! The neutral load generator of the `echo` and `bulk` workloads: blocking `std::net`
//! sockets on OS threads, in the measuring process, against an echo server in a process of
//! its own (see [`super::net_server`]). Loopback only.
//!
//! * `echo`: [`ECHO_CONNECTIONS`] connections, one thread each; each thread writes a
//!   [`MESSAGE`]-byte message, reads the echo back, checks it, and records the round trip's
//!   latency, over and over for a fixed time. Before timing, every connection does
//!   [`WARM_UP`] round trips and all threads meet at a barrier.
//! * `bulk`: one connection; a thread writes `bytes` bytes (a position-dependent pattern) in
//!   64 KiB writes while the main thread reads the echo back; the time runs from the first
//!   write to the last byte read. Every read's first and last byte are checked against the
//!   pattern (a shifted, lost or repeated chunk shows), not every byte: that would cost the
//!   client CPU the server needs on this 2-core machine.
//!
//! The server's CPU time is `utime + stime` from `/proc/<pid>/stat` (all its threads), read
//! just before and just after the timed part, in clock ticks of 10 ms (`USER_HZ`, 100 on
//! Linux on every architecture this runs on); a 2-second measurement resolves it to ~1 %.

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use super::net_server::{read_port, BUF, SERVER_FLAG};
use super::Variant;

/// Connections of the `echo` workload.
pub const ECHO_CONNECTIONS: usize = 50;
/// Bytes per echo message.
pub const MESSAGE: usize = 64;
/// Untimed round trips per connection before the measurement.
const WARM_UP: usize = 100;
/// A server that takes longer than this to answer is broken, not slow.
const IO_TIMEOUT: Duration = Duration::from_secs(20);
/// Linux's `USER_HZ`: the unit of `utime` and `stime` in `/proc/<pid>/stat`.
const USER_HZ: f64 = 100.0;

/// What `echo` measured.
pub struct EchoOutcome {
    pub messages_per_sec: f64,
    pub server_cpu_us_per_message: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// What `conns` measured.
pub struct ManyOutcome {
    /// Failed connects, reads or writes, and echoes that differ from the message.
    pub errors: usize,
    /// Growth of the server's peak RSS (`VmHWM`) over its start-up RSS, per connection.
    pub server_kib_per_connection: f64,
    pub elapsed_ms: f64,
}

/// What `bulk` measured.
pub struct BulkOutcome {
    pub mib_per_sec: f64,
    pub server_cpu_ms_per_gib: f64,
}

/// A server process (echo, or the `http` workload's), killed when dropped.
pub struct Server {
    child: Child,
    /// Held open: the server exits when it reaches end of file.
    _stdin: ChildStdin,
    port: u16,
}

impl Server {
    fn start(variant: Variant) -> Server {
        Server::start_with(SERVER_FLAG, variant)
    }

    /// Starts `<bench binary> FLAG VARIANT` and reads the port it announces.
    pub fn start_with(flag: &str, variant: Variant) -> Server {
        let exe = std::env::current_exe().expect("cannot find the bench binary to re-execute");
        let mut child = Command::new(exe)
            .args([flag, variant.name()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("could not start the echo server");
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let port = read_port(&mut stdout).expect("the echo server did not start");
        Server {
            child,
            _stdin: stdin,
            port,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect to the server");
        stream.set_nodelay(true).expect("nodelay");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream
    }

    /// The server's CPU time so far (user + system, all threads), in seconds.
    pub fn cpu_secs(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("server CPU time needs /proc/<pid>/stat (Linux)");
        // Fields after the command name, which is in parentheses and may contain spaces:
        // state is field 3, utime 14 and stime 15, so they are the 12th and 13th here.
        let rest = &stat[stat.rfind(')').expect("malformed /proc/<pid>/stat") + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| -> f64 { fields[i].parse().expect("malformed /proc/<pid>/stat") };
        (ticks(11) + ticks(12)) / USER_HZ
    }

    /// A `kB` line of the server's `/proc/<pid>/status`, e.g. `VmRSS:`.
    fn status_kib(&self, key: &str) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("server memory needs /proc/<pid>/status (Linux)");
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {key} line in /proc/<pid>/status"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn echo(variant: Variant, connections: usize, duration: Duration) -> EchoOutcome {
    let server = Server::start(variant);
    let start_line = Arc::new(Barrier::new(connections + 1));
    let stop = Arc::new(AtomicBool::new(false));
    let threads: Vec<_> = (0..connections)
        .map(|c| {
            let mut stream = server.connect();
            let (start_line, stop) = (start_line.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut msg = [0u8; MESSAGE];
                msg[8..16].copy_from_slice(&(c as u64).to_le_bytes());
                let mut back = [0u8; MESSAGE];
                let mut round_trip = |i: u64| {
                    msg[..8].copy_from_slice(&i.to_le_bytes());
                    let sent = Instant::now();
                    stream.write_all(&msg).expect("echo write");
                    stream.read_exact(&mut back).expect("echo read");
                    let latency = sent.elapsed();
                    assert_eq!(back, msg, "the echo differs from the message");
                    latency
                };
                for i in 0..WARM_UP as u64 {
                    round_trip(i);
                }
                start_line.wait();
                let mut latencies_ns: Vec<u32> = Vec::with_capacity(1 << 16);
                let mut i = WARM_UP as u64;
                while !stop.load(Ordering::Relaxed) {
                    let latency = round_trip(i);
                    latencies_ns.push(u32::try_from(latency.as_nanos()).unwrap_or(u32::MAX));
                    i += 1;
                }
                latencies_ns
            })
        })
        .collect();
    start_line.wait();
    let cpu_before = server.cpu_secs();
    let started = Instant::now();
    std::thread::sleep(duration);
    stop.store(true, Ordering::Relaxed);
    let cpu = server.cpu_secs() - cpu_before;
    let elapsed = started.elapsed();
    let mut latencies: Vec<u32> = Vec::new();
    for thread in threads {
        latencies.extend(thread.join().expect("a load generator thread failed"));
    }
    drop(server);
    let messages = latencies.len();
    assert!(messages > 0, "no round trip completed");
    latencies.sort_unstable();
    let quantile = |q: usize| f64::from(latencies[(messages * q / 100).min(messages - 1)]) / 1e3;
    EchoOutcome {
        messages_per_sec: messages as f64 / elapsed.as_secs_f64(),
        server_cpu_us_per_message: cpu * 1e6 / messages as f64,
        p50_us: quantile(50),
        p99_us: quantile(99),
    }
}

/// The byte at `position` of the bulk stream.
fn pattern(position: usize) -> u8 {
    (position % 251) as u8
}

pub fn bulk(variant: Variant, bytes: usize) -> BulkOutcome {
    let server = Server::start(variant);
    let stream = server.connect();
    let mut reader = stream.try_clone().expect("clone the socket");
    let mut writer = stream;
    let cpu_before = server.cpu_secs();
    let started = Instant::now();
    let writer_thread = {
        std::thread::spawn(move || {
            // 64 KiB of the pattern starting at any offset is a slice of this.
            let source: Vec<u8> = (0..BUF + 251).map(pattern).collect();
            let mut sent = 0;
            while sent < bytes {
                let chunk = (bytes - sent).min(BUF);
                let from = sent % 251;
                writer
                    .write_all(&source[from..from + chunk])
                    .expect("bulk write");
                sent += chunk;
            }
            sent
        })
    };
    let mut buf = vec![0u8; BUF];
    let mut received = 0;
    while received < bytes {
        let n = reader.read(&mut buf).expect("bulk read");
        assert!(n > 0, "the server closed after {received} of {bytes} bytes");
        assert!(
            buf[0] == pattern(received) && buf[n - 1] == pattern(received + n - 1),
            "the echo differs from what was sent near byte {received}"
        );
        received += n;
    }
    let elapsed = started.elapsed();
    let cpu = server.cpu_secs() - cpu_before;
    let sent = writer_thread.join().expect("the writer thread failed");
    assert_eq!(sent, bytes);
    drop(server);
    let gib = bytes as f64 / f64::from(1u32 << 30);
    BulkOutcome {
        mib_per_sec: bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64(),
        server_cpu_ms_per_gib: cpu * 1e3 / gib,
    }
}

/// Connections of the `conns` workload.
pub const MANY_CONNECTIONS: usize = 1000;
/// Messages each connection echoes in `conns`.
pub const MANY_MESSAGES: usize = 100;
/// Bytes per `conns` message.
pub const MANY_MESSAGE: usize = 1024;
/// Client threads of `conns`; each drives its share of the connections in lock step.
const MANY_THREADS: usize = 20;

/// The message `round` of connection `conn`: every byte depends on both, so a message
/// delivered to the wrong connection, out of order or torn shows in the comparison.
fn many_message(conn: usize, round: usize) -> [u8; MANY_MESSAGE] {
    let mut msg = [0u8; MANY_MESSAGE];
    for (i, b) in msg.iter_mut().enumerate() {
        *b = (conn.wrapping_mul(31) ^ round.wrapping_mul(7) ^ i) as u8;
    }
    msg
}

/// `conns`: `connections` connections open at once, each echoing `messages` messages of
/// [`MANY_MESSAGE`] bytes, every byte compared. Each of [`MANY_THREADS`] threads connects its
/// share; when all are connected, each in every round writes one message on each of its
/// connections and reads the echoes back; they close only when all are done. Errors are counted, not fatal (a broken connection is dropped and its
/// remaining messages count as errors), so the table shows them.
pub fn many(variant: Variant, connections: usize, messages: usize) -> ManyOutcome {
    let server = Server::start(variant);
    let baseline = server.status_kib("VmRSS:");
    let port = server.port;
    // All connections open before the first message and stay open until the last echo of
    // every thread, so the server holds all of them at once.
    let (connected, finished) = (
        Arc::new(Barrier::new(MANY_THREADS)),
        Arc::new(Barrier::new(MANY_THREADS)),
    );
    let started = Instant::now();
    let threads: Vec<_> = (0..MANY_THREADS)
        .map(|t| {
            let (connected, finished) = (connected.clone(), finished.clone());
            std::thread::spawn(move || {
                let mine: Vec<usize> = (t..connections).step_by(MANY_THREADS).collect();
                let mut errors = 0;
                let mut streams: Vec<(usize, Option<TcpStream>)> = mine
                    .iter()
                    .map(|&c| {
                        let stream = TcpStream::connect(("127.0.0.1", port)).ok();
                        if let Some(s) = &stream {
                            let _ = s.set_read_timeout(Some(IO_TIMEOUT));
                            let _ = s.set_write_timeout(Some(IO_TIMEOUT));
                        }
                        (c, stream)
                    })
                    .collect();
                connected.wait();
                let mut back = [0u8; MANY_MESSAGE];
                for round in 0..messages {
                    for (c, stream) in &mut streams {
                        if let Some(s) = stream {
                            if s.write_all(&many_message(*c, round)).is_err() {
                                *stream = None;
                            }
                        }
                    }
                    for (c, stream) in &mut streams {
                        match stream {
                            Some(s) => match s.read_exact(&mut back) {
                                Ok(()) if back == many_message(*c, round) => {}
                                Ok(()) => errors += 1,
                                Err(_) => {
                                    errors += 1;
                                    *stream = None;
                                }
                            },
                            None => errors += 1,
                        }
                    }
                }
                finished.wait();
                drop(streams);
                errors
            })
        })
        .collect();
    let errors = threads
        .into_iter()
        .map(|t| t.join().expect("a load generator thread failed"))
        .sum();
    let elapsed = started.elapsed();
    let peak = server.status_kib("VmHWM:");
    drop(server);
    ManyOutcome {
        errors,
        server_kib_per_connection: (peak - baseline).max(0.0) / connections as f64,
        elapsed_ms: elapsed.as_secs_f64() * 1e3,
    }
}
