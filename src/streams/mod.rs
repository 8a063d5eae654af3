//! Streams: asyncio's high-level reader/writer API, over any transport.
//!
//! A [`StreamReader`] buffers what arrives and reads it as lines ([`read_line`]), records
//! ([`read_until`]), exact sizes ([`read_exact`]) or whatever is there ([`read`]), with a
//! size limit that bounds memory. A [`StreamWriter`] writes without blocking and
//! [`drain`]s to respect the transport's flow control. Both are built on a
//! [`StreamProtocol`], so they work over any transport:
//!
//! * natively, over TCP and Unix sockets: `tulipa::net::open_connection` /
//!   `start_server` (asyncio's names);
//! * on every target, over the in-memory pipe: [`pipe`], [`connect_pipe`];
//! * over any other transport: [`stream_protocol`].
//!
//! [`read_line`]: StreamReader::read_line
//! [`read_until`]: StreamReader::read_until
//! [`read_exact`]: StreamReader::read_exact
//! [`read`]: StreamReader::read
//! [`drain`]: StreamWriter::drain
//!
//! ```
//! tulipa::run(async {
//!     let ((mut client_r, client_w), (mut server_r, server_w)) = tulipa::streams::pipe();
//!     let server = tulipa::spawn_local(async move {
//!         while let Ok(line) = server_r.read_line().await {
//!             if line.is_empty() {
//!                 break; // EOF
//!             }
//!             server_w.write(&line.to_ascii_uppercase());
//!             server_w.drain().await.unwrap();
//!         }
//!         server_w.close();
//!     });
//!     client_w.write(b"hello\n");
//!     assert_eq!(client_r.read_line().await.unwrap(), b"HELLO\n");
//!     client_w.write_eof().unwrap();
//!     server.await.unwrap();
//!     assert!(client_r.read_line().await.unwrap().is_empty());
//! });
//! ```

mod error;
mod protocol;
mod reader;
mod writer;

pub use error::StreamError;
pub use protocol::{stream_protocol, StreamProtocol, DEFAULT_LIMIT};
pub use reader::StreamReader;
pub use writer::StreamWriter;

use crate::transports::{memory, IntoProtocol};

/// Two stream ends connected by an in-memory pipe (see [`crate::transports::memory`]),
/// with the default limit: what one writer writes, the other reader reads.
///
/// # Panics
///
/// Outside a running tulipa loop.
///
/// ```
/// tulipa::run(async {
///     let ((mut r1, w1), (mut r2, w2)) = tulipa::streams::pipe();
///     w1.write(b"ping");
///     assert_eq!(r2.read_exact(4).await.unwrap(), b"ping");
///     w2.write(b"pong");
///     assert_eq!(r1.read_exact(4).await.unwrap(), b"pong");
/// });
/// ```
#[track_caller]
pub fn pipe() -> ((StreamReader, StreamWriter), (StreamReader, StreamWriter)) {
    let (pa, ra, wa) = stream_protocol(DEFAULT_LIMIT);
    let (pb, rb, wb) = stream_protocol(DEFAULT_LIMIT);
    memory::pair(pa, pb);
    ((ra, wa), (rb, wb))
}

/// A stream end connected by an in-memory pipe to `protocol` (a server protocol under
/// test, say), with the default limit.
///
/// # Panics
///
/// Outside a running tulipa loop.
///
/// ```
/// use tulipa::transports::Protocol;
/// struct Silent;
/// impl Protocol for Silent {}
/// tulipa::run(async {
///     let (_r, w) = tulipa::streams::connect_pipe(Silent);
///     w.write(b"into the void");
/// });
/// ```
#[track_caller]
pub fn connect_pipe(protocol: impl IntoProtocol) -> (StreamReader, StreamWriter) {
    let (p, r, w) = stream_protocol(DEFAULT_LIMIT);
    memory::pair(p, protocol);
    (r, w)
}
