//! The sans-I/O core shared by `TlsStream` and the protocol adapter: a rustls connection
//! fed with ciphertext and drained of plaintext and ciphertext, plus the negotiated details.

use std::io::{self, BufRead};

use rustls::pki_types::{CertificateDer, ServerName};

use super::config::{ClientConfig, ServerConfig, TlsVersion};
use super::error::{from_rustls, TlsError};

/// The details a finished handshake negotiated: protocol version, cipher suite, ALPN
/// protocol, the peer's certificates and the server name (SNI). asyncio exposes these
/// through `get_extra_info` (`'ssl_object'`, `'peercert'`, `'cipher'`).
///
/// ```
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsVersion};
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap().with_alpn(&["h2"]);
/// let client = ClientConfig::new()
///     .with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap()
///     .with_alpn(&["h2"]);
///
/// tulipa::run(async move {
///     let srv = tulipa::tls::start_server(|_r, w| async move { w.close() },
///         "127.0.0.1:0", &server).await.unwrap();
///     let addr = srv.addrs()[0].inet().unwrap();
///     let (_r, w) = tulipa::tls::open_connection(addr, "localhost", &client).await.unwrap();
///     let info = tulipa::tls::TlsInfo::of(&w).unwrap();
///     assert_eq!(info.version(), Some(TlsVersion::Tls13));
///     assert_eq!(info.alpn_protocol(), Some(&b"h2"[..]));
///     assert_eq!(info.server_name(), Some("localhost"));
///     assert_eq!(info.peer_certificates().len(), 1);
///     println!("{}", info.cipher_suite().unwrap()); // e.g. TLS13_AES_256_GCM_SHA384
///     srv.close();
/// });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    version: Option<TlsVersion>,
    cipher_suite: Option<String>,
    alpn: Option<Vec<u8>>,
    peer_certificates: Vec<CertificateDer<'static>>,
    server_name: Option<String>,
    resumed: bool,
}

impl TlsInfo {
    /// The protocol version (TLS 1.2 or 1.3).
    ///
    /// ```
    /// assert_eq!(tulipa::tls::TlsInfo::default().version(), None);
    /// ```
    pub fn version(&self) -> Option<TlsVersion> {
        self.version
    }

    /// The cipher suite's IANA name, for example `TLS13_AES_128_GCM_SHA256`.
    ///
    /// ```
    /// assert_eq!(tulipa::tls::TlsInfo::default().cipher_suite(), None);
    /// ```
    pub fn cipher_suite(&self) -> Option<&str> {
        self.cipher_suite.as_deref()
    }

    /// The ALPN protocol the server picked, if any.
    ///
    /// ```
    /// assert_eq!(tulipa::tls::TlsInfo::default().alpn_protocol(), None);
    /// ```
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.alpn.as_deref()
    }

    /// The peer's certificate chain as it sent it (leaf first): the server's on a client,
    /// the client's (if it sent one) on a server.
    ///
    /// ```
    /// assert!(tulipa::tls::TlsInfo::default().peer_certificates().is_empty());
    /// ```
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        &self.peer_certificates
    }

    /// The server name: on a client the name it connected to (and verified), on a server
    /// the name the client asked for with SNI, if it sent one.
    ///
    /// ```
    /// assert_eq!(tulipa::tls::TlsInfo::default().server_name(), None);
    /// ```
    pub fn server_name(&self) -> Option<&str> {
        self.server_name.as_deref()
    }

    /// Whether the session was resumed (an abbreviated handshake from a cached session or a
    /// ticket).
    ///
    /// ```
    /// assert!(!tulipa::tls::TlsInfo::default().is_resumed());
    /// ```
    pub fn is_resumed(&self) -> bool {
        self.resumed
    }

    /// The TLS details of the connection under a stream writer made by
    /// [`open_connection`](super::open_connection) or
    /// [`start_server`](super::start_server); `None` for a plain connection.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let ((_r, w), _) = tulipa::streams::pipe();
    ///     assert!(tulipa::tls::TlsInfo::of(&w).is_none());
    /// });
    /// ```
    pub fn of(writer: &crate::streams::StreamWriter) -> Option<TlsInfo> {
        let t = writer.transport()?;
        TlsInfo::of_transport(&*t)
    }

    /// The TLS details of a transport (a [`TlsTransport`](super::TlsTransport), through its
    /// extra info); `None` for a plain transport.
    ///
    /// ```
    /// use tulipa::transports::{memory, Protocol};
    /// struct Quiet;
    /// impl Protocol for Quiet {}
    /// tulipa::run(async {
    ///     let (a, _b) = memory::pair(Quiet, Quiet);
    ///     assert!(tulipa::tls::TlsInfo::of_transport(&*a).is_none());
    /// });
    /// ```
    pub fn of_transport(transport: &dyn crate::transports::Transport) -> Option<TlsInfo> {
        transport
            .extra_info("tls")
            .and_then(|b| b.downcast::<TlsInfo>().ok())
            .map(|b| *b)
    }
}

pub(crate) struct Session {
    pub(crate) conn: rustls::Connection,
    /// The name a client connected to (for errors and `TlsInfo`).
    name: Option<String>,
}

pub(crate) fn server_name(name: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(name.to_string()).map_err(|_| TlsError::InvalidServerName {
        name: name.to_string(),
    })
}

impl Session {
    pub(crate) fn client(config: &ClientConfig, name: &str) -> Result<Session, TlsError> {
        let sn = server_name(name)?;
        let conn = rustls::ClientConnection::new(config.rustls().clone(), sn)
            .map_err(|e| from_rustls(&e, Some(name)))?;
        Ok(Session {
            conn: conn.into(),
            name: Some(name.to_string()),
        })
    }

    pub(crate) fn server(config: &ServerConfig) -> Result<Session, TlsError> {
        let conn = rustls::ServerConnection::new(config.rustls().clone())
            .map_err(|e| from_rustls(&e, None))?;
        Ok(Session {
            conn: conn.into(),
            name: None,
        })
    }

    pub(crate) fn map_err(&self, e: &rustls::Error) -> TlsError {
        from_rustls(e, self.name.as_deref())
    }

    /// Processes what `read_tls` took in. On an error rustls has queued an alert for the
    /// peer (send it with `write_tls` before closing).
    pub(crate) fn process(&mut self) -> Result<(), TlsError> {
        self.process_count().map(|_| ())
    }

    /// As `process`, returning how many plaintext bytes are ready to read.
    pub(crate) fn process_count(&mut self) -> Result<usize, TlsError> {
        match self.conn.process_new_packets() {
            Ok(state) => Ok(state.plaintext_bytes_to_read()),
            Err(e) => Err(self.map_err(&e)),
        }
    }

    /// Feeds ciphertext from `data`, processing as it goes; returns how much was taken. It
    /// stops early when rustls' plaintext buffer is full (drain it and feed the rest).
    pub(crate) fn feed(&mut self, data: &[u8]) -> Result<usize, TlsError> {
        let mut rest = data;
        while !rest.is_empty() {
            match self.conn.read_tls(&mut rest) {
                Ok(0) => break,
                Ok(_) => self.process()?,
                // The plaintext buffer is full: the caller drains it first.
                Err(_) => break,
            }
        }
        Ok(data.len() - rest.len())
    }

    /// Tells rustls the transport reached end of file.
    pub(crate) fn feed_eof(&mut self) -> Result<(), TlsError> {
        let _ = self.conn.read_tls(&mut io::empty());
        self.process()
    }

    /// Moves decrypted plaintext into `out`. `Ok(true)`: the peer sent close_notify and all
    /// its data is in `out`; `Err(Truncated)`: the transport ended without it (the data
    /// before it is in `out`).
    pub(crate) fn take_plaintext(&mut self, out: &mut Vec<u8>) -> Result<bool, TlsError> {
        loop {
            // Straight from rustls' buffer (BufRead), one copy.
            let mut reader = self.conn.reader();
            match reader.fill_buf() {
                Ok([]) => return Ok(true),
                Ok(chunk) => {
                    let n = chunk.len();
                    out.extend_from_slice(chunk);
                    reader.consume(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    return Err(if self.conn.is_handshaking() {
                        TlsError::HandshakeEof
                    } else {
                        TlsError::Truncated
                    })
                }
                Err(e) => {
                    return Err(TlsError::Protocol {
                        reason: e.to_string(),
                    })
                }
            }
        }
    }

    /// Moves the ciphertext rustls wants sent into `out`.
    pub(crate) fn take_tls(&mut self, out: &mut Vec<u8>) {
        while self.conn.wants_write() {
            if self.conn.write_tls(out).is_err() {
                break;
            }
        }
    }

    pub(crate) fn info(&self) -> TlsInfo {
        let c = &self.conn;
        let server_name = match c {
            rustls::Connection::Client(_) => self.name.clone(),
            rustls::Connection::Server(s) => s.server_name().map(str::to_string),
        };
        TlsInfo {
            version: c.protocol_version().and_then(TlsVersion::from_rustls),
            cipher_suite: c
                .negotiated_cipher_suite()
                .and_then(|s| s.suite().as_str())
                .map(str::to_string),
            alpn: c.alpn_protocol().map(<[u8]>::to_vec),
            peer_certificates: c.peer_certificates().map(<[_]>::to_vec).unwrap_or_default(),
            server_name,
            resumed: c.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
        }
    }
}
