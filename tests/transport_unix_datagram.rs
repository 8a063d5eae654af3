//! Unix-domain datagram endpoints (`create_unix_datagram_endpoint`): echo with replies to
//! the sender's path, datagrams over 64 KiB arrive whole, flow control against a peer that
//! does not read, and the error paths (wrong address family, unnamed sender, path too long,
//! nothing bound at the remote path).

// Unix sockets are native only.
#![cfg(not(target_arch = "wasm32"))]

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use tulipa::net::{create_unix_datagram_endpoint, NetError};
use tulipa::transports::{DatagramProtocol, DatagramTransport, TransportAddr};

#[path = "support/mod.rs"]
mod support;
use support::within;

const LIMIT: Duration = Duration::from_secs(60);

fn temp_sock(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("tulipa-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

/// Echoes every datagram to its sender.
#[derive(Default)]
struct Echo(Option<Rc<dyn DatagramTransport>>);

impl DatagramProtocol for Echo {
    fn connection_made(&mut self, t: Rc<dyn DatagramTransport>) {
        self.0 = Some(t);
    }
    fn datagram_received(&mut self, d: &[u8], from: TransportAddr) {
        self.0.as_ref().unwrap().sendto(d, Some(from));
    }
}

type Events = Rc<RefCell<Vec<Result<(Vec<u8>, TransportAddr), io::Error>>>>;

/// Records what arrives and every error.
struct Record(Events);

impl DatagramProtocol for Record {
    fn datagram_received(&mut self, d: &[u8], from: TransportAddr) {
        self.0.borrow_mut().push(Ok((d.to_vec(), from)));
    }
    fn error_received(&mut self, e: io::Error) {
        self.0.borrow_mut().push(Err(e));
    }
}

async fn until(events: &Events, n: usize) {
    while events.borrow().len() < n {
        tulipa::sleep(Duration::from_millis(1)).await;
    }
}

#[test]
fn unix_datagram_endpoint_echoes_to_the_senders_path_and_carries_large_datagrams_whole() {
    within(LIMIT, || {
        tulipa::run(async {
            let server_path = temp_sock("ude-echo-s");
            let client_path = temp_sock("ude-echo-c");
            let server = create_unix_datagram_endpoint(Echo::default, Some(&server_path), None)
                .await
                .unwrap();
            assert_eq!(
                server.local_addr(),
                Some(TransportAddr::Unix(Some(server_path.clone())))
            );
            assert_eq!(server.peer_addr(), None);
            let events: Events = Rc::default();
            let e = events.clone();
            // Bound, not connected: it addresses the server per datagram and gets replies.
            let client = create_unix_datagram_endpoint(move || Record(e), Some(&client_path), None)
                .await
                .unwrap();
            let to = TransportAddr::Unix(Some(server_path.clone()));
            for i in 0..20u8 {
                client.sendto(&[i; 300], Some(to.clone()));
            }
            // Over 64 KiB: a UDP payload could not be this long; a Unix datagram can.
            let big: Vec<u8> = (0..150_000u32).map(|i| (i % 251) as u8).collect();
            client.sendto(&big, Some(to.clone()));
            until(&events, 21).await;
            let got = events.borrow();
            for (i, ev) in got.iter().take(20).enumerate() {
                let (d, from) = ev.as_ref().unwrap();
                assert_eq!(d, &vec![i as u8; 300], "datagram {i} in order and intact");
                assert_eq!(from, &to);
            }
            let (d, _) = got[20].as_ref().unwrap();
            assert_eq!(d.len(), big.len(), "the large datagram was not cut");
            assert!(d == &big);
            drop(got);
            client.close();
            server.close();
            // The endpoints leave their socket files (as UnixDatagram::bind does).
            assert!(server_path.exists());
            std::fs::remove_file(&server_path).unwrap();
            std::fs::remove_file(&client_path).unwrap();
        });
    });
}

#[test]
fn unix_datagram_endpoint_flow_control_against_a_peer_that_does_not_read() {
    within(LIMIT, || {
        tulipa::run(async {
            let peer_path = temp_sock("ude-flow");
            let peer = std::os::unix::net::UnixDatagram::bind(&peer_path).unwrap();
            struct Flow(Rc<Cell<(u32, u32)>>);
            impl DatagramProtocol for Flow {
                fn pause_writing(&mut self) {
                    let (p, r) = self.0.get();
                    self.0.set((p + 1, r));
                }
                fn resume_writing(&mut self) {
                    let (p, r) = self.0.get();
                    self.0.set((p, r + 1));
                }
                fn error_received(&mut self, e: io::Error) {
                    panic!("no error expected: {e}");
                }
            }
            let flow = Rc::new(Cell::new((0, 0)));
            let f = flow.clone();
            let t = create_unix_datagram_endpoint(move || Flow(f), None, Some(&peer_path))
                .await
                .unwrap();
            t.set_write_buffer_limits(Some(64 * 1024), Some(16 * 1024));
            // 2,000 datagrams of 1 KiB: the kernel queue of an unread socket holds far fewer
            // (max_dgram_qlen), so the rest wait in the transport's queue.
            const N: usize = 2000;
            for i in 0..N {
                let mut d = vec![0u8; 1024];
                d[..4].copy_from_slice(&(i as u32).to_be_bytes());
                t.sendto(&d, None);
            }
            assert_eq!(
                flow.get().0,
                1,
                "pause_writing once over the high watermark"
            );
            assert!(t.write_buffer_size() > 64 * 1024);
            // Now read everything on a thread: the queue drains, writing resumes, all
            // datagrams arrive in order.
            let reader = thread::spawn(move || {
                peer.set_read_timeout(Some(Duration::from_secs(20)))
                    .unwrap();
                let mut buf = [0u8; 2048];
                for i in 0..N {
                    let n = peer.recv(&mut buf).unwrap();
                    assert_eq!(n, 1024);
                    assert_eq!(u32::from_be_bytes(buf[..4].try_into().unwrap()), i as u32);
                }
            });
            while t.write_buffer_size() > 0 {
                tulipa::sleep(Duration::from_millis(1)).await;
            }
            assert_eq!(
                flow.get(),
                (1, 1),
                "resume_writing once below the low watermark"
            );
            tulipa::spawn_blocking(move || reader.join())
                .await
                .unwrap()
                .unwrap();
            t.close();
            std::fs::remove_file(&peer_path).unwrap();
        });
    });
}

#[test]
fn unix_datagram_endpoint_errors_are_typed_and_the_endpoint_goes_on() {
    within(LIMIT, || {
        tulipa::run(async {
            // A path that does not fit a socket address.
            let long = std::env::temp_dir().join("x".repeat(200));
            let err = create_unix_datagram_endpoint(Echo::default, Some(&long), None)
                .await
                .unwrap_err();
            let net = err.get_ref().and_then(|e| e.downcast_ref::<NetError>());
            assert!(matches!(net, Some(NetError::PathTooLong { .. })), "{err:?}");
            // Nothing bound at the remote path.
            let nobody = temp_sock("ude-nobody");
            let err = create_unix_datagram_endpoint(Echo::default, None, Some(&nobody))
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::ConnectionRefused
                ),
                "{err:?}"
            );
            // The local path exists already.
            let taken = temp_sock("ude-taken");
            let first = create_unix_datagram_endpoint(Echo::default, Some(&taken), None)
                .await
                .unwrap();
            let err = create_unix_datagram_endpoint(Echo::default, Some(&taken), None)
                .await
                .unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::AddrInUse);

            // An unbound sender arrives as Unix(None); replying to it, or sending to an IP
            // address, goes to error_received and the endpoint carries on.
            let events: Events = Rc::default();
            let e = events.clone();
            let server = create_unix_datagram_endpoint(
                move || Record(e),
                Some(&taken.with_extension("2")),
                None,
            )
            .await
            .unwrap();
            let anon = std::os::unix::net::UnixDatagram::unbound().unwrap();
            anon.send_to(b"who am i", taken.with_extension("2"))
                .unwrap();
            until(&events, 1).await;
            let from = match &events.borrow()[0] {
                Ok((d, from)) => {
                    assert_eq!(d, b"who am i");
                    from.clone()
                }
                Err(e) => panic!("{e}"),
            };
            assert_eq!(from, TransportAddr::Unix(None));
            server.sendto(b"reply", Some(from));
            server.sendto(
                b"to ip",
                Some(TransportAddr::Inet("127.0.0.1:9".parse().unwrap())),
            );
            until(&events, 3).await;
            for ev in &events.borrow()[1..] {
                let e = ev.as_ref().unwrap_err();
                assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
            }
            anon.send_to(b"still here", taken.with_extension("2"))
                .unwrap();
            until(&events, 4).await;
            assert!(matches!(&events.borrow()[3], Ok((d, _)) if d == b"still here"));
            assert!(!server.is_closing());
            server.close();
            first.close();
            std::fs::remove_file(&taken).unwrap();
            std::fs::remove_file(taken.with_extension("2")).unwrap();
        });
    });
}
