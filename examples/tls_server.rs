//! A TLS server on loopback with tulipa's default `ServerConfig` and a self-signed
//! certificate for `localhost` made at start-up (rcgen), for scanning the default
//! configuration with an outside tool (`make tls-scan` runs testssl.sh against it):
//!
//!     cargo run --example tls_server -- 127.0.0.1:0 [SECONDS [CERT_PEM_OUT]]
//!
//! Every connection gets one line (`tulipa tls_server\n`) and a clean close (close_notify).
//! It prints `PORT <n>` when it is ready, and exits when its standard input reaches end of
//! file or after SECONDS (default 600), so that it never outlives the script that started it.
//! With CERT_PEM_OUT it writes its certificate there first, for the scanner to trust.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // The server is native-only: a page cannot listen.
}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::io::Write;
    use std::time::Duration;

    use tulipa::tls::ServerConfig;

    pub fn main() {
        let mut args = std::env::args().skip(1);
        let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
        let secs: u64 = args
            .next()
            .map(|s| s.parse().expect("SECONDS must be a whole number"))
            .unwrap_or(600);
        let cert_out = args.next();

        // The scanner holds our stdin open; when it goes away, so do we.
        std::thread::spawn(|| {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
            std::process::exit(0);
        });

        let (cert_pem, key_pem) = certificate();
        if let Some(path) = cert_out {
            std::fs::write(&path, &cert_pem).expect("writing the certificate");
        }
        let config = ServerConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes())
            .expect("the generated certificate and key");

        tulipa::run(async move {
            let server = tulipa::tls::start_server(
                |_reader, writer| async move {
                    writer.write(b"tulipa tls_server\n");
                    writer.close();
                    // Errors here are the client's doing (a scanner aborts connections on
                    // purpose); there is nobody to report them to.
                    let _ = writer.wait_closed().await;
                },
                addr.as_str(),
                &config,
            )
            .await
            .expect("bind");
            let port = server.addrs()[0].inet().expect("a TCP address").port();
            let mut out = std::io::stdout().lock();
            writeln!(out, "PORT {port}").expect("writing the port");
            out.flush().expect("writing the port");
            drop(out);
            tulipa::sleep(Duration::from_secs(secs)).await;
            server.close();
        });
    }

    /// A self-signed certificate for `localhost` and its key (ECDSA P-256), as PEM, shaped
    /// like one a public CA issues, so that a scan judges the TLS configuration rather than
    /// a test certificate's oddities: valid from a day ago for 90 days (rcgen's default of
    /// 1975 to 4096 is rated HIGH), and with a CRL distribution point (a certificate without
    /// any revocation information is rated HIGH too). Nothing serves that CRL; testssl.sh
    /// does not fetch it unless told to go online.
    fn certificate() -> (String, String) {
        const DAY: Duration = Duration::from_secs(24 * 60 * 60);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("a clock after 1970");
        let key = rcgen::KeyPair::generate().expect("generating a key");
        let mut params =
            rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("the name");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params.not_before = rcgen::date_time_ymd(1970, 1, 1) + now - DAY;
        params.not_after = params.not_before + 90 * DAY;
        params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
            uris: vec!["http://localhost/tulipa-tls-server.crl".to_owned()],
        }];
        let cert = params.self_signed(&key).expect("signing the certificate");
        (cert.pem(), key.serialize_pem())
    }
}
