//! The portable test bodies, run natively. The same files run in headless Chrome through
//! `web-tests/tests/portable.rs`; each harness defines `portable_test!` and `sim_test!` for
//! its target before including them.
//!
//! * `portable_test!` bodies run as a task on the target's real loop (`tulipa::run`
//!   natively, the page's loop in the browser), watched by a 30-second real-time watchdog
//!   (not the loop's clock, which a test may pause), so a lost wakeup fails instead of
//!   hanging.
//! * `sim_test!` bodies run on the deterministic virtual-time host (`tulipa::sim::Sim`); a
//!   deadlock fails the test with the list of stuck tasks.

// Native harness; the browser runs these bodies through web-tests/.
#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::time::Duration;

macro_rules! portable_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            crate::run_portable(async move $body);
        }
    };
}

macro_rules! sim_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[test]
        fn $name() {
            crate::run_sim(async move $body);
        }
    };
}

#[allow(dead_code)] // the harness uses `within` only
#[path = "support/mod.rs"]
mod support;

const LIMIT: Duration = Duration::from_secs(30);

fn run_portable<F: Future<Output = ()> + 'static>(body: F) {
    support::within(LIMIT, || tulipa::run(body));
}

fn run_sim<F: Future<Output = ()>>(body: F) {
    if let Err(e) = tulipa::sim::Sim::new()
        .turn_limit(50_000_000)
        .block_on(body)
    {
        panic!("simulation failed: {e}");
    }
}

#[path = "portable/calls.rs"]
mod calls;
#[path = "portable/channel.rs"]
mod channel;
#[path = "portable/combinators.rs"]
mod combinators;
#[path = "portable/coop.rs"]
mod coop;
#[path = "portable/exceptions.rs"]
mod exceptions;
#[path = "portable/future.rs"]
mod future;
#[path = "portable/queue.rs"]
mod queue;
#[path = "portable/sim.rs"]
mod sim;
#[path = "portable/streams.rs"]
mod streams;
#[path = "portable/sync.rs"]
mod sync;
#[path = "portable/taskgroup.rs"]
mod taskgroup;
#[path = "portable/tasks.rs"]
mod tasks;
#[path = "portable/time.rs"]
mod time;
#[path = "portable/ws_codec.rs"]
mod ws_codec;
