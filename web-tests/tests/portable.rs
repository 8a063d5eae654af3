//! The portable test bodies of `tests/portable/`, run in headless Chrome.
//!
//! `portable_test!` bodies run as tulipa tasks on the page's loop; the test awaits the task
//! (wasm-bindgen-test's executor polls the `JoinHandle`) raced against a 30-second watchdog
//! on the browser's own `setTimeout`, not tulipa's clock, which a test may pause.
//! `sim_test!` bodies run synchronously on `tulipa::sim::Sim`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

macro_rules! portable_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[wasm_bindgen_test::wasm_bindgen_test]
        async fn $name() {
            crate::run_portable(async move $body).await;
        }
    };
}

macro_rules! sim_test {
    ($(#[$meta:meta])* async fn $name:ident() $body:block) => {
        $(#[$meta])*
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn $name() {
            if let Err(e) = tulipa::sim::Sim::new().turn_limit(50_000_000).block_on(async move $body) {
                panic!("simulation failed: {e}");
            }
        }
    };
}

const LIMIT_MS: f64 = 30_000.0;

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> wasm_bindgen::JsValue;
}

/// Resolves after `ms` of real time, on the browser's clock.
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

async fn run_portable<F: Future<Output = ()> + 'static>(body: F) {
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

#[path = "../../tests/portable/calls.rs"]
mod calls;
#[path = "../../tests/portable/sim.rs"]
mod sim;
#[path = "../../tests/portable/tasks.rs"]
mod tasks;
#[path = "../../tests/portable/time.rs"]
mod time;
