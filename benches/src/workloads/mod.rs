//! The workloads, each written once per runtime with that runtime's own idioms.
//!
//! | workload | what is timed | reported |
//! |---|---|---|
//! | `spawn` | spawn `1e6` trivial tasks, keep every handle in a `Vec`, await them in order | tasks/s; peak RSS / task |
//! | `yield` | 100 tasks, each awaiting the runtime's `yield_now` 10,000 times | yields/s |
//! | `pingpong` | two tasks bouncing a number `1e6` times through two bounded(1) channels | round trips/s |
//! | `sleeps` | `1e6` tasks sleeping until deadlines spread over 0–1000 ms | time to start all; lateness of the last; peak RSS |
//! | `timers` | `1e5` times: create a sleep, poll it once (it registers), drop it (it cancels) | timers/s |
//! | `lock` | 100 tasks × 10,000 lock/unlock of one mutex, released at once / held across a yield | acquires/s |
//! | `semaphore` | 100 tasks × 10,000 acquire/release of 10 permits, released at once / held across a yield | acquires/s |
//! | `channel` | 1 producer task → 1 consumer task, `1e7` `u64`s through a bounded(1024) channel | items/s |
//! | `oneshot` | two tasks bouncing a number `1e6` times, each message through a fresh oneshot | round trips/s |
//! | `echo` | TCP echo server in its own process; 50 blocking client threads ping-pong 64-byte messages for 2 s | messages/s; server CPU per message; p99 latency |
//! | `bulk` | the same echo server; one connection echoes 1 GiB | MiB/s; server CPU per GiB |
//! | `ws` | WebSocket echo over loopback, client and server of one library in one runtime: 200,000 × 64 B and 5,000 × 64 KiB binary messages, pipelined | messages/s |
//! | `conns` | the same echo server; 1,000 connections at once, each echoing 100 × 1 KiB, every byte checked | errors; server peak RSS per connection; time |
//! | `http` | HTTP/1.1 keep-alive hello world in its own process, `wrk -t1 -c100` for 2 s | requests/s; server CPU per request; p50, p99 latency |
//! | `tls-handshake` | client and server in one runtime: 2,000 sequential connections, each a full TLS 1.3 handshake and a 1-byte round trip | handshakes/s |
//! | `tls-bulk` | client and server in one runtime: one TLS 1.3 connection echoes 256 MiB | MiB/s |
//! | `starve` | a task drains a channel an OS thread keeps full while another waits on a 10 ms grid for 200 periods | ticks of 200; p50, p99 lateness |
//!
//! All runtimes draw the same pseudo-random deadlines ([`SplitMix64`], fixed seed). A
//! workload function returns what it measured; the child process adds the RSS figures.

pub mod channel;
pub mod http;
pub mod lock;
pub mod net_load;
pub mod net_server;
pub mod oneshot;
pub mod pingpong;
pub mod semaphore;
pub mod sleeps;
pub mod spawn;
pub mod starve;
pub mod timers;
pub mod tls;
pub mod ws;
pub mod yields;

use std::time::Duration;

/// One benchmark scenario.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Workload {
    Spawn,
    Yield,
    PingPong,
    Sleeps,
    Timers,
    Lock,
    Semaphore,
    Channel,
    Oneshot,
    Echo,
    Bulk,
    Conns,
    Http,
    Ws,
    TlsHandshake,
    TlsBulk,
    Starve,
}

impl Workload {
    pub const ALL: [Workload; 17] = [
        Workload::Spawn,
        Workload::Yield,
        Workload::PingPong,
        Workload::Sleeps,
        Workload::Timers,
        Workload::Lock,
        Workload::Semaphore,
        Workload::Channel,
        Workload::Oneshot,
        Workload::Echo,
        Workload::Bulk,
        Workload::Conns,
        Workload::Http,
        Workload::Ws,
        Workload::TlsHandshake,
        Workload::TlsBulk,
        Workload::Starve,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Workload::Spawn => "spawn",
            Workload::Yield => "yield",
            Workload::PingPong => "pingpong",
            Workload::Sleeps => "sleeps",
            Workload::Timers => "timers",
            Workload::Lock => "lock",
            Workload::Semaphore => "semaphore",
            Workload::Channel => "channel",
            Workload::Oneshot => "oneshot",
            Workload::Echo => "echo",
            Workload::Bulk => "bulk",
            Workload::Conns => "conns",
            Workload::Http => "http",
            Workload::Ws => "ws",
            Workload::TlsHandshake => "tls-handshake",
            Workload::TlsBulk => "tls-bulk",
            Workload::Starve => "starve",
        }
    }

    pub fn from_name(name: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The runtimes (and channel or primitive implementations) this workload runs on.
    /// Ping-pong also runs tulipa and tokio with smol's async-channel, to compare executors
    /// alone; `channel` and `oneshot` run two tulipa implementations each.
    pub fn variants(self) -> &'static [Variant] {
        match self {
            // The budget-off variant (`tulipa-unconstrained`) runs where the cost of the
            // cooperative budget is measured (pingpong, channel, echo) and in `starve`.
            Workload::PingPong => &[
                Variant::Tulipa,
                Variant::TulipaUnconstrained,
                Variant::TulipaAsyncChannel,
                Variant::Tokio,
                Variant::TokioAsyncChannel,
                Variant::Smol,
            ],
            Workload::Channel => &[
                Variant::Tulipa,
                Variant::TulipaUnconstrained,
                Variant::TulipaQueue,
                Variant::Tokio,
                Variant::Smol,
            ],
            Workload::Oneshot => &[
                Variant::Tulipa,
                Variant::TulipaFuture,
                Variant::Tokio,
                Variant::Smol,
            ],
            Workload::Echo => &[
                Variant::Tulipa,
                Variant::TulipaUnconstrained,
                Variant::Tokio,
                Variant::Smol,
                Variant::Mio,
            ],
            Workload::Bulk | Workload::Conns | Workload::Http => {
                &[Variant::Tulipa, Variant::Tokio, Variant::Smol, Variant::Mio]
            }
            Workload::Starve => &[
                Variant::Tulipa,
                Variant::TulipaUnconstrained,
                Variant::Tokio,
            ],
            // tokio here is tokio-tungstenite; smol has no WebSocket of its own.
            Workload::Ws => &[Variant::Tulipa, Variant::Tokio],
            // tokio with tokio-rustls; smol has no maintained rustls adapter on this rustls.
            Workload::TlsHandshake | Workload::TlsBulk => {
                &[Variant::Tulipa, Variant::TulipaStreams, Variant::Tokio]
            }
            _ => &[Variant::Tulipa, Variant::Tokio, Variant::Smol],
        }
    }

    /// Whether this is a network workload, which also runs the raw mio loop.
    pub fn is_net(self) -> bool {
        matches!(
            self,
            Workload::Echo | Workload::Bulk | Workload::Conns | Workload::Http
        )
    }
}

/// A runtime, with its own primitives unless the name says otherwise.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Variant {
    /// tulipa with its own primitives (`channel::mpsc`, `channel::oneshot`, `sync::*`).
    Tulipa,
    /// tulipa with async-channel, for an executor-only ping-pong comparison.
    TulipaAsyncChannel,
    /// tulipa's `queue::Queue` in the `channel` workload.
    TulipaQueue,
    /// tulipa's `future::SettableFuture` in the `oneshot` workload.
    TulipaFuture,
    /// tokio current_thread with its own primitives (`tokio::sync`).
    Tokio,
    /// tokio current_thread with async-channel, for an executor-only ping-pong comparison.
    TokioAsyncChannel,
    /// smol: async-executor's `LocalExecutor` under async-io, with async-channel,
    /// async-lock and futures-channel's oneshot.
    Smol,
    /// A hand-written `mio` readiness loop (network workloads only): the practical limit.
    Mio,
    /// tulipa's asyncio stream API (TLS workloads: `tls::open_connection`/`start_server`).
    TulipaStreams,
    /// tulipa with its tasks wrapped in `tulipa::task::unconstrained`: the cooperative
    /// budget off, to measure what it costs (and, in `starve`, what it prevents).
    TulipaUnconstrained,
}

impl Variant {
    pub const ALL: [Variant; 10] = [
        Variant::Tulipa,
        Variant::TulipaAsyncChannel,
        Variant::TulipaQueue,
        Variant::TulipaFuture,
        Variant::Tokio,
        Variant::TokioAsyncChannel,
        Variant::Smol,
        Variant::Mio,
        Variant::TulipaStreams,
        Variant::TulipaUnconstrained,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Variant::Tulipa => "tulipa",
            Variant::TulipaAsyncChannel => "tulipa+async-channel",
            Variant::TulipaQueue => "tulipa-queue",
            Variant::TulipaFuture => "tulipa-future",
            Variant::Tokio => "tokio",
            Variant::TokioAsyncChannel => "tokio+async-channel",
            Variant::Smol => "smol",
            Variant::Mio => "mio",
            Variant::TulipaStreams => "tulipa-streams",
            Variant::TulipaUnconstrained => "tulipa-unconstrained",
        }
    }

    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }
}

/// Workload sizes; the defaults are the issue's.
#[derive(Clone, Copy, Debug)]
pub struct Sizes {
    pub spawn_tasks: usize,
    pub yield_tasks: usize,
    pub yields_per_task: usize,
    pub round_trips: usize,
    pub sleepers: usize,
    /// Deadlines of the `sleeps` workload are spread over `[0, sleep_span)`; not scaled.
    pub sleep_span: Duration,
    pub timers: usize,
    /// Tasks of the `lock` and `semaphore` workloads; not scaled.
    pub lock_tasks: usize,
    pub locks_per_task: usize,
    pub channel_items: usize,
    pub oneshot_round_trips: usize,
    pub echo_connections: usize,
    /// How long the `echo` clients run (2 s, scaled, at least 0.2 s).
    pub echo_duration: Duration,
    pub bulk_bytes: usize,
    /// Connections of `conns`; not scaled.
    pub many_connections: usize,
    pub many_messages: usize,
    /// Messages of the `ws` workload: small (64 B) and large (64 KiB).
    pub ws_small: usize,
    pub ws_large: usize,
    pub tls_handshakes: usize,
    pub tls_bulk_bytes: usize,
}

impl Sizes {
    /// The sizes multiplied by `scale` (at least 1 of everything).
    pub fn scaled(scale: f64) -> Sizes {
        let s = |n: usize| ((n as f64 * scale).round() as usize).max(1);
        Sizes {
            spawn_tasks: s(1_000_000),
            yield_tasks: 100,
            yields_per_task: s(10_000),
            round_trips: s(1_000_000),
            sleepers: s(1_000_000),
            sleep_span: Duration::from_millis(1000),
            timers: s(100_000),
            lock_tasks: 100,
            locks_per_task: s(10_000),
            channel_items: s(10_000_000),
            oneshot_round_trips: s(1_000_000),
            echo_connections: net_load::ECHO_CONNECTIONS,
            echo_duration: Duration::from_secs_f64((2.0 * scale).max(0.2)),
            bulk_bytes: s(1 << 30),
            many_connections: net_load::MANY_CONNECTIONS,
            many_messages: s(net_load::MANY_MESSAGES),
            ws_small: s(200_000),
            ws_large: s(5_000),
            tls_handshakes: s(2_000),
            tls_bulk_bytes: s(256 << 20),
        }
    }
}

/// A tokio runtime as `#[tokio::main(flavor = "current_thread")]` builds it.
pub fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("could not build the tokio runtime")
}

/// A tulipa runtime with its default configuration.
pub fn tulipa_runtime() -> tulipa::Runtime {
    tulipa::Runtime::new().expect("could not build the tulipa runtime")
}

/// Spawns `future` on the current tulipa loop; with `budget` false, under
/// `tulipa::task::unconstrained` (the `tulipa-unconstrained` variant: no cooperative budget).
pub fn tulipa_spawn<F>(budget: bool, future: F) -> tulipa::JoinHandle<F::Output>
where
    F: std::future::Future + 'static,
    F::Output: 'static,
{
    if budget {
        tulipa::spawn_local(future)
    } else {
        tulipa::spawn_local(tulipa::task::unconstrained(future))
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, fast, well-mixed generator, so every
/// runtime draws the same "random" deadlines in the same order.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// The seed used by every workload.
    pub const SEED: u64 = 0x7475_6c69_7061_2121; // "tulipa!!"

    pub fn new() -> SplitMix64 {
        SplitMix64(Self::SEED)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A duration in `[0, span)` (the modulo bias is below 1e-9 for spans under 2^34 ns).
    pub fn below(&mut self, span: Duration) -> Duration {
        let span = u64::try_from(span.as_nanos()).unwrap_or(u64::MAX).max(1);
        Duration::from_nanos(self.next_u64() % span)
    }
}

/// Panics unless `sum` is `0 + 1 + ... + (n - 1)`: every task ran and returned its value.
pub fn check_sum(sum: usize, n: usize) {
    let expected = n.wrapping_mul(n.wrapping_sub(1)) / 2;
    assert_eq!(sum, expected, "a task's result went missing");
}
