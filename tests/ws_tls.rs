//! `wss://` natively: tulipa's WebSocket over tulipa's TLS (`serve_tls`, `connect_tls`,
//! `connect`), with certificates made at test time. Echo of text, binary and 1 MiB, close
//! codes, certificate errors surfacing as typed TLS errors, and a TLS server that keeps
//! serving after clients that fail their TLS handshake.
#![cfg(not(target_arch = "wasm32"))]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tulipa::net::TcpListener;
use tulipa::time::timeout;
use tulipa::tls::{ClientConfig, ServerConfig, TlsError};
use tulipa::ws::{self, Error, Message, Options};

const LIMIT: Duration = Duration::from_secs(30);

fn run<F: std::future::Future<Output = ()> + 'static>(f: F) {
    tulipa::run(async move {
        timeout(LIMIT, f)
            .await
            .expect("test timed out: lost wakeup or hang");
    });
}

/// A self-signed certificate for "localhost": the server's config, a client config that
/// trusts it, and the count of failed server-side TLS handshakes.
fn configs() -> (ServerConfig, ClientConfig, Arc<AtomicUsize>) {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let failures = Arc::new(AtomicUsize::new(0));
    let f = failures.clone();
    let server = ServerConfig::from_pem(
        ck.cert.pem().as_bytes(),
        ck.signing_key.serialize_pem().as_bytes(),
    )
    .unwrap()
    .with_handshake_error_handler(move |_| {
        f.fetch_add(1, Ordering::SeqCst);
    });
    let client = ClientConfig::new()
        .with_root_certificates_pem(ck.cert.pem().as_bytes())
        .unwrap();
    (server, client, failures)
}

/// A wss echo server; returns it and its port.
async fn echo(server: &ServerConfig) -> (ws::WsServer, u16) {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    let s = ws::serve_tls(
        l,
        server,
        Options::default(),
        |_req, mut ws: ws::WebSocket| async move {
            while let Ok(m @ (Message::Text(_) | Message::Binary(_))) = ws.recv().await {
                if ws.send(m).await.is_err() {
                    return;
                }
            }
        },
    );
    (s, port)
}

#[test]
fn wss_echo_text_binary_one_mebibyte_and_close_code() {
    run(async {
        let (server, client, failures) = configs();
        let (srv, port) = echo(&server).await;
        let url = format!("wss://localhost:{port}/");
        let mut c = ws::connect_tls(&url, Options::default(), &client)
            .await
            .unwrap();
        c.send("over tls").await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Text("over tls".into()));
        let big: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 253) as u8).collect();
        c.send(Message::Binary(big.clone())).await.unwrap();
        assert_eq!(c.recv().await.unwrap(), Message::Binary(big));
        c.close(4001, "done").await.unwrap();
        assert_eq!(failures.load(Ordering::SeqCst), 0);
        srv.close();
    });
}

#[test]
fn wss_certificate_errors_are_typed_and_the_server_keeps_serving() {
    run(async {
        let (server, client, failures) = configs();
        let (srv, port) = echo(&server).await;
        // The certificate is for "localhost", not 127.0.0.1.
        let e = ws::connect_tls(
            &format!("wss://127.0.0.1:{port}/"),
            Options::default(),
            &client,
        )
        .await
        .expect_err("a name mismatch must fail");
        let Error::Io(io) = &e else { panic!("{e:?}") };
        assert!(
            matches!(TlsError::of(io), Some(TlsError::WrongHostName { .. })),
            "{e}"
        );
        // Plain `connect` trusts the web PKI only: a self-signed certificate is refused.
        let e = ws::connect(&format!("wss://localhost:{port}/"))
            .await
            .expect_err("an untrusted certificate must fail");
        let Error::Io(io) = &e else { panic!("{e:?}") };
        assert!(
            matches!(
                TlsError::of(io),
                Some(TlsError::SelfSignedCertificate | TlsError::UnknownIssuer)
            ),
            "{e}"
        );
        // A plain ws:// client on the TLS port: its handshake fails, the server counts it.
        let before = failures.load(Ordering::SeqCst);
        assert!(ws::connect(&format!("ws://localhost:{port}/"))
            .await
            .is_err());
        while failures.load(Ordering::SeqCst) < before + 1 {
            tulipa::sleep(Duration::from_millis(5)).await;
        }
        // And a good client is still served.
        let mut c = ws::connect_tls(
            &format!("wss://localhost:{port}/"),
            Options::default(),
            &client,
        )
        .await
        .unwrap();
        c.send("still serving").await.unwrap();
        assert_eq!(
            c.recv().await.unwrap(),
            Message::Text("still serving".into())
        );
        // connect_tls wants a wss:// URL.
        assert!(matches!(
            ws::connect_tls(
                &format!("ws://localhost:{port}/"),
                Options::default(),
                &client
            )
            .await,
            Err(Error::InvalidUrl(_))
        ));
        srv.close();
    });
}
