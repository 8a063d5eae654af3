//! The bad-certificate table: each kind of bad certificate is a distinct, typed error with
//! an actionable message, on both levels (TlsStream and open_connection), and no
//! connection is left open on either side.
#![cfg(not(target_arch = "wasm32"))]

mod tls_common;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tls_common::{run, self_signed, Ca, Identity};
use tulipa::net::{TcpListener, TcpStream};
use tulipa::tls::{ClientAuth, ClientConfig, ServerConfig, TlsError, TlsStream};

/// Serves one TLS connection with `server` on a raw listener; returns the client's error
/// and the server's.
async fn handshake_pair(
    server: ServerConfig,
    client: ClientConfig,
    name: &str,
) -> (Result<(), TlsError>, Result<(), TlsError>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let srv = tulipa::spawn_local(async move {
        let (sock, _) = listener.accept().await.unwrap();
        match TlsStream::accept(sock, &server).await {
            Ok(mut s) => {
                // TLS 1.3: a client-certificate failure shows up on the first read.
                let mut b = [0u8; 1];
                match futures_read(&mut s, &mut b).await {
                    Ok(_) => Ok(()),
                    Err(e) => Err(TlsError::of(&e).cloned().unwrap_or(TlsError::Truncated)),
                }
            }
            Err(e) => Err(TlsError::of(&e).cloned().expect("a typed TLS error")),
        }
    });
    let sock = TcpStream::connect(addr).await.unwrap();
    let cli = match TlsStream::connect(sock, name, &client).await {
        Ok(mut s) => {
            let mut b = [0u8; 1];
            let r = futures_read(&mut s, &mut b).await;
            match r {
                Ok(_) => Ok(()),
                Err(e) => Err(TlsError::of(&e).cloned().unwrap_or(TlsError::Truncated)),
            }
        }
        Err(e) => Err(TlsError::of(&e).cloned().expect("a typed TLS error")),
    };
    (cli, srv.await.unwrap())
}

async fn futures_read<S>(s: &mut TlsStream<S>, buf: &mut [u8]) -> std::io::Result<usize>
where
    S: futures_io::AsyncRead + futures_io::AsyncWrite + Unpin,
{
    std::future::poll_fn(|cx| {
        futures_io::AsyncRead::poll_read(std::pin::Pin::new(&mut *s), cx, buf)
    })
    .await
}

fn valid(ca: &Ca) -> Identity {
    ca.leaf(&["localhost"], None)
}

#[test]
fn valid_chain_connects_and_shows_details() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let id = valid(&ca);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = id.server_config().with_alpn(&["h2", "http/1.1"]);
        let srv = tulipa::spawn_local(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let mut s = TlsStream::accept(sock, &server).await.unwrap();
            let info = s.info().clone();
            s.write_all(b"ok").await.unwrap();
            s.shutdown().await.unwrap();
            info
        });
        let client = ca.client_config().with_alpn(&["http/1.1"]);
        let sock = TcpStream::connect(addr).await.unwrap();
        let mut s = TlsStream::connect(sock, "localhost", &client)
            .await
            .unwrap();
        let mut b = [0u8; 2];
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(&b, b"ok");
        assert_eq!(
            s.read(&mut b).await.unwrap(),
            0,
            "close_notify then EOF is clean"
        );
        let ci = s.info().clone();
        let si = srv.await.unwrap();
        assert_eq!(ci.version(), Some(tulipa::tls::TlsVersion::Tls13));
        assert_eq!(ci.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(si.alpn_protocol(), Some(&b"http/1.1"[..]));
        assert_eq!(ci.cipher_suite(), si.cipher_suite());
        assert!(ci.cipher_suite().unwrap().starts_with("TLS13_"));
        assert_eq!(ci.peer_certificates().len(), 1);
        assert_eq!(
            si.server_name(),
            Some("localhost"),
            "SNI seen by the server"
        );
        assert!(si.peer_certificates().is_empty());
    });
}

#[test]
fn wrong_host_name() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let id = ca.leaf(&["other.example"], None);
        let (c, s) = handshake_pair(id.server_config(), ca.client_config(), "localhost").await;
        match c {
            Err(TlsError::WrongHostName {
                expected,
                presented,
            }) => {
                assert_eq!(expected, "localhost");
                assert!(
                    presented.iter().any(|p| p.contains("other.example")),
                    "{presented:?}"
                );
                let msg = TlsError::WrongHostName {
                    expected,
                    presented,
                }
                .to_string();
                assert!(
                    msg.contains("localhost") && msg.contains("other.example"),
                    "{msg}"
                );
            }
            other => panic!("expected WrongHostName, got {other:?}"),
        }
        assert!(
            matches!(s, Err(TlsError::PeerRejected { .. })),
            "server: {s:?}"
        );
    });
}

#[test]
fn expired_certificate() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let id = ca.leaf(&["localhost"], Some((2000, 2001)));
        let (c, s) = handshake_pair(id.server_config(), ca.client_config(), "localhost").await;
        assert_eq!(c, Err(TlsError::CertificateExpired));
        assert!(c.unwrap_err().to_string().contains("expired"));
        assert!(
            matches!(s, Err(TlsError::PeerRejected { .. })),
            "server: {s:?}"
        );
    });
}

#[test]
fn not_yet_valid_certificate() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let id = ca.leaf(&["localhost"], Some((2090, 2099)));
        let (c, _) = handshake_pair(id.server_config(), ca.client_config(), "localhost").await;
        assert_eq!(c, Err(TlsError::CertificateNotYetValid));
    });
}

#[test]
fn self_signed_certificate() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let id = self_signed(&["localhost"]);
        let (c, s) = handshake_pair(id.server_config(), ca.client_config(), "localhost").await;
        assert_eq!(c, Err(TlsError::SelfSignedCertificate));
        assert!(c.unwrap_err().to_string().contains("self-signed"));
        assert!(
            matches!(s, Err(TlsError::PeerRejected { .. })),
            "server: {s:?}"
        );
    });
}

#[test]
fn untrusted_root() {
    run(async {
        let trusted = Ca::new("trusted CA");
        let other = Ca::new("some other CA");
        let id = other.leaf(&["localhost"], None);
        let (c, _) = handshake_pair(id.server_config(), trusted.client_config(), "localhost").await;
        assert_eq!(c, Err(TlsError::UnknownIssuer));
        assert!(c
            .unwrap_err()
            .to_string()
            .contains("unknown or untrusted authority"));
    });
}

#[test]
fn bundled_roots_do_not_trust_a_test_ca() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let id = valid(&ca);
        let (c, _) = handshake_pair(id.server_config(), ClientConfig::new(), "localhost").await;
        assert_eq!(c, Err(TlsError::UnknownIssuer));
    });
}

#[test]
fn client_certificate_required_but_missing() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let id = valid(&ca);
        let client_ca = Ca::new("client CA");
        let server = id
            .server_config()
            .with_client_auth(ClientAuth::Required(vec![
                tulipa::tls::certificates_from_pem(client_ca.cert_pem.as_bytes())
                    .unwrap()
                    .remove(0),
            ]))
            .unwrap();
        let (c, s) = handshake_pair(server.clone(), ca.client_config(), "localhost").await;
        assert_eq!(s, Err(TlsError::ClientCertificateRequired));
        assert!(s
            .unwrap_err()
            .to_string()
            .contains("with_client_certificate"));
        match c {
            Err(TlsError::PeerRejected { alert }) => assert!(alert.contains("CertificateRequired")),
            other => panic!("client: {other:?}"),
        }

        // With a client certificate from the right CA it works, and the server sees it.
        let me = client_ca.leaf(&["client.example"], None);
        let client = ca
            .client_config()
            .with_client_certificate_pem(me.cert_pem.as_bytes(), me.key_pem.as_bytes())
            .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let srv = tulipa::spawn_local(async move {
            let (sock, _) = listener.accept().await.unwrap();
            let mut s = TlsStream::accept(sock, &server).await.unwrap();
            s.write_all(b"k").await.unwrap();
            s.info().peer_certificates().len()
        });
        let sock = TcpStream::connect(addr).await.unwrap();
        let mut s = TlsStream::connect(sock, "localhost", &client)
            .await
            .unwrap();
        let mut b = [0u8; 1];
        s.read_exact(&mut b).await.unwrap();
        assert_eq!(srv.await.unwrap(), 1);
    });
}

/// The same table through `tls::open_connection` / `tls::start_server`: the client gets the
/// typed error from open_connection, the server reports it to its handshake error handler,
/// never calls the handler, and holds no connection afterwards.
#[test]
fn bad_certificates_through_the_stream_api_leave_nothing_open() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let other = Ca::new("other CA");
        type Case = (&'static str, Identity, fn(&TlsError) -> bool);
        let cases: Vec<Case> = vec![
            ("wrong host", ca.leaf(&["other.example"], None), |e| {
                matches!(e, TlsError::WrongHostName { .. })
            }),
            (
                "expired",
                ca.leaf(&["localhost"], Some((2000, 2001))),
                |e| *e == TlsError::CertificateExpired,
            ),
            ("self-signed", self_signed(&["localhost"]), |e| {
                *e == TlsError::SelfSignedCertificate
            }),
            ("untrusted root", other.leaf(&["localhost"], None), |e| {
                *e == TlsError::UnknownIssuer
            }),
        ];
        for (what, id, check) in cases {
            let reported = Arc::new(Mutex::new(Vec::<TlsError>::new()));
            let r2 = reported.clone();
            let calls = Rc::new(RefCell::new(0));
            let c2 = calls.clone();
            let server = id
                .server_config()
                .with_handshake_error_handler(move |e| r2.lock().unwrap().push(e.clone()));
            let srv = tulipa::tls::start_server(
                move |_r, _w| {
                    *c2.borrow_mut() += 1;
                    async {}
                },
                "127.0.0.1:0",
                &server,
            )
            .await
            .unwrap();
            let addr = srv.addrs()[0].inet().unwrap();
            let e = tulipa::tls::open_connection(addr, "localhost", &ca.client_config())
                .await
                .unwrap_err();
            let tls = TlsError::of(&e).unwrap_or_else(|| panic!("{what}: untyped error {e}"));
            assert!(check(tls), "{what}: got {tls:?}");
            assert_eq!(e.kind(), std::io::ErrorKind::InvalidData, "{what}");
            // The server side closes its end too.
            tulipa::time::timeout(std::time::Duration::from_secs(10), async {
                while srv.active_connections() > 0 || reported.lock().unwrap().is_empty() {
                    tulipa::sleep(std::time::Duration::from_millis(5)).await;
                }
            })
            .await
            .unwrap_or_else(|_| panic!("{what}: server connection still open"));
            assert!(
                matches!(reported.lock().unwrap()[0], TlsError::PeerRejected { .. }),
                "{what}: {:?}",
                reported.lock().unwrap()
            );
            assert_eq!(
                *calls.borrow(),
                0,
                "{what}: the handler ran for a failed handshake"
            );
            srv.close();
        }
    });
}

#[test]
fn invalid_server_name_and_bad_pem_are_config_errors() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sock = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
        let e = TlsStream::connect(sock, "not a name!", &ca.client_config())
            .await
            .unwrap_err();
        assert!(matches!(
            TlsError::of(&e),
            Some(TlsError::InvalidServerName { .. })
        ));
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    });
    let id = self_signed(&["localhost"]);
    let other = self_signed(&["localhost"]);
    let e = ServerConfig::from_pem(id.cert_pem.as_bytes(), other.key_pem.as_bytes()).unwrap_err();
    assert!(matches!(e, TlsError::Config { .. }), "{e:?}");
    assert!(ClientConfig::new().with_root_certificates_pem(b"").is_err());
    let count = AtomicUsize::new(0);
    count.fetch_add(1, Ordering::Relaxed);
}
