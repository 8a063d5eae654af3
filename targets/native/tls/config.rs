//! `ClientConfig` and `ServerConfig`: rustls configurations that are easy to get right.

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::RootCertStore;

use super::error::TlsError;
use super::verify::{AcceptAnyCertificate, Verifier};

/// asyncio's default `ssl_handshake_timeout` (60 s).
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// asyncio's default `ssl_shutdown_timeout` (30 s).
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(30);

/// A TLS protocol version.
///
/// ```
/// use tulipa::tls::{ClientConfig, TlsVersion};
/// let config = ClientConfig::new().with_protocol_versions(&[TlsVersion::Tls13]);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2 (RFC 5246).
    Tls12,
    /// TLS 1.3 (RFC 8446).
    Tls13,
}

impl TlsVersion {
    fn rustls(self) -> &'static rustls::SupportedProtocolVersion {
        match self {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        }
    }

    pub(crate) fn from_rustls(v: rustls::ProtocolVersion) -> Option<TlsVersion> {
        match v {
            rustls::ProtocolVersion::TLSv1_2 => Some(TlsVersion::Tls12),
            rustls::ProtocolVersion::TLSv1_3 => Some(TlsVersion::Tls13),
            _ => None,
        }
    }
}

impl fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        })
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn versions(v: &[TlsVersion]) -> Vec<&'static rustls::SupportedProtocolVersion> {
    v.iter().map(|v| v.rustls()).collect()
}

/// Reads every certificate in a PEM text (`-----BEGIN CERTIFICATE-----` blocks).
///
/// # Errors
///
/// [`TlsError::Config`] if the PEM is malformed or holds no certificate.
///
/// ```
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let certs = tulipa::tls::certificates_from_pem(ck.cert.pem().as_bytes()).unwrap();
/// assert_eq!(certs.len(), 1);
/// assert!(tulipa::tls::certificates_from_pem(b"not pem").is_err());
/// ```
pub fn certificates_from_pem(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::config(format!("could not read PEM certificates: {e}")))?;
    if certs.is_empty() {
        return Err(TlsError::config(
            "no certificate found in the PEM (expected -----BEGIN CERTIFICATE-----)",
        ));
    }
    Ok(certs)
}

/// Reads the first private key in a PEM text (PKCS#8, PKCS#1 RSA or SEC1 EC).
///
/// # Errors
///
/// [`TlsError::Config`] if there is no key or the PEM is malformed.
///
/// ```
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let key = tulipa::tls::private_key_from_pem(ck.signing_key.serialize_pem().as_bytes());
/// assert!(key.is_ok());
/// ```
pub fn private_key_from_pem(pem: &[u8]) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| {
        TlsError::config(format!(
            "could not read a private key from the PEM ({e}); expected -----BEGIN PRIVATE \
             KEY----- (PKCS#8), RSA PRIVATE KEY or EC PRIVATE KEY"
        ))
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::config(format!("reading {}: {e}", path.display())))
}

fn root_store(certs: Vec<CertificateDer<'static>>) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for c in certs {
        roots
            .add(c)
            .map_err(|e| TlsError::config(format!("unusable root certificate: {e}")))?;
    }
    Ok(roots)
}

#[derive(Clone)]
struct ClientSpec {
    /// `None`: the bundled webpki roots.
    roots: Option<Arc<RootCertStore>>,
    alpn: Vec<Vec<u8>>,
    identity: Option<(Vec<CertificateDer<'static>>, Arc<PrivateKeyDer<'static>>)>,
    accept_any: bool,
    versions: Vec<TlsVersion>,
    sni: bool,
}

impl ClientSpec {
    fn build(&self) -> Result<Arc<rustls::ClientConfig>, TlsError> {
        let provider = provider();
        let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions(&self.versions))
            .map_err(|e| TlsError::config(e.to_string()))?;
        let builder = if self.accept_any {
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        } else {
            let roots = match &self.roots {
                Some(r) => Arc::clone(r),
                None => Arc::new(RootCertStore {
                    roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
                }),
            };
            let verifier = Verifier::new(roots, provider)
                .map_err(|e| TlsError::config(format!("no usable root certificates: {e}")))?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        };
        let mut config = match &self.identity {
            Some((chain, key)) => builder
                .with_client_auth_cert(chain.clone(), key.clone_key())
                .map_err(|e| TlsError::config(format!("client certificate: {e}")))?,
            None => builder.with_no_client_auth(),
        };
        config.alpn_protocols = self.alpn.clone();
        config.enable_sni = self.sni;
        Ok(Arc::new(config))
    }
}

/// What a TLS client trusts and offers (asyncio's client `SSLContext`).
///
/// By default it trusts the bundled Mozilla roots (webpki-roots: no network or system
/// store needed), offers TLS 1.3 and 1.2, sends the server name (SNI), resumes sessions
/// with servers it has talked to (the cache is shared by clones of a config), and has a
/// 60 s handshake timeout and a 30 s shutdown timeout. Builder methods change one thing
/// each; clone a config to share it (it is cheap and `Send + Sync`).
///
/// ```
/// use std::time::Duration;
/// use tulipa::tls::{ClientConfig, TlsVersion};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let config = ClientConfig::new()
///     .with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap()
///     .with_alpn(&["h2", "http/1.1"])
///     .with_protocol_versions(&[TlsVersion::Tls13])
///     .with_handshake_timeout(Duration::from_secs(5));
/// assert_eq!(config.handshake_timeout(), Duration::from_secs(5));
/// ```
#[derive(Clone)]
pub struct ClientConfig {
    spec: ClientSpec,
    built: Arc<rustls::ClientConfig>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig::new()
    }
}

impl ClientConfig {
    /// A client that trusts the bundled webpki roots (Mozilla's CA list).
    ///
    /// ```
    /// let config = tulipa::tls::ClientConfig::new();
    /// # let _ = config;
    /// ```
    pub fn new() -> ClientConfig {
        let spec = ClientSpec {
            roots: None,
            alpn: Vec::new(),
            identity: None,
            accept_any: false,
            versions: vec![TlsVersion::Tls13, TlsVersion::Tls12],
            sni: true,
        };
        let built = spec
            .build()
            .expect("tulipa: the default TLS client configuration builds");
        ClientConfig {
            spec,
            built,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }

    fn rebuild(mut self, f: impl FnOnce(&mut ClientSpec)) -> Result<ClientConfig, TlsError> {
        let mut spec = self.spec.clone();
        f(&mut spec);
        self.built = spec.build()?;
        self.spec = spec;
        Ok(self)
    }

    /// Trusts exactly these roots instead of the bundled ones (a private CA, a test CA).
    ///
    /// # Errors
    ///
    /// [`TlsError::Config`] if a certificate cannot serve as a root (malformed DER), or
    /// the list is empty.
    ///
    /// ```
    /// let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let config = tulipa::tls::ClientConfig::new()
    ///     .with_root_certificates(vec![ca.cert.der().clone()])
    ///     .unwrap();
    /// # let _ = config;
    /// ```
    pub fn with_root_certificates(
        self,
        roots: impl IntoIterator<Item = CertificateDer<'static>>,
    ) -> Result<ClientConfig, TlsError> {
        let store = root_store(roots.into_iter().collect())?;
        if store.is_empty() {
            return Err(TlsError::config("no root certificates given"));
        }
        self.rebuild(|s| s.roots = Some(Arc::new(store)))
    }

    /// As [`ClientConfig::with_root_certificates`], from a PEM text.
    ///
    /// # Errors
    ///
    /// As [`certificates_from_pem`] and [`ClientConfig::with_root_certificates`].
    ///
    /// ```
    /// let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let config = tulipa::tls::ClientConfig::new()
    ///     .with_root_certificates_pem(ca.cert.pem().as_bytes())
    ///     .unwrap();
    /// # let _ = config;
    /// ```
    pub fn with_root_certificates_pem(self, pem: &[u8]) -> Result<ClientConfig, TlsError> {
        self.with_root_certificates(certificates_from_pem(pem)?)
    }

    /// The ALPN protocols to offer, most preferred first (`"h2"`, `"http/1.1"`, ...);
    /// [`TlsInfo::alpn_protocol`](super::TlsInfo::alpn_protocol) tells which one the server
    /// picked.
    ///
    /// ```
    /// let config = tulipa::tls::ClientConfig::new().with_alpn(&["h2", "http/1.1"]);
    /// # let _ = config;
    /// ```
    pub fn with_alpn(self, protocols: &[&str]) -> ClientConfig {
        let alpn = protocols.iter().map(|p| p.as_bytes().to_vec()).collect();
        self.rebuild(|s| s.alpn = alpn)
            .expect("tulipa: ALPN does not affect whether a TLS configuration builds")
    }

    /// Presents this certificate chain (leaf first) and key to servers that ask for a client
    /// certificate (mutual TLS).
    ///
    /// # Errors
    ///
    /// [`TlsError::Config`] if the key does not match the certificate or its type is not
    /// supported.
    ///
    /// ```
    /// use rustls_pki_types::PrivateKeyDer;
    /// let me = rcgen::generate_simple_self_signed(vec!["client".into()]).unwrap();
    /// let key = PrivateKeyDer::try_from(me.signing_key.serialize_der()).unwrap();
    /// let config = tulipa::tls::ClientConfig::new()
    ///     .with_client_certificate(vec![me.cert.der().clone()], key)
    ///     .unwrap();
    /// # let _ = config;
    /// ```
    pub fn with_client_certificate(
        self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<ClientConfig, TlsError> {
        let key = Arc::new(key);
        self.rebuild(|s| s.identity = Some((chain, key)))
    }

    /// As [`ClientConfig::with_client_certificate`], from PEM texts.
    ///
    /// # Errors
    ///
    /// As [`certificates_from_pem`], [`private_key_from_pem`] and
    /// [`ClientConfig::with_client_certificate`].
    ///
    /// ```
    /// let me = rcgen::generate_simple_self_signed(vec!["client".into()]).unwrap();
    /// let config = tulipa::tls::ClientConfig::new()
    ///     .with_client_certificate_pem(
    ///         me.cert.pem().as_bytes(),
    ///         me.signing_key.serialize_pem().as_bytes(),
    ///     )
    ///     .unwrap();
    /// # let _ = config;
    /// ```
    pub fn with_client_certificate_pem(
        self,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<ClientConfig, TlsError> {
        let chain = certificates_from_pem(cert_pem)?;
        let key = private_key_from_pem(key_pem)?;
        self.with_client_certificate(chain, key)
    }

    /// **Turns off certificate verification**: any certificate, for any name, from any
    /// issuer, expired or not, is accepted (the peer must still prove it holds the
    /// certificate's key). A man in the middle can read and change everything. For tests
    /// against throwaway certificates only; never in production.
    ///
    /// ```
    /// let config = tulipa::tls::ClientConfig::new().dangerous_accept_any_certificate_for_tests();
    /// assert!(config.accepts_any_certificate());
    /// ```
    pub fn dangerous_accept_any_certificate_for_tests(self) -> ClientConfig {
        self.rebuild(|s| s.accept_any = true)
            .expect("tulipa: turning verification off does not make a configuration fail")
    }

    /// Whether verification was turned off with
    /// [`ClientConfig::dangerous_accept_any_certificate_for_tests`].
    ///
    /// ```
    /// assert!(!tulipa::tls::ClientConfig::new().accepts_any_certificate());
    /// ```
    pub fn accepts_any_certificate(&self) -> bool {
        self.spec.accept_any
    }

    /// The protocol versions to offer (default: TLS 1.3 and 1.2). An empty list keeps the
    /// default.
    ///
    /// ```
    /// use tulipa::tls::{ClientConfig, TlsVersion};
    /// let tls12_only = ClientConfig::new().with_protocol_versions(&[TlsVersion::Tls12]);
    /// # let _ = tls12_only;
    /// ```
    pub fn with_protocol_versions(self, versions: &[TlsVersion]) -> ClientConfig {
        let v = if versions.is_empty() {
            vec![TlsVersion::Tls13, TlsVersion::Tls12]
        } else {
            versions.to_vec()
        };
        self.rebuild(|s| s.versions = v)
            .expect("tulipa: every TlsVersion is supported by the provider")
    }

    /// Whether to send the server name in the handshake (SNI; default yes). IP addresses
    /// are never sent.
    ///
    /// ```
    /// let config = tulipa::tls::ClientConfig::new().with_sni(false);
    /// # let _ = config;
    /// ```
    pub fn with_sni(self, send: bool) -> ClientConfig {
        self.rebuild(|s| s.sni = send)
            .expect("tulipa: SNI does not affect whether a TLS configuration builds")
    }

    /// How long a handshake may take before the connection is aborted with
    /// [`TlsError::HandshakeTimeout`] (default 60 s, asyncio's `ssl_handshake_timeout`).
    ///
    /// ```
    /// let c = tulipa::tls::ClientConfig::new()
    ///     .with_handshake_timeout(std::time::Duration::from_secs(10));
    /// assert_eq!(c.handshake_timeout().as_secs(), 10);
    /// ```
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.handshake_timeout = timeout;
        self
    }

    /// The handshake timeout.
    ///
    /// ```
    /// assert_eq!(tulipa::tls::ClientConfig::new().handshake_timeout().as_secs(), 60);
    /// ```
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// How long closing may wait for the close_notify exchange before the connection is
    /// aborted (default 30 s, asyncio's `ssl_shutdown_timeout`).
    ///
    /// ```
    /// let c = tulipa::tls::ClientConfig::new()
    ///     .with_shutdown_timeout(std::time::Duration::from_secs(1));
    /// assert_eq!(c.shutdown_timeout().as_secs(), 1);
    /// ```
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> ClientConfig {
        self.shutdown_timeout = timeout;
        self
    }

    /// The shutdown timeout.
    ///
    /// ```
    /// assert_eq!(tulipa::tls::ClientConfig::new().shutdown_timeout().as_secs(), 30);
    /// ```
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// Uses a rustls configuration built elsewhere, as is (for settings this type does not
    /// cover: key logging, custom verifiers, other providers). Timeouts are the defaults.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let raw = rustls::ClientConfig::builder_with_provider(Arc::new(
    ///         rustls::crypto::ring::default_provider()))
    ///     .with_safe_default_protocol_versions().unwrap()
    ///     .with_root_certificates(rustls::RootCertStore::empty())
    ///     .with_no_client_auth();
    /// let config = tulipa::tls::ClientConfig::from_rustls(Arc::new(raw));
    /// # let _ = config;
    /// ```
    pub fn from_rustls(config: Arc<rustls::ClientConfig>) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.built = config;
        c
    }

    /// The rustls configuration this builds (shared by every connection made with it).
    ///
    /// ```
    /// let c = tulipa::tls::ClientConfig::new().with_alpn(&["h2"]);
    /// assert_eq!(c.rustls().alpn_protocols, vec![b"h2".to_vec()]);
    /// ```
    pub fn rustls(&self) -> &Arc<rustls::ClientConfig> {
        &self.built
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field(
                "roots",
                &match &self.spec.roots {
                    None => "webpki-roots".to_string(),
                    Some(r) => format!("{} custom", r.len()),
                },
            )
            .field("alpn", &self.spec.alpn)
            .field("client_certificate", &self.spec.identity.is_some())
            .field("accept_any_certificate", &self.spec.accept_any)
            .field("versions", &self.spec.versions)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}

/// Whether and how a server asks clients for certificates (mutual TLS).
///
/// ```
/// use tulipa::tls::ClientAuth;
/// let ca = rcgen::generate_simple_self_signed(vec!["ca".into()]).unwrap();
/// let auth = ClientAuth::Required(vec![ca.cert.der().clone()]);
/// # let _ = auth;
/// ```
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// Do not ask (the default).
    #[default]
    None,
    /// Ask; a client without a certificate is accepted, one with a certificate that does not
    /// chain to these roots is refused.
    Optional(Vec<CertificateDer<'static>>),
    /// Ask and require a certificate that chains to these roots
    /// ([`TlsError::ClientCertificateRequired`] otherwise).
    Required(Vec<CertificateDer<'static>>),
}

/// Called with every handshake that fails on a server (see
/// [`ServerConfig::with_handshake_error_handler`]).
pub type HandshakeErrorHandler = Arc<dyn Fn(&TlsError) + Send + Sync>;

#[derive(Clone)]
struct ServerSpec {
    chain: Vec<CertificateDer<'static>>,
    key: Arc<PrivateKeyDer<'static>>,
    alpn: Vec<Vec<u8>>,
    client_auth: ClientAuth,
    versions: Vec<TlsVersion>,
}

impl ServerSpec {
    fn build(&self) -> Result<Arc<rustls::ServerConfig>, TlsError> {
        let provider = provider();
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions(&self.versions))
            .map_err(|e| TlsError::config(e.to_string()))?;
        let builder = match &self.client_auth {
            ClientAuth::None => builder.with_no_client_auth(),
            ClientAuth::Optional(roots) | ClientAuth::Required(roots) => {
                let store = Arc::new(root_store(roots.clone())?);
                let mut v = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    store,
                    Arc::clone(&provider),
                );
                if matches!(self.client_auth, ClientAuth::Optional(_)) {
                    v = v.allow_unauthenticated();
                }
                let v = v
                    .build()
                    .map_err(|e| TlsError::config(format!("client certificate roots: {e}")))?;
                builder.with_client_cert_verifier(v)
            }
        };
        let mut config = builder
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| TlsError::config(format!("server certificate and key: {e}")))?;
        config.alpn_protocols = self.alpn.clone();
        // The server's cipher-suite order decides (the provider's: AES-256-GCM, AES-128-GCM,
        // ChaCha20-Poly1305), so a client cannot steer the connection to the weakest suite
        // both sides offer; testssl.sh rates a server without its own order HIGH.
        config.ignore_client_order = true;
        // Session resumption: stateful (the default in-memory cache of 256 sessions) and
        // stateless tickets.
        config.ticketer = rustls::crypto::ring::Ticketer::new()
            .map_err(|e| TlsError::config(format!("session tickets: {e}")))?;
        Ok(Arc::new(config))
    }
}

/// What a TLS server presents and asks for (asyncio's server `SSLContext`).
///
/// A certificate chain and its key, optionally ALPN protocols and client-certificate
/// verification. Session resumption is on (a session cache and stateless tickets), TLS 1.3
/// and 1.2 are offered with forward-secret AEAD suites only, in the server's order of
/// preference; the handshake timeout is 60 s and the shutdown timeout 30 s.
/// Cheap to clone and `Send + Sync`.
///
/// ```
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let config = tulipa::tls::ServerConfig::from_pem(
///     ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes(),
/// )
/// .unwrap()
/// .with_alpn(&["h2", "http/1.1"]);
/// # let _ = config;
/// ```
#[derive(Clone)]
pub struct ServerConfig {
    spec: Option<ServerSpec>,
    built: Arc<rustls::ServerConfig>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
    on_error: Option<HandshakeErrorHandler>,
}

impl ServerConfig {
    /// A server presenting `chain` (leaf first, then intermediates) with `key`.
    ///
    /// # Errors
    ///
    /// [`TlsError::Config`] if the key does not match the certificate, or is of an
    /// unsupported type, or the chain is empty.
    ///
    /// ```
    /// use rustls_pki_types::PrivateKeyDer;
    /// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let key = PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
    /// let config = tulipa::tls::ServerConfig::new(vec![ck.cert.der().clone()], key).unwrap();
    /// # let _ = config;
    /// ```
    pub fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<ServerConfig, TlsError> {
        if chain.is_empty() {
            return Err(TlsError::config("the server certificate chain is empty"));
        }
        let spec = ServerSpec {
            chain,
            key: Arc::new(key),
            alpn: Vec::new(),
            client_auth: ClientAuth::None,
            versions: vec![TlsVersion::Tls13, TlsVersion::Tls12],
        };
        Ok(ServerConfig {
            built: spec.build()?,
            spec: Some(spec),
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            on_error: None,
        })
    }

    /// As [`ServerConfig::new`], from PEM texts (the chain's certificates in order, and a
    /// PKCS#8, RSA or EC private key).
    ///
    /// # Errors
    ///
    /// As [`certificates_from_pem`], [`private_key_from_pem`] and [`ServerConfig::new`].
    ///
    /// ```
    /// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let err = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(), b"").unwrap_err();
    /// assert!(err.to_string().contains("private key"));
    /// ```
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> Result<ServerConfig, TlsError> {
        ServerConfig::new(
            certificates_from_pem(cert_pem)?,
            private_key_from_pem(key_pem)?,
        )
    }

    /// As [`ServerConfig::from_pem`], reading two files (they may be the same file).
    ///
    /// # Errors
    ///
    /// [`TlsError::Config`] naming the file that could not be read, or as
    /// [`ServerConfig::from_pem`].
    ///
    /// ```
    /// let err = tulipa::tls::ServerConfig::from_pem_files("/no/cert.pem", "/no/key.pem")
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("/no/cert.pem"));
    /// ```
    pub fn from_pem_files(
        cert_path: impl AsRef<Path>,
        key_path: impl AsRef<Path>,
    ) -> Result<ServerConfig, TlsError> {
        let cert = read_file(cert_path.as_ref())?;
        let key = read_file(key_path.as_ref())?;
        ServerConfig::from_pem(&cert, &key)
    }

    fn rebuild(mut self, f: impl FnOnce(&mut ServerSpec)) -> Result<ServerConfig, TlsError> {
        let Some(spec) = &self.spec else {
            return Err(TlsError::config(
                "this configuration was made with ServerConfig::from_rustls; change the \
                 rustls configuration instead",
            ));
        };
        let mut spec = spec.clone();
        f(&mut spec);
        self.built = spec.build()?;
        self.spec = Some(spec);
        Ok(self)
    }

    /// The ALPN protocols this server accepts, in its order of preference. When set, a
    /// client offering none of them is refused ([`TlsError::NoApplicationProtocol`]); a
    /// client offering no ALPN at all is accepted.
    ///
    /// # Panics
    ///
    /// On a configuration made with [`ServerConfig::from_rustls`].
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// let config = config.with_alpn(&["http/1.1"]);
    /// assert_eq!(config.rustls().alpn_protocols, vec![b"http/1.1".to_vec()]);
    /// ```
    #[track_caller]
    pub fn with_alpn(self, protocols: &[&str]) -> ServerConfig {
        let alpn = protocols.iter().map(|p| p.as_bytes().to_vec()).collect();
        self.rebuild(|s| s.alpn = alpn)
            .unwrap_or_else(|e| panic!("ServerConfig::with_alpn: {e}"))
    }

    /// Asks clients for certificates (see [`ClientAuth`]).
    ///
    /// # Errors
    ///
    /// [`TlsError::Config`] if the roots are unusable (empty, malformed), or on a
    /// configuration made with [`ServerConfig::from_rustls`].
    ///
    /// ```
    /// use tulipa::tls::{ClientAuth, ServerConfig};
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// let ca = rcgen::generate_simple_self_signed(vec!["client-ca".into()]).unwrap();
    /// let config = config.with_client_auth(ClientAuth::Required(vec![ca.cert.der().clone()]))
    ///     .unwrap();
    /// # let _ = config;
    /// ```
    pub fn with_client_auth(self, auth: ClientAuth) -> Result<ServerConfig, TlsError> {
        self.rebuild(|s| s.client_auth = auth)
    }

    /// The protocol versions to accept (default TLS 1.3 and 1.2). An empty list keeps the
    /// default.
    ///
    /// # Panics
    ///
    /// On a configuration made with [`ServerConfig::from_rustls`].
    ///
    /// ```
    /// use tulipa::tls::{ServerConfig, TlsVersion};
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// let config = config.with_protocol_versions(&[TlsVersion::Tls13]);
    /// # let _ = config;
    /// ```
    #[track_caller]
    pub fn with_protocol_versions(self, versions: &[TlsVersion]) -> ServerConfig {
        let v = if versions.is_empty() {
            vec![TlsVersion::Tls13, TlsVersion::Tls12]
        } else {
            versions.to_vec()
        };
        self.rebuild(|s| s.versions = v)
            .unwrap_or_else(|e| panic!("ServerConfig::with_protocol_versions: {e}"))
    }

    /// As [`ClientConfig::with_handshake_timeout`] (default 60 s). A client that has not
    /// finished its handshake by then is disconnected.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// let config = config.with_handshake_timeout(std::time::Duration::from_secs(5));
    /// assert_eq!(config.handshake_timeout().as_secs(), 5);
    /// ```
    pub fn with_handshake_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.handshake_timeout = timeout;
        self
    }

    /// The handshake timeout.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// assert_eq!(config.handshake_timeout().as_secs(), 60);
    /// ```
    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// As [`ClientConfig::with_shutdown_timeout`] (default 30 s).
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// let config = config.with_shutdown_timeout(std::time::Duration::from_secs(2));
    /// assert_eq!(config.shutdown_timeout().as_secs(), 2);
    /// ```
    pub fn with_shutdown_timeout(mut self, timeout: Duration) -> ServerConfig {
        self.shutdown_timeout = timeout;
        self
    }

    /// The shutdown timeout.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// assert_eq!(config.shutdown_timeout().as_secs(), 30);
    /// ```
    pub fn shutdown_timeout(&self) -> Duration {
        self.shutdown_timeout
    }

    /// Calls `handler` with the error of every handshake that fails on servers using this
    /// configuration (`tls::create_server`, `tls::start_server`): a client that sent
    /// garbage, stalled past the timeout, or presented a bad certificate. Such connections
    /// are closed without reaching your protocol or handler; this is where to log them
    /// (asyncio reports them to the loop's exception handler).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// let failures = Arc::new(AtomicUsize::new(0));
    /// let counter = failures.clone();
    /// let config = config.with_handshake_error_handler(move |e| {
    ///     eprintln!("TLS handshake failed: {e}");
    ///     counter.fetch_add(1, Ordering::Relaxed);
    /// });
    /// # let _ = config;
    /// ```
    pub fn with_handshake_error_handler(
        mut self,
        handler: impl Fn(&TlsError) + Send + Sync + 'static,
    ) -> ServerConfig {
        self.on_error = Some(Arc::new(handler));
        self
    }

    pub(crate) fn report(&self, e: &TlsError) {
        if let Some(h) = &self.on_error {
            h(e);
        }
    }

    /// Uses a rustls configuration built elsewhere, as is. The builder methods that change
    /// the rustls configuration (ALPN, client auth, versions) then fail or panic.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use rustls_pki_types::PrivateKeyDer;
    /// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// let key = PrivateKeyDer::try_from(ck.signing_key.serialize_der()).unwrap();
    /// let raw = rustls::ServerConfig::builder_with_provider(Arc::new(
    ///         rustls::crypto::ring::default_provider()))
    ///     .with_safe_default_protocol_versions().unwrap()
    ///     .with_no_client_auth()
    ///     .with_single_cert(vec![ck.cert.der().clone()], key).unwrap();
    /// let config = tulipa::tls::ServerConfig::from_rustls(Arc::new(raw));
    /// # let _ = config;
    /// ```
    pub fn from_rustls(config: Arc<rustls::ServerConfig>) -> ServerConfig {
        ServerConfig {
            spec: None,
            built: config,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
            on_error: None,
        }
    }

    /// The rustls configuration this builds.
    ///
    /// ```
    /// # let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    /// # let config = tulipa::tls::ServerConfig::from_pem(ck.cert.pem().as_bytes(),
    /// #     ck.signing_key.serialize_pem().as_bytes()).unwrap();
    /// assert!(config.rustls().alpn_protocols.is_empty());
    /// ```
    pub fn rustls(&self) -> &Arc<rustls::ServerConfig> {
        &self.built
    }
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ServerConfig");
        if let Some(s) = &self.spec {
            d.field("chain_len", &s.chain.len())
                .field("alpn", &s.alpn)
                .field("client_auth", &s.client_auth)
                .field("versions", &s.versions);
        } else {
            d.field("rustls", &"custom");
        }
        d.field("handshake_timeout", &self.handshake_timeout)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}
