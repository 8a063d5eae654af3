//! `ws`: WebSocket messages per second over loopback, client and server of the same library
//! in one single-threaded runtime: tulipa's `ws` at both ends vs tokio-tungstenite at both
//! ends (on tokio current_thread). The client's writer task sends `n` binary messages of
//! `size` bytes, pipelined (each library's own flow control bounds what is in flight); the
//! server echoes each; the client's reader task checks the length of every echo. Timed from
//! the first send to the last echo, after the handshake.

use std::time::{Duration, Instant};

use super::{tokio_runtime, tulipa_runtime};

pub fn tulipa(n: usize, size: usize) -> Duration {
    use tulipa::ws::{self, Message};
    let rt = tulipa_runtime();
    rt.block_on(async move {
        let l = tulipa::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", l.local_addr().unwrap());
        let mut opts = ws::Options::default();
        opts.config.max_message_size = 1 << 20;
        let _server = ws::serve_with(l, opts, |_req, mut ws: ws::WebSocket| async move {
            while let Ok(m @ Message::Binary(_)) = ws.recv().await {
                if ws.send(m).await.is_err() {
                    return;
                }
            }
        });
        let (tx, mut rx) = ws::connect(&url).await.unwrap().split();
        let start = Instant::now();
        let writer = tulipa::spawn_local(async move {
            let payload = vec![0x5Au8; size];
            for _ in 0..n {
                tx.send(payload.clone()).await.unwrap();
            }
            tx
        });
        for _ in 0..n {
            match rx.recv().await.unwrap() {
                Message::Binary(b) => assert_eq!(b.len(), size),
                other => panic!("unexpected {other:?}"),
            }
        }
        let elapsed = start.elapsed();
        let tx = writer.await.unwrap();
        tx.close(1000, "").await.unwrap();
        elapsed
    })
}

pub fn tokio(n: usize, size: usize) -> Duration {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let rt = tokio_runtime();
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::task::spawn_local(async move {
            loop {
                let (tcp, _) = l.accept().await.unwrap();
                tcp.set_nodelay(true).unwrap();
                tokio::task::spawn_local(async move {
                    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
                    while let Some(Ok(m)) = ws.next().await {
                        if m.is_binary() && ws.send(m).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        tcp.set_nodelay(true).unwrap();
        let (ws, _) = tokio_tungstenite::client_async(format!("ws://{addr}/"), tcp)
            .await
            .unwrap();
        let (mut tx, mut rx) = ws.split();
        let start = Instant::now();
        let writer = tokio::task::spawn_local(async move {
            let payload = vec![0x5Au8; size];
            for _ in 0..n {
                tx.send(Message::binary(payload.clone())).await.unwrap();
            }
            tx
        });
        for _ in 0..n {
            match rx.next().await.unwrap().unwrap() {
                Message::Binary(b) => assert_eq!(b.len(), size),
                other => panic!("unexpected {other:?}"),
            }
        }
        let elapsed = start.elapsed();
        let mut tx = writer.await.unwrap();
        let _ = tx.close().await;
        elapsed
    })
}
