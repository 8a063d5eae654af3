//! Interop with an independent WebSocket implementation, the Python `websockets` package
//! (installed by `make setup`): as a server for the tulipa client and as a client of the
//! tulipa server, with fragmentation, pings and close codes both ways.
#![cfg(not(target_arch = "wasm32"))]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tulipa::net::TcpListener;
use tulipa::time::timeout;
use tulipa::ws::{self, Message};

const PEER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ws_peer/peer.py");

fn python_ready() {
    let ok = Command::new("python3")
        .args(["-c", "import websockets.asyncio.server"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "python3 with the `websockets` package is needed: run `make setup` \
         (or `python3 -m pip install websockets`)"
    );
}

/// Kills the peer process when the test ends, passing or not.
struct Peer(Child);
impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn ws_interop_tulipa_client_against_python_server() {
    python_ready();
    let mut child = Command::new("python3")
        .args([PEER, "server"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _peer = Peer(child);
    let port: u16 = line
        .trim()
        .strip_prefix("PORT ")
        .expect("PORT line")
        .parse()
        .unwrap();
    let url = format!("ws://127.0.0.1:{port}/");
    tulipa::run(async move {
        timeout(Duration::from_secs(30), async {
            let mut c = ws::connect(&url).await.unwrap();
            c.send("héllo").await.unwrap();
            assert_eq!(c.recv().await.unwrap(), Message::Text("héllo".into()));
            let big: Vec<u8> = (0..1 << 20).map(|i| (i % 251) as u8).collect();
            c.send(big.clone()).await.unwrap();
            assert_eq!(c.recv().await.unwrap(), Message::Binary(big));
            // Python sends this one as three fragments.
            c.send("fragment").await.unwrap();
            assert_eq!(
                c.recv().await.unwrap(),
                Message::Text("fragmented ✓".into())
            );
            // Server-initiated close with a code and reason.
            c.send("close:4003:python closes").await.unwrap();
            assert_eq!(
                c.recv().await.unwrap(),
                Message::Close {
                    code: 4003,
                    reason: "python closes".into()
                }
            );
            assert!(matches!(c.recv().await, Err(ws::Error::ConnectionClosed)));
            // Client-initiated close on a second connection.
            let c = ws::connect(&url).await.unwrap();
            c.close(4004, "tulipa closes").await.unwrap();
        })
        .await
        .expect("timed out");
    });
}

#[test]
fn ws_interop_python_client_against_tulipa_server() {
    python_ready();
    tulipa::run(async {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("ws://{}/", l.local_addr().unwrap());
        let closes = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let c2 = closes.clone();
        let _server = ws::serve(l, move |mut ws: ws::WebSocket| {
            let closes = c2.clone();
            async move {
                loop {
                    match ws.recv().await {
                        Ok(m @ Message::Close { .. }) => {
                            closes.borrow_mut().push(m);
                            return;
                        }
                        Ok(m) => {
                            if ws.send(m).await.is_err() {
                                return;
                            }
                        }
                        Err(_) => return,
                    }
                }
            }
        });
        let out = tulipa::to_thread(move || {
            Command::new("python3")
                .args([PEER, "client", &url])
                .output()
                .unwrap()
        });
        let out = timeout(Duration::from_secs(40), out)
            .await
            .expect("python client timed out")
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("OK"),
            "python client failed: {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            closes.borrow().as_slice(),
            [Message::Close {
                code: 4002,
                reason: "python done".into()
            }]
        );
    });
}
