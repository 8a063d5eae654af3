//! The harness shared by the wasm test binaries that run the portable test bodies of
//! `../../tests/portable/` (`portable.rs` in headless Chrome, `node.rs` under Node.js).
//!
//! Each binary declares `#[macro_use] mod common;` before including the bodies, so
//! `portable_test!` and `sim_test!` are in scope for them.
//!
//! * `portable_test!` bodies run as tulipa tasks on the page's (or Node's) loop; the test
//!   awaits the task (wasm-bindgen-test's executor polls the `JoinHandle`) raced against a
//!   30-second watchdog on the host's own `setTimeout`, not tulipa's clock, which a test may
//!   pause.
//! * `sim_test!` bodies run synchronously on `tulipa::sim::Sim`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

macro_rules! portable_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn $name() {
            crate::common::run_portable(async move $body).await;
        }
    };
}

macro_rules! sim_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn $name() {
            crate::common::run_sim(async move $body);
        }
    };
}

const LIMIT_MS: f64 = 30_000.0;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> wasm_bindgen::JsValue;
}

/// Resolves after `ms` of real time, on the host's clock.
fn watchdog(ms: f64) -> tulipa::web::PromiseFuture {
    let p = js_sys::Promise::new(&mut |resolve, _| {
        set_timeout(&resolve, ms);
    });
    tulipa::web::PromiseFuture::new(p)
}

/// Whichever of two futures finishes first.
struct First<A, B>(Pin<Box<A>>, Pin<Box<B>>);

impl<A: Future, B: Future> Future for First<A, B> {
    type Output = Result<A::Output, B::Output>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Poll::Ready(v) = self.0.as_mut().poll(cx) {
            return Poll::Ready(Ok(v));
        }
        self.1.as_mut().poll(cx).map(Err)
    }
}

/// Runs `body` as a task on the host's loop, failing the test if it panics or is still
/// running after [`LIMIT_MS`].
pub async fn run_portable<F: Future<Output = ()> + 'static>(body: F) {
    let task = tulipa::spawn_local(body);
    let outcome = First(Box::pin(task), Box::pin(watchdog(LIMIT_MS))).await;
    // One loop serves the whole page: undo a test's `time::pause()` for the next test.
    tulipa::time::resume();
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("test task failed: {e}"),
        Err(_) => panic!("test still running after {LIMIT_MS} ms: a wakeup was lost or it hangs"),
    }
}

/// Runs `body` on the deterministic virtual-time host; a deadlock or livelock fails the test.
pub fn run_sim<F: Future<Output = ()>>(body: F) {
    if let Err(e) = tulipa::sim::Sim::new()
        .turn_limit(50_000_000)
        .block_on(body)
    {
        panic!("simulation failed: {e}");
    }
}
