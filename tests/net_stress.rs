//! Many connections at once on one loop: 500 clients each echo 100 × 1 KiB through a
//! tulipa server, every byte verified (a lost wakeup shows as a hang, caught by the
//! watchdog).
#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use tulipa::net::{TcpListener, TcpStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

const CONNECTIONS: usize = 500;
const ROUNDS: usize = 100;
const SIZE: usize = 1024;

#[test]
fn five_hundred_connections_echo_concurrently() {
    within(Duration::from_secs(120), || {
        tulipa::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let server = tulipa::spawn(async move {
                loop {
                    let (conn, _) = l.accept().await.unwrap();
                    tulipa::spawn(async move {
                        let (mut r, mut w) = conn.into_split();
                        let mut buf = [0; 4096];
                        loop {
                            let n = r.read(&mut buf).await.unwrap();
                            if n == 0 {
                                break;
                            }
                            w.write_all(&buf[..n]).await.unwrap();
                        }
                    })
                    .detach();
                }
            });
            let clients: Vec<_> = (0..CONNECTIONS)
                .map(|id| {
                    tulipa::spawn(async move {
                        let mut c = TcpStream::connect(addr).await.unwrap();
                        let mut back = vec![0; SIZE];
                        for round in 0..ROUNDS {
                            let msg: Vec<u8> = (0..SIZE).map(|i| (i ^ id ^ round) as u8).collect();
                            c.write_all(&msg).await.unwrap();
                            c.read_exact(&mut back).await.unwrap();
                            assert!(back == msg, "connection {id}, round {round}");
                        }
                    })
                })
                .collect();
            for c in clients {
                c.await.unwrap();
            }
            drop(server);
        })
    });
}
