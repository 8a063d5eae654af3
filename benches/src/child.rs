//! The measuring process: runs one workload on one runtime, once, and prints its metrics.
//!
//! The parent starts it as `<bench binary> __child <workload> <variant> <scale>` and reads
//! one line from its standard output: `RESULT metric=value metric=value ...`.
//!
//! Peak memory is the growth of the process's high-water mark of resident memory (`VmHWM`
//! in `/proc/self/status`, which the kernel keeps in kB) from just before the runtime is
//! built to just after the workload ended. The process is fresh, so its high-water mark
//! before the workload is its start-up footprint (a few MB) and nothing else.

use std::time::Duration;

use crate::report::Metric;
use crate::workloads::{
    channel, http, lock, net_load, oneshot, pingpong, semaphore, sleeps, spawn, starve, timers,
    tls, ws, yields, Sizes, Variant, Workload,
};

/// The hidden first argument that turns the bench binary into a child.
pub const CHILD_FLAG: &str = "__child";

/// The prefix of the one line the child prints for its parent.
pub const RESULT_PREFIX: &str = "RESULT";

pub fn main(args: &[String]) {
    let [workload, variant, scale] = args else {
        panic!("usage: {CHILD_FLAG} WORKLOAD VARIANT SCALE (this is the parent's job)");
    };
    let workload = Workload::from_name(workload).expect("unknown workload");
    let variant = Variant::from_name(variant).expect("unknown variant");
    let scale: f64 = scale.parse().expect("scale is a number");
    let sizes = Sizes::scaled(scale);

    let before = peak_rss_bytes();
    let mut metrics = measure(workload, variant, &sizes);
    let peak = peak_rss_bytes().saturating_sub(before) as f64;
    match workload {
        Workload::Spawn => metrics.push((Metric::SpawnRssPerTask, peak / sizes.spawn_tasks as f64)),
        Workload::Sleeps => metrics.push((Metric::SleepPeakRss, peak / (1024.0 * 1024.0))),
        _ => {}
    }

    let fields: Vec<String> = metrics
        .iter()
        .map(|(metric, value)| format!("{}={value}", metric.id()))
        .collect();
    println!("{RESULT_PREFIX} {}", fields.join(" "));
}

/// Runs the workload and returns its timing metrics (memory is added by the caller).
fn measure(workload: Workload, variant: Variant, sizes: &Sizes) -> Vec<(Metric, f64)> {
    let unsupported = || -> ! { panic!("{} has no {} variant", workload.name(), variant.name()) };
    let rate = |count: usize, elapsed: Duration| count as f64 / elapsed.as_secs_f64();
    match workload {
        Workload::Spawn => {
            let n = sizes.spawn_tasks;
            let elapsed = match variant {
                Variant::Tulipa => spawn::tulipa(n),
                Variant::Tokio => spawn::tokio(n),
                Variant::Smol => spawn::smol(n),
                _ => unsupported(),
            };
            vec![(Metric::SpawnRate, rate(n, elapsed))]
        }
        Workload::Yield => {
            let (tasks, per_task) = (sizes.yield_tasks, sizes.yields_per_task);
            let elapsed = match variant {
                Variant::Tulipa => yields::tulipa(tasks, per_task),
                Variant::Tokio => yields::tokio(tasks, per_task),
                Variant::Smol => yields::smol(tasks, per_task),
                _ => unsupported(),
            };
            vec![(Metric::YieldRate, rate(tasks * per_task, elapsed))]
        }
        Workload::PingPong => {
            let n = sizes.round_trips;
            let elapsed = match variant {
                Variant::Tulipa => pingpong::tulipa_mpsc(n, true),
                Variant::TulipaUnconstrained => pingpong::tulipa_mpsc(n, false),
                Variant::TulipaAsyncChannel => pingpong::tulipa_async_channel(n),
                Variant::Tokio => pingpong::tokio_mpsc(n),
                Variant::TokioAsyncChannel => pingpong::tokio_async_channel(n),
                Variant::Smol => pingpong::smol(n),
                _ => unsupported(),
            };
            vec![(Metric::RoundTripRate, rate(n, elapsed))]
        }
        Workload::Sleeps => {
            let (n, span) = (sizes.sleepers, sizes.sleep_span);
            let outcome = match variant {
                Variant::Tulipa => sleeps::tulipa(n, span),
                Variant::Tokio => sleeps::tokio(n, span),
                Variant::Smol => sleeps::smol(n, span),
                _ => unsupported(),
            };
            vec![
                (Metric::SleepStartAll, outcome.start_all.as_secs_f64() * 1e3),
                (Metric::SleepLate, outcome.late_ms),
            ]
        }
        Workload::Timers => {
            let n = sizes.timers;
            let elapsed = match variant {
                Variant::Tulipa => timers::tulipa(n),
                Variant::Tokio => timers::tokio(n),
                Variant::Smol => timers::smol(n),
                _ => unsupported(),
            };
            vec![(Metric::TimerRate, rate(n, elapsed))]
        }
        Workload::Lock | Workload::Semaphore => {
            let (tasks, per_task) = (sizes.lock_tasks, sizes.locks_per_task);
            // Both modes in this process, each on a runtime of its own.
            let run = |held: bool| match (workload, variant) {
                (Workload::Lock, Variant::Tulipa) => lock::tulipa(tasks, per_task, held),
                (Workload::Lock, Variant::Tokio) => lock::tokio(tasks, per_task, held),
                (Workload::Lock, Variant::Smol) => lock::smol(tasks, per_task, held),
                (_, Variant::Tulipa) => semaphore::tulipa(tasks, per_task, held),
                (_, Variant::Tokio) => semaphore::tokio(tasks, per_task, held),
                (_, Variant::Smol) => semaphore::smol(tasks, per_task, held),
                _ => unsupported(),
            };
            let (free, held) = (run(false), run(true));
            vec![
                (Metric::AcquireRate, rate(tasks * per_task, free)),
                (Metric::AcquireHeldRate, rate(tasks * per_task, held)),
            ]
        }
        Workload::Channel => {
            let n = sizes.channel_items;
            let elapsed = match variant {
                Variant::Tulipa => channel::tulipa_mpsc(n, true),
                Variant::TulipaUnconstrained => channel::tulipa_mpsc(n, false),
                Variant::TulipaQueue => channel::tulipa_queue(n),
                Variant::Tokio => channel::tokio(n),
                Variant::Smol => channel::smol(n),
                _ => unsupported(),
            };
            vec![(Metric::ItemRate, rate(n, elapsed))]
        }
        Workload::Oneshot => {
            let n = sizes.oneshot_round_trips;
            let elapsed = match variant {
                Variant::Tulipa => oneshot::tulipa(n),
                Variant::TulipaFuture => oneshot::tulipa_future(n),
                Variant::Tokio => oneshot::tokio(n),
                Variant::Smol => oneshot::smol(n),
                _ => unsupported(),
            };
            vec![(Metric::RoundTripRate, rate(n, elapsed))]
        }
        Workload::Echo => {
            let outcome = net_load::echo(variant, sizes.echo_connections, sizes.echo_duration);
            vec![
                (Metric::EchoRate, outcome.messages_per_sec),
                (Metric::EchoCpu, outcome.server_cpu_us_per_message),
                (Metric::EchoP50, outcome.p50_us),
                (Metric::EchoP99, outcome.p99_us),
            ]
        }
        Workload::Bulk => {
            let outcome = net_load::bulk(variant, sizes.bulk_bytes);
            vec![
                (Metric::BulkRate, outcome.mib_per_sec),
                (Metric::BulkCpu, outcome.server_cpu_ms_per_gib),
            ]
        }
        Workload::Http => {
            let outcome = http::run(variant, sizes.echo_duration);
            vec![
                (Metric::HttpRate, outcome.requests_per_sec),
                (Metric::HttpCpu, outcome.server_cpu_us_per_request),
                (Metric::HttpP50, outcome.p50_us),
                (Metric::HttpP99, outcome.p99_us),
            ]
        }
        Workload::Conns => {
            let outcome = net_load::many(variant, sizes.many_connections, sizes.many_messages);
            vec![
                (Metric::ConnsErrors, outcome.errors as f64),
                (Metric::ConnsMemory, outcome.server_kib_per_connection),
                (Metric::ConnsTime, outcome.elapsed_ms),
            ]
        }
        Workload::Ws => {
            // Both sizes in this process, each on a runtime of its own.
            let (small, large) = (sizes.ws_small, sizes.ws_large);
            let (s, l) = match variant {
                Variant::Tulipa => (ws::tulipa(small, 64), ws::tulipa(large, 64 * 1024)),
                Variant::Tokio => (ws::tokio(small, 64), ws::tokio(large, 64 * 1024)),
                _ => unsupported(),
            };
            vec![
                (Metric::WsSmallRate, rate(small, s)),
                (Metric::WsLargeRate, rate(large, l)),
            ]
        }
        Workload::TlsHandshake => {
            let n = sizes.tls_handshakes;
            let elapsed = match variant {
                Variant::Tulipa => tls::tulipa_handshakes(n),
                Variant::TulipaStreams => tls::tulipa_streams_handshakes(n),
                Variant::Tokio => tls::tokio_handshakes(n),
                _ => unsupported(),
            };
            vec![(Metric::TlsHandshakeRate, rate(n, elapsed))]
        }
        Workload::TlsBulk => {
            let n = sizes.tls_bulk_bytes;
            let elapsed = match variant {
                Variant::Tulipa => tls::tulipa_bulk(n),
                Variant::TulipaStreams => tls::tulipa_streams_bulk(n),
                Variant::Tokio => tls::tokio_bulk(n),
                _ => unsupported(),
            };
            vec![(Metric::TlsBulkRate, rate(n, elapsed) / (1024.0 * 1024.0))]
        }
        Workload::Starve => {
            let outcome = match variant {
                Variant::Tulipa => starve::tulipa(true),
                Variant::TulipaUnconstrained => starve::tulipa(false),
                Variant::Tokio => starve::tokio(),
                _ => unsupported(),
            };
            vec![
                (Metric::StarveTicks, outcome.ticks as f64),
                (Metric::StarveP50, outcome.p50_ms),
                (Metric::StarveP99, outcome.p99_ms),
            ]
        }
    }
}

/// This process's peak resident set so far, in bytes (`VmHWM`).
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status")
        .expect("peak RSS needs /proc/self/status (Linux)");
    let kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())
        .expect("no VmHWM line in /proc/self/status");
    kb * 1024
}
