//! Cooperative scheduling on real sockets: a task reading a socket that never runs dry gives
//! way to the loop's timers (issue 11, defect 3).
#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::io::Write;
use std::rc::Rc;
use std::time::{Duration, Instant};

use tulipa::net::{TcpListener, TcpStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

/// Without the budget the reader below never returns `Pending`, the timer never fires and
/// the test hangs: `within` turns that into a failure.
const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn tcp_read_loop_on_an_always_full_socket_lets_a_timer_fire() {
    within(LIMIT, || {
        tulipa::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            // A plain thread floods the connection with large writes, far faster than the
            // reader's small reads drain it, so every read is full (never a short read that
            // would clear the readiness) and the socket is always ready.
            let writer = std::thread::spawn(move || {
                let mut s = std::net::TcpStream::connect(addr).unwrap();
                let chunk = vec![7u8; 64 * 1024];
                let mut sent = 0u64;
                // Ends when the reader drops its side (EPIPE or ECONNRESET).
                while s.write_all(&chunk).is_ok() {
                    sent += chunk.len() as u64;
                }
                sent
            });
            let (mut conn, _): (TcpStream, _) = l.accept().await.unwrap();
            let stop = Rc::new(Cell::new(false));
            let reading = Rc::new(Cell::new(0u64));
            let (stop2, reading2) = (stop.clone(), reading.clone());
            let reader = tulipa::spawn_local(async move {
                let mut buf = [0u8; 16];
                let mut full_reads = 0u64;
                while !stop2.get() {
                    let n = conn.read(&mut buf).await.unwrap();
                    assert!(n > 0, "the writer closed the connection early");
                    if n == buf.len() {
                        full_reads += 1;
                    }
                    reading2.set(reading2.get() + n as u64);
                }
                // Closing our side ends the writer thread.
                drop(conn);
                full_reads
            });
            // Wait until the reader is busy on a full socket, then ask for a timer.
            while reading.get() < 1024 * 1024 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            let before = reading.get();
            let start = Instant::now();
            tulipa::sleep(Duration::from_millis(10)).await;
            let late = start.elapsed();
            stop.set(true);
            let full_reads = reader.await.unwrap();
            assert!(
                reading.get() > before,
                "the reader did not run while the timer was pending"
            );
            assert!(
                full_reads > 10_000,
                "the socket was not kept full: {full_reads} full reads"
            );
            assert!(
                late < Duration::from_secs(2),
                "the 10 ms timer fired after {late:?}"
            );
            // Whole chunks only: the last, cut short by the close, is not counted.
            let sent = writer.join().unwrap();
            assert!(sent + 64 * 1024 >= reading.get());
        });
    });
}
