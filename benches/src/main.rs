//! Side-by-side benchmarks of tulipa against tokio (current_thread) and smol (LocalExecutor).
//!
//! ```text
//! cargo run --release -p tulipa-benches                   # everything, 5 rounds
//! cargo run --release -p tulipa-benches -- --rounds 3 spawn pingpong
//! cargo run --release -p tulipa-benches -- --help
//! ```
//!
//! # Method
//!
//! * **Single-threaded runtimes, each used the way its users use it.** tulipa: a
//!   [`tulipa::Runtime`] driven by `block_on`, tasks from `tulipa::spawn_local`. tokio: a
//!   `current_thread` runtime built with `enable_all()` (what
//!   `#[tokio::main(flavor = "current_thread")]` builds, so it has an I/O driver like the
//!   other two), tasks from `tokio::spawn`. smol: `async_executor::LocalExecutor` run under
//!   `async_io::block_on`, timers from `async_io::Timer` (exactly what `smol` re-exports).
//! * **One fresh process per measurement.** The parent re-executes its own binary with
//!   hidden arguments for every (round, workload, runtime). The child reads its peak resident
//!   set (`VmHWM` in `/proc/self/status`) before it builds the runtime and again after the
//!   workload; the difference is the workload's peak RSS. A fresh process means no runtime
//!   sees another's heap, allocator caches or warmed-up page tables.
//! * **Network workloads in three processes.** For `echo` and `bulk` the child is a neutral
//!   load generator (blocking `std::net` sockets on OS threads) and starts the echo server
//!   as a process of its own (`__server VARIANT`); the server's CPU time comes from
//!   `/proc/<pid>/stat`. A hand-written mio loop runs beside the three runtimes as the
//!   practical limit. See [`workloads::net_load`] and [`workloads::net_server`].
//! * **Interleaved rounds.** Every round runs every workload on every runtime, one after the
//!   other, starting with a different runtime each round; a burst of noise on this shared
//!   machine then lands on all runtimes alike instead of on one. The table reports the
//!   median over rounds.
//! * **Ratios read the same way everywhere:** greater than 1 means better than tokio. For a
//!   rate that is `x / tokio`; for a cost (bytes, milliseconds) it is `tokio / x`.
//! * Timings start inside the runtime, after it was built, and end when the work is joined.
//!   Every workload checks its own result (sums, counts), and the values pass through
//!   [`std::hint::black_box`] so the optimiser cannot remove the work.
//!
//! The workloads themselves are described in [`workloads`].

mod child;
mod cli;
mod parent;
mod report;
mod workloads;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(child::CHILD_FLAG) {
        child::main(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some(workloads::net_server::SERVER_FLAG) {
        workloads::net_server::main(&args[1..]);
        return;
    }
    if args.first().map(String::as_str) == Some(workloads::http::HTTP_SERVER_FLAG) {
        workloads::http::server_main(&args[1..]);
        return;
    }
    let options = match cli::Options::parse(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\n\n{}", cli::USAGE);
            std::process::exit(2);
        }
    };
    if options.help {
        println!("{}", cli::USAGE);
        return;
    }
    parent::main(&options);
}
