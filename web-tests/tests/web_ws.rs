//! `tulipa::ws` in headless Chrome against the native echo server
//! (`examples/ws_echo_server.rs`), which `scripts/test.sh` starts on loopback around the
//! browser legs and stops afterwards. Its URL is fixed at compile time:
//! `TULIPA_WS_ECHO_URL` (default `ws://127.0.0.1:9301`).
//!
//! Browser only: Node 20 has no stable global `WebSocket`.

// These tests need tulipa's web backend (wasm32 only); natively this binary is empty.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use tulipa::ws::{self, Error, HandshakeError, Message, Options};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[macro_use]
#[allow(unused_macros, dead_code)]
mod common;

const BASE: &str = match option_env!("TULIPA_WS_ECHO_URL") {
    Some(u) => u,
    None => "ws://127.0.0.1:9301",
};

fn url(path: &str) -> String {
    format!("{BASE}{path}")
}

async fn open(path: &str) -> ws::WebSocket {
    ws::connect(&url(path))
        .await
        .unwrap_or_else(|e| panic!("is the echo server running at {BASE}? {e}"))
}

#[wasm_bindgen_test]
async fn web_ws_text_and_binary_echo() {
    common::run_portable(async {
        let mut c = open("/").await;
        c.send("héllo from the browser").await.unwrap();
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Text("héllo from the browser".into())
        );
        c.send(vec![0u8, 1, 254, 255]).await.unwrap();
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Binary(vec![0, 1, 254, 255])
        );
        c.send(Message::Text(String::new())).await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Text(String::new()));
        c.close(1000, "done").await.unwrap();
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_one_mebibyte_messages() {
    common::run_portable(async {
        let o = Options {
            recv_limit: 4 << 20,
            ..Options::default()
        };
        let mut c = ws::connect_with(&url("/"), o).await.unwrap();
        let big: Vec<u8> = (0..1 << 20).map(|i| (i * 31 % 256) as u8).collect();
        c.send(big.clone()).await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Binary(big));
        let text = "ü".repeat(1 << 19);
        c.send(text.clone()).await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Text(text));
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_client_close_code_then_sends_fail() {
    common::run_portable(async {
        let mut c = open("/").await;
        // 1001 is valid on the wire but browsers forbid it from script: a typed error.
        assert!(matches!(
            c.close(1001, "").await,
            Err(Error::InvalidClose(1001))
        ));
        c.close(4000, "browser done").await.unwrap();
        // The server echoed the code.
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Close {
                code: 4000,
                reason: String::new()
            }
        );
        assert!(matches!(c.send("late").await, Err(Error::ConnectionClosed)));
        assert!(matches!(c.recv().await, Err(Error::ConnectionClosed)));
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_server_initiated_close_with_code_and_reason() {
    common::run_portable(async {
        let mut c = open("/").await;
        c.send("close:4321:server says bye").await.unwrap();
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Close {
                code: 4321,
                reason: "server says bye".into()
            }
        );
        assert!(matches!(c.recv().await, Err(Error::ConnectionClosed)));
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_server_going_away_is_an_error_not_a_hang() {
    common::run_portable(async {
        let mut c = open("/").await;
        c.send("goaway").await.unwrap();
        let e = c.recv().await.unwrap_err();
        assert!(matches!(e, Error::ConnectionLost), "{e}");
        assert!(c.send("x").await.is_err());
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_refused_connection_and_bad_url_are_typed_errors() {
    common::run_portable(async {
        assert!(matches!(
            ws::connect("http://127.0.0.1/").await,
            Err(Error::InvalidUrl(_))
        ));
        // Port 9 (discard) has no server on loopback here.
        let e = ws::connect("ws://127.0.0.1:9/").await.unwrap_err();
        assert!(
            matches!(e, Error::Handshake(HandshakeError::Refused)),
            "{e}"
        );
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_send_flow_control_under_a_slow_server() {
    common::run_portable(async {
        const MSG: usize = 256 * 1024;
        const HIGH: usize = 512 * 1024;
        let o = Options {
            recv_limit: 16 << 20,
            ..Options::default()
        };
        let (tx, mut rx) = ws::connect_with(&url("/slow"), o).await.unwrap().split();
        tx.set_write_buffer_limits(HIGH, 128 * 1024);
        let mut max_seen = 0;
        let n = 24;
        for i in 0..n {
            tx.send(vec![i as u8; MSG]).await.unwrap();
            let b = tx.buffered_amount();
            max_seen = max_seen.max(b);
            assert!(
                b <= HIGH + MSG,
                "buffered {b} after a send: the watermark did not hold"
            );
        }
        assert!(
            max_seen > HIGH,
            "the slow server never made sends wait ({max_seen})"
        );
        for i in 0..n {
            assert_eq!(
                rx.recv().await.unwrap(),
                Message::Binary(vec![i as u8; MSG])
            );
        }
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_receive_buffer_limit_is_a_typed_error() {
    common::run_portable(async {
        let o = Options {
            recv_limit: 64 * 1024,
            ..Options::default()
        };
        let c = ws::connect_with(&url("/"), o).await.unwrap();
        c.send("flood:64:4096").await.unwrap();
        // Nothing is received, so the queue passes its limit; sends then fail with the error.
        let e = tulipa::time::timeout(Duration::from_secs(10), async {
            loop {
                match c.send(Message::Binary(Vec::new())).await {
                    Err(e) => break e,
                    Ok(()) => tulipa::sleep(Duration::from_millis(10)).await,
                }
            }
        })
        .await
        .expect("the receive limit was never reported");
        assert!(matches!(e, Error::ReceiveBufferFull(65536)), "{e}");
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_split_halves_in_separate_tasks() {
    common::run_portable(async {
        let (tx, mut rx) = open("/").await.split();
        let writer = tulipa::spawn_local(async move {
            for i in 0..50u32 {
                tx.send(format!("n{i}")).await.unwrap();
            }
            tx
        });
        for i in 0..50u32 {
            assert_eq!(rx.recv().await.unwrap(), Message::Text(format!("n{i}")));
        }
        writer.await.unwrap().close(1000, "").await.unwrap();
    })
    .await;
}

#[wasm_bindgen_test]
async fn web_ws_subprotocol_is_negotiated() {
    common::run_portable(async {
        let o = Options {
            protocols: vec!["nope".into(), "tulipa-echo".into()],
            ..Options::default()
        };
        let mut c = ws::connect_with(&url("/"), o).await.unwrap();
        assert_eq!(c.protocol().as_deref(), Some("tulipa-echo"));
        c.send("with a subprotocol").await.unwrap();
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Text("with a subprotocol".into())
        );
        assert_eq!(open("/").await.protocol(), None);
    })
    .await;
}
