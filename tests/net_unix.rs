//! Unix-domain sockets: streams, listeners and datagrams; too-long paths; broken pipes.
#![cfg(not(target_arch = "wasm32"))]

use std::io;
use std::net::Shutdown;
use std::path::PathBuf;
use std::time::Duration;

use tulipa::net::{NetError, UnixDatagram, UnixListener, UnixStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(60);

/// A fresh directory for this test's socket files, removed on drop.
struct TempDir(PathBuf);
impl TempDir {
    fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!("tulipa-net-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn stream_echo_and_half_close() {
    within(LIMIT, || {
        tulipa::run(async {
            let dir = TempDir::new("echo");
            let path = dir.path("s.sock");
            let l = UnixListener::bind(&path).unwrap();
            assert_eq!(l.local_addr().unwrap().as_pathname(), Some(path.as_path()));
            let server = tulipa::spawn(async move {
                let (conn, _) = l.accept().await.unwrap();
                let (mut r, mut w) = conn.into_split();
                let mut buf = [0; 333];
                loop {
                    let n = r.read(&mut buf).await.unwrap();
                    if n == 0 {
                        w.shutdown().unwrap();
                        return;
                    }
                    w.write_all(&buf[..n]).await.unwrap();
                }
            });
            let mut c = UnixStream::connect(&path).await.unwrap();
            assert_eq!(c.peer_addr().unwrap().as_pathname(), Some(path.as_path()));
            let msg: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
            let (mut r, mut w) = c.split();
            let mut got = vec![0; msg.len()];
            let send = async {
                w.write_all(&msg).await.unwrap();
                w.shutdown().unwrap(); // half-close: the server sees EOF, then closes its side
            };
            let recv = async { r.read_exact(&mut got).await.unwrap() };
            join(send, recv).await;
            assert!(got == msg);
            assert_eq!(c.read(&mut [0; 8]).await.unwrap(), 0);
            server.await.unwrap();
        })
    });
}

async fn join<A: std::future::Future, B: std::future::Future>(a: A, b: B) {
    let mut a = std::pin::pin!(a);
    let mut b = std::pin::pin!(b);
    let (mut da, mut db) = (false, false);
    std::future::poll_fn(|cx| {
        if !da {
            da = a.as_mut().poll(cx).is_ready();
        }
        if !db {
            db = b.as_mut().poll(cx).is_ready();
        }
        if da && db {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}

#[test]
fn too_long_paths_are_a_typed_error() {
    within(LIMIT, || {
        tulipa::run(async {
            let long = PathBuf::from(format!("/tmp/{}", "p".repeat(300)));
            let check = |e: io::Error| {
                assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
                match NetError::of(&e) {
                    Some(NetError::PathTooLong { path, max }) => {
                        assert_eq!(path, &long);
                        assert!(*max >= 100);
                    }
                    other => panic!("expected PathTooLong, got {other:?}"),
                }
            };
            check(UnixStream::connect(&long).await.unwrap_err());
            check(UnixListener::bind(&long).unwrap_err());
            check(UnixDatagram::bind(&long).unwrap_err());
            let d = UnixDatagram::unbound().unwrap();
            check(d.connect(&long).unwrap_err());
            check(d.send_to(b"x", &long).await.unwrap_err());
            // The longest legal path (107 bytes on Linux) works.
            let dir = TempDir::new("long");
            let base = dir.0.as_os_str().len() + 1;
            if base < 100 {
                let name = "n".repeat(107 - base);
                let ok = dir.path(&name);
                assert_eq!(ok.as_os_str().len(), 107);
                let _l = UnixListener::bind(&ok).unwrap();
                UnixStream::connect(&ok).await.unwrap();
            }
        })
    });
}

#[test]
fn connect_errors() {
    within(LIMIT, || {
        tulipa::run(async {
            let dir = TempDir::new("conn");
            let e = UnixStream::connect(dir.path("missing.sock"))
                .await
                .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
            // A socket file nobody listens on any more.
            let stale = dir.path("stale.sock");
            drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
            let e = UnixStream::connect(&stale).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        })
    });
}

#[test]
fn writing_to_a_closed_peer_is_broken_pipe_and_stays_so() {
    within(LIMIT, || {
        tulipa::run(async {
            let (mut a, b) = UnixStream::pair().unwrap();
            drop(b);
            for _ in 0..3 {
                let e = a.write(b"into the void").await.unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::BrokenPipe, "{e}");
            }
            // Reads see the EOF.
            assert_eq!(a.read(&mut [0; 4]).await.unwrap(), 0);

            // A peer that closes with unread data resets the connection: a pending reader
            // is woken with ConnectionReset, and later reads keep failing.
            let (a, mut b) = UnixStream::pair().unwrap();
            let (mut ar, mut aw) = a.into_split();
            b.write_all(b"unread").await.unwrap();
            let reader = tulipa::spawn(async move {
                let mut buf = [0; 6];
                ar.read_exact(&mut buf).await.unwrap();
                let first = ar.read(&mut buf).await;
                let second = ar.read(&mut buf).await;
                (first, second)
            });
            tulipa::sleep(Duration::from_millis(10)).await;
            aw.write_all(b"never read by b").await.unwrap();
            drop(b);
            let (first, second) = reader.await.unwrap();
            // Linux reports ECONNRESET to the reader here.
            match first {
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::ConnectionReset, "{e}");
                    assert_eq!(second.unwrap_err().kind(), io::ErrorKind::ConnectionReset);
                }
                Ok(0) if !cfg!(target_os = "linux") => assert_eq!(second.unwrap(), 0),
                Ok(n) => panic!("read {n} bytes from a closed peer"),
            }
            let _ = aw.shutdown();
        })
    });
}

#[test]
fn datagrams_truncation_and_oversize() {
    within(LIMIT, || {
        tulipa::run(async {
            let dir = TempDir::new("dgram");
            let spath = dir.path("server.sock");
            let cpath = dir.path("client.sock");
            let server = UnixDatagram::bind(&spath).unwrap();
            let client = UnixDatagram::bind(&cpath).unwrap();
            client.send_to(b"hello server", &spath).await.unwrap();
            let mut buf = [0; 64];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            assert_eq!(&buf[..n], b"hello server");
            assert_eq!(from.as_pathname(), Some(cpath.as_path()));
            server
                .send_to(b"hello client", from.as_pathname().unwrap())
                .await
                .unwrap();
            assert_eq!(client.recv(&mut buf).await.unwrap(), 12);

            // Truncation is reported.
            client.connect(&spath).unwrap();
            client.send(&[9u8; 100]).await.unwrap();
            let mut small = [0u8; 10];
            let got = server.recv_from_checked(&mut small).await.unwrap();
            assert!(got.truncated);
            assert_eq!(got.len, 10);
            if cfg!(target_os = "linux") {
                assert_eq!(got.datagram_len, Some(100));
            }

            // A datagram over the send buffer is EMSGSIZE, typed.
            let (a, _b) = UnixDatagram::pair().unwrap();
            a.set_send_buffer_size(32 * 1024).unwrap();
            let big = vec![0u8; 4 << 20];
            let e = a.send(&big).await.unwrap_err();
            assert_eq!(
                NetError::of(&e),
                Some(&NetError::DatagramTooLarge { len: 4 << 20 }),
                "{e}"
            );

            // A pending receiver is woken by a later datagram.
            let (a, b) = UnixDatagram::pair().unwrap();
            let r = tulipa::spawn(async move {
                let mut buf = [0; 8];
                let n = b.recv(&mut buf).await.unwrap();
                buf[..n].to_vec()
            });
            tulipa::sleep(Duration::from_millis(5)).await;
            a.send(b"late").await.unwrap();
            assert_eq!(r.await.unwrap(), b"late");
            a.shutdown(Shutdown::Both).unwrap();
        })
    });
}
