//! Native sockets on the loop's reactor: TCP, UDP and Unix-domain streams, listeners and
//! datagram sockets (`tulipa::net`, native targets only).
//!
//! These are the plain socket types, with async methods and the futures-io traits; the
//! asyncio transport/protocol and stream layers (`create_connection`, `open_connection`)
//! are built on them.
//!
//! | asyncio / socket | tulipa |
//! |---|---|
//! | `loop.sock_connect`, `socket.create_connection` | [`TcpStream::connect`] |
//! | `socket.create_server` | [`TcpListener::bind`], [`TcpListener::bind_with`] |
//! | `loop.sock_accept` | [`TcpListener::accept`] |
//! | `loop.sock_recv` / `sock_sendall` | [`TcpStream::read`] / [`TcpStream::write_all`] |
//! | `transport.write_eof` | [`TcpStream::shutdown`]`(Shutdown::Write)` |
//! | `loop.getaddrinfo` | [`lookup_host`] |
//! | `loop.sock_recvfrom` / `sock_sendto` | [`UdpSocket::recv_from`] / [`UdpSocket::send_to`] |
//! | `create_connection(local_addr=...)` | [`TcpStream::connect_with`] + [`ConnectOptions`] |
//! | `create_server(reuse_port=..., backlog=...)` | [`TcpListener::bind_with`] + [`BindOptions`] |
//! | `open_unix_connection` / `start_unix_server` sockets | [`UnixStream::connect`] / [`UnixListener::bind`] |
//! | `AF_UNIX` datagram endpoint | [`UnixDatagram`] |
//! | `loop.sock_sendfile` | [`TcpStream::sendfile`], [`UnixStream::sendfile`] (zero-copy `sendfile(2)` on Linux) |
//!
//! For futures-io's `AsyncBufRead`, wrap a stream in [`BufReader`].
//!
//! Common behaviour of every type here:
//! - Create them inside a tulipa runtime (`tulipa::run`, `Runtime::block_on`): they register
//!   with that runtime's reactor. Outside one, constructors fail with an error that says so.
//!   A socket stays tied to that reactor: tasks on other threads may use it, but it only
//!   makes progress while its runtime keeps running.
//! - Host names are resolved on the blocking pool, never on the loop.
//! - Errors are [`std::io::Error`]s; causes tulipa names itself carry a [`NetError`].
//! - Writes never raise SIGPIPE; a reset connection stays failed.
//! - One task reads and one task writes a socket at a time (split streams to share them).
//! - Dropping a socket deregisters it and closes the descriptor.
//!
//! ```
//! use tulipa::net::{TcpListener, TcpStream};
//!
//! tulipa::run(async {
//!     let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
//!     let addr = listener.local_addr().unwrap();
//!     tulipa::spawn(async move {
//!         loop {
//!             let (conn, _) = listener.accept().await.unwrap();
//!             tulipa::spawn(async move {
//!                 let (mut r, mut w) = conn.into_split();
//!                 let mut buf = [0; 1024];
//!                 loop {
//!                     let n = r.read(&mut buf).await.unwrap();
//!                     if n == 0 { break; }
//!                     w.write_all(&buf[..n]).await.unwrap();
//!                 }
//!             }).detach();
//!         }
//!     }).detach();
//!     let mut c = TcpStream::connect(addr).await.unwrap();
//!     c.write_all(b"ping").await.unwrap();
//!     let mut buf = [0; 4];
//!     c.read_exact(&mut buf).await.unwrap();
//!     assert_eq!(&buf, b"ping");
//! });
//! ```

mod addr;
mod buf_reader;
mod datagram;
mod error;
pub(crate) mod evented;
mod fd;
mod options;
mod sendfile;
mod split;
mod stream;
mod tcp_listener;
mod tcp_stream;
mod udp;
mod unix_datagram;
mod unix_listener;
mod unix_stream;

pub use addr::{lookup_host, ToSocketAddrs};
pub use buf_reader::BufReader;
pub use datagram::Received;
pub use error::NetError;
pub use options::{BindOptions, ConnectOptions};
pub use split::{OwnedReadHalf, OwnedWriteHalf, ReadHalf, ReuniteError, WriteHalf};
pub use tcp_listener::TcpListener;
pub use tcp_stream::TcpStream;
pub use udp::UdpSocket;
pub use unix_datagram::UnixDatagram;
pub use unix_listener::UnixListener;
pub use unix_stream::UnixStream;

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::Poll;

    use super::*;
    use crate::sys::reactor;

    fn registrations() -> usize {
        reactor::current().unwrap().registrations()
    }

    /// Every socket type, every way of ending (drop, split halves, failed and abandoned
    /// connects), leaves no registration behind in the reactor.
    #[test]
    fn sockets_leave_no_registrations_behind() {
        crate::run(async {
            assert_eq!(registrations(), 0);
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = l.local_addr().unwrap();
            assert_eq!(registrations(), 1);
            let c = TcpStream::connect(addr).await.unwrap();
            let (s, _) = l.accept().await.unwrap();
            assert_eq!(registrations(), 3);
            let (r, w) = c.into_split();
            drop(r);
            assert_eq!(registrations(), 3, "the write half keeps the stream");
            drop(w);
            drop(s);
            assert_eq!(registrations(), 1);

            // Refused and abandoned connects.
            let dead = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap();
            assert!(TcpStream::connect(dead).await.is_err());
            for _ in 0..10 {
                let mut fut = std::pin::pin!(TcpStream::connect(addr));
                std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx).is_ready())).await;
            }
            assert_eq!(registrations(), 1);
            drop(l);

            let u = UdpSocket::bind("127.0.0.1:0").await.unwrap();
            let (a, b) = UnixStream::pair().unwrap();
            let (d, e) = UnixDatagram::pair().unwrap();
            assert_eq!(registrations(), 5);
            drop((u, a, b, d, e));
            assert_eq!(registrations(), 0);
        });
    }
}
