//! UDP sockets against loopback: round trips, refused peers, oversize and truncated
//! datagrams.
#![cfg(not(target_arch = "wasm32"))]

use std::io;
use std::time::Duration;

use tulipa::net::{BindOptions, NetError, UdpSocket};

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(60);

#[test]
fn datagrams_round_trip_and_wake_a_pending_receiver() {
    within(LIMIT, || {
        tulipa::run(async {
            let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let addr = server.local_addr().unwrap();
            let echo = tulipa::spawn(async move {
                let mut buf = [0; 2048];
                for _ in 0..100 {
                    let (n, from) = server.recv_from(&mut buf).await.unwrap();
                    server.send_to(&buf[..n], from).await.unwrap();
                }
            });
            let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            client.connect(addr).await.unwrap();
            assert_eq!(client.peer_addr().unwrap(), addr);
            let mut buf = [0; 2048];
            for i in 0..100u32 {
                let msg = vec![i as u8; (i as usize * 13) % 1500];
                assert_eq!(client.send(&msg).await.unwrap(), msg.len());
                let n = client.recv(&mut buf).await.unwrap();
                assert_eq!(&buf[..n], &msg[..]);
            }
            echo.await.unwrap();

            // Peek leaves the datagram queued; an empty datagram is a real datagram.
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            a.send_to(b"", a.local_addr().unwrap()).await.unwrap();
            a.send_to(b"two", a.local_addr().unwrap()).await.unwrap();
            assert_eq!(a.peek_from(&mut buf).await.unwrap().0, 0);
            assert_eq!(a.recv_from(&mut buf).await.unwrap().0, 0);
            assert_eq!(a.recv_from(&mut buf).await.unwrap().0, 3);
        })
    });
}

#[test]
fn connected_socket_reports_connection_refused() {
    within(LIMIT, || {
        tulipa::run(async {
            // A port with nothing bound: bind one, note it, close it.
            let dead = std::net::UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            s.connect(dead).await.unwrap();
            s.send(b"anyone?").await.unwrap();
            // The ICMP port-unreachable comes back as ECONNREFUSED on the next receive,
            // which must wake this pending receiver rather than hang.
            let mut buf = [0; 16];
            let e = s.recv(&mut buf).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
            // The error was reported once: the next receive waits (and can time out) rather
            // than failing again or spinning the loop.
            let r = tulipa::time::timeout(Duration::from_millis(100), s.recv(&mut buf)).await;
            assert!(r.is_err(), "expected a timeout, got {r:?}");
            // A receiver waiting after the error still gets the next datagram.
            let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            s.connect(peer.local_addr().unwrap()).await.unwrap();
            peer.connect(s.local_addr().unwrap()).await.unwrap();
            let s = std::sync::Arc::new(s);
            let waiting = tulipa::spawn({
                let s = s.clone();
                async move {
                    let mut buf = [0; 16];
                    let n = s.recv(&mut buf).await.unwrap();
                    buf[..n].to_vec()
                }
            });
            tulipa::sleep(Duration::from_millis(20)).await;
            peer.send(b"late").await.unwrap();
            assert_eq!(waiting.await.unwrap(), b"late");
            // The socket still sends afterwards.
            let live = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            s.connect(live.local_addr().unwrap()).await.unwrap();
            s.send(b"ok").await.unwrap();
            assert_eq!(live.recv_from(&mut buf).await.unwrap().0, 2);
        })
    });
}

#[test]
fn oversize_datagram_is_emsgsize() {
    within(LIMIT, || {
        tulipa::run(async {
            let s = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let to = s.local_addr().unwrap();
            let big = vec![0u8; 70_000]; // over the 65,507-byte IPv4 UDP payload limit
            let e = s.send_to(&big, to).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
            assert_eq!(
                NetError::of(&e),
                Some(&NetError::DatagramTooLarge { len: 70_000 })
            );
            assert!(e.to_string().contains("EMSGSIZE"), "{e}");
            s.connect(to).await.unwrap();
            let e = s.send(&big).await.unwrap_err();
            assert!(matches!(
                NetError::of(&e),
                Some(NetError::DatagramTooLarge { .. })
            ));
            // The largest legal datagram goes through.
            s.set_recv_buffer_size(1 << 20).unwrap();
            let max = vec![7u8; 65_507];
            assert_eq!(s.send(&max).await.unwrap(), 65_507);
            let mut buf = vec![0; 70_000];
            assert_eq!(s.recv(&mut buf).await.unwrap(), 65_507);
        })
    });
}

#[test]
fn truncation_into_a_small_buffer_is_reported() {
    within(LIMIT, || {
        tulipa::run(async {
            let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let to = b.local_addr().unwrap();
            a.send_to(&[1u8; 1000], to).await.unwrap();
            a.send_to(&[2u8; 10], to).await.unwrap();
            a.send_to(&[3u8; 8], to).await.unwrap();
            let mut small = [0u8; 8];
            let got = b.recv_from_checked(&mut small).await.unwrap();
            assert_eq!(got.len, 8);
            assert!(got.truncated);
            assert_eq!(got.from, a.local_addr().unwrap());
            if cfg!(target_os = "linux") {
                assert_eq!(got.datagram_len, Some(1000));
            }
            assert_eq!(small, [1u8; 8]);
            // The rest of the first datagram is gone: the next read is the next datagram.
            let got = b.recv_from_checked(&mut small).await.unwrap();
            assert!(got.truncated && small == [2u8; 8]);
            // Exactly fitting is not truncation.
            let got = b.recv_from_checked(&mut small).await.unwrap();
            assert!(!got.truncated && got.len == 8);
            // The plain recv_from cuts silently, like the OS.
            a.send_to(&[4u8; 100], to).await.unwrap();
            assert_eq!(b.recv_from(&mut small).await.unwrap().0, 8);
        })
    });
}

#[test]
fn options_and_bind_with() {
    within(LIMIT, || {
        tulipa::run(async {
            let opts = BindOptions::new().reuse_port(true);
            let a = UdpSocket::bind_with("127.0.0.1:0", &opts).await.unwrap();
            let b = UdpSocket::bind_with(a.local_addr().unwrap(), &opts)
                .await
                .unwrap();
            assert_eq!(a.local_addr().unwrap(), b.local_addr().unwrap());
            // Without reuse, the second bind is refused.
            let e = UdpSocket::bind(a.local_addr().unwrap()).await.unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::AddrInUse);
            a.set_broadcast(true).unwrap();
            assert!(a.broadcast().unwrap());
            a.set_ttl(3).unwrap();
            assert_eq!(a.ttl().unwrap(), 3);
            assert_eq!(
                a.peer_addr().unwrap_err().kind(),
                io::ErrorKind::NotConnected
            );
            // A host name resolves on the blocking pool.
            let c = UdpSocket::bind(("localhost", 0)).await.unwrap();
            assert!(c.local_addr().unwrap().ip().is_loopback());
        })
    });
}

#[test]
fn icmp_refusal_wakes_a_receiver_that_is_already_waiting() {
    within(LIMIT, || {
        tulipa::run(async {
            let dead = std::net::UdpSocket::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            let s = std::sync::Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap());
            s.connect(dead).await.unwrap();
            let receiver = tulipa::spawn({
                let s = s.clone();
                async move { s.recv(&mut [0; 16]).await }
            });
            tulipa::sleep(Duration::from_millis(20)).await;
            assert!(!receiver.is_finished(), "nothing to receive yet");
            s.send(b"anyone?").await.unwrap();
            let e = receiver.await.unwrap().unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        })
    });
}
