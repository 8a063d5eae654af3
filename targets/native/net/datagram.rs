//! What the UDP and Unix datagram sockets share: the size of the next datagram (to report
//! truncation) and [`Received`].

use std::io;

use socket2::SockRef;

/// What [`UdpSocket::recv_from_checked`](super::UdpSocket::recv_from_checked) (and the
/// Unix datagram twin) received: how many bytes were copied, from whom, and whether the
/// datagram was longer than the buffer (the rest of it is lost: datagram sockets never
/// split a datagram over two reads).
///
/// ```
/// use tulipa::net::UdpSocket;
///
/// tulipa::run(async {
///     let a = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     let b = UdpSocket::bind("127.0.0.1:0").await.unwrap();
///     a.send_to(b"too long for four", b.local_addr().unwrap()).await.unwrap();
///     let mut buf = [0; 4];
///     let got = b.recv_from_checked(&mut buf).await.unwrap();
///     assert_eq!(got.len, 4);
///     assert!(got.truncated);
///     assert_eq!(got.datagram_len, Some(17));
///     assert_eq!(got.from, a.local_addr().unwrap());
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Received<A> {
    /// Bytes copied into the buffer.
    pub len: usize,
    /// The sender's address.
    pub from: A,
    /// The datagram did not fit: only its first `len` bytes were kept.
    pub truncated: bool,
    /// The datagram's full length, where the OS reports it (Linux); `None` elsewhere.
    pub datagram_len: Option<usize>,
}

impl<A> Received<A> {
    pub(crate) fn new(len: usize, from: A, datagram_len: Option<usize>) -> Received<A> {
        Received {
            len,
            from,
            truncated: datagram_len.is_some_and(|d| d > len),
            datagram_len,
        }
    }
}

/// The length of the datagram at the head of the queue, without taking it (Linux:
/// `recv(MSG_PEEK | MSG_TRUNC)` into an empty buffer returns the real length); `None` where
/// the OS cannot tell. `WouldBlock` when no datagram is queued.
pub(crate) fn next_datagram_len(sock: SockRef<'_>) -> io::Result<Option<usize>> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        const MSG_PEEK: i32 = 0x2;
        const MSG_TRUNC: i32 = 0x20;
        sock.recv_with_flags(&mut [], MSG_PEEK | MSG_TRUNC)
            .map(Some)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = sock;
        Ok(None)
    }
}
