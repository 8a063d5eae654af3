//! Happy Eyeballs (`ConnectOptions::happy_eyeballs`): a first address that never answers
//! does not hold up the next one, a failure starts the next attempt at once, and when every
//! attempt fails the error says why. The address that never answers is a local listener
//! whose accept queue is full: the kernel drops further SYNs, so connects to it hang.
#![cfg(not(target_arch = "wasm32"))]

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{Domain, Socket, Type};
use tulipa::net::{ConnectOptions, NetError, TcpStream};

#[path = "support/mod.rs"]
mod support;
use support::within;

/// A listener with a full accept queue (backlog 0, one connection queued), and the socket
/// that fills it: connects to its address hang.
fn black_hole() -> (SocketAddr, Socket, Socket) {
    let l = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    l.bind(&"127.0.0.1:0".parse::<SocketAddr>().unwrap().into())
        .unwrap();
    l.listen(0).unwrap();
    let addr = l.local_addr().unwrap().as_socket().unwrap();
    let filler = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    filler.connect(&addr.into()).unwrap();
    (addr, l, filler)
}

/// An address where nothing listens (connects are refused at once).
fn refused() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

#[test]
fn happy_eyeballs_skips_an_address_that_never_answers() {
    within(Duration::from_secs(60), || {
        let (hole, _l, _filler) = black_hole();
        let good = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let good_addr = good.local_addr().unwrap();
        tulipa::run(async move {
            let opts = ConnectOptions::new().happy_eyeballs(Duration::from_millis(50));
            let s = tulipa::time::timeout(
                Duration::from_secs(10),
                TcpStream::connect_with(vec![hole, good_addr], &opts),
            )
            .await
            .expect("the second address was tried while the first hung")
            .unwrap();
            assert_eq!(s.peer_addr().unwrap(), good_addr);
            // The plain sequential connect is stuck on the same first address.
            let sequential = tulipa::time::timeout(
                Duration::from_millis(300),
                TcpStream::connect(vec![hole, good_addr]),
            )
            .await;
            assert!(
                sequential.is_err(),
                "without happy eyeballs the first address holds it up"
            );
        });
    });
}

#[test]
fn happy_eyeballs_starts_the_next_attempt_at_once_after_a_failure() {
    within(Duration::from_secs(60), || {
        let good = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let good_addr = good.local_addr().unwrap();
        tulipa::run(async move {
            // A delay far longer than the test's limit: only a failure can start attempt 2.
            let opts = ConnectOptions::new().happy_eyeballs(Duration::from_secs(3600));
            let s = tulipa::time::timeout(
                Duration::from_secs(10),
                TcpStream::connect_with(vec![refused(), refused(), good_addr], &opts),
            )
            .await
            .expect("a refused attempt started the next one without waiting for the delay")
            .unwrap();
            assert_eq!(s.peer_addr().unwrap(), good_addr);
        });
    });
}

#[test]
fn happy_eyeballs_reports_the_failure_when_every_attempt_fails() {
    within(Duration::from_secs(60), || {
        let (hole, _l, _filler) = black_hole();
        tulipa::run(async move {
            let opts = ConnectOptions::new().happy_eyeballs(Duration::from_millis(20));
            let e = TcpStream::connect_with(vec![refused(), refused()], &opts)
                .await
                .unwrap_err();
            assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused);
            // Attempts that hang end at the per-attempt limit, with a typed error.
            let opts = opts.timeout(Duration::from_millis(200));
            let e = TcpStream::connect_with(vec![hole, hole], &opts)
                .await
                .unwrap_err();
            let inner = e.get_ref().and_then(|i| i.downcast_ref::<NetError>());
            assert!(
                matches!(inner, Some(NetError::ConnectTimedOut { .. })),
                "{e:?}"
            );
        });
    });
}
