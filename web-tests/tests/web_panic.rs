//! A panic in a task on the web: the report names the task and where it was spawned, the
//! loop refuses further work, and promises waiting on it are rejected instead of hanging.
//! Alone in its own test binary: after the panic this page's loop is stopped for good.

// These tests need tulipa's web backend (wasm32 only); natively this binary is empty.
#![cfg(target_arch = "wasm32")]

use tulipa::web::{spawn_promise, PromiseFuture};
use wasm_bindgen::prelude::*;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn web_panic_poisons_the_loop_and_rejects_promises() {
    // Pending: it waits on a sleep that will never be served once the loop stops.
    let waiting = spawn_promise(async {
        tulipa::sleep(std::time::Duration::from_secs(3600)).await;
        Ok(JsValue::NULL)
    });
    // The spawn location is the line of the `spawn_local` call itself, so take `line!()` just
    // above it rather than above a method chain that rustfmt may split.
    let builder = tulipa::task::Builder::new().name("doomed");
    let line = line!() + 1;
    let doomed = builder.spawn_local(async {
        panic!("deliberate failure");
    });
    doomed.detach();
    let reason = PromiseFuture::new(waiting).await.unwrap_err();
    let message = String::from(reason.dyn_into::<js_sys::Error>().unwrap().message());
    assert!(message.contains("'doomed'"), "{message}");
    assert!(
        message.contains(&format!("web_panic.rs:{line}")),
        "{message}"
    );
    assert!(message.contains("deliberate failure"), "{message}");
    // Later work is refused with the same clear error, at once.
    let refused = PromiseFuture::new(spawn_promise(async { Ok(JsValue::TRUE) }))
        .await
        .unwrap_err();
    let refused = String::from(refused.dyn_into::<js_sys::Error>().unwrap().message());
    assert!(refused.contains("'doomed'"), "{refused}");
}
