//! No descriptor leaks: 10,000 connect/close cycles, 10,000 refused connects and 10,000
//! connects dropped mid-way each return the process's descriptor count to its baseline.
//!
//! One test function on purpose: descriptor counts are per process, so the phases must not
//! run in parallel with other tests of this binary.
#![cfg(not(target_arch = "wasm32"))]

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, Instant};

use tulipa::net::{TcpListener, TcpStream, UnixListener, UnixStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

const N: usize = 10_000;

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

/// Waits (briefly, in real time) for the descriptor count to come back to `baseline`:
/// tasks that close descriptors may still be finishing.
async fn settles_to(baseline: usize, phase: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = open_fds();
        if now == baseline {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{phase}: {now} descriptors open, baseline {baseline}: a leak"
        );
        tulipa::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls `fut` once and returns whether it finished.
async fn poll_once<F: Future>(mut fut: Pin<&mut F>) -> bool {
    std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await
}

#[test]
fn descriptor_count_returns_to_baseline() {
    assert!(
        std::fs::read_dir("/proc/self/fd").is_ok(),
        "this test counts descriptors in /proc/self/fd, which this system does not have"
    );
    within(Duration::from_secs(300), || {
        tulipa::run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            // The server accepts and closes everything, as fast as it comes.
            let server = tulipa::spawn(async move {
                loop {
                    match listener.accept().await {
                        Ok((s, _)) => drop(s),
                        Err(e) => panic!("accept: {e}"),
                    }
                }
            });
            tulipa::yield_now().await;
            let baseline = open_fds();

            // 1. Connect and close.
            for _ in 0..N {
                let s = TcpStream::connect(addr).await.unwrap();
                drop(s);
            }
            settles_to(baseline, "connect/close").await;

            // 2. Refused: a port nothing listens on.
            let dead = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            for _ in 0..N {
                let e = TcpStream::connect(dead).await.unwrap_err();
                assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
            }
            settles_to(baseline, "refused").await;

            // 3. Dropped mid-way: poll the connect once, then drop it. Most are still in
            // progress (the handshake completes in a later reactor turn).
            let mut pending = 0;
            for i in 0..N {
                let fut = std::pin::pin!(TcpStream::connect(addr));
                if !poll_once(fut).await {
                    pending += 1;
                }
                if i % 500 == 0 {
                    tulipa::yield_now().await; // let the server drain its queue
                }
            }
            assert!(
                pending > N / 2,
                "only {pending} connects were caught mid-way"
            );
            settles_to(baseline, "dropped mid-way").await;

            // 3b. Dropped during name resolution (the lookup runs on the blocking pool).
            for _ in 0..200 {
                let fut = std::pin::pin!(TcpStream::connect(("localhost", addr.port())));
                poll_once(fut).await;
            }
            settles_to(baseline, "dropped during lookup").await;

            // 4. Unix streams: connect/close and dropped mid-way.
            let path = std::env::temp_dir().join(format!("tulipa-fd-{}.sock", std::process::id()));
            let _ = std::fs::remove_file(&path);
            let ul = UnixListener::bind(&path).unwrap();
            let userver = tulipa::spawn(async move {
                loop {
                    drop(ul.accept().await.unwrap());
                }
            });
            tulipa::yield_now().await;
            let ubase = open_fds();
            for _ in 0..N / 10 {
                drop(UnixStream::connect(&path).await.unwrap());
            }
            settles_to(ubase, "unix connect/close").await;
            drop(userver);
            std::fs::remove_file(&path).unwrap();

            drop(server);
            eprintln!("fd leaks: baseline {baseline}, {pending}/{N} connects dropped mid-way");
        })
    });
}
