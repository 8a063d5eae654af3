//! The native backend: a mio `Poll` parks the loop's thread between turns; a thread pool runs
//! blocking work.

pub(crate) mod net;
mod pool;
pub(crate) mod process;
pub(crate) mod reactor;
mod runtime;
pub(crate) mod signal;
pub(crate) mod sigpipe;
pub(crate) mod tls;
pub(crate) mod transport;
pub(crate) mod ws;

use std::sync::OnceLock;

use crate::time::Instant;

pub(crate) use pool::spawn_blocking;
pub use runtime::{run, Builder, Runtime};

/// Native threads have no ambient loop: a loop is current only inside `block_on` or `run`.
pub(crate) fn ambient_loop() -> Option<std::rc::Rc<crate::scheduler::Local>> {
    None
}

/// Where the default exception handler writes: stderr.
pub(crate) fn print_error(text: &str) {
    eprintln!("{text}");
}

/// Nanoseconds since the first time the process asked tulipa for the time.
pub(crate) fn now() -> Instant {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(std::time::Instant::now);
    Instant::from_nanos(u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX))
}
