//! The browser half of the WebSocket benchmark: `run(url, n, size)` sends `n` binary messages
//! of `size` bytes to an echo server and resolves with messages/s once every echo is back.
//! Two builds of the same export: `--features tulipa-ws` (the `tulipa::ws` client) and
//! `--features plain` (the host's WebSocket through web-sys, awaited with
//! wasm-bindgen-futures: what a hand-written client looks like). `bench.mjs` builds and runs
//! both in headless Chromium and reports rates and module sizes.

#[cfg(all(target_arch = "wasm32", feature = "tulipa-ws"))]
mod with_tulipa {
    use js_sys::Promise;
    use tulipa::ws::{self, Message, Options};
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    pub fn run(url: String, n: u32, size: u32) -> Promise {
        tulipa::web::spawn_promise(async move {
            let err = |e: ws::Error| JsValue::from_str(&e.to_string());
            let o = Options {
                recv_limit: 64 << 20,
                ..Options::default()
            };
            let (tx, mut rx) = ws::connect_with(&url, o).await.map_err(err)?.split();
            let start = js_sys::Date::now();
            let writer = tulipa::spawn_local(async move {
                let payload = vec![0x5Au8; size as usize];
                for _ in 0..n {
                    tx.send(payload.clone()).await?;
                }
                Ok::<_, ws::Error>(tx)
            });
            for _ in 0..n {
                match rx.recv().await.map_err(err)? {
                    Message::Binary(b) if b.len() == size as usize => {}
                    other => return Err(JsValue::from_str(&format!("bad echo {other:?}"))),
                }
            }
            let secs = (js_sys::Date::now() - start) / 1e3;
            let tx = writer
                .await
                .map_err(|e| JsValue::from_str(&e.to_string()))?
                .map_err(err)?;
            let _ = tx.close(1000, "").await;
            Ok(JsValue::from_f64(f64::from(n) / secs))
        })
    }
}

#[cfg(all(target_arch = "wasm32", feature = "plain"))]
mod plain {
    use std::cell::RefCell;
    use std::rc::Rc;

    use js_sys::{ArrayBuffer, Promise, Uint8Array};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen::JsCast;
    use web_sys::{BinaryType, MessageEvent, WebSocket};

    #[wasm_bindgen]
    pub fn run(url: String, n: u32, size: u32) -> Promise {
        wasm_bindgen_futures::future_to_promise(async move {
            let socket = WebSocket::new(&url)?;
            socket.set_binary_type(BinaryType::Arraybuffer);
            // Open.
            let opened = Promise::new(&mut |resolve, reject| {
                socket.set_onopen(Some(&resolve));
                socket.set_onerror(Some(&reject));
            });
            wasm_bindgen_futures::JsFuture::from(opened).await?;
            // Count the echoes; resolve when all are back.
            let received = Rc::new(RefCell::new(0u32));
            let done = Promise::new(&mut |resolve, reject| {
                let received = received.clone();
                let on_message =
                    Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
                        let ok = ev
                            .data()
                            .dyn_ref::<ArrayBuffer>()
                            .is_some_and(|b| Uint8Array::new(b).length() == size);
                        if !ok {
                            let _ = reject.call1(&JsValue::NULL, &"bad echo".into());
                            return;
                        }
                        let mut r = received.borrow_mut();
                        *r += 1;
                        if *r == n {
                            let _ = resolve.call0(&JsValue::NULL);
                        }
                    });
                socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
                on_message.forget();
            });
            let start = js_sys::Date::now();
            let payload = vec![0x5Au8; size as usize];
            for _ in 0..n {
                socket.send_with_u8_array(&payload)?;
            }
            wasm_bindgen_futures::JsFuture::from(done).await?;
            let secs = (js_sys::Date::now() - start) / 1e3;
            socket.close()?;
            Ok(JsValue::from_f64(f64::from(n) / secs))
        })
    }
}
