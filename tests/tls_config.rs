//! What the configurations negotiate: session resumption, ALPN agreement and mismatch,
//! protocol-version mismatch, optional client certificates, and the test-only opt-out of
//! verification.
#![cfg(not(target_arch = "wasm32"))]

mod tls_common;

use tls_common::{run, self_signed, Ca};
use tulipa::net::{TcpListener, TcpStream};
use tulipa::tls::{ClientAuth, ClientConfig, ServerConfig, TlsError, TlsStream, TlsVersion};

/// Serves `n` connections, returning each handshake's result (info or error).
fn serve(
    listener: TcpListener,
    config: ServerConfig,
    n: usize,
) -> tulipa::JoinHandle<Vec<Result<tulipa::tls::TlsInfo, TlsError>>> {
    tulipa::spawn_local(async move {
        let mut out = Vec::new();
        for _ in 0..n {
            let (sock, _) = listener.accept().await.unwrap();
            match TlsStream::accept(sock, &config).await {
                Ok(mut s) => {
                    s.write_all(b"!").await.unwrap();
                    let _ = s.shutdown().await;
                    out.push(Ok(s.info().clone()));
                }
                Err(e) => out.push(Err(TlsError::of(&e).cloned().unwrap())),
            }
        }
        out
    })
}

async fn connect(
    addr: std::net::SocketAddr,
    config: &ClientConfig,
) -> Result<tulipa::tls::TlsInfo, TlsError> {
    let sock = TcpStream::connect(addr).await.unwrap();
    match TlsStream::connect(sock, "localhost", config).await {
        Ok(mut s) => {
            let mut b = [0u8; 1];
            match s.read_exact(&mut b).await {
                Ok(()) => Ok(s.info().clone()),
                Err(e) => Err(TlsError::of(&e).cloned().unwrap()),
            }
        }
        Err(e) => Err(TlsError::of(&e).cloned().unwrap()),
    }
}

#[test]
fn sessions_are_resumed_with_the_same_config() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        for version in [TlsVersion::Tls13, TlsVersion::Tls12] {
            let server = ca
                .leaf(&["localhost"], None)
                .server_config()
                .with_protocol_versions(&[version]);
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let srv = serve(l, server, 2);
            let client = ca.client_config();
            let first = connect(addr, &client).await.unwrap();
            let second = connect(addr, &client.clone()).await.unwrap();
            assert_eq!(first.version(), Some(version));
            assert!(!first.is_resumed(), "{version}: first is a full handshake");
            assert!(second.is_resumed(), "{version}: second is resumed");
            let infos = srv.await.unwrap();
            assert!(infos[1].as_ref().unwrap().is_resumed());
        }
    });
}

#[test]
fn alpn_agreement_and_mismatch() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server = ca
            .leaf(&["localhost"], None)
            .server_config()
            .with_alpn(&["h2", "http/1.1"]);
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = serve(l, server, 3);
        // The server's preference wins among what the client offers.
        let a = connect(addr, &ca.client_config().with_alpn(&["http/1.1", "h2"]))
            .await
            .unwrap();
        assert_eq!(a.alpn_protocol(), Some(&b"h2"[..]));
        // No ALPN from the client: accepted, nothing negotiated.
        let b = connect(addr, &ca.client_config()).await.unwrap();
        assert_eq!(b.alpn_protocol(), None);
        // Nothing in common: refused on both sides.
        let c = connect(addr, &ca.client_config().with_alpn(&["spdy/1"])).await;
        assert_eq!(c.unwrap_err(), TlsError::NoApplicationProtocol);
        let infos = srv.await.unwrap();
        assert_eq!(infos[2], Err(TlsError::NoApplicationProtocol));
    });
}

#[test]
fn no_common_protocol_version() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let server = ca
            .leaf(&["localhost"], None)
            .server_config()
            .with_protocol_versions(&[TlsVersion::Tls13]);
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = serve(l, server, 1);
        let c = connect(
            addr,
            &ca.client_config()
                .with_protocol_versions(&[TlsVersion::Tls12]),
        )
        .await
        .unwrap_err();
        assert!(matches!(c, TlsError::PeerRejected { .. }), "{c:?}");
        let s = srv.await.unwrap().remove(0).unwrap_err();
        assert!(matches!(s, TlsError::Protocol { .. }), "{s:?}");
    });
}

#[test]
fn optional_client_certificates() {
    run(async {
        let ca = Ca::new("tulipa test CA");
        let client_ca = Ca::new("client CA");
        let other_ca = Ca::new("other client CA");
        let roots = tulipa::tls::certificates_from_pem(client_ca.cert_pem.as_bytes()).unwrap();
        let server = ca
            .leaf(&["localhost"], None)
            .server_config()
            .with_client_auth(ClientAuth::Optional(roots))
            .unwrap();
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = serve(l, server, 3);
        // Without a certificate: accepted, no peer certificate.
        connect(addr, &ca.client_config()).await.unwrap();
        // With a good one: accepted, the server sees it.
        let me = client_ca.leaf(&["me"], None);
        let good = ca
            .client_config()
            .with_client_certificate_pem(me.cert_pem.as_bytes(), me.key_pem.as_bytes())
            .unwrap();
        connect(addr, &good).await.unwrap();
        // With one from an unknown CA: refused by the server.
        let stranger = other_ca.leaf(&["stranger"], None);
        let bad = ca
            .client_config()
            .with_client_certificate_pem(stranger.cert_pem.as_bytes(), stranger.key_pem.as_bytes())
            .unwrap();
        // TLS 1.3: the client learns it on its first read, from the server's alert.
        let refused = connect(addr, &bad).await.unwrap_err();
        assert!(matches!(refused, TlsError::PeerRejected { ref alert } if alert == "UnknownCA"));
        let infos = srv.await.unwrap();
        assert!(infos[0].as_ref().unwrap().peer_certificates().is_empty());
        assert_eq!(infos[1].as_ref().unwrap().peer_certificates().len(), 1);
        assert_eq!(infos[2], Err(TlsError::UnknownIssuer));
    });
}

#[test]
fn dangerous_accept_any_certificate_for_tests_accepts_what_verification_refuses() {
    run(async {
        let id = self_signed(&["somewhere.else"]);
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let srv = serve(l, id.server_config(), 2);
        let strict = connect(addr, &ClientConfig::new()).await.unwrap_err();
        assert_eq!(strict, TlsError::SelfSignedCertificate);
        let lax = ClientConfig::new().dangerous_accept_any_certificate_for_tests();
        assert!(lax.accepts_any_certificate());
        let info = connect(addr, &lax).await.unwrap();
        assert_eq!(info.peer_certificates().len(), 1);
        srv.await.unwrap();
    });
}

/// A client whose rustls configuration lists `suites` in that order of preference.
fn client_preferring(ca: &Ca, suites: &[rustls::SupportedCipherSuite]) -> ClientConfig {
    use std::sync::Arc;
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = suites.to_vec();
    let mut roots = rustls::RootCertStore::empty();
    for c in tulipa::tls::certificates_from_pem(ca.cert_pem.as_bytes()).unwrap() {
        roots.add(c).unwrap();
    }
    let raw = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    ClientConfig::from_rustls(Arc::new(raw))
}

/// The server's cipher-suite order decides, not the client's (testssl.sh rates a server
/// without its own order HIGH: a client could steer it to the weakest suite both offer).
/// A client preferring ChaCha20 then AES-128 still gets AES-256-GCM, the server's first.
#[test]
fn the_server_cipher_suite_order_wins() {
    use rustls::crypto::ring::cipher_suite as cs;
    run(async {
        let ca = Ca::new("tulipa test CA");
        let cases = [
            (
                TlsVersion::Tls13,
                vec![
                    cs::TLS13_CHACHA20_POLY1305_SHA256,
                    cs::TLS13_AES_128_GCM_SHA256,
                    cs::TLS13_AES_256_GCM_SHA384,
                ],
                "TLS13_AES_256_GCM_SHA384",
            ),
            (
                TlsVersion::Tls12,
                vec![
                    cs::TLS13_AES_128_GCM_SHA256,
                    cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                    cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                ],
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
            ),
        ];
        for (version, client_order, expect) in cases {
            let server = ca
                .leaf(&["localhost"], None)
                .server_config()
                .with_protocol_versions(&[version]);
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            let srv = serve(l, server, 1);
            let info = connect(addr, &client_preferring(&ca, &client_order))
                .await
                .unwrap();
            assert_eq!(info.version(), Some(version));
            assert_eq!(info.cipher_suite(), Some(expect), "{version}");
            srv.await.unwrap()[0].as_ref().unwrap();
        }
    });
}
