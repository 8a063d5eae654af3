//! Metrics, medians, the results table and the targets.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::workloads::{Sizes, Variant, Workload};

/// Whether a bigger or a smaller value is better.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Better {
    Higher,
    Lower,
}

/// One number a workload reports.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Metric {
    SpawnRate,
    SpawnRssPerTask,
    YieldRate,
    RoundTripRate,
    SleepStartAll,
    SleepLate,
    SleepPeakRss,
    TimerRate,
    /// Lock or semaphore acquires per second, each released at once.
    AcquireRate,
    /// Lock or semaphore acquires per second, each held across a yield.
    AcquireHeldRate,
    ItemRate,
    /// Echo messages (round trips) per second, all connections together.
    EchoRate,
    /// Server CPU time (user + system) per echo message, microseconds.
    EchoCpu,
    /// Median echo round-trip latency, microseconds.
    EchoP50,
    /// 99th percentile of the echo round-trip latency, microseconds.
    EchoP99,
    /// Bulk echo throughput, MiB/s.
    BulkRate,
    /// Server CPU time per GiB echoed, milliseconds.
    BulkCpu,
    /// Errors of the 1,000-connection run (should be 0).
    ConnsErrors,
    /// Server peak RSS growth per connection, KiB.
    ConnsMemory,
    /// Wall time of the 1,000-connection run, milliseconds.
    ConnsTime,
    /// HTTP requests per second (wrk's count).
    HttpRate,
    /// Server CPU time per HTTP request, microseconds.
    HttpCpu,
    /// wrk's median request latency, microseconds.
    HttpP50,
    /// wrk's 99th percentile request latency, microseconds.
    HttpP99,
    /// WebSocket echo, 64-byte messages per second.
    WsSmallRate,
    /// WebSocket echo, 64 KiB messages per second.
    WsLargeRate,
    /// Full TLS 1.3 handshakes per second (new connection each).
    TlsHandshakeRate,
    /// TLS bulk echo throughput, MiB/s.
    TlsBulkRate,
    /// Ticks of the 10 ms grid the ticker saw while a task drained a full channel (of 200).
    StarveTicks,
    /// Median lateness of those ticks, milliseconds.
    StarveP50,
    /// 99th percentile of their lateness, milliseconds.
    StarveP99,
}

impl Metric {
    const ALL: [Metric; 31] = [
        Metric::SpawnRate,
        Metric::SpawnRssPerTask,
        Metric::YieldRate,
        Metric::RoundTripRate,
        Metric::SleepStartAll,
        Metric::SleepLate,
        Metric::SleepPeakRss,
        Metric::TimerRate,
        Metric::AcquireRate,
        Metric::AcquireHeldRate,
        Metric::ItemRate,
        Metric::EchoRate,
        Metric::EchoCpu,
        Metric::EchoP50,
        Metric::EchoP99,
        Metric::BulkRate,
        Metric::BulkCpu,
        Metric::ConnsErrors,
        Metric::ConnsMemory,
        Metric::ConnsTime,
        Metric::HttpRate,
        Metric::HttpCpu,
        Metric::HttpP50,
        Metric::HttpP99,
        Metric::WsSmallRate,
        Metric::WsLargeRate,
        Metric::TlsHandshakeRate,
        Metric::TlsBulkRate,
        Metric::StarveTicks,
        Metric::StarveP50,
        Metric::StarveP99,
    ];

    /// The name used between child and parent.
    pub fn id(self) -> &'static str {
        match self {
            Metric::SpawnRate => "spawn_rate",
            Metric::SpawnRssPerTask => "spawn_rss_per_task",
            Metric::YieldRate => "yield_rate",
            Metric::RoundTripRate => "round_trip_rate",
            Metric::SleepStartAll => "sleep_start_all_ms",
            Metric::SleepLate => "sleep_late_ms",
            Metric::SleepPeakRss => "sleep_peak_rss_mib",
            Metric::TimerRate => "timer_rate",
            Metric::AcquireRate => "acquire_rate",
            Metric::AcquireHeldRate => "acquire_held_rate",
            Metric::ItemRate => "item_rate",
            Metric::EchoRate => "echo_rate",
            Metric::EchoCpu => "echo_server_cpu_us",
            Metric::EchoP50 => "echo_p50_us",
            Metric::EchoP99 => "echo_p99_us",
            Metric::BulkRate => "bulk_mib_per_sec",
            Metric::BulkCpu => "bulk_server_cpu_ms_per_gib",
            Metric::ConnsErrors => "conns_errors",
            Metric::ConnsMemory => "conns_server_kib_per_conn",
            Metric::ConnsTime => "conns_ms",
            Metric::HttpRate => "http_rate",
            Metric::HttpCpu => "http_server_cpu_us",
            Metric::HttpP50 => "http_p50_us",
            Metric::HttpP99 => "http_p99_us",
            Metric::WsSmallRate => "ws_small_rate",
            Metric::WsLargeRate => "ws_large_rate",
            Metric::TlsHandshakeRate => "tls_handshake_rate",
            Metric::TlsBulkRate => "tls_bulk_mib_per_sec",
            Metric::StarveTicks => "starve_ticks",
            Metric::StarveP50 => "starve_p50_ms",
            Metric::StarveP99 => "starve_p99_ms",
        }
    }

    pub fn from_id(id: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.id() == id)
    }

    /// The table's "metric" column.
    pub fn label(self) -> &'static str {
        match self {
            Metric::SpawnRate => "M tasks/s",
            Metric::SpawnRssPerTask => "peak RSS, B/task",
            Metric::YieldRate => "M yields/s",
            Metric::RoundTripRate => "M round trips/s",
            Metric::SleepStartAll => "start all, ms",
            Metric::SleepLate => "last wakes late by, ms",
            Metric::SleepPeakRss => "peak RSS, MiB",
            Metric::TimerRate => "M timers/s",
            Metric::AcquireRate | Metric::AcquireHeldRate => "M acquires/s",
            Metric::ItemRate => "M items/s",
            Metric::EchoRate => "k msgs/s",
            Metric::EchoCpu => "server CPU, us/msg",
            Metric::EchoP50 => "p50 latency, us",
            Metric::EchoP99 => "p99 latency, us",
            Metric::BulkRate => "MiB/s",
            Metric::BulkCpu => "server CPU, ms/GiB",
            Metric::ConnsErrors => "errors",
            Metric::ConnsMemory => "server peak RSS, KiB/conn",
            Metric::ConnsTime => "time, ms",
            Metric::HttpRate => "k requests/s",
            Metric::HttpCpu => "server CPU, us/request",
            Metric::HttpP50 => "p50 latency, us",
            Metric::HttpP99 => "p99 latency, us",
            Metric::WsSmallRate => "k msgs/s, 64 B",
            Metric::WsLargeRate => "k msgs/s, 64 KiB",
            Metric::TlsHandshakeRate => "handshakes/s",
            Metric::TlsBulkRate => "MiB/s",
            Metric::StarveTicks => "ticks of 200",
            Metric::StarveP50 => "p50 lateness, ms",
            Metric::StarveP99 => "p99 lateness, ms",
        }
    }

    pub fn better(self) -> Better {
        match self {
            Metric::SpawnRate
            | Metric::YieldRate
            | Metric::RoundTripRate
            | Metric::TimerRate
            | Metric::AcquireRate
            | Metric::AcquireHeldRate
            | Metric::ItemRate
            | Metric::EchoRate
            | Metric::BulkRate
            | Metric::HttpRate
            | Metric::WsSmallRate
            | Metric::WsLargeRate => Better::Higher,
            Metric::TlsHandshakeRate | Metric::TlsBulkRate | Metric::StarveTicks => Better::Higher,
            Metric::SpawnRssPerTask
            | Metric::SleepStartAll
            | Metric::SleepLate
            | Metric::SleepPeakRss
            | Metric::EchoCpu
            | Metric::EchoP50
            | Metric::EchoP99
            | Metric::BulkCpu
            | Metric::ConnsErrors
            | Metric::ConnsMemory
            | Metric::ConnsTime
            | Metric::HttpCpu
            | Metric::HttpP50
            | Metric::HttpP99
            | Metric::StarveP50
            | Metric::StarveP99 => Better::Lower,
        }
    }

    /// A value as the table shows it, in the unit of [`Metric::label`].
    pub fn format(self, value: f64) -> String {
        match self {
            Metric::SpawnRate
            | Metric::YieldRate
            | Metric::RoundTripRate
            | Metric::TimerRate
            | Metric::AcquireRate
            | Metric::AcquireHeldRate
            | Metric::ItemRate => {
                format!("{:.2}", value / 1e6)
            }
            Metric::SpawnRssPerTask => format!("{value:.0}"),
            Metric::SleepStartAll | Metric::SleepLate | Metric::SleepPeakRss => {
                format!("{value:.1}")
            }
            Metric::EchoRate | Metric::HttpRate | Metric::WsSmallRate | Metric::WsLargeRate => {
                format!("{:.1}", value / 1e3)
            }
            Metric::EchoCpu | Metric::HttpCpu => format!("{value:.2}"),
            Metric::EchoP50
            | Metric::EchoP99
            | Metric::HttpP50
            | Metric::HttpP99
            | Metric::BulkRate
            | Metric::BulkCpu
            | Metric::ConnsErrors
            | Metric::ConnsTime
            | Metric::TlsHandshakeRate
            | Metric::TlsBulkRate => format!("{value:.0}"),
            Metric::ConnsMemory => format!("{value:.1}"),
            Metric::StarveTicks => format!("{value:.0}"),
            Metric::StarveP50 | Metric::StarveP99 => format!("{value:.2}"),
        }
    }
}

/// How `value` compares with `tokio`, oriented so that greater than 1 is better than tokio.
/// `None` when the quotient means nothing (a zero or negative cost, such as a sleeper
/// that woke early).
pub fn ratio(metric: Metric, value: f64, tokio: f64) -> Option<f64> {
    let (num, den) = match metric.better() {
        Better::Higher => (value, tokio),
        Better::Lower => (tokio, value),
    };
    (num > 0.0 && den > 0.0).then(|| num / den)
}

/// Every measurement, keyed by workload, runtime and metric.
#[derive(Default, Debug)]
pub struct Samples(BTreeMap<(Workload, Variant, Metric), Vec<f64>>);

impl Samples {
    pub fn add(&mut self, workload: Workload, variant: Variant, metric: Metric, value: f64) {
        self.0
            .entry((workload, variant, metric))
            .or_default()
            .push(value);
    }

    pub fn median(&self, workload: Workload, variant: Variant, metric: Metric) -> Option<f64> {
        let mut values = self.0.get(&(workload, variant, metric))?.clone();
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        let mid = values.len() / 2;
        Some(if values.len() % 2 == 1 {
            values[mid]
        } else {
            (values[mid - 1] + values[mid]) / 2.0
        })
    }

    pub fn range(
        &self,
        workload: Workload,
        variant: Variant,
        metric: Metric,
    ) -> Option<(f64, f64)> {
        let values = self.0.get(&(workload, variant, metric))?;
        let min = values.iter().copied().reduce(f64::min)?;
        let max = values.iter().copied().reduce(f64::max)?;
        Some((min, max))
    }
}

/// One line of the results table: a metric of a workload, and which variants fill the
/// tulipa and tokio columns (the smol column is always [`Variant::Smol`]).
struct Row {
    workload: Workload,
    channel: Option<&'static str>,
    metric: Metric,
    tulipa: Variant,
    tokio: Variant,
}

const ROWS: [Row; 39] = [
    row(Workload::Spawn, None, Metric::SpawnRate, Variant::Tokio),
    row(
        Workload::Spawn,
        None,
        Metric::SpawnRssPerTask,
        Variant::Tokio,
    ),
    row(Workload::Yield, None, Metric::YieldRate, Variant::Tokio),
    row(
        Workload::PingPong,
        Some("tokio: mpsc"),
        Metric::RoundTripRate,
        Variant::Tokio,
    ),
    row(
        Workload::PingPong,
        Some("all: async-channel"),
        Metric::RoundTripRate,
        Variant::TokioAsyncChannel,
    )
    .with_tulipa(Variant::TulipaAsyncChannel),
    row(
        Workload::Sleeps,
        None,
        Metric::SleepStartAll,
        Variant::Tokio,
    ),
    row(Workload::Sleeps, None, Metric::SleepLate, Variant::Tokio),
    row(Workload::Sleeps, None, Metric::SleepPeakRss, Variant::Tokio),
    row(Workload::Timers, None, Metric::TimerRate, Variant::Tokio),
    row(
        Workload::Lock,
        Some("released at once"),
        Metric::AcquireRate,
        Variant::Tokio,
    ),
    row(
        Workload::Lock,
        Some("held across a yield"),
        Metric::AcquireHeldRate,
        Variant::Tokio,
    ),
    row(
        Workload::Semaphore,
        Some("released at once"),
        Metric::AcquireRate,
        Variant::Tokio,
    ),
    row(
        Workload::Semaphore,
        Some("held across a yield"),
        Metric::AcquireHeldRate,
        Variant::Tokio,
    ),
    row(
        Workload::Channel,
        Some("tulipa: mpsc"),
        Metric::ItemRate,
        Variant::Tokio,
    ),
    row(
        Workload::Channel,
        Some("tulipa: Queue"),
        Metric::ItemRate,
        Variant::Tokio,
    )
    .with_tulipa(Variant::TulipaQueue),
    row(
        Workload::Oneshot,
        Some("tulipa: oneshot"),
        Metric::RoundTripRate,
        Variant::Tokio,
    ),
    row(
        Workload::Oneshot,
        Some("tulipa: SettableFuture"),
        Metric::RoundTripRate,
        Variant::Tokio,
    )
    .with_tulipa(Variant::TulipaFuture),
    row(Workload::Echo, None, Metric::EchoRate, Variant::Tokio),
    row(Workload::Echo, None, Metric::EchoCpu, Variant::Tokio),
    row(Workload::Echo, None, Metric::EchoP50, Variant::Tokio),
    row(Workload::Echo, None, Metric::EchoP99, Variant::Tokio),
    row(Workload::Bulk, None, Metric::BulkRate, Variant::Tokio),
    row(Workload::Bulk, None, Metric::BulkCpu, Variant::Tokio),
    row(Workload::Conns, None, Metric::ConnsErrors, Variant::Tokio),
    row(Workload::Conns, None, Metric::ConnsMemory, Variant::Tokio),
    row(Workload::Conns, None, Metric::ConnsTime, Variant::Tokio),
    row(Workload::Http, None, Metric::HttpRate, Variant::Tokio),
    row(Workload::Http, None, Metric::HttpCpu, Variant::Tokio),
    row(Workload::Http, None, Metric::HttpP50, Variant::Tokio),
    row(Workload::Http, None, Metric::HttpP99, Variant::Tokio),
    row(
        Workload::TlsHandshake,
        Some("tulipa: TlsStream"),
        Metric::TlsHandshakeRate,
        Variant::Tokio,
    ),
    row(
        Workload::TlsHandshake,
        Some("tulipa: streams"),
        Metric::TlsHandshakeRate,
        Variant::Tokio,
    )
    .with_tulipa(Variant::TulipaStreams),
    row(
        Workload::TlsBulk,
        Some("tulipa: TlsStream"),
        Metric::TlsBulkRate,
        Variant::Tokio,
    ),
    row(
        Workload::TlsBulk,
        Some("tulipa: streams"),
        Metric::TlsBulkRate,
        Variant::Tokio,
    )
    .with_tulipa(Variant::TulipaStreams),
    row(
        Workload::Ws,
        Some("tokio: tokio-tungstenite"),
        Metric::WsSmallRate,
        Variant::Tokio,
    ),
    row(
        Workload::Ws,
        Some("tokio: tokio-tungstenite"),
        Metric::WsLargeRate,
        Variant::Tokio,
    ),
    row(Workload::Starve, None, Metric::StarveTicks, Variant::Tokio),
    row(Workload::Starve, None, Metric::StarveP50, Variant::Tokio),
    row(Workload::Starve, None, Metric::StarveP99, Variant::Tokio),
];

const fn row(
    workload: Workload,
    channel: Option<&'static str>,
    metric: Metric,
    tokio: Variant,
) -> Row {
    Row {
        workload,
        channel,
        metric,
        tulipa: Variant::Tulipa,
        tokio,
    }
}

impl Row {
    /// The same row with another variant in the tulipa column.
    const fn with_tulipa(self, tulipa: Variant) -> Row {
        Row { tulipa, ..self }
    }
}

/// "1e6" for powers of ten, the plain number otherwise.
fn count(n: usize) -> String {
    let digits = n.to_string();
    match digits.strip_prefix('1') {
        Some(zeros) if zeros.len() >= 3 && zeros.bytes().all(|b| b == b'0') => {
            format!("1e{}", zeros.len())
        }
        _ => digits,
    }
}

fn describe(row: &Row, sizes: &Sizes) -> String {
    let base = match row.workload {
        Workload::Spawn => format!("spawn {}", count(sizes.spawn_tasks)),
        Workload::Yield => format!(
            "yield {}x{}",
            sizes.yield_tasks,
            count(sizes.yields_per_task)
        ),
        Workload::PingPong => format!("ping-pong {}", count(sizes.round_trips)),
        Workload::Sleeps => format!(
            "sleeps {} over {} ms",
            count(sizes.sleepers),
            sizes.sleep_span.as_millis()
        ),
        Workload::Timers => format!("timers {} create+drop", count(sizes.timers)),
        Workload::Lock => format!("lock {}x{}", sizes.lock_tasks, count(sizes.locks_per_task)),
        Workload::Semaphore => format!(
            "semaphore({}) {}x{}",
            crate::workloads::semaphore::PERMITS,
            sizes.lock_tasks,
            count(sizes.locks_per_task)
        ),
        Workload::Channel => format!(
            "channel 1->1 {} bounded({})",
            count(sizes.channel_items),
            crate::workloads::channel::CAPACITY
        ),
        Workload::Oneshot => format!("oneshot ping-pong {}", count(sizes.oneshot_round_trips)),
        Workload::Echo => format!(
            "echo {} conns x {} B, {:.1} s",
            sizes.echo_connections,
            crate::workloads::net_load::MESSAGE,
            sizes.echo_duration.as_secs_f64()
        ),
        Workload::Bulk => format!("bulk echo {} MiB, 1 conn", sizes.bulk_bytes >> 20),
        Workload::Ws => match row.metric {
            Metric::WsSmallRate => format!("ws echo {} x 64 B", count(sizes.ws_small)),
            _ => format!("ws echo {} x 64 KiB", count(sizes.ws_large)),
        },
        Workload::Conns => format!(
            "{} conns x {} x 1 KiB",
            sizes.many_connections, sizes.many_messages
        ),
        Workload::Http => format!(
            "http keep-alive, wrk -t1 -c{}, {} s",
            crate::workloads::http::CONNECTIONS,
            sizes.echo_duration.as_secs().max(1)
        ),
        Workload::TlsHandshake => format!("TLS 1.3 handshakes x {}", sizes.tls_handshakes),
        Workload::TlsBulk => format!("TLS 1.3 bulk echo {} MiB", sizes.tls_bulk_bytes >> 20),
        Workload::Starve => format!(
            "starve: {} ms ticker vs a drained full channel",
            crate::workloads::starve::PERIOD.as_millis()
        ),
    };
    match row.channel {
        Some(channel) => format!("{base} ({channel})"),
        None => base,
    }
}

/// Renders rows of cells as a text table with aligned columns: the first two columns left,
/// the others right.
fn render(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, cells) in rows.iter().enumerate() {
        let line: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                if c < 2 {
                    format!("{cell:<w$}", w = widths[c])
                } else {
                    format!("{cell:>w$}", w = widths[c])
                }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join(" | ").trim_end());
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            let _ = writeln!(out, "{}", rule.join("-|-"));
        }
    }
    out
}

/// The results table: medians and ratios to tokio. A mio column (the raw readiness loop of
/// the network workloads) is shown only when a network workload ran.
pub fn table(samples: &Samples, sizes: &Sizes, workloads: &[Workload]) -> String {
    let with_mio = workloads.iter().any(|w| w.is_net());
    let mut header = vec!["workload", "metric", "tulipa", "tokio", "smol"];
    if with_mio {
        header.push("mio");
    }
    header.extend(["tulipa/tokio", "smol/tokio"]);
    if with_mio {
        header.push("mio/tokio");
    }
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    for row in ROWS.iter().filter(|r| workloads.contains(&r.workload)) {
        let median = |v| samples.median(row.workload, v, row.metric);
        let (tulipa, tokio, smol, mio) = (
            median(row.tulipa),
            median(row.tokio),
            median(Variant::Smol),
            median(Variant::Mio),
        );
        let cell = |v: Option<f64>| v.map_or_else(|| "-".to_owned(), |v| row.metric.format(v));
        let ratio_cell = |v: Option<f64>| match (v, tokio) {
            (Some(v), Some(t)) => {
                ratio(row.metric, v, t).map_or_else(|| "n/a".to_owned(), |r| format!("{r:.2}x"))
            }
            _ => "-".to_owned(),
        };
        let mut cells = vec![
            describe(row, sizes),
            row.metric.label().to_owned(),
            cell(tulipa),
            cell(tokio),
            cell(smol),
        ];
        if with_mio {
            cells.push(cell(mio));
        }
        cells.extend([ratio_cell(tulipa), ratio_cell(smol)]);
        if with_mio {
            cells.push(ratio_cell(mio));
        }
        rows.push(cells);
    }
    render(&rows)
}

/// The spread of every cell (min..max over rounds), to judge the noise.
pub fn spread(samples: &Samples, sizes: &Sizes, workloads: &[Workload]) -> String {
    let with_mio = workloads.iter().any(|w| w.is_net());
    let mut header = vec!["workload", "metric", "tulipa", "tokio", "smol"];
    if with_mio {
        header.push("mio");
    }
    let mut rows = vec![header.into_iter().map(String::from).collect::<Vec<_>>()];
    for row in ROWS.iter().filter(|r| workloads.contains(&r.workload)) {
        let cell = |v| {
            samples.range(row.workload, v, row.metric).map_or_else(
                || "-".to_owned(),
                |(lo, hi)| format!("{}..{}", row.metric.format(lo), row.metric.format(hi)),
            )
        };
        let mut cells = vec![
            describe(row, sizes),
            row.metric.label().to_owned(),
            cell(row.tulipa),
            cell(row.tokio),
            cell(Variant::Smol),
        ];
        if with_mio {
            cells.push(cell(Variant::Mio));
        }
        rows.push(cells);
    }
    render(&rows)
}

/// Which peer a target compares tulipa with.
#[derive(Clone, Copy)]
enum Reference {
    /// tokio (the variant in the row's tokio column).
    Tokio,
    /// The better of tokio and smol on this metric.
    BestPeer,
    /// The raw mio loop, with 5 % slack in tulipa's favour (network workloads).
    MioWithin5Pct,
}

/// The targets of the issue, checked against the medians.
pub fn targets(samples: &Samples, workloads: &[Workload]) -> String {
    let targets: [(&str, usize, Reference); 28] = [
        (
            "spawn rate >= the faster of tokio and smol",
            0,
            Reference::BestPeer,
        ),
        (
            "peak RSS per spawned task <= the smaller of tokio and smol",
            1,
            Reference::BestPeer,
        ),
        ("yield rate >= tokio current_thread", 2, Reference::Tokio),
        (
            "ping-pong >= tokio current_thread (tokio on its mpsc)",
            3,
            Reference::Tokio,
        ),
        (
            "ping-pong >= tokio current_thread (same channel)",
            4,
            Reference::Tokio,
        ),
        (
            "sleeps: start all no slower than the better peer",
            5,
            Reference::BestPeer,
        ),
        (
            "sleeps: last wake no later than the better peer",
            6,
            Reference::BestPeer,
        ),
        (
            "sleeps: peak RSS no larger than the better peer",
            7,
            Reference::BestPeer,
        ),
        (
            "timers create+drop no slower than the better peer",
            8,
            Reference::BestPeer,
        ),
        (
            "lock (released at once) >= the best peer",
            9,
            Reference::BestPeer,
        ),
        (
            "lock (held across a yield) >= the best peer",
            10,
            Reference::BestPeer,
        ),
        (
            "semaphore (released at once) >= the best peer",
            11,
            Reference::BestPeer,
        ),
        (
            "semaphore (held across a yield) >= the best peer",
            12,
            Reference::BestPeer,
        ),
        (
            "channel 1->1, mpsc >= the best peer",
            13,
            Reference::BestPeer,
        ),
        (
            "channel 1->1, Queue >= the best peer",
            14,
            Reference::BestPeer,
        ),
        (
            "oneshot ping-pong, oneshot >= the best peer",
            15,
            Reference::BestPeer,
        ),
        (
            "oneshot ping-pong, SettableFuture >= the best peer",
            16,
            Reference::BestPeer,
        ),
        (
            "echo: server CPU/msg within 5% of the raw mio loop",
            18,
            Reference::MioWithin5Pct,
        ),
        (
            "echo: server CPU/msg below tokio and smol",
            18,
            Reference::BestPeer,
        ),
        (
            "echo: p99 latency no worse than tokio",
            20,
            Reference::Tokio,
        ),
        (
            "bulk: throughput >= 95% of the raw mio loop",
            21,
            Reference::MioWithin5Pct,
        ),
        (
            "http: server CPU/request within 5% of the raw mio loop",
            27,
            Reference::MioWithin5Pct,
        ),
        (
            "http: server CPU/request below tokio and smol",
            27,
            Reference::BestPeer,
        ),
        (
            "http: p99 latency no worse than tokio",
            29,
            Reference::Tokio,
        ),
        (
            "TLS handshakes/s (TlsStream) >= tokio + tokio-rustls",
            30,
            Reference::Tokio,
        ),
        (
            "TLS handshakes/s (streams) >= tokio + tokio-rustls",
            31,
            Reference::Tokio,
        ),
        (
            "TLS bulk (TlsStream) >= tokio + tokio-rustls",
            32,
            Reference::Tokio,
        ),
        (
            "TLS bulk (streams) >= tokio + tokio-rustls",
            33,
            Reference::Tokio,
        ),
    ];
    let mut rows = vec![["target", "verdict", "tulipa", "reference", "by"]
        .map(String::from)
        .to_vec()];
    for (text, index, reference) in targets {
        let row = &ROWS[index];
        if !workloads.contains(&row.workload) {
            continue;
        }
        let m = row.metric;
        let median = |v| samples.median(row.workload, v, m);
        let (Some(tulipa), Some(tokio)) = (median(row.tulipa), median(row.tokio)) else {
            continue;
        };
        let (reference, peer) = match (reference, median(Variant::Smol)) {
            (Reference::BestPeer, Some(smol)) => match (m.better(), smol > tokio) {
                (Better::Higher, true) | (Better::Lower, false) => (smol, "smol"),
                _ => (tokio, row.tokio.name()),
            },
            (Reference::MioWithin5Pct, _) => {
                let Some(mio) = median(Variant::Mio) else {
                    continue;
                };
                match m.better() {
                    Better::Higher => (mio * 0.95, "95% of mio"),
                    Better::Lower => (mio * 1.05, "mio + 5%"),
                }
            }
            _ => (tokio, row.tokio.name()),
        };
        let met = match m.better() {
            Better::Higher => tulipa >= reference,
            Better::Lower => tulipa <= reference,
        };
        // How far from the reference: a share of it ("23% slower", "8% more"), and for
        // durations also the absolute difference, since a few tenths of a millisecond can be
        // a large share and still be noise.
        let pct = (tulipa / reference - 1.0) * 100.0;
        let word = match (m.better(), tulipa >= reference) {
            (Better::Higher, true) => "faster",
            (Better::Higher, false) => "slower",
            (Better::Lower, true) => "more",
            (Better::Lower, false) => "less",
        };
        let by = match (m, reference > 0.0) {
            (Metric::SleepStartAll | Metric::SleepLate, true) => {
                format!("{:+.1} ms ({:.0}% {word})", tulipa - reference, pct.abs())
            }
            (Metric::SleepStartAll | Metric::SleepLate, false) => {
                format!("{:+.1} ms", tulipa - reference)
            }
            (_, true) => format!("{:.0}% {word}", pct.abs()),
            (_, false) => "-".to_owned(),
        };
        rows.push(vec![
            text.to_owned(),
            if met { "met" } else { "MISSED" }.to_owned(),
            m.format(tulipa),
            format!("{} ({peer})", m.format(reference)),
            by,
        ]);
    }
    render(&rows)
}

/// One comparison of the cooperative-budget section: a metric of a workload, tulipa with its
/// budget against `tulipa-unconstrained`.
const COOP_COST: [(Workload, Metric, &str); 5] = [
    (
        Workload::PingPong,
        Metric::RoundTripRate,
        "ping-pong (mpsc)",
    ),
    (Workload::Channel, Metric::ItemRate, "channel 1->1 (mpsc)"),
    (Workload::Echo, Metric::EchoRate, "echo"),
    (Workload::Echo, Metric::EchoCpu, "echo"),
    (Workload::Echo, Metric::EchoP99, "echo"),
];

/// The largest cost the budget may add to a workload, in percent.
const COOP_MAX_COST_PCT: f64 = 3.0;

/// The cooperative budget: what it prevents (`starve`: ticks and lateness with the budget,
/// without it, and on tokio) and what it costs (budget on against budget off on the
/// channel, ping-pong and echo workloads), medians with the min..max of the rounds.
pub fn coop(samples: &Samples, workloads: &[Workload]) -> String {
    let cell = |w, v, m: Metric| match (samples.median(w, v, m), samples.range(w, v, m)) {
        (Some(med), Some((lo, hi))) => {
            format!("{} ({}..{})", m.format(med), m.format(lo), m.format(hi))
        }
        _ => "-".to_owned(),
    };
    let mut out = String::new();
    if workloads.contains(&Workload::Starve) {
        let mut rows = vec![[
            "starve",
            "metric",
            "tulipa",
            "tulipa-unconstrained",
            "tokio",
            "target",
            "verdict",
        ]
        .map(String::from)
        .to_vec()];
        let targets = [
            (Metric::StarveTicks, ">= 195", 195.0),
            (Metric::StarveP50, "-", f64::NAN),
            (Metric::StarveP99, "<= 2 ms", 2.0),
        ];
        for (m, text, bound) in targets {
            let w = Workload::Starve;
            let verdict = match samples.median(w, Variant::Tulipa, m) {
                Some(_) if bound.is_nan() => "-",
                Some(v) => match m.better() {
                    Better::Higher if v >= bound => "met",
                    Better::Lower if v <= bound => "met",
                    _ => "MISSED",
                },
                None => "-",
            };
            rows.push(vec![
                format!(
                    "{} x {} ms",
                    crate::workloads::starve::TICKS,
                    crate::workloads::starve::PERIOD.as_millis()
                ),
                m.label().to_owned(),
                cell(w, Variant::Tulipa, m),
                cell(w, Variant::TulipaUnconstrained, m),
                cell(w, Variant::Tokio, m),
                text.to_owned(),
                verdict.to_owned(),
            ]);
        }
        out.push_str(&render(&rows));
    }
    let mut rows = vec![[
        "budget cost",
        "metric",
        "budget on",
        "budget off",
        "cost",
        "verdict",
    ]
    .map(String::from)
    .to_vec()];
    for (w, m, name) in COOP_COST {
        if !workloads.contains(&w) {
            continue;
        }
        let (Some(on), Some(off)) = (
            samples.median(w, Variant::Tulipa, m),
            samples.median(w, Variant::TulipaUnconstrained, m),
        ) else {
            continue;
        };
        // Positive: the budget makes it worse (a lower rate, a higher CPU time or latency).
        let cost = match m.better() {
            Better::Higher => (off / on - 1.0) * 100.0,
            Better::Lower => (on / off - 1.0) * 100.0,
        };
        rows.push(vec![
            name.to_owned(),
            m.label().to_owned(),
            cell(w, Variant::Tulipa, m),
            cell(w, Variant::TulipaUnconstrained, m),
            format!("{cost:+.1}%"),
            if cost <= COOP_MAX_COST_PCT {
                "met"
            } else {
                "MISSED"
            }
            .to_owned(),
        ]);
    }
    if rows.len() > 1 {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&render(&rows));
    }
    out
}
