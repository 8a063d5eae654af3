//! The HTTP/1.1 opening handshake (RFC 6455 section 4), sans-I/O, and `ws://` URLs.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::error::{Error, HandshakeError};

/// Largest request or response head accepted (bytes).
pub const MAX_HEAD: usize = 8 * 1024;
const MAX_HEADERS: usize = 64;
const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)).
///
/// ```
/// // The example of RFC 6455 section 1.3.
/// assert_eq!(
///     tulipa::ws::accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
///     "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
/// );
/// ```
pub fn accept_key(key: &str) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(key.as_bytes());
    h.update(GUID.as_bytes());
    STANDARD.encode(h.digest().bytes())
}

/// A parsed `ws://` or `wss://` URL.
///
/// ```
/// let u = tulipa::ws::WsUrl::parse("ws://[::1]:9000/chat?room=1").unwrap();
/// assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("::1", 9000, "/chat?room=1"));
/// assert!(!u.secure);
/// assert_eq!(tulipa::ws::WsUrl::parse("wss://example.org").unwrap().port, 443);
/// assert!(tulipa::ws::WsUrl::parse("http://x").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    /// `wss://`.
    pub secure: bool,
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port (default 80, or 443 for `wss`).
    pub port: u16,
    /// Path and query, at least `/`.
    pub path: String,
}

impl WsUrl {
    /// Parses `url`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUrl`] for another scheme, an empty host, a bad port or a fragment.
    pub fn parse(url: &str) -> Result<WsUrl, Error> {
        let bad = |why: &str| Error::InvalidUrl(format!("{url}: {why}"));
        let (secure, rest) = if let Some(r) = strip_prefix_ci(url, "ws://") {
            (false, r)
        } else if let Some(r) = strip_prefix_ci(url, "wss://") {
            (true, r)
        } else {
            return Err(bad("scheme must be ws:// or wss://"));
        };
        if rest.contains('#') {
            return Err(bad("fragments are not allowed"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_owned()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_owned()),
        };
        if authority.contains('@') {
            return Err(bad("user info is not supported"));
        }
        let default_port = if secure { 443 } else { 80 };
        let (host, port) = if let Some(after) = authority.strip_prefix('[') {
            let end = after.find(']').ok_or_else(|| bad("unclosed '['"))?;
            let host = &after[..end];
            let port = match &after[end + 1..] {
                "" => default_port,
                p => p
                    .strip_prefix(':')
                    .and_then(|p| p.parse().ok())
                    .ok_or_else(|| bad("bad port"))?,
            };
            (host.to_owned(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), p.parse().map_err(|_| bad("bad port"))?),
                None => (authority.to_owned(), default_port),
            }
        };
        if host.is_empty() {
            return Err(bad("empty host"));
        }
        Ok(WsUrl {
            secure,
            host,
            port,
            path,
        })
    }

    /// The `Host` header value (brackets around IPv6, the port unless it is the default).
    ///
    /// ```
    /// let u = tulipa::ws::WsUrl::parse("ws://127.0.0.1:8080/").unwrap();
    /// assert_eq!(u.host_header(), "127.0.0.1:8080");
    /// ```
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == if self.secure { 443 } else { 80 } {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// A fresh random `Sec-WebSocket-Key` (16 random bytes, base64).
///
/// ```
/// assert_eq!(tulipa::ws::generate_key().len(), 24);
/// ```
pub fn generate_key() -> String {
    STANDARD.encode(super::codec::random_bytes::<16>())
}

/// The client's upgrade request for `url` with `key`, plus `extra` headers (name, value).
///
/// ```
/// let url = tulipa::ws::WsUrl::parse("ws://localhost:9000/chat").unwrap();
/// let req = tulipa::ws::client_request(&url, "dGhlIHNhbXBsZSBub25jZQ==", &[]);
/// assert!(req.starts_with(b"GET /chat HTTP/1.1\r\nHost: localhost:9000\r\n"));
/// ```
pub fn client_request(url: &WsUrl, key: &str, extra: &[(String, String)]) -> Vec<u8> {
    let mut s = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n",
        url.path,
        url.host_header()
    );
    for (name, value) in extra {
        s.push_str(name);
        s.push_str(": ");
        s.push_str(value);
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s.into_bytes()
}

fn header<'a>(headers: &'a [httparse::Header<'_>], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| h.value)
}

fn has_token(value: Option<&[u8]>, token: &str) -> bool {
    value
        .and_then(|v| std::str::from_utf8(v).ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
}

/// Checks the server's response to a request made with `key`: `Ok(None)` if the head is
/// not complete yet, else the head's length (bytes after it are WebSocket frames).
///
/// ```
/// let key = "dGhlIHNhbXBsZSBub25jZQ==";
/// let resp = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
///     Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
/// assert_eq!(tulipa::ws::check_response(resp, key).unwrap(), Some(resp.len()));
/// ```
///
/// # Errors
///
/// [`HandshakeError`] for another status, a malformed head, a missing or wrong header.
pub fn check_response(buf: &[u8], key: &str) -> Result<Option<usize>, HandshakeError> {
    Ok(check_response_with(buf, key, &[])?.map(|(n, _)| n))
}

/// [`check_response`] for a request that offered `protocols` (`Sec-WebSocket-Protocol`):
/// also gives the subprotocol the server chose, which must be one of them.
///
/// ```
/// let key = "dGhlIHNhbXBsZSBub25jZQ==";
/// let resp = tulipa::ws::accept_response_with(key, Some("chat"));
/// let offered = ["chat".to_owned(), "superchat".to_owned()];
/// let (n, chosen) = tulipa::ws::check_response_with(&resp, key, &offered).unwrap().unwrap();
/// assert_eq!((n, chosen.as_deref()), (resp.len(), Some("chat")));
/// assert!(tulipa::ws::check_response_with(&resp, key, &[]).is_err()); // not offered
/// ```
///
/// # Errors
///
/// As [`check_response`]; `BadHeader("Sec-WebSocket-Protocol")` for a subprotocol that was
/// not offered.
pub fn check_response_with(
    buf: &[u8],
    key: &str,
    protocols: &[String],
) -> Result<Option<(usize, Option<String>)>, HandshakeError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let n = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Err(HandshakeError::TooLarge)
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(HandshakeError::Malformed(e.to_string())),
    };
    let code = resp.code.unwrap_or(0);
    if code != 101 {
        return Err(HandshakeError::Status(
            code,
            resp.reason.unwrap_or("").to_owned(),
        ));
    }
    if !has_token(header(resp.headers, "upgrade"), "websocket") {
        return Err(HandshakeError::BadHeader("Upgrade"));
    }
    if !has_token(header(resp.headers, "connection"), "upgrade") {
        return Err(HandshakeError::BadHeader("Connection"));
    }
    if header(resp.headers, "sec-websocket-accept") != Some(accept_key(key).as_bytes()) {
        return Err(HandshakeError::BadAccept);
    }
    let chosen = match header(resp.headers, "sec-websocket-protocol") {
        None => None,
        Some(v) => {
            let v = std::str::from_utf8(v).map(str::trim).unwrap_or("");
            if !protocols.iter().any(|p| p == v) {
                return Err(HandshakeError::BadHeader("Sec-WebSocket-Protocol"));
            }
            Some(v.to_owned())
        }
    };
    Ok(Some((n, chosen)))
}

/// A valid upgrade request, as the server sees it.
///
/// ```
/// let req = b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
/// let (_, r) = tulipa::ws::parse_request(req).unwrap().unwrap();
/// assert_eq!(r.path, "/chat");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The request target (path and query).
    pub path: String,
    /// Every header, in order (name as sent, value as lossy UTF-8).
    pub headers: Vec<(String, String)>,
    /// `Sec-WebSocket-Key`.
    pub key: String,
    /// The subprotocols the client offered (`Sec-WebSocket-Protocol`), in its order.
    pub protocols: Vec<String>,
}

impl Request {
    /// The first header called `name` (any case).
    ///
    /// ```
    /// let req = b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
    ///     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    /// let (_, r) = tulipa::ws::parse_request(req).unwrap().unwrap();
    /// assert_eq!(r.header("host"), Some("x"));
    /// ```
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A refused upgrade: the HTTP status to answer with.
///
/// ```
/// let r = tulipa::ws::parse_request(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap_err();
/// assert_eq!((r.status, r.path.as_deref()), (426, Some("/")));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// 400, 405, 426, 431 or 505.
    pub status: u16,
    /// Why, also the response body.
    pub reason: String,
    /// The request as far as it was parsed, when it was a complete plain HTTP request (a
    /// server may serve it: the chat example serves its page this way).
    pub path: Option<String>,
}

impl Rejection {
    fn new(status: u16, reason: &str) -> Rejection {
        Rejection {
            status,
            reason: reason.to_owned(),
            path: None,
        }
    }

    /// The HTTP response to send before closing the connection.
    ///
    /// ```
    /// let (_, r) = (0, tulipa::ws::parse_request(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n").unwrap_err());
    /// assert!(r.response().starts_with(b"HTTP/1.1 405 Method Not Allowed\r\n"));
    /// ```
    pub fn response(&self) -> Vec<u8> {
        let text = match self.status {
            400 => "Bad Request",
            405 => "Method Not Allowed",
            426 => "Upgrade Required",
            431 => "Request Header Fields Too Large",
            505 => "HTTP Version Not Supported",
            _ => "Error",
        };
        let extra = match self.status {
            426 => "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n",
            405 => "Allow: GET\r\n",
            _ => "",
        };
        format!(
            "HTTP/1.1 {} {text}\r\n{extra}Content-Type: text/plain\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{}",
            self.status,
            self.reason.len(),
            self.reason
        )
        .into_bytes()
    }
}

/// Parses and checks a client's upgrade request: `Ok(None)` if the head is not complete,
/// else its length and the request.
///
/// # Errors
///
/// A [`Rejection`] with the status to answer: 400 (malformed, missing `Host`, bad
/// `Connection` or `Sec-WebSocket-Key`), 405 (not GET), 426 (no `Upgrade: websocket`, or a
/// `Sec-WebSocket-Version` other than 13; the response names version 13), 431 (head over
/// 8 KiB), 505 (HTTP/1.0).
pub fn parse_request(buf: &[u8]) -> Result<Option<(usize, Request)>, Rejection> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut headers);
    let n = match req.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Err(Rejection::new(431, "request head too large"))
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => {
            return Err(Rejection::new(431, "too many headers"))
        }
        Err(e) => return Err(Rejection::new(400, &format!("malformed request: {e}"))),
    };
    if n > MAX_HEAD {
        return Err(Rejection::new(431, "request head too large"));
    }
    let path = req.path.unwrap_or("/").to_owned();
    let with_path = |mut r: Rejection| {
        r.path = Some(path.clone());
        r
    };
    if req.method != Some("GET") {
        return Err(Rejection::new(405, "WebSocket upgrades use GET"));
    }
    if req.version != Some(1) {
        return Err(Rejection::new(505, "WebSocket needs HTTP/1.1"));
    }
    if header(req.headers, "host").is_none() {
        return Err(Rejection::new(400, "missing Host header"));
    }
    if !has_token(header(req.headers, "upgrade"), "websocket") {
        return Err(with_path(Rejection::new(
            426,
            "this endpoint speaks WebSocket (Upgrade: websocket)",
        )));
    }
    if !has_token(header(req.headers, "connection"), "upgrade") {
        return Err(Rejection::new(
            400,
            "Connection header must contain Upgrade",
        ));
    }
    if header(req.headers, "sec-websocket-version") != Some(b"13") {
        return Err(Rejection::new(
            426,
            "unsupported Sec-WebSocket-Version (13 is)",
        ));
    }
    let key = header(req.headers, "sec-websocket-key")
        .and_then(|k| std::str::from_utf8(k).ok())
        .map(str::trim)
        .filter(|k| STANDARD.decode(k).is_ok_and(|d| d.len() == 16))
        .ok_or_else(|| Rejection::new(400, "missing or invalid Sec-WebSocket-Key"))?
        .to_owned();
    let headers = req
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_owned(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let protocols = req
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case("sec-websocket-protocol"))
        .filter_map(|h| std::str::from_utf8(h.value).ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(Some((
        n,
        Request {
            path,
            headers,
            key,
            protocols,
        },
    )))
}

/// The server's `101 Switching Protocols` answer to a request with `key`.
///
/// ```
/// let r = tulipa::ws::accept_response("dGhlIHNhbXBsZSBub25jZQ==");
/// assert!(r.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
/// ```
pub fn accept_response(key: &str) -> Vec<u8> {
    accept_response_with(key, None)
}

/// [`accept_response`] that also names the chosen subprotocol, if any.
///
/// ```
/// let r = tulipa::ws::accept_response_with("dGhlIHNhbXBsZSBub25jZQ==", Some("chat"));
/// assert!(String::from_utf8(r).unwrap().contains("Sec-WebSocket-Protocol: chat\r\n"));
/// ```
pub fn accept_response_with(key: &str, protocol: Option<&str>) -> Vec<u8> {
    let protocol = protocol.map_or(String::new(), |p| {
        format!("Sec-WebSocket-Protocol: {p}\r\n")
    });
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n{protocol}\r\n",
        accept_key(key)
    )
    .into_bytes()
}

/// The subprotocol a server supporting `supported` (in its order of preference) picks from
/// a client's `offered` list: the first supported one the client offered.
///
/// ```
/// let offered = ["b".to_owned(), "a".to_owned()];
/// let supported = ["a".to_owned(), "b".to_owned()];
/// assert_eq!(tulipa::ws::choose_protocol(&offered, &supported), Some("a"));
/// assert_eq!(tulipa::ws::choose_protocol(&offered, &[]), None);
/// ```
pub fn choose_protocol<'a>(offered: &[String], supported: &'a [String]) -> Option<&'a str> {
    supported
        .iter()
        .find(|s| offered.iter().any(|o| o == *s))
        .map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: WebSocket\r\n\
        Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
        Sec-WebSocket-Version: 13\r\n\r\n";

    fn status(req: &str) -> u16 {
        parse_request(req.as_bytes()).unwrap_err().status
    }

    #[test]
    fn good_request_and_round_trip() {
        let (n, r) = parse_request(GOOD.as_bytes()).unwrap().unwrap();
        assert_eq!(n, GOOD.len());
        assert_eq!(r.path, "/x");
        let resp = accept_response(&r.key);
        assert_eq!(check_response(&resp, &r.key).unwrap(), Some(resp.len()));
        assert_eq!(parse_request(&GOOD.as_bytes()[..20]).unwrap(), None);
    }

    #[test]
    fn bad_requests_get_their_status() {
        assert_eq!(status(&GOOD.replace("GET", "POST")), 405);
        assert_eq!(status(&GOOD.replace("HTTP/1.1", "HTTP/1.0")), 505);
        assert_eq!(status(&GOOD.replace("Host: h\r\n", "")), 400);
        assert_eq!(status(&GOOD.replace("Upgrade: WebSocket\r\n", "")), 426);
        assert_eq!(status(&GOOD.replace("keep-alive, Upgrade", "close")), 400);
        assert_eq!(status(&GOOD.replace("Version: 13", "Version: 8")), 426);
        assert_eq!(
            status(&GOOD.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ=")),
            400
        );
        assert_eq!(status("GARBAGE\0\r\n\r\n"), 400);
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n", "a".repeat(9000));
        assert_eq!(status(&big), 431);
        let resp = parse_request(GOOD.replace("Version: 13", "Version: 8").as_bytes())
            .unwrap_err()
            .response();
        assert!(String::from_utf8(resp)
            .unwrap()
            .contains("Sec-WebSocket-Version: 13\r\n"));
    }

    #[test]
    fn bad_responses_are_refused() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        assert!(matches!(
            check_response(b"HTTP/1.1 404 Not Found\r\n\r\n", key),
            Err(HandshakeError::Status(404, _))
        ));
        let wrong = b"HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\
            Sec-WebSocket-Accept: AAAA\r\n\r\n";
        assert_eq!(check_response(wrong, key), Err(HandshakeError::BadAccept));
    }

    #[test]
    fn urls() {
        let u = WsUrl::parse("WS://example.org?q=1").unwrap();
        assert_eq!((u.port, u.path.as_str()), (80, "/?q=1"));
        for bad in [
            "ws://",
            "ws://h:99999/",
            "ws://h/#f",
            "ftp://h",
            "ws://[::1",
        ] {
            assert!(WsUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
