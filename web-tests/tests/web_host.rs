//! Browser-only behaviour of the web backend, in headless Chrome: yielding to macrotasks
//! under load, JS promises as futures and tasks as promises.

// These tests need tulipa's web backend (wasm32 only); natively this binary is empty.
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Error, Promise};
use tulipa::web::{spawn_promise, PromiseFuture};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
}

/// A promise that resolves with `value` after `ms` on the browser's clock.
fn later(ms: f64, value: JsValue) -> Promise {
    Promise::new(&mut |resolve, _| {
        let value = value.clone();
        let f = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::UNDEFINED, &value);
        });
        set_timeout(f.unchecked_ref(), ms);
    })
}

#[wasm_bindgen_test]
async fn web_busy_tasks_still_let_macrotasks_run() {
    // 50 tasks that only ever yield keep the loop busy. A `setTimeout(0)` callback is a
    // macrotask: it can run only if the loop gives the event loop back, which it must do
    // after each 5 ms slice. The tasks stop when they see the callback has run.
    let seen = Rc::new(Cell::new(false));
    let s = seen.clone();
    let on_timeout = Closure::once_into_js(move || s.set(true));
    set_timeout(on_timeout.unchecked_ref(), 0.0);
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let seen = seen.clone();
        tasks.push(tulipa::spawn_local(async move {
            let mut yields = 0u64;
            while !seen.get() {
                assert!(yields < 5_000_000, "the loop never yielded to a macrotask");
                yields += 1;
                tulipa::yield_now().await;
            }
            yields
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap();
    }
    assert!(seen.get());
    assert!(total > 0, "the tasks were running when the macrotask ran");
}

#[wasm_bindgen_test]
async fn web_promise_future_gives_value_or_reason() {
    let v = PromiseFuture::new(Promise::resolve(&JsValue::from(7)))
        .await
        .unwrap();
    assert_eq!(v.as_f64(), Some(7.0));
    let e = PromiseFuture::new(Promise::reject(&JsValue::from_str("no")))
        .await
        .unwrap_err();
    assert_eq!(e.as_string().as_deref(), Some("no"));
    let delayed = PromiseFuture::new(later(5.0, JsValue::from_str("late")))
        .await
        .unwrap();
    assert_eq!(delayed.as_string().as_deref(), Some("late"));
}

#[wasm_bindgen_test]
async fn web_promise_future_inside_a_tulipa_task() {
    let t = tulipa::spawn_local(async {
        let v = PromiseFuture::new(later(3.0, JsValue::from(1)))
            .await
            .unwrap();
        v.as_f64().unwrap() + 1.0
    });
    assert_eq!(t.await.unwrap(), 2.0);
}

#[wasm_bindgen_test]
async fn web_spawn_promise_fulfils_and_rejects() {
    let ok = spawn_promise(async {
        tulipa::sleep(std::time::Duration::from_millis(2)).await;
        Ok(JsValue::from_str("done"))
    });
    let v = PromiseFuture::new(ok).await.unwrap();
    assert_eq!(v.as_string().as_deref(), Some("done"));
    let err = spawn_promise(async { Err(JsValue::from(Error::new("failed on purpose"))) });
    let e = PromiseFuture::new(err).await.unwrap_err();
    let e: Error = e.dyn_into().unwrap();
    assert_eq!(String::from(e.message()), "failed on purpose");
}

#[wasm_bindgen_test]
async fn web_spawn_blocking_runs_on_a_later_macrotask() {
    let ran = Rc::new(Cell::new(false));
    let job = tulipa::spawn_blocking(|| 6 * 7);
    let r = ran.clone();
    let probe = tulipa::spawn_local(async move {
        tulipa::yield_now().await;
        r.set(true);
    });
    assert_eq!(job.await.unwrap(), 42);
    probe.await.unwrap();
    assert!(ran.get());
}
