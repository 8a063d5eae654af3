//! `sendfile` on TCP and Unix streams: whole files and ranges arrive intact through a
//! small send buffer (many WouldBlock rounds), the end of the file bounds the count, bad
//! files are typed errors, and the stream stays usable. (SIGPIPE: tests/net_sigpipe.rs.)
#![cfg(not(target_arch = "wasm32"))]

use std::io::{self, Read};
use std::thread;
use std::time::Duration;

use tulipa::net::{TcpStream, UnixStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(60);

/// A file of `len` pseudo-random bytes (and the bytes), removed from the directory at once.
fn temp_file(name: &str, len: usize) -> (std::fs::File, Vec<u8>) {
    let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ len as u64;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let path = std::env::temp_dir().join(format!("tulipa-{}-{name}", std::process::id()));
    std::fs::write(&path, &data).unwrap();
    let f = std::fs::File::open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    (f, data)
}

/// Reads everything from a std stream until EOF, on a thread.
fn drain<R: Read + Send + 'static>(mut r: R) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        got
    })
}

#[test]
fn sendfile_sends_a_10_mib_file_over_tcp_through_a_small_send_buffer() {
    within(LIMIT, || {
        tulipa::run(async {
            let (file, data) = temp_file("sf-tcp", 10 << 20);
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let mut c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let (peer, _) = l.accept().unwrap();
            peer.set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            c.set_send_buffer_size(16 * 1024).unwrap();
            let reader = drain(peer);
            assert_eq!(c.sendfile(&file, 0, None).await.unwrap(), data.len() as u64);
            // The stream goes on as usual after a sendfile.
            c.write_all(b"tail").await.unwrap();
            drop(c);
            let got = tulipa::spawn_blocking(move || reader.join().unwrap())
                .await
                .unwrap();
            assert_eq!(got.len(), data.len() + 4);
            assert!(
                got[..data.len()] == data[..],
                "the file arrived intact and in order"
            );
            assert_eq!(&got[data.len()..], b"tail");
        });
    });
}

#[test]
fn sendfile_ranges_stop_at_the_end_of_the_file() {
    within(LIMIT, || {
        tulipa::run(async {
            let (file, data) = temp_file("sf-range", 100_000);
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let mut c = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let (s, _) = l.accept().unwrap();
            let reader = drain(s);
            // A middle range; a count past the end (stops at the end); nothing at or past
            // the end; a zero count.
            assert_eq!(c.sendfile(&file, 1000, Some(5000)).await.unwrap(), 5000);
            assert_eq!(c.sendfile(&file, 99_000, Some(50_000)).await.unwrap(), 1000);
            assert_eq!(c.sendfile(&file, 100_000, None).await.unwrap(), 0);
            assert_eq!(c.sendfile(&file, 500_000, Some(10)).await.unwrap(), 0);
            assert_eq!(c.sendfile(&file, 0, Some(0)).await.unwrap(), 0);
            // The file's own position is not used or moved.
            let mut first = [0u8; 3];
            (&file).read_exact(&mut first).unwrap();
            assert_eq!(first, data[..3]);
            drop(c);
            let got = tulipa::spawn_blocking(move || reader.join().unwrap())
                .await
                .unwrap();
            let mut want = data[1000..6000].to_vec();
            want.extend_from_slice(&data[99_000..]);
            assert!(got == want, "got {} bytes, want {}", got.len(), want.len());
        });
    });
}

#[test]
fn sendfile_over_a_unix_stream_and_bad_files_are_errors() {
    within(LIMIT, || {
        tulipa::run(async {
            let (file, data) = temp_file("sf-unix", 1 << 20);
            let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
            let mut a = UnixStream::from_std(a).unwrap();
            let reader = drain(b);
            assert_eq!(a.sendfile(&file, 0, None).await.unwrap(), 1 << 20);

            // A file open only for writing: EBADF, and the stream is still fine.
            let path = std::env::temp_dir().join(format!("tulipa-{}-sf-wo", std::process::id()));
            let wo = std::fs::File::create(&path).unwrap();
            std::fs::remove_file(&path).unwrap();
            let e = a.sendfile(&wo, 0, None).await.unwrap_err();
            assert_eq!(e.raw_os_error(), Some(9), "EBADF: {e}");
            // Something sendfile cannot read from (a socket): the fallback's read fails
            // with a clear error instead of sending garbage or hanging.
            let (sock, _other) = std::os::unix::net::UnixStream::pair().unwrap();
            let not_a_file = std::fs::File::from(std::os::fd::OwnedFd::from(sock));
            let e = a.sendfile(&not_a_file, 0, Some(10)).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::NotSeekable, "{e:?}");

            a.write_all(b"end").await.unwrap();
            drop(a);
            let got = tulipa::spawn_blocking(move || reader.join().unwrap())
                .await
                .unwrap();
            assert_eq!(got.len(), data.len() + 3);
            assert!(got[..data.len()] == data[..]);
            assert_eq!(&got[data.len()..], b"end");
        });
    });
}
