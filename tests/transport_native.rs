//! Native transports: protocol-style echo servers over TCP and Unix sockets, write-queue
//! order, flow control against a slow reader, datagram endpoints, and interop with a Python
//! asyncio peer.

// Sockets are native only.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::thread;
use std::time::Duration;

use tulipa::net::{
    create_connection, create_datagram_endpoint, create_server, create_unix_connection,
    create_unix_server, open_connection, open_unix_connection,
};
use tulipa::transports::{DatagramProtocol, DatagramTransport, Protocol, Transport, TransportAddr};

#[path = "support/mod.rs"]
mod support;
use support::{require, within};

const LIMIT: Duration = Duration::from_secs(60);

/// Echoes data; records the callbacks it saw.
#[derive(Default)]
struct Echo {
    t: Option<Rc<dyn Transport>>,
    log: Rc<RefCell<Vec<&'static str>>>,
}

impl Protocol for Echo {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        self.log.borrow_mut().push("made");
        self.t = Some(t);
    }
    fn data_received(&mut self, d: &[u8]) {
        self.t.as_ref().unwrap().write(d);
    }
    fn eof_received(&mut self) -> bool {
        self.log.borrow_mut().push("eof");
        false
    }
    fn connection_lost(&mut self, e: Option<io::Error>) {
        assert!(e.is_none(), "{e:?}");
        self.log.borrow_mut().push("lost");
    }
}

fn temp_sock(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("tulipa-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 56) as u8
        })
        .collect()
}

#[test]
fn transport_protocol_echo_server_over_tcp() {
    within(LIMIT, || {
        tulipa::run(async {
            let log = Rc::new(RefCell::new(Vec::new()));
            let l = Rc::clone(&log);
            let server = create_server(
                move || Echo {
                    t: None,
                    log: Rc::clone(&l),
                },
                "127.0.0.1:0",
            )
            .await
            .unwrap();
            let addr = server.addrs()[0].inet().unwrap();
            let mut clients = Vec::new();
            for i in 0..20u64 {
                clients.push(tulipa::spawn_local(async move {
                    let (mut r, w) = open_connection(addr).await.unwrap();
                    let data = pattern(100_000 + i as usize * 977, i);
                    w.write(&data);
                    w.drain().await.unwrap();
                    w.write_eof().unwrap();
                    let back = r.read_exact(data.len()).await.unwrap();
                    assert_eq!(back, data);
                    assert!(r.read(1).await.unwrap().is_empty());
                    w.close();
                    w.wait_closed().await.unwrap();
                }));
            }
            for c in clients {
                c.await.unwrap();
            }
            server.close();
            server.wait_closed().await;
            assert_eq!(server.active_connections(), 0);
            let log = log.borrow();
            assert_eq!(log.iter().filter(|e| **e == "made").count(), 20);
            assert_eq!(log.iter().filter(|e| **e == "eof").count(), 20);
            assert_eq!(log.iter().filter(|e| **e == "lost").count(), 20);
        });
    });
}

#[test]
fn transport_protocol_echo_server_over_unix_sockets() {
    within(LIMIT, || {
        tulipa::run(async {
            let path = temp_sock("echo-proto");
            let server = create_unix_server(Echo::default, &path).await.unwrap();
            assert_eq!(server.addrs(), [TransportAddr::Unix(Some(path.clone()))]);
            let data = pattern(300_000, 7);
            let (mut r, w) = open_unix_connection(&path).await.unwrap();
            w.write(&data);
            w.write_eof().unwrap();
            assert_eq!(r.read_exact(data.len()).await.unwrap(), data);
            assert!(r.read(1).await.unwrap().is_empty());
            // A protocol-style client too.
            let got = Rc::new(RefCell::new(Vec::new()));
            struct Collect(Rc<RefCell<Vec<u8>>>);
            impl Protocol for Collect {
                fn data_received(&mut self, d: &[u8]) {
                    self.0.borrow_mut().extend_from_slice(d);
                }
            }
            let g = Rc::clone(&got);
            let t = create_unix_connection(move || Collect(g), &path)
                .await
                .unwrap();
            t.write(b"unix");
            while got.borrow().len() < 4 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(*got.borrow(), b"unix");
            t.close();
            server.close();
            server.wait_closed().await;
            assert!(
                !path.exists(),
                "closing a Unix server removes its socket file"
            );
        });
    });
}

#[test]
fn transport_write_queue_keeps_order_for_10000_random_writes() {
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            // An independent reader on a thread collects everything.
            let reader = thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut all = Vec::new();
                s.read_to_end(&mut all).unwrap();
                all
            });
            struct Quiet;
            impl Protocol for Quiet {}
            let t = create_connection(|| Quiet, addr).await.unwrap();
            let mut expected = Vec::new();
            let mut seed = 12345u64;
            for i in 0..10_000u64 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(i);
                let len = 1 + (seed >> 33) as usize % 4096;
                let chunk = pattern(len, i);
                // Alternate write and writelines.
                if i % 2 == 0 {
                    t.write(&chunk);
                } else {
                    let (a, b) = chunk.split_at(len / 2);
                    t.writelines(&[a, b]);
                }
                expected.extend_from_slice(&chunk);
                if i % 1000 == 0 {
                    tulipa::yield_now().await; // let some of it go out mid-way
                }
            }
            t.close();
            while t.write_buffer_size() > 0 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            let got = tulipa::spawn_blocking(move || reader.join().unwrap())
                .await
                .unwrap();
            assert_eq!(got.len(), expected.len());
            assert!(got == expected, "the bytes arrived out of order");
        });
    });
}

/// A producer task writes as fast as flow control lets it; this protocol tells it when to
/// stop and go on.
struct Producer {
    paused: Rc<Cell<bool>>,
    resume: Rc<RefCell<Option<Waker>>>,
    pauses: Rc<Cell<usize>>,
    resumes: Rc<Cell<usize>>,
}

impl Protocol for Producer {
    fn pause_writing(&mut self) {
        self.paused.set(true);
        self.pauses.set(self.pauses.get() + 1);
    }
    fn resume_writing(&mut self) {
        self.paused.set(false);
        self.resumes.set(self.resumes.get() + 1);
        if let Some(w) = self.resume.borrow_mut().take() {
            w.wake();
        }
    }
}

#[test]
fn transport_slow_reader_keeps_the_fast_writer_within_the_watermark() {
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            // More than the kernel's socket buffers absorb (send and receive autotune to a few
            // MiB each on loopback), so the user-space queue must fill during the slow part.
            const TOTAL: usize = 32 * 1024 * 1024;
            // The slow reader: 8 KiB every 50 ms for 2 s, then everything at full speed,
            // checking the byte pattern all along. It keeps the default receive buffer: a
            // tiny one makes Linux's silly-window avoidance throttle the sender to its
            // persist timer for the whole transfer.
            let reader = thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut got = 0usize;
                let mut buf = vec![0u8; 256 * 1024];
                let start = std::time::Instant::now();
                loop {
                    let slow = start.elapsed() < Duration::from_millis(2000);
                    let want = if slow { 8192 } else { buf.len() };
                    let n = s.read(&mut buf[..want]).unwrap();
                    if n == 0 {
                        break;
                    }
                    for (i, b) in buf[..n].iter().enumerate() {
                        assert_eq!(*b, ((got + i) % 251) as u8, "corrupt byte at {}", got + i);
                    }
                    got += n;
                    if slow {
                        thread::sleep(Duration::from_millis(50));
                    }
                }
                got
            });
            let paused = Rc::new(Cell::new(false));
            let resume = Rc::new(RefCell::new(None::<Waker>));
            let (pauses, resumes) = (Rc::new(Cell::new(0)), Rc::new(Cell::new(0)));
            let p = Producer {
                paused: Rc::clone(&paused),
                resume: Rc::clone(&resume),
                pauses: Rc::clone(&pauses),
                resumes: Rc::clone(&resumes),
            };
            let t = create_connection(move || p, addr).await.unwrap();
            let high = 256 * 1024;
            t.set_write_buffer_limits(Some(high), None);
            let mut sent = 0usize;
            let mut max_buffered = 0usize;
            let chunk: Vec<u8> = (0..64 * 1024).map(|i| (i % 251) as u8).collect();
            // 64 Ki is a multiple of... it is not of 251, so build each chunk at its offset.
            while sent < TOTAL {
                if paused.get() {
                    poll_fn(|cx| {
                        if paused.get() {
                            *resume.borrow_mut() = Some(cx.waker().clone());
                            Poll::Pending
                        } else {
                            Poll::Ready(())
                        }
                    })
                    .await;
                    continue;
                }
                let n = chunk.len().min(TOTAL - sent);
                let piece: Vec<u8> = (0..n).map(|i| ((sent + i) % 251) as u8).collect();
                t.write(&piece);
                sent += n;
                max_buffered = max_buffered.max(t.write_buffer_size());
                tulipa::yield_now().await;
            }
            t.close();
            let got = tulipa::spawn_blocking(move || reader.join().unwrap())
                .await
                .unwrap();
            assert_eq!(got, TOTAL);
            eprintln!(
                "{} pauses, {} resumes, at most {max_buffered} bytes buffered (high {high})",
                pauses.get(),
                resumes.get()
            );
            assert!(pauses.get() >= 1, "pause_writing never fired");
            assert!(resumes.get() >= 1, "resume_writing never fired");
            assert!(pauses.get() - resumes.get() <= 1);
            assert!(
                max_buffered <= high + 1024 * 1024,
                "the writer buffered {max_buffered} bytes"
            );
            assert!(max_buffered <= high + chunk.len());
        });
    });
}

#[test]
fn transport_peer_reset_reaches_connection_lost() {
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let lost = Rc::new(RefCell::new(None::<Option<io::ErrorKind>>));
            struct Watch(Rc<RefCell<Option<Option<io::ErrorKind>>>>);
            impl Protocol for Watch {
                fn connection_lost(&mut self, e: Option<io::Error>) {
                    *self.0.borrow_mut() = Some(e.map(|e| e.kind()));
                }
            }
            let l = Rc::clone(&lost);
            let t = create_connection(move || Watch(l), addr).await.unwrap();
            let (s, _) = listener.accept().unwrap();
            socket2::SockRef::from(&s)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(s); // RST
            t.write(b"into a reset connection");
            while lost.borrow().is_none() {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            let kind = lost.borrow().unwrap();
            assert!(
                matches!(
                    kind,
                    Some(io::ErrorKind::ConnectionReset) | Some(io::ErrorKind::BrokenPipe)
                ),
                "{kind:?}"
            );
            assert!(t.is_closing());
            t.write(b"after"); // ignored, no panic
        });
    });
}

#[test]
fn transport_datagram_endpoint_echo_and_errors() {
    within(LIMIT, || {
        tulipa::run(async {
            #[derive(Default)]
            struct UdpEcho(Option<Rc<dyn DatagramTransport>>);
            impl DatagramProtocol for UdpEcho {
                fn connection_made(&mut self, t: Rc<dyn DatagramTransport>) {
                    self.0 = Some(t);
                }
                fn datagram_received(&mut self, d: &[u8], from: TransportAddr) {
                    self.0.as_ref().unwrap().sendto(d, Some(from));
                }
            }
            type Events = Rc<RefCell<Vec<Result<Vec<u8>, io::ErrorKind>>>>;
            struct Client(Events);
            impl DatagramProtocol for Client {
                fn datagram_received(&mut self, d: &[u8], _: TransportAddr) {
                    self.0.borrow_mut().push(Ok(d.to_vec()));
                }
                fn error_received(&mut self, e: io::Error) {
                    self.0.borrow_mut().push(Err(e.kind()));
                }
            }
            let server = create_datagram_endpoint(
                UdpEcho::default,
                Some("127.0.0.1:0".parse().unwrap()),
                None,
            )
            .await
            .unwrap();
            let to = server.local_addr().unwrap().inet().unwrap();
            let events: Events = Rc::new(RefCell::new(Vec::new()));
            let e = Rc::clone(&events);
            let client = create_datagram_endpoint(move || Client(e), None, Some(to))
                .await
                .unwrap();
            assert_eq!(client.peer_addr(), Some(TransportAddr::Inet(to)));
            for i in 0..10u8 {
                client.sendto(&[i; 100], None);
            }
            while events.borrow().len() < 10 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            for (i, ev) in events.borrow().iter().enumerate() {
                assert_eq!(ev.as_ref().unwrap(), &vec![i as u8; 100]);
            }
            events.borrow_mut().clear();
            // Oversize: reported through error_received, the endpoint goes on.
            client.sendto(&vec![0u8; 70_000], None);
            client.sendto(b"still works", None);
            while events.borrow().len() < 2 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            let ev = events.borrow().clone();
            assert_eq!(ev[0], Err(io::ErrorKind::InvalidInput), "{ev:?}");
            assert_eq!(ev[1], Ok(b"still works".to_vec()));
            client.close();
            server.close();
        });
    });
}

#[test]
fn transport_datagram_connected_refused_goes_to_error_received() {
    within(LIMIT, || {
        tulipa::run(async {
            type Events = Rc<RefCell<Vec<Result<Vec<u8>, io::ErrorKind>>>>;
            struct Client(Events);
            impl DatagramProtocol for Client {
                fn error_received(&mut self, e: io::Error) {
                    self.0.borrow_mut().push(Err(e.kind()));
                }
            }
            let dead = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
            let to = dead.local_addr().unwrap();
            drop(dead);
            let events: Events = Rc::new(RefCell::new(Vec::new()));
            let e = Rc::clone(&events);
            let client = create_datagram_endpoint(move || Client(e), None, Some(to))
                .await
                .unwrap();
            client.sendto(b"anyone?", None);
            while events.borrow().is_empty() {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(events.borrow()[0], Err(io::ErrorKind::ConnectionRefused));
            // The endpoint goes on (the loop is not stuck on the error): the next datagram
            // is refused again, and reported again.
            tulipa::sleep(Duration::from_millis(10)).await;
            client.sendto(b"still nobody?", None);
            while events.borrow().len() < 2 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(events.borrow()[1], Err(io::ErrorKind::ConnectionRefused));
            assert!(!client.is_closing());
            client.close();
        });
    });
}

#[test]
fn transport_protocol_client_against_python_asyncio_echo_server() {
    require("python3", "--version");
    let py = "python3";
    // A Python asyncio protocol-style echo server on an OS-chosen port, printed on stdout.
    let script = r#"
import asyncio, sys
class Echo(asyncio.Protocol):
    def connection_made(self, t): self.t = t
    def data_received(self, d): self.t.write(d)
    def eof_received(self): return False
async def main():
    srv = await asyncio.get_running_loop().create_server(Echo, '127.0.0.1', 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(30)
asyncio.run(main())
"#;
    let mut child = std::process::Command::new(py)
        .args(["-c", script])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let port: u16 = line.trim().parse().unwrap();
    within(LIMIT, || {
        tulipa::run(async move {
            let (mut r, w) = open_connection(("127.0.0.1", port)).await.unwrap();
            let data = pattern(500_000, 3);
            w.write(&data);
            w.drain().await.unwrap();
            w.write_eof().unwrap();
            assert_eq!(r.read_exact(data.len()).await.unwrap(), data);
            assert!(r.read(1).await.unwrap().is_empty());
            w.close();
            w.wait_closed().await.unwrap();
        });
    });
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn transport_client_sends_with_std_peer_half_close() {
    // Half-close both ways against a plain blocking peer.
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let peer = thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut got = Vec::new();
                s.read_to_end(&mut got).unwrap(); // until our write_eof
                s.write_all(b"after your eof").unwrap();
                got
            });
            let (mut r, w) = open_connection(addr).await.unwrap();
            w.write(b"request");
            w.write_eof().unwrap();
            assert_eq!(r.read_exact(14).await.unwrap(), b"after your eof");
            assert!(r.read(1).await.unwrap().is_empty());
            assert!(r.at_eof());
            let got = tulipa::spawn_blocking(move || peer.join().unwrap())
                .await
                .unwrap();
            assert_eq!(got, b"request");
        });
    });
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn transport_runtime_teardown_closes_every_connection_and_listener() {
    within(LIMIT, || {
        // Other tests of this binary run on other threads and open descriptors too: retry
        // the comparison a few times rather than demand an exact match at one instant.
        let before = open_fds();
        // The handles outlive their runtime, kept here rather than forgotten (so a leak
        // checker sees no leak of the test's own making) and dropped at the end.
        let mut outliving = Vec::new();
        for _ in 0..3 {
            let rt = tulipa::Runtime::new().unwrap();
            let handles = rt.block_on(async {
                let server = create_server(Echo::default, "127.0.0.1:0").await.unwrap();
                let addr = server.addrs()[0].inet().unwrap();
                let mut keep = Vec::new();
                for _ in 0..50 {
                    let (r, w) = open_connection(addr).await.unwrap();
                    w.write(b"x");
                    keep.push((r, w));
                }
                while server.active_connections() < 50 {
                    tulipa::sleep(Duration::from_millis(1)).await;
                }
                // Still open when the runtime drops: its teardown must close them anyway.
                (keep, server)
            });
            drop(rt);
            outliving.push(handles);
        }
        let mut after = open_fds();
        for _ in 0..100 {
            if after <= before + 5 {
                break;
            }
            thread::sleep(Duration::from_millis(20));
            after = open_fds();
        }
        assert!(
            after <= before + 5,
            "descriptors leaked: {before} before, {after} after"
        );
        drop(outliving);
    });
}

#[test]
fn transport_abort_resets_the_socket_peer() {
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let lost = Rc::new(Cell::new(false));
            struct Watch(Rc<Cell<bool>>);
            impl Protocol for Watch {
                fn connection_lost(&mut self, e: Option<io::Error>) {
                    assert!(
                        e.is_none(),
                        "abort reports a clean loss to its own protocol"
                    );
                    self.0.set(true);
                }
            }
            let l = Rc::clone(&lost);
            let t = create_connection(move || Watch(l), addr).await.unwrap();
            let (mut s, _) = listener.accept().unwrap();
            s.write_all(b"unread data makes the close a reset").unwrap();
            tulipa::sleep(Duration::from_millis(20)).await;
            t.write(&vec![1u8; 10 << 20]); // much more than the kernel takes at once
            t.abort();
            assert!(t.is_closing());
            while !lost.get() {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(t.write_buffer_size(), 0, "abort drops the queue");
            let got = tulipa::spawn_blocking(move || {
                let mut buf = Vec::new();
                s.read_to_end(&mut buf).map(|_| buf.len())
            })
            .await
            .unwrap();
            // The peer sees a reset (or, at best, a truncated stream), never the 10 MiB.
            match got {
                Err(e) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
                Ok(n) => assert!(n < 10 << 20),
            }
        });
    });
}

#[test]
fn transport_stream_reader_limit_bounds_memory_over_tcp() {
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let writer = thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let chunk = vec![9u8; 64 * 1024];
                let mut sent = 0usize;
                while sent < 16 << 20 {
                    if s.write_all(&chunk).is_err() {
                        break;
                    }
                    sent += chunk.len();
                }
                sent
            });
            const LIMIT_BYTES: usize = 4096;
            let (p, mut r, w) = tulipa::streams::stream_protocol(LIMIT_BYTES);
            let t = create_connection(move || p, addr).await.unwrap();
            assert!(t.is_reading());
            tulipa::sleep(Duration::from_millis(200)).await;
            // The reader paused the socket: it holds at most 2 * limit plus one read
            // (256 KiB), and the rest stays in the kernel and the peer.
            assert!(!t.is_reading());
            let held = r.buffered();
            assert!(held > 2 * LIMIT_BYTES);
            assert!(held <= 2 * LIMIT_BYTES + 256 * 1024, "reader holds {held}");
            // Reading it all works and keeps the bound.
            let mut total = 0usize;
            while total < 16 << 20 {
                let got = r.read(1 << 20).await.unwrap();
                assert!(!got.is_empty());
                total += got.len();
                assert!(r.buffered() <= 2 * LIMIT_BYTES + 256 * 1024);
            }
            assert_eq!(total, 16 << 20);
            w.close();
            let sent = tulipa::spawn_blocking(move || writer.join().unwrap())
                .await
                .unwrap();
            assert_eq!(sent, 16 << 20);
        });
    });
}

#[test]
fn transport_buffered_protocol_reads_1_mib_through_a_1_byte_buffer() {
    use tulipa::transports::{Buffered, BufferedProtocol};
    // Edge-triggered readiness must be drained: random 1 B–64 KiB writes read one byte at
    // a time arrive intact.
    struct OneByte {
        buf: [u8; 1],
        got: Rc<RefCell<Vec<u8>>>,
        eof: Rc<Cell<bool>>,
    }
    impl BufferedProtocol for OneByte {
        fn get_buffer(&mut self, _: usize) -> &mut [u8] {
            &mut self.buf
        }
        fn buffer_updated(&mut self, n: usize) {
            assert_eq!(n, 1);
            self.got.borrow_mut().push(self.buf[0]);
        }
        fn eof_received(&mut self) -> bool {
            self.eof.set(true);
            false
        }
    }
    within(LIMIT, || {
        tulipa::run(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let data = pattern(1 << 20, 99);
            let expected = data.clone();
            let writer = thread::spawn(move || {
                let (mut s, _) = listener.accept().unwrap();
                let mut at = 0;
                let mut seed = 7u64;
                while at < data.len() {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let n = (1 + (seed >> 40) as usize % 65536).min(data.len() - at);
                    s.write_all(&data[at..at + n]).unwrap();
                    at += n;
                }
            });
            let got = Rc::new(RefCell::new(Vec::new()));
            let eof = Rc::new(Cell::new(false));
            let p = OneByte {
                buf: [0],
                got: Rc::clone(&got),
                eof: Rc::clone(&eof),
            };
            let _t = create_connection(move || Buffered(p), addr).await.unwrap();
            while !eof.get() {
                tulipa::sleep(Duration::from_millis(5)).await;
            }
            tulipa::spawn_blocking(move || writer.join().unwrap())
                .await
                .unwrap();
            assert_eq!(got.borrow().len(), expected.len());
            assert!(*got.borrow() == expected);
        });
    });
}

#[test]
fn transport_server_close_clients_and_abort_clients() {
    within(LIMIT, || {
        tulipa::run(async {
            let server = create_server(Echo::default, "127.0.0.1:0").await.unwrap();
            let addr = server.addrs()[0].inet().unwrap();
            let mut conns = Vec::new();
            for _ in 0..5 {
                conns.push(open_connection(addr).await.unwrap());
            }
            while server.active_connections() < 5 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            server.stop_serving();
            server.close_clients();
            for (r, _w) in &mut conns {
                assert!(r.read(1).await.unwrap().is_empty(), "closed by the server");
            }
            while server.active_connections() > 0 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            server.start_serving();
            let (mut r, w) = open_connection(addr).await.unwrap();
            w.write(b"x\n");
            assert_eq!(r.read_line().await.unwrap(), b"x\n");
            server.close();
            server.abort_clients();
            server.wait_closed().await;
            assert!(r.read(1).await.is_err() || r.at_eof());
        });
    });
}

/// Without its peer programs every interop test here fails (naming `make setup`) instead of
/// passing without having run.
#[test]
fn interop_tests_fail_when_their_peers_are_missing() {
    support::assert_fails_without_peers(
        "transport_protocol_client_against_python_asyncio_echo_server",
    );
}
