//! The browser WebSocket behind `tulipa::ws`: the host's `WebSocket` (web-sys), fed into the
//! same `Shared` state the native driver uses, so `WebSocket` and its errors are identical.
//!
//! The host's callbacks (open, message, close) push into `Shared`; a driver task moves
//! queued sends into `WebSocket.send` and polls `bufferedAmount` every
//! `BROWSER_POLL_INTERVAL` while it is non-zero (the browser has no drain event).

use std::cell::RefCell;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Poll, Waker};

use js_sys::{ArrayBuffer, Uint8Array};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{BinaryType, CloseEvent, MessageEvent};

use crate::ws::conn::Shared;
use crate::ws::{
    close_code, Error, HandshakeError, Message, Options, WebSocket, WsUrl, BROWSER_POLL_INTERVAL,
};

/// The browser's default high watermark (low: a quarter of it).
const BROWSER_HIGH: usize = 1 << 20;

/// The codes `WebSocket.close()` accepts from script.
fn browser_sendable(code: u16) -> bool {
    code == close_code::NORMAL || (3000..=4999).contains(&code)
}

#[derive(Default)]
struct Opening {
    opened: Option<bool>,
    waker: Option<Waker>,
}

/// The host callbacks, kept alive by the driver until the connection ends.
struct Callbacks {
    _open: Closure<dyn FnMut()>,
    _message: Closure<dyn FnMut(MessageEvent)>,
    _close: Closure<dyn FnMut(CloseEvent)>,
}

/// Opens a WebSocket to `url` with the browser's `WebSocket`.
///
/// # Errors
///
/// [`Error::InvalidUrl`]; [`Error::Handshake`] with [`HandshakeError::Refused`] if the
/// browser could not open it (it gives no reason), or `Timeout`.
///
/// # Cancel safety
///
/// Safe: a connection still opening is closed.
pub async fn connect(url: &str) -> Result<WebSocket, Error> {
    connect_with(url, Options::default()).await
}

/// [`connect`] with options (`recv_limit` and `handshake_timeout` apply in the browser;
/// `headers` and `config` do not, see the table in `tulipa::ws`).
///
/// # Errors
///
/// As [`connect`].
///
/// # Cancel safety
///
/// Safe: a connection still opening is closed.
pub async fn connect_with(url: &str, options: Options) -> Result<WebSocket, Error> {
    WsUrl::parse(url)?;
    let socket = if options.protocols.is_empty() {
        web_sys::WebSocket::new(url)
    } else {
        let list = js_sys::Array::new();
        for p in &options.protocols {
            list.push(&wasm_bindgen::JsValue::from_str(p));
        }
        web_sys::WebSocket::new_with_str_sequence(url, &list)
    }
    .map_err(|e| Error::InvalidUrl(format!("{url}: {}", js_message(&e))))?;
    socket.set_binary_type(BinaryType::Arraybuffer);
    // Closes the socket if this future is dropped before it is handed to a driver.
    struct Guard(Option<web_sys::WebSocket>);
    impl Drop for Guard {
        fn drop(&mut self) {
            if let Some(s) = self.0.take() {
                s.set_onopen(None);
                s.set_onmessage(None);
                s.set_onclose(None);
                let _ = s.close();
            }
        }
    }
    let mut guard = Guard(Some(socket.clone()));

    let shared = Shared::new();
    shared.set_recv_limit(options.recv_limit);
    shared.set_close_rule(browser_sendable, close_code::NORMAL);
    // `bufferedAmount` is only seen every BROWSER_POLL_INTERVAL, so the window between the
    // watermarks bounds throughput at (high - low) / interval: the browser's defaults are
    // larger than the native ones (see the table in `tulipa::ws`).
    shared.set_limits(BROWSER_HIGH, BROWSER_HIGH / 4);
    let opening = Rc::new(RefCell::new(Opening::default()));

    let on_open = {
        let opening = opening.clone();
        Closure::<dyn FnMut()>::new(move || {
            let w = {
                let mut o = opening.borrow_mut();
                o.opened = Some(true);
                o.waker.take()
            };
            if let Some(w) = w {
                w.wake();
            }
        })
    };
    let on_message = {
        let shared = shared.clone();
        let socket = socket.clone();
        let limit = options.recv_limit;
        Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
            let data = ev.data();
            let msg = if let Some(s) = data.as_string() {
                Message::Text(s)
            } else if let Some(buf) = data.dyn_ref::<ArrayBuffer>() {
                Message::Binary(Uint8Array::new(buf).to_vec())
            } else {
                return; // binaryType is arraybuffer: no Blobs arrive
            };
            shared.push_incoming(msg, false);
            // The browser cannot stop reading: past the limit, fail instead of growing.
            if shared.incoming_bytes() > limit {
                let _ = socket.close_with_code_and_reason(
                    close_code::RECEIVE_BUFFER_FULL,
                    "receive buffer full",
                );
                shared.finish(Err(Error::ReceiveBufferFull(limit)));
            }
        })
    };
    let on_close = {
        let shared = shared.clone();
        let opening = opening.clone();
        Closure::<dyn FnMut(CloseEvent)>::new(move |ev: CloseEvent| {
            let w = {
                let mut o = opening.borrow_mut();
                if o.opened.is_none() {
                    o.opened = Some(false);
                }
                o.waker.take()
            };
            if let Some(w) = w {
                w.wake();
            }
            if shared.is_ended() {
                // Already ended (the receive limit): that error stands.
            } else if ev.code() == close_code::ABNORMAL || (!ev.was_clean() && ev.code() != 1000) {
                shared.finish(Err(Error::ConnectionLost));
            } else {
                shared.push_incoming(
                    Message::Close {
                        code: ev.code(),
                        reason: ev.reason(),
                    },
                    false,
                );
                shared.finish(Ok(()));
            }
        })
    };
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

    let wait_open = poll_fn(|cx| {
        let mut o = opening.borrow_mut();
        match o.opened {
            Some(ok) => Poll::Ready(ok),
            None => {
                o.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    });
    match crate::time::timeout(options.handshake_timeout, wait_open).await {
        Ok(true) => {}
        Ok(false) => return Err(Error::Handshake(HandshakeError::Refused)),
        Err(_) => return Err(Error::Handshake(HandshakeError::Timeout)),
    }
    guard.0 = None;
    let chosen = socket.protocol();
    shared.set_protocol((!chosen.is_empty()).then_some(chosen));
    let ws = WebSocket::from_shared(shared.clone());
    let callbacks = Callbacks {
        _open: on_open,
        _message: on_message,
        _close: on_close,
    };
    crate::spawn_local(drive(socket, shared, callbacks)).detach();
    Ok(ws)
}

/// Moves queued sends into the browser and tracks `bufferedAmount` until the connection
/// ends; then drops the callbacks.
async fn drive(socket: web_sys::WebSocket, shared: Arc<Shared>, callbacks: Callbacks) {
    let mut out = Vec::new();
    let mut tick: Option<Pin<Box<crate::time::Sleep>>> = None;
    poll_fn(|cx| {
        // At most two rounds: a timer that fired is re-armed once, then we wait.
        for _ in 0..2 {
            shared.driver_take(cx.waker(), &mut out);
            if shared.abort_requested() && out.is_empty() {
                let _ = socket.close();
            }
            for m in out.drain(..) {
                let sent = match &m {
                    Message::Text(t) => socket.send_with_str(t),
                    Message::Binary(b) => socket.send_with_u8_array(b),
                    Message::Close { code, reason } => {
                        socket.close_with_code_and_reason(*code, reason)
                    }
                };
                if let Err(e) = sent {
                    crate::sys::console_error(&format!(
                        "tulipa::ws: WebSocket.send failed: {}",
                        js_message(&e)
                    ));
                }
            }
            if shared.is_ended() {
                return Poll::Ready(());
            }
            let buffered = socket.buffered_amount() as usize;
            shared.set_backend_buffered(buffered);
            if buffered == 0 {
                tick = None;
                return Poll::Pending;
            }
            let t = tick.get_or_insert_with(|| Box::pin(crate::time::sleep(BROWSER_POLL_INTERVAL)));
            if t.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            tick = None;
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    })
    .await;
    socket.set_onopen(None);
    socket.set_onmessage(None);
    socket.set_onclose(None);
    drop(callbacks);
}

fn js_message(v: &wasm_bindgen::JsValue) -> String {
    v.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| v.as_string())
        .unwrap_or_else(|| format!("{v:?}"))
}
