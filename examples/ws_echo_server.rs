//! A WebSocket echo server on loopback, for the browser tests (`scripts/test.sh` starts it
//! around the Chrome legs) and for trying `tulipa::ws` by hand:
//!
//!     cargo run --example ws_echo_server -- 127.0.0.1:9301
//!
//! Paths: `/` echoes every message; `/slow` reads one message every 20 ms (a slow server,
//! for flow control). Text commands: `close:CODE:REASON` (the server closes with that code),
//! `goaway` (the server drops the connection without a close frame), `flood:N:SIZE` (the
//! server sends N binary messages of SIZE bytes). It supports the subprotocol
//! `tulipa-echo`. It prints `listening on ADDR` when ready and stops by itself after an
//! hour.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // The server is native-only: a page cannot listen.
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::time::Duration;

    use tulipa::net::TcpListener;
    use tulipa::ws::{self, Message, Options};

    pub fn main() {
        let addr = std::env::args()
            .nth(1)
            .unwrap_or_else(|| "127.0.0.1:9301".to_owned());
        tulipa::run(async move {
            let listener = TcpListener::bind(addr.as_str()).await.expect("bind");
            let mut options = Options::default();
            options.config.max_message_size = 8 << 20;
            options.protocols = vec!["tulipa-echo".into()];
            let server = ws::serve_with(listener, options, |req, ws| handle(req.path, ws));
            println!("listening on {}", server.local_addr());
            tulipa::sleep(Duration::from_secs(3600)).await;
        });
    }

    async fn handle(path: String, mut ws: ws::WebSocket) {
        let slow = path == "/slow";
        loop {
            if slow {
                tulipa::sleep(Duration::from_millis(20)).await;
            }
            let msg = match ws.recv().await {
                Ok(m) => m,
                Err(_) => return,
            };
            match msg {
                Message::Text(t) if t.starts_with("close:") => {
                    let mut parts = t.splitn(3, ':').skip(1);
                    let code = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1000);
                    let reason = parts.next().unwrap_or("").to_owned();
                    let _ = ws.close(code, &reason).await;
                    return;
                }
                Message::Text(t) if t == "goaway" => {
                    ws.abort();
                    return;
                }
                Message::Text(t) if t.starts_with("flood:") => {
                    let mut parts = t.splitn(3, ':').skip(1);
                    let n: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
                    let size: usize = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
                    for _ in 0..n {
                        if ws.send(vec![0xAB; size]).await.is_err() {
                            return;
                        }
                    }
                }
                Message::Close { .. } => return,
                m => {
                    if ws.send(m).await.is_err() {
                        return;
                    }
                }
            }
        }
    }
}
