//! A client that resets its connection in the middle of the TLS handshake (it sends the
//! start of a ClientHello, then closes with `SO_LINGER` 0, which sends a RST) is reported
//! to the server configuration's handshake error handler, by `tls::create_server` and by
//! `tls::start_server` alike, and the server forgets the connection. A client that closes
//! with a FIN at the same point is reported too (as `HandshakeEof`); a server-side upgrade
//! that the server itself cancels is not.
//!
//! The handshake timeout is far longer than the wait for the report, so the report cannot
//! come from the timeout.
#![cfg(not(target_arch = "wasm32"))]

#[path = "tls_common/mod.rs"]
mod common;

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tulipa::net::{Server, TcpStream};
use tulipa::tls::{ServerConfig, TlsError};
use tulipa::transports::{Protocol, Transport};

/// The first bytes of a ClientHello record (the record announces 512 bytes; 9 come).
const PARTIAL_CLIENT_HELLO: [u8; 9] = [0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc];

/// How long the tests wait for a report; the handshake timeout is ten times that.
const WAIT: Duration = Duration::from_secs(10);

type Reports = Arc<Mutex<Vec<TlsError>>>;

fn config() -> (ServerConfig, Reports) {
    let reports: Reports = Arc::default();
    let r = Arc::clone(&reports);
    let config = common::self_signed(&["localhost"])
        .server_config()
        .with_handshake_timeout(WAIT * 10)
        .with_handshake_error_handler(move |e| r.lock().unwrap().push(e.clone()));
    (config, reports)
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    tulipa::time::timeout(WAIT, async {
        while !done() {
            tulipa::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting until {what}"));
}

/// Connects to `srv`, sends a partial ClientHello, waits until the server holds the
/// connection (its handshake is under way), then ends it: with a RST if `reset`, else with
/// a FIN. Returns the one error the handler was given.
async fn end_mid_handshake(srv: &Server, reports: &Reports, reset: bool) -> TlsError {
    let addr = srv.addrs()[0].inet().unwrap();
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(&PARTIAL_CLIENT_HELLO).await.unwrap();
    wait_until("the server accepted the connection", || {
        srv.active_connections() == 1
    })
    .await;
    if reset {
        c.set_linger(Some(Duration::ZERO)).unwrap();
    }
    drop(c);
    wait_until("the handshake error handler was called", || {
        !reports.lock().unwrap().is_empty()
    })
    .await;
    wait_until("the server dropped the connection", || {
        srv.active_connections() == 0
    })
    .await;
    let mut reports = reports.lock().unwrap();
    assert_eq!(
        reports.len(),
        1,
        "one failed handshake, one report: {reports:?}"
    );
    reports.pop().unwrap()
}

#[track_caller]
fn assert_reset_report(e: &TlsError, server: &str) {
    // A reset is not a TLS failure of its own: it is reported as the handshake's failure,
    // with the socket's error in the reason.
    assert!(
        matches!(e, TlsError::Protocol { reason } if reason.contains("handshake")),
        "{server}: {e:?}"
    );
}

struct Quiet;
impl Protocol for Quiet {}

#[test]
fn a_reset_mid_handshake_is_reported_by_create_server() {
    common::run(async {
        let (config, reports) = config();
        let srv = tulipa::tls::create_server(|| Quiet, "127.0.0.1:0", &config)
            .await
            .unwrap();
        let e = end_mid_handshake(&srv, &reports, true).await;
        assert_reset_report(&e, "create_server");
        srv.close();
    });
}

#[test]
fn a_reset_mid_handshake_is_reported_by_start_server() {
    common::run(async {
        let (config, reports) = config();
        let srv = tulipa::tls::start_server(
            |_r, _w| async { panic!("no connection may reach the handler") },
            "127.0.0.1:0",
            &config,
        )
        .await
        .unwrap();
        let e = end_mid_handshake(&srv, &reports, true).await;
        assert_reset_report(&e, "start_server");
        srv.close();
    });
}

#[test]
fn an_eof_mid_handshake_is_reported_as_handshake_eof() {
    common::run(async {
        let (config, reports) = config();
        let srv = tulipa::tls::create_server(|| Quiet, "127.0.0.1:0", &config)
            .await
            .unwrap();
        let e = end_mid_handshake(&srv, &reports, false).await;
        assert_eq!(e, TlsError::HandshakeEof);
        srv.close();
    });
}

/// Gives the accepted plain transport to the test, reading paused (as for a STARTTLS).
struct Grab(Option<tulipa::channel::oneshot::Sender<Rc<dyn Transport>>>);

impl Protocol for Grab {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        t.pause_reading();
        if let Some(tx) = self.0.take() {
            let _ = tx.send(t);
        }
    }
}

#[test]
fn a_cancelled_start_tls_server_is_not_reported() {
    common::run(async {
        let (config, reports) = config();
        let (tx, rx) = tulipa::channel::oneshot::channel();
        let tx = Cell::new(Some(tx));
        let srv = tulipa::net::create_server(move || Grab(tx.take()), "127.0.0.1:0")
            .await
            .unwrap();
        let mut c = TcpStream::connect(srv.addrs()[0].inet().unwrap())
            .await
            .unwrap();
        let plain = rx.await.unwrap();
        // The client never sends its ClientHello; the server gives up waiting for it. That
        // aborts the connection, which is the server's own doing, not a failed handshake.
        let upgrade = tulipa::tls::start_tls_server(&*plain, Quiet, &config);
        assert!(tulipa::time::timeout(Duration::from_millis(50), upgrade)
            .await
            .is_err());
        let end = tulipa::time::timeout(WAIT, c.read(&mut [0; 16]))
            .await
            .expect("the cancelled upgrade left the connection open");
        assert!(matches!(end, Ok(0) | Err(_)), "{end:?}");
        wait_until("the server dropped the connection", || {
            srv.active_connections() == 0
        })
        .await;
        assert_eq!(*reports.lock().unwrap(), []);
        srv.close();
    });
}
