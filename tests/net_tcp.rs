//! TCP sockets against loopback: echo, half-close, resets, broken pipes, edge-triggered
//! draining, connect errors.
#![cfg(not(target_arch = "wasm32"))]

use std::io;
use std::net::Shutdown;
use std::time::Duration;

use tulipa::net::{NetError, TcpListener, TcpStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(60);

/// A connected pair over loopback: (client, server side).
async fn pair() -> (TcpStream, TcpStream) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    let c = tulipa::spawn(async move { TcpStream::connect(addr).await.unwrap() });
    let (s, _) = l.accept().await.unwrap();
    (c.await.unwrap(), s)
}

async fn read_to_end(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = s.read(&mut buf).await?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn echo_round_trips() {
    within(LIMIT, || {
        tulipa::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let server = tulipa::spawn(async move {
                for _ in 0..3 {
                    let (conn, _) = l.accept().await.unwrap();
                    tulipa::spawn(async move {
                        let (mut r, mut w) = conn.into_split();
                        let mut buf = [0; 1000];
                        loop {
                            let n = r.read(&mut buf).await.unwrap();
                            if n == 0 {
                                w.shutdown().unwrap();
                                return;
                            }
                            w.write_all(&buf[..n]).await.unwrap();
                        }
                    })
                    .detach();
                }
            });
            let mut clients = Vec::new();
            for i in 0..3u8 {
                clients.push(tulipa::spawn(async move {
                    let mut c = TcpStream::connect(addr).await.unwrap();
                    let msg: Vec<u8> = (0..10_000u32).map(|j| (j as u8) ^ i).collect();
                    let (mut r, mut w) = c.split();
                    let send = async {
                        w.write_all(&msg).await.unwrap();
                        w.shutdown().unwrap();
                    };
                    let recv = async {
                        let mut got = vec![0; msg.len()];
                        r.read_exact(&mut got).await.unwrap();
                        got
                    };
                    let (_, got) = join(send, recv).await;
                    assert_eq!(got, msg);
                    assert_eq!(c.read(&mut [0; 8]).await.unwrap(), 0, "EOF after the echo");
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            server.await.unwrap();
        })
    });
}

/// Polls two futures together in one task.
async fn join<A: std::future::Future, B: std::future::Future>(
    a: A,
    b: B,
) -> (A::Output, B::Output) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            std::task::Poll::Ready((ra.take().unwrap(), rb.take().unwrap()))
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

#[test]
fn half_close_both_ways() {
    within(LIMIT, || {
        tulipa::run(async {
            let (mut c, mut s) = pair().await;
            // Client -> server, then the client's writing side closes.
            c.write_all(b"request").await.unwrap();
            c.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut s).await.unwrap(), b"request");
            // The server can still answer on the other direction, then close it too.
            s.write_all(b"response").await.unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut c).await.unwrap(), b"response");
            // Writing after our own half-close is a BrokenPipe, and it stays one.
            for _ in 0..3 {
                let e = c.write(b"late").await.unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{e}");
            }
            // The other way round: the server half-closes first.
            let (mut c, mut s) = pair().await;
            s.write_all(b"banner").await.unwrap();
            s.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut c).await.unwrap(), b"banner");
            c.write_all(b"after eof").await.unwrap();
            c.shutdown(Shutdown::Write).unwrap();
            assert_eq!(read_to_end(&mut s).await.unwrap(), b"after eof");
        })
    });
}

#[test]
fn peer_reset_wakes_a_pending_reader_and_stays_failed() {
    within(LIMIT, || {
        tulipa::run(async {
            let (c, s) = pair().await;
            let (mut r, mut w) = c.into_split();
            let reader = tulipa::spawn(async move {
                let mut buf = [0; 16];
                let first = r.read(&mut buf).await;
                let later: Vec<_> = {
                    let mut v = Vec::new();
                    for _ in 0..3 {
                        v.push(r.read(&mut buf).await);
                    }
                    v
                };
                (first, later)
            });
            // Let the reader park on an empty socket.
            tulipa::sleep(Duration::from_millis(20)).await;
            assert!(!reader.is_finished());
            s.set_linger(Some(Duration::ZERO)).unwrap();
            drop(s); // close with SO_LINGER 0: an RST
            let (first, later) = reader.await.unwrap();
            assert_eq!(first.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
            for r in later {
                // Never a bogus Ok(0) "EOF" after the reset.
                assert_eq!(r.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
            }
            let e = w.write(b"x").await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
        })
    });
}

#[test]
fn writing_to_a_closed_peer_fails_without_sigpipe() {
    within(LIMIT, || {
        tulipa::run(async {
            for linger in [None, Some(Duration::ZERO)] {
                let (mut c, s) = pair().await;
                s.set_linger(linger).unwrap();
                drop(s);
                tulipa::sleep(Duration::from_millis(10)).await;
                let chunk = vec![1u8; 64 * 1024];
                let err = loop {
                    match c.write(&chunk).await {
                        Ok(_) => tulipa::yield_now().await,
                        Err(e) => break e,
                    }
                };
                assert!(
                    matches!(
                        err.kind(),
                        io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                    ),
                    "{err:?}"
                );
                // And it stays failed.
                assert!(c.write(b"x").await.is_err());
            }
        })
    });
}

#[test]
fn one_mib_in_random_chunks_through_a_one_byte_buffer() {
    within(LIMIT, || {
        tulipa::run(async {
            let (mut c, mut s) = pair().await;
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
            let data: Vec<u8> = (0..1 << 20).map(|_| rng.next() as u8).collect();
            let expected = data.clone();
            let writer = tulipa::spawn(async move {
                let mut rng = Rng(42);
                let mut at = 0;
                while at < data.len() {
                    let len = (1 + rng.below(64 * 1024) as usize).min(data.len() - at);
                    c.write_all(&data[at..at + len]).await.unwrap();
                    at += len;
                    if rng.below(4) == 0 {
                        tulipa::yield_now().await;
                    }
                }
                c.shutdown(Shutdown::Write).unwrap();
            });
            let mut got = Vec::with_capacity(1 << 20);
            let mut byte = [0u8; 1];
            loop {
                let n = s.read(&mut byte).await.unwrap();
                if n == 0 {
                    break;
                }
                got.push(byte[0]);
            }
            writer.await.unwrap();
            assert_eq!(got.len(), expected.len());
            assert!(got == expected, "the bytes arrived out of order or changed");
        })
    });
}

#[test]
fn connect_errors_are_distinct() {
    within(LIMIT, || {
        tulipa::run(async {
            // Refused: bind a port, close it, connect.
            let port = {
                let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                l.local_addr().unwrap().port()
            };
            let e = TcpStream::connect(("127.0.0.1", port)).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
            assert_eq!(NetError::of(&e), None);

            // Unresolvable: the reserved .invalid TLD never resolves.
            let e = TcpStream::connect("tulipa-test.invalid:80")
                .await
                .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
            match NetError::of(&e) {
                Some(NetError::Unresolvable { host, .. }) => {
                    assert_eq!(host, "tulipa-test.invalid")
                }
                other => panic!("expected Unresolvable, got {other:?}"),
            }

            // A malformed address is InvalidInput, before any lookup.
            let e = TcpStream::connect("no-port-here").await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");

            // A host name that resolves: localhost, every address tried in order.
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let port = l.local_addr().unwrap().port();
            let c = TcpStream::connect(("localhost", port)).await.unwrap();
            assert_eq!(c.peer_addr().unwrap().port(), port);
        })
    });
}

#[test]
fn socket_options_round_trip() {
    within(LIMIT, || {
        tulipa::run(async {
            let (c, _s) = pair().await;
            c.set_nodelay(true).unwrap();
            assert!(c.nodelay().unwrap());
            c.set_nodelay(false).unwrap();
            assert!(!c.nodelay().unwrap());
            c.set_keepalive(true).unwrap();
            assert!(c.keepalive().unwrap());
            c.set_linger(Some(Duration::from_secs(3))).unwrap();
            assert_eq!(c.linger().unwrap(), Some(Duration::from_secs(3)));
            c.set_ttl(7).unwrap();
            assert_eq!(c.ttl().unwrap(), 7);
            c.set_send_buffer_size(100_000).unwrap();
            assert!(c.send_buffer_size().unwrap() >= 100_000);
            c.set_recv_buffer_size(100_000).unwrap();
            assert!(c.recv_buffer_size().unwrap() >= 100_000);
            assert!(c.take_error().unwrap().is_none());

            // SO_REUSEADDR is on by default: a listener can rebind right after one with an
            // accepted connection closed (TIME_WAIT on the server side).
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let c = TcpStream::connect(addr).await.unwrap();
            let (s, _) = l.accept().await.unwrap();
            drop(s); // the server closes first: its side goes to TIME_WAIT
            drop(c);
            drop(l);
            tulipa::sleep(Duration::from_millis(10)).await;
            let again = TcpListener::bind(addr).await.unwrap();
            assert_eq!(again.local_addr().unwrap(), addr);
        })
    });
}

#[test]
fn buf_reader_reads_lines_across_chunk_boundaries() {
    use futures_io::AsyncBufRead;
    use std::pin::Pin;
    use tulipa::net::BufReader;
    within(LIMIT, || {
        tulipa::run(async {
            let (mut c, s) = pair().await;
            let lines: Vec<String> = (0..2000)
                .map(|i| format!("line {i} {}", "x".repeat(i % 97)))
                .collect();
            let text = lines.join("\n") + "\n";
            let writer = tulipa::spawn(async move {
                let mut rng = Rng(7);
                let bytes = text.as_bytes();
                let mut at = 0;
                while at < bytes.len() {
                    let len = (1 + rng.below(300) as usize).min(bytes.len() - at);
                    c.write_all(&bytes[at..at + len]).await.unwrap();
                    at += len;
                }
                c.shutdown(Shutdown::Write).unwrap();
            });
            let mut r = BufReader::with_capacity(64, s);
            let mut got = Vec::new();
            let mut line = Vec::new();
            loop {
                let chunk = std::future::poll_fn(|cx| {
                    Pin::new(&mut r).poll_fill_buf(cx).map_ok(|b| b.to_vec())
                })
                .await
                .unwrap();
                if chunk.is_empty() {
                    break;
                }
                let take = match chunk.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        line.extend_from_slice(&chunk[..i]);
                        got.push(String::from_utf8(std::mem::take(&mut line)).unwrap());
                        i + 1
                    }
                    None => {
                        line.extend_from_slice(&chunk);
                        chunk.len()
                    }
                };
                Pin::new(&mut r).consume(take);
            }
            writer.await.unwrap();
            assert!(line.is_empty());
            assert_eq!(got, lines);
        })
    });
}

#[test]
fn connect_with_local_address_and_nodelay() {
    use tulipa::net::ConnectOptions;
    within(LIMIT, || {
        tulipa::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            // Pick a free local port, then connect from it.
            let local = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let opts = ConnectOptions::new().local_addr(local).nodelay(true);
            let c = TcpStream::connect_with(addr, &opts).await.unwrap();
            assert_eq!(c.local_addr().unwrap(), local);
            assert!(c.nodelay().unwrap());
            let (_s, peer) = l.accept().await.unwrap();
            assert_eq!(peer, local);
            // The same local address again, to the same peer, is in use.
            let e = TcpStream::connect_with(addr, &opts).await.unwrap_err();
            assert!(
                matches!(
                    e.kind(),
                    io::ErrorKind::AddrInUse | io::ErrorKind::AddrNotAvailable
                ),
                "{e}"
            );
            // Options with a refused peer still report refusal, not a timeout.
            let dead = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let opts = ConnectOptions::new()
                .local_addr("127.0.0.1:0".parse().unwrap())
                .timeout(Duration::from_secs(5));
            let e = TcpStream::connect_with(dead, &opts).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        })
    });
}
