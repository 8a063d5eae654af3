//! `TlsError`: the typed causes tulipa puts inside the `io::Error`s of `tulipa::tls`.

use std::fmt;
use std::io;
use std::time::Duration;

/// Why a TLS connection failed, named so that you can act on it.
///
/// TLS functions return [`std::io::Error`] (as every I/O call in tulipa does); when TLS is
/// the cause, the error's inner value is a `TlsError`, which [`TlsError::of`] finds, and
/// its [`kind`](io::Error::kind) is [`TlsError::kind`]'s. Plain socket failures (refused,
/// reset) stay plain `io::Error`s.
///
/// The certificate variants are reported on the side that checked the certificate (the
/// client for the server's certificate, the server for a client certificate). The side
/// whose certificate was refused learns it from the peer's alert:
/// [`TlsError::PeerRejected`] names the alert.
///
/// ```
/// use tulipa::tls::TlsError;
///
/// let err: std::io::Error = TlsError::Truncated.into();
/// assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
/// assert_eq!(TlsError::of(&err), Some(&TlsError::Truncated));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsError {
    /// The peer's certificate is valid but not for the name that was asked for (the server
    /// name given to `connect`, which is also sent as SNI). Check the host name you connect
    /// to, or the certificate's subject alternative names. Kind: `InvalidData`.
    WrongHostName {
        /// The name that was expected.
        expected: String,
        /// The names the certificate is valid for (may be empty if unknown).
        presented: Vec<String>,
    },
    /// The peer's certificate (or one in its chain) has expired. Renew it, or check this
    /// machine's clock. Kind: `InvalidData`.
    CertificateExpired,
    /// The peer's certificate is not valid yet (its notBefore is in the future). Check the
    /// clocks of both machines. Kind: `InvalidData`.
    CertificateNotYetValid,
    /// The peer's certificate is self-signed and not among the trusted roots. Add it to the
    /// roots you trust (`ClientConfig::with_root_certificates`), or use a certificate issued
    /// by a trusted authority. Kind: `InvalidData`.
    SelfSignedCertificate,
    /// The peer's certificate chain does not lead to a trusted root (its issuer is unknown:
    /// an untrusted or private CA, or a missing intermediate). Add the CA to the trusted
    /// roots, or have the peer send its intermediates. Kind: `InvalidData`.
    UnknownIssuer,
    /// The server requires a client certificate and none was presented. Configure one with
    /// `ClientConfig::with_client_certificate`. Reported on the server; on TLS 1.3 the
    /// client sees it as [`TlsError::PeerRejected`] with `CertificateRequired` on its
    /// first read, since its handshake finished before the server checked. Kind:
    /// `PermissionDenied`.
    ClientCertificateRequired,
    /// Another problem with the peer's certificate (bad signature, wrong purpose, revoked,
    /// unsupported algorithm, malformed). The reason says which. Kind: `InvalidData`.
    BadCertificate {
        /// rustls' description of the problem.
        reason: String,
    },
    /// The peer ended the handshake or the connection with a fatal alert; usually it
    /// refused *our* certificate (`BadCertificate`, `UnknownCA`, `CertificateExpired`), or
    /// found no common protocol version, cipher suite or ALPN protocol
    /// (`HandshakeFailure`, `ProtocolVersion`, `NoApplicationProtocol`). Kind:
    /// `ConnectionAborted`.
    PeerRejected {
        /// The alert's name, as in RFC 8446 (for example `BadCertificate`).
        alert: String,
    },
    /// Client and server have no ALPN protocol in common (the server requires one). Kind:
    /// `InvalidData`.
    NoApplicationProtocol,
    /// The peer does not speak TLS as expected: garbage instead of a handshake, a plain-text
    /// client on a TLS port, a malformed or unexpected message, no common version or
    /// cipher suite. Kind: `InvalidData`.
    Protocol {
        /// What was wrong.
        reason: String,
    },
    /// The handshake did not finish within the configured handshake timeout (a peer that
    /// stalls, or one that never answers). Kind: `TimedOut`.
    HandshakeTimeout {
        /// The limit that passed.
        after: Duration,
    },
    /// Closing did not finish within the configured shutdown timeout (the peer did not read
    /// or acknowledge our close_notify). The connection was aborted. Kind: `TimedOut`.
    ShutdownTimeout {
        /// The limit that passed.
        after: Duration,
    },
    /// The peer closed the connection without a TLS close_notify after the handshake: the
    /// data may have been cut short by an attacker (a truncation attack), so it is never
    /// reported as a clean end of file. Data received before it was delivered. Kind:
    /// `UnexpectedEof`.
    Truncated,
    /// The connection closed during the handshake. Kind: `UnexpectedEof`.
    HandshakeEof,
    /// The server name is neither a DNS name nor an IP address. Kind: `InvalidInput`.
    InvalidServerName {
        /// The name that was given.
        name: String,
    },
    /// A configuration could not be built: unreadable PEM, no certificate or key in it, a
    /// key that does not match the certificate, an unsupported key type. Kind:
    /// `InvalidInput`.
    Config {
        /// What was wrong.
        reason: String,
    },
}

impl TlsError {
    /// The `TlsError` inside `err`, if tulipa put one there. It is found at every level: an
    /// error a [`StreamReader`](crate::streams::StreamReader) or
    /// [`StreamWriter`](crate::streams::StreamWriter) reports (again and again, after the
    /// connection broke) is a copy that wraps the original, which this sees through; so
    /// use this rather than downcasting [`get_ref`](io::Error::get_ref) yourself.
    ///
    /// ```
    /// let plain = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
    /// assert_eq!(tulipa::tls::TlsError::of(&plain), None);
    /// ```
    pub fn of(err: &io::Error) -> Option<&TlsError> {
        crate::io_error::find::<TlsError>(err)
    }

    /// The `io::ErrorKind` this cause is reported with.
    ///
    /// ```
    /// use tulipa::tls::TlsError;
    /// use std::time::Duration;
    /// let e = TlsError::HandshakeTimeout { after: Duration::from_secs(60) };
    /// assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
    /// ```
    pub fn kind(&self) -> io::ErrorKind {
        use io::ErrorKind as K;
        match self {
            TlsError::ClientCertificateRequired => K::PermissionDenied,
            TlsError::PeerRejected { .. } => K::ConnectionAborted,
            TlsError::HandshakeTimeout { .. } | TlsError::ShutdownTimeout { .. } => K::TimedOut,
            TlsError::Truncated | TlsError::HandshakeEof => K::UnexpectedEof,
            TlsError::InvalidServerName { .. } | TlsError::Config { .. } => K::InvalidInput,
            _ => K::InvalidData,
        }
    }

    /// Whether this is a problem with a certificate the peer presented (one of the
    /// certificate variants).
    ///
    /// ```
    /// assert!(tulipa::tls::TlsError::CertificateExpired.is_certificate_error());
    /// assert!(!tulipa::tls::TlsError::Truncated.is_certificate_error());
    /// ```
    pub fn is_certificate_error(&self) -> bool {
        matches!(
            self,
            TlsError::WrongHostName { .. }
                | TlsError::CertificateExpired
                | TlsError::CertificateNotYetValid
                | TlsError::SelfSignedCertificate
                | TlsError::UnknownIssuer
                | TlsError::ClientCertificateRequired
                | TlsError::BadCertificate { .. }
        )
    }

    pub(crate) fn config(reason: impl Into<String>) -> TlsError {
        TlsError::Config {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsError::WrongHostName {
                expected,
                presented,
            } if presented.is_empty() => write!(
                f,
                "TLS certificate is not valid for host name {expected:?}: check the name you \
                 connect to"
            ),
            TlsError::WrongHostName {
                expected,
                presented,
            } => write!(
                f,
                "TLS certificate is not valid for host name {expected:?} (it is valid for \
                 {}): check the name you connect to",
                presented.join(", ")
            ),
            TlsError::CertificateExpired => write!(
                f,
                "TLS certificate has expired: the peer must renew it (or this machine's \
                 clock is wrong)"
            ),
            TlsError::CertificateNotYetValid => write!(
                f,
                "TLS certificate is not valid yet: check the clocks of both machines"
            ),
            TlsError::SelfSignedCertificate => write!(
                f,
                "TLS certificate is self-signed and not trusted: add it to the trusted roots \
                 or use a certificate from a trusted authority"
            ),
            TlsError::UnknownIssuer => write!(
                f,
                "TLS certificate was issued by an unknown or untrusted authority: add its CA \
                 to the trusted roots, or have the peer send its intermediate certificates"
            ),
            TlsError::ClientCertificateRequired => write!(
                f,
                "the TLS server requires a client certificate and none was presented: \
                 configure one with ClientConfig::with_client_certificate"
            ),
            TlsError::BadCertificate { reason } => write!(f, "bad TLS certificate: {reason}"),
            TlsError::PeerRejected { alert } => write!(
                f,
                "the TLS peer ended the connection with the fatal alert {alert} (it may have \
                 refused our certificate or found nothing in common with our settings)"
            ),
            TlsError::NoApplicationProtocol => write!(
                f,
                "TLS peers have no ALPN protocol in common: check both sides' ALPN lists"
            ),
            TlsError::Protocol { reason } => write!(
                f,
                "TLS protocol error: {reason} (is the peer speaking TLS on this port?)"
            ),
            TlsError::HandshakeTimeout { after } => write!(
                f,
                "TLS handshake did not finish within {after:?}: the peer stalled or does not \
                 speak TLS"
            ),
            TlsError::ShutdownTimeout { after } => write!(
                f,
                "TLS shutdown did not finish within {after:?}; the connection was aborted"
            ),
            TlsError::Truncated => write!(
                f,
                "TLS connection closed by the peer without close_notify: the data may be \
                 truncated"
            ),
            TlsError::HandshakeEof => {
                write!(f, "connection closed by the peer during the TLS handshake")
            }
            TlsError::InvalidServerName { name } => write!(
                f,
                "invalid TLS server name {name:?}: give a DNS name or an IP address"
            ),
            TlsError::Config { reason } => write!(f, "invalid TLS configuration: {reason}"),
        }
    }
}

impl std::error::Error for TlsError {}

impl From<TlsError> for io::Error {
    fn from(e: TlsError) -> io::Error {
        io::Error::new(e.kind(), e)
    }
}

/// The marker our certificate verifier puts in `CertificateError::Other` when the chain is
/// a lone self-signed certificate (webpki reports it as an unknown issuer).
#[derive(Debug)]
pub(crate) struct SelfSigned;

impl fmt::Display for SelfSigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("self-signed certificate")
    }
}

impl std::error::Error for SelfSigned {}

/// Maps a rustls error to the typed cause, with `expected` the server name (client side).
pub(crate) fn from_rustls(err: &rustls::Error, expected: Option<&str>) -> TlsError {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E};
    match err {
        E::InvalidCertificate(c) => match c {
            C::NotValidForName => TlsError::WrongHostName {
                expected: expected.unwrap_or_default().to_string(),
                presented: Vec::new(),
            },
            C::NotValidForNameContext {
                expected: e,
                presented,
            } => TlsError::WrongHostName {
                expected: expected
                    .map(str::to_string)
                    .unwrap_or_else(|| server_name_str(e)),
                presented: presented.iter().map(|p| clean_name(p)).collect(),
            },
            C::Expired | C::ExpiredContext { .. } => TlsError::CertificateExpired,
            C::NotValidYet | C::NotValidYetContext { .. } => TlsError::CertificateNotYetValid,
            C::UnknownIssuer => TlsError::UnknownIssuer,
            C::Other(o) if o.0.downcast_ref::<SelfSigned>().is_some() => {
                TlsError::SelfSignedCertificate
            }
            other => TlsError::BadCertificate {
                reason: format!("{other:?}"),
            },
        },
        E::NoCertificatesPresented => TlsError::ClientCertificateRequired,
        E::AlertReceived(A::CertificateRequired) => TlsError::PeerRejected {
            alert: "CertificateRequired (the server requires a client certificate)".into(),
        },
        E::AlertReceived(A::NoApplicationProtocol) | E::NoApplicationProtocol => {
            TlsError::NoApplicationProtocol
        }
        E::AlertReceived(a) => TlsError::PeerRejected {
            alert: format!("{a:?}"),
        },
        other => TlsError::Protocol {
            reason: other.to_string(),
        },
    }
}

fn server_name_str(n: &rustls_pki_types::ServerName<'_>) -> String {
    n.to_str().into_owned()
}

/// rustls describes presented names in Debug form (`DnsName("example.com")`); users want
/// the name.
fn clean_name(p: &str) -> String {
    for prefix in ["DnsName(\"", "IpAddress(\""] {
        if let Some(rest) = p.strip_prefix(prefix) {
            if let Some(name) = rest.strip_suffix("\")") {
                return name.to_string();
            }
        }
    }
    p.to_string()
}
