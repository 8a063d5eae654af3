//! The browser side: `join(url, name, onLine)` resolves to a `Chat` whose `say` sends a line;
//! every received line is passed to `onLine`. The page (index.html) does the DOM.

use js_sys::{Function, Promise};
use tulipa::web::spawn_promise;
use wasm_bindgen::prelude::*;

use crate::client;

/// A joined chat, for JavaScript.
#[wasm_bindgen]
pub struct Chat {
    out: client::Outgoing,
}

#[wasm_bindgen]
impl Chat {
    /// Sends a line (in the background; errors go to the console).
    pub fn say(&self, line: String) {
        let out = self.out.clone();
        tulipa::spawn_local(async move {
            if let Err(e) = out.say(&line).await {
                web_error(&format!("chat: send failed: {e}"));
            }
        })
        .detach();
    }

    /// Leaves the chat.
    pub fn leave(&self) -> Promise {
        let out = self.out.clone();
        spawn_promise(async move {
            out.leave()
                .await
                .map(|()| JsValue::UNDEFINED)
                .map_err(|e| JsValue::from_str(&e.to_string()))
        })
    }
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = console, js_name = error)]
    fn web_error(s: &str);
}

/// Joins the chat at `url` as `name`; `on_line(line)` is called for every line received,
/// and `on_line(null)` once the connection ends.
#[wasm_bindgen]
pub fn join(url: String, name: String, on_line: Function) -> Promise {
    spawn_promise(async move {
        let (out, mut incoming) = client::join(&url, &name)
            .await
            .map_err(|e| JsValue::from_str(&e.to_string()))?;
        tulipa::spawn_local(async move {
            while let Some(line) = incoming.next().await {
                let _ = on_line.call1(&JsValue::NULL, &JsValue::from_str(&line));
            }
            let _ = on_line.call1(&JsValue::NULL, &JsValue::NULL);
        })
        .detach();
        Ok(Chat { out }.into())
    })
}
