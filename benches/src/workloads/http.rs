//! The `http` workload: an HTTP/1.1 keep-alive "hello world" server per runtime, in a
//! process of its own (`<bench binary> __http_server <variant>`), driven by `wrk -t1 -c100`
//! (Debian's wrk) for a fixed time.
//!
//! Every server answers each request with the same fixed response ([`RESPONSE`]) and keeps
//! the connection open. Requests are counted, not parsed: wrk sends `GET` requests without
//! bodies, so each request ends at its first blank line, and [`count_requests`] (the same
//! function in every server, so parsing costs all of them alike) counts `\r\n\r\n` across
//! read boundaries. Pipelined requests get their responses in one write.
//!
//! * tulipa: `tulipa::net::TcpListener` / `TcpStream`, a `spawn_local` task per connection.
//! * tokio: `tokio::net`, `tokio::spawn`, current_thread.
//! * smol: `async_io::Async<TcpListener>` on a `LocalExecutor` under `async_io::block_on`.
//! * mio: the `echo` workload's hand-written edge-triggered loop (the practical limit),
//!   answering through [`Respond`].
//!
//! The load generator ([`run`]) starts the server, reads its CPU time from `/proc` around
//! the wrk run, and parses wrk's report: requests, requests per second, the latency
//! percentiles of `--latency`, and errors (socket errors and non-2xx answers, which fail the
//! measurement).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::net_server::{announce, exit_with_stdin, mio_loop, Respond, BIND};
use super::{tokio_runtime, tulipa_runtime, Variant};

/// The hidden first argument that turns the bench binary into an HTTP server.
pub const HTTP_SERVER_FLAG: &str = "__http_server";

/// wrk's connections (`-c`), on one wrk thread (`-t1`).
pub const CONNECTIONS: usize = 100;

/// The one response, to every request.
pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!";

const BUF: usize = 16 * 1024;

/// Counts the request ends (`\r\n\r\n`) in `bytes`; `state` carries a partial match (0..=3
/// bytes of the terminator) from one read to the next.
pub fn count_requests(state: &mut u8, bytes: &[u8]) -> usize {
    const END: &[u8; 4] = b"\r\n\r\n";
    let mut n = 0;
    for &b in bytes {
        *state = if b == END[*state as usize] {
            *state + 1
        } else if b == b'\r' {
            1
        } else {
            0
        };
        if *state == 4 {
            n += 1;
            *state = 0;
        }
    }
    n
}

/// The mio loop's per-connection state: a partial request end carried between reads.
#[derive(Default)]
struct Requests(u8);

impl Respond for Requests {
    fn respond<'a>(&mut self, input: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8] {
        match count_requests(&mut self.0, input) {
            0 => &[],
            n => responses(n, scratch),
        }
    }
}

/// The bytes answering `n` requests (`n` ≥ 1): the fixed response, repeated.
fn responses(n: usize, scratch: &mut Vec<u8>) -> &[u8] {
    if n == 1 {
        return RESPONSE;
    }
    scratch.clear();
    for _ in 0..n {
        scratch.extend_from_slice(RESPONSE);
    }
    scratch
}

pub fn server_main(args: &[String]) {
    let [variant] = args else {
        panic!("usage: {HTTP_SERVER_FLAG} VARIANT (this is the load generator's job)");
    };
    let variant = Variant::from_name(variant).expect("unknown variant");
    exit_with_stdin();
    match variant {
        Variant::Tulipa => tulipa(),
        Variant::Tokio => tokio(),
        Variant::Smol => smol(),
        Variant::Mio => mio_loop::<Requests>(BUF).expect("mio HTTP server failed"),
        other => panic!("no HTTP server for {}", other.name()),
    }
}

fn tulipa() {
    let rt = tulipa_runtime();
    rt.block_on(async {
        let listener = tulipa::net::TcpListener::bind(BIND).await.expect("bind");
        announce(listener.local_addr().expect("local_addr"));
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            stream.set_nodelay(true).expect("nodelay");
            tulipa::spawn_local(async move {
                let (mut buf, mut scratch, mut state) = (vec![0u8; BUF], Vec::new(), 0u8);
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let k = count_requests(&mut state, &buf[..n]);
                    if k > 0 && stream.write_all(responses(k, &mut scratch)).await.is_err() {
                        return;
                    }
                }
            })
            .detach();
        }
    })
}

fn tokio() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio_runtime();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(BIND).await.expect("bind");
        announce(listener.local_addr().expect("local_addr"));
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            stream.set_nodelay(true).expect("nodelay");
            tokio::spawn(async move {
                let (mut buf, mut scratch, mut state) = (vec![0u8; BUF], Vec::new(), 0u8);
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let k = count_requests(&mut state, &buf[..n]);
                    if k > 0 && stream.write_all(responses(k, &mut scratch)).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}

fn smol() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let listener = async_io::Async::<std::net::TcpListener>::bind(
            BIND.parse::<SocketAddr>().expect("address"),
        )
        .expect("bind");
        announce(listener.get_ref().local_addr().expect("local_addr"));
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            stream.get_ref().set_nodelay(true).expect("nodelay");
            ex.spawn(async move {
                let (mut buf, mut scratch, mut state) = (vec![0u8; BUF], Vec::new(), 0u8);
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let k = count_requests(&mut state, &buf[..n]);
                    if k > 0 && stream.write_all(responses(k, &mut scratch)).await.is_err() {
                        return;
                    }
                }
            })
            .detach();
        }
    }))
}

/// What `http` measured.
pub struct HttpOutcome {
    pub requests_per_sec: f64,
    pub server_cpu_us_per_request: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// Runs wrk against the variant's server for `duration` and parses its report.
pub fn run(variant: Variant, duration: Duration) -> HttpOutcome {
    let server = super::net_load::Server::start_with(HTTP_SERVER_FLAG, variant);
    let url = format!("http://127.0.0.1:{}/", server.port());
    let secs = duration.as_secs().max(1);
    let cpu_before = server.cpu_secs();
    let out = Command::new("wrk")
        .args([
            "-t1",
            &format!("-c{CONNECTIONS}"),
            &format!("-d{secs}s"),
            "--latency",
        ])
        .arg(&url)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("the http workload needs wrk (Debian package wrk: `apt-get install wrk`): {e}")
        });
    let cpu = server.cpu_secs() - cpu_before;
    drop(server);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "wrk failed: {report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wrk = parse_wrk(&report).unwrap_or_else(|e| panic!("{e} in wrk's report:\n{report}"));
    assert!(wrk.requests > 0, "no request completed:\n{report}");
    HttpOutcome {
        requests_per_sec: wrk.requests_per_sec,
        server_cpu_us_per_request: cpu * 1e6 / wrk.requests as f64,
        p50_us: wrk.p50_us,
        p99_us: wrk.p99_us,
    }
}

/// The parts of wrk's report the table needs.
#[derive(Debug, PartialEq)]
pub struct WrkReport {
    pub requests: u64,
    pub requests_per_sec: f64,
    pub p50_us: f64,
    pub p99_us: f64,
}

/// Parses wrk's text report; errors (socket errors, non-2xx answers) are refused.
pub fn parse_wrk(report: &str) -> Result<WrkReport, String> {
    let mut requests = None;
    let mut rate = None;
    let (mut p50, mut p99) = (None, None);
    for line in BufReader::new(report.as_bytes()).lines() {
        let line = line.map_err(|e| e.to_string())?;
        let t = line.trim();
        if t.starts_with("Socket errors:") || t.starts_with("Non-2xx or 3xx responses:") {
            return Err(format!("wrk saw errors: {t}"));
        }
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            rate = v.trim().parse::<f64>().ok();
        } else if let Some((n, rest)) = t.split_once(" requests in ") {
            let _ = rest;
            requests = n.trim().parse::<u64>().ok();
        } else if let Some(v) = t.strip_prefix("50%") {
            p50 = duration_us(v.trim());
        } else if let Some(v) = t.strip_prefix("99%") {
            p99 = duration_us(v.trim());
        }
    }
    Ok(WrkReport {
        requests: requests.ok_or("no \"N requests in\" line")?,
        requests_per_sec: rate.ok_or("no Requests/sec line")?,
        p50_us: p50.ok_or("no 50% latency line (was --latency given?)")?,
        p99_us: p99.ok_or("no 99% latency line (was --latency given?)")?,
    })
}

/// wrk's durations: `812.00us`, `1.23ms`, `2.01s`.
fn duration_us(v: &str) -> Option<f64> {
    let (num, scale) = if let Some(n) = v.strip_suffix("us") {
        (n, 1.0)
    } else if let Some(n) = v.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = v.strip_suffix('m') {
        (n, 60e6)
    } else if let Some(n) = v.strip_suffix('s') {
        (n, 1e6)
    } else {
        return None;
    };
    num.trim().parse::<f64>().ok().map(|x| x * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ends_are_counted_across_reads() {
        let reqs = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\n\r\n";
        for split in 0..reqs.len() {
            let mut st = 0;
            let n =
                count_requests(&mut st, &reqs[..split]) + count_requests(&mut st, &reqs[split..]);
            assert_eq!(n, 2, "split at {split}");
        }
        let mut st = 0;
        assert_eq!(count_requests(&mut st, b"a\r\r\n\r\n"), 1);
        assert_eq!(count_requests(&mut st, b"\r\n\n\r\n"), 0);
    }

    #[test]
    fn wrk_reports_parse_and_errors_are_refused() {
        let report = "Running 2s test @ http://127.0.0.1:1/\n  1 threads and 100 connections\n  \
            Thread Stats   Avg      Stdev     Max   +/- Stdev\n    Latency     1.10ms  200.00us   5.00ms   90.00%\n  \
            Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     90%    1.50ms\n     99%    2.50ms\n  \
            123456 requests in 2.00s, 10.00MB read\nRequests/sec:  61728.00\nTransfer/sec:      5.00MB\n";
        let r = parse_wrk(report).unwrap();
        assert_eq!(
            r,
            WrkReport {
                requests: 123456,
                requests_per_sec: 61728.0,
                p50_us: 812.0,
                p99_us: 2500.0
            }
        );
        let bad = format!("{report}  Socket errors: connect 0, read 3, write 0, timeout 0\n");
        assert!(parse_wrk(&bad).unwrap_err().contains("Socket errors"));
        assert!(parse_wrk("Requests/sec: 1\n").is_err());
    }
}
