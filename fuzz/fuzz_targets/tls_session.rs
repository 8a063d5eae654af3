//! Fuzzes tulipa's TLS layers with arbitrary peer bytes: what a hostile or broken peer
//! could send, fed in pieces, to a client or a server session, through either level:
//!
//! * the stream level, `TlsStream::connect` / `TlsStream::accept` over an in-memory
//!   futures-io stream whose reads return the input, piece by piece, then end of file;
//! * the transport level (the TLS protocol adapter), `start_tls_streams` /
//!   `start_tls_streams_server` on one end of an in-memory stream pipe, while a peer task
//!   writes the input into the other end, piece by piece, then closes it.
//!
//! Input: byte 0 picks the role (bit 0: client or server), the level (bit 1) and the size
//! of each piece (bits 2..6: 1 to 64 bytes); the rest is the peer's bytes. If the handshake
//! happens to succeed, the session is read to its end.
//!
//! Checks: no panic; every session ends (error or end of file) within a few seconds of
//! virtual-free wall time (the bytes are all there, so nothing may wait); libFuzzer's
//! `-timeout` catches a hang that the in-target watchdog would not.
#![no_main]

use std::io;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_io::{AsyncRead, AsyncWrite};
use libfuzzer_sys::fuzz_target;
use tulipa::tls::{ClientConfig, ServerConfig, TlsStream};

/// Longest a session may take: the peer's bytes are all available at once, so anything
/// near this is a hang.
const WATCHDOG: Duration = Duration::from_secs(5);

struct Configs {
    client: ClientConfig,
    server: ServerConfig,
}

/// One certificate and configuration pair per process: making them per input would cost
/// more than the session itself.
fn configs() -> &'static Configs {
    static CONFIGS: OnceLock<Configs> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let cert = ck.cert.pem();
        let key = ck.signing_key.serialize_pem();
        Configs {
            client: ClientConfig::new()
                .with_root_certificates_pem(cert.as_bytes())
                .unwrap()
                .with_handshake_timeout(WATCHDOG),
            server: ServerConfig::from_pem(cert.as_bytes(), key.as_bytes())
                .unwrap()
                .with_handshake_timeout(WATCHDOG),
        }
    })
}

thread_local! {
    /// One runtime per process, reused: every session ends inside its `block_on`, so no
    /// task outlives an input. Leaked on purpose: a `Runtime` dropped by the thread-local
    /// destructors at process exit panics (the loop's own thread-local context is gone by
    /// then), which libFuzzer would report as a crash of the last input.
    static RT: &'static tulipa::Runtime = Box::leak(Box::new(tulipa::Runtime::new().unwrap()));
}

/// The peer as a futures-io stream: reads return the input one piece at a time, then end
/// of file; writes (the session's own records) are accepted and dropped.
struct Peer<'a> {
    pieces: std::slice::Iter<'a, &'a [u8]>,
    rest: &'a [u8],
}

impl AsyncRead for Peer<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if self.rest.is_empty() {
            match self.pieces.next() {
                Some(p) => self.rest = p,
                None => return Poll::Ready(Ok(0)),
            }
        }
        let n = self.rest.len().min(buf.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Poll::Ready(Ok(n))
    }
}

impl AsyncWrite for Peer<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

async fn stream_level(client: bool, pieces: &[&[u8]]) {
    let c = configs();
    let peer = Peer {
        pieces: pieces.iter(),
        rest: &[],
    };
    let tls = if client {
        TlsStream::connect(peer, "localhost", &c.client).await
    } else {
        TlsStream::accept(peer, &c.server).await
    };
    if let Ok(mut tls) = tls {
        let mut buf = [0u8; 4096];
        // Bounded: every read consumes input or ends.
        while let Ok(n) = tls.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
    }
}

async fn adapter_level(client: bool, pieces: &[&[u8]]) {
    let c = configs();
    let ((mut r, w), (mut peer_r, peer_w)) = tulipa::streams::pipe();
    let input: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
    let peer = tulipa::spawn_local(async move {
        for p in &input {
            peer_w.write(p);
            tulipa::yield_now().await;
        }
        peer_w.close();
        // Take what the session sends until it closes, so its writes never stall.
        while let Ok(b) = peer_r.read(4096).await {
            if b.is_empty() {
                break;
            }
        }
    });
    let up = if client {
        tulipa::tls::start_tls_streams(&mut r, &w, "localhost", &c.client).await
    } else {
        tulipa::tls::start_tls_streams_server(&mut r, &w, &c.server).await
    };
    if up.is_ok() {
        // Bounded: every read consumes input or ends.
        while let Ok(b) = r.read(4096).await {
            if b.is_empty() {
                break;
            }
        }
    }
    w.close();
    peer.await
        .expect("the peer task ends once both ends are closed");
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, input)) = data.split_first() else {
        return;
    };
    let client = first & 1 == 0;
    let adapter = first & 2 != 0;
    let step = usize::from((first >> 2) % 64) + 1;
    let pieces: Vec<&[u8]> = input.chunks(step).collect();
    RT.with(|rt| {
        let session = async {
            if adapter {
                adapter_level(client, &pieces).await;
            } else {
                stream_level(client, &pieces).await;
            }
        };
        rt.block_on(tulipa::time::timeout(WATCHDOG * 2, session))
            .expect("a session with all its input available must end");
    });
});
