//! `AsFd` / `AsRawFd` for every socket type, so callers can hand the descriptor to other
//! APIs (socket2's `SockRef` for more options, `sendfile`, `getsockopt`) without taking it
//! away from the reactor. Closing or switching it to blocking mode breaks the socket.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use super::split::Sealed;
use super::{TcpListener, TcpStream, UdpSocket, UnixDatagram, UnixListener, UnixStream};

impl AsFd for TcpStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.core().source().as_fd()
    }
}

impl AsFd for UnixStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.core().source().as_fd()
    }
}

impl AsFd for TcpListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source().as_fd()
    }
}

impl AsFd for UnixListener {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source().as_fd()
    }
}

impl AsFd for UdpSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source().as_fd()
    }
}

impl AsFd for UnixDatagram {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.source().as_fd()
    }
}

macro_rules! as_raw_fd {
    ($($t:ty),*) => {$(
        impl AsRawFd for $t {
            fn as_raw_fd(&self) -> RawFd {
                self.as_fd().as_raw_fd()
            }
        }
    )*};
}

as_raw_fd!(
    TcpStream,
    UnixStream,
    TcpListener,
    UnixListener,
    UdpSocket,
    UnixDatagram
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptors_are_visible_to_socket2() {
        crate::run(async {
            let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let s = TcpStream::connect(l.local_addr().unwrap()).await.unwrap();
            let sock = socket2::SockRef::from(&s);
            sock.set_tcp_nodelay(true).unwrap();
            assert!(s.nodelay().unwrap());
            assert!(s.as_raw_fd() >= 0 && l.as_raw_fd() != s.as_raw_fd());
        });
    }
}
