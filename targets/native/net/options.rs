//! [`BindOptions`]: the socket options that must be set before a socket binds.

use std::io;
use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

/// How [`TcpListener::bind_with`](super::TcpListener::bind_with) and
/// [`UdpSocket::bind_with`](super::UdpSocket::bind_with) set up their socket before binding.
///
/// The defaults are asyncio's `create_server` ones: `SO_REUSEADDR` on (a restarted server
/// can bind while old connections sit in TIME_WAIT), `SO_REUSEPORT` off, a backlog of 1024
/// (listeners only). For UDP, [`BindOptions::new`] also turns `SO_REUSEADDR` on; use
/// `reuse_address(false)` for exclusive binds.
///
/// ```
/// use tulipa::net::{BindOptions, TcpListener};
///
/// tulipa::run(async {
///     let opts = BindOptions::new().reuse_port(true).backlog(128);
///     let a = TcpListener::bind_with("127.0.0.1:0", &opts).await.unwrap();
///     // With SO_REUSEPORT, a second listener can share the port.
///     let b = TcpListener::bind_with(a.local_addr().unwrap(), &opts).await.unwrap();
///     assert_eq!(a.local_addr().unwrap(), b.local_addr().unwrap());
/// });
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "options do nothing until passed to bind_with"]
pub struct BindOptions {
    reuse_address: bool,
    reuse_port: bool,
    backlog: i32,
    only_v6: Option<bool>,
    recv_buffer_size: Option<usize>,
}

impl Default for BindOptions {
    fn default() -> BindOptions {
        BindOptions {
            reuse_address: true,
            reuse_port: false,
            backlog: 1024,
            only_v6: None,
            recv_buffer_size: None,
        }
    }
}

impl BindOptions {
    /// The defaults: reuse-address on, reuse-port off, backlog 1024.
    ///
    /// ```
    /// assert_eq!(tulipa::net::BindOptions::new(), Default::default());
    /// ```
    pub fn new() -> BindOptions {
        BindOptions::default()
    }

    /// `SO_REUSEADDR` (default on).
    ///
    /// ```
    /// let _o = tulipa::net::BindOptions::new().reuse_address(false);
    /// ```
    pub fn reuse_address(mut self, on: bool) -> BindOptions {
        self.reuse_address = on;
        self
    }

    /// `SO_REUSEPORT` (default off): several sockets bind the same port and the kernel
    /// spreads connections over them.
    ///
    /// ```
    /// let _o = tulipa::net::BindOptions::new().reuse_port(true);
    /// ```
    pub fn reuse_port(mut self, on: bool) -> BindOptions {
        self.reuse_port = on;
        self
    }

    /// The `listen` backlog: connections the kernel queues before `accept` (default 1024;
    /// the kernel caps it at `net.core.somaxconn`).
    ///
    /// ```
    /// let _o = tulipa::net::BindOptions::new().backlog(16);
    /// ```
    pub fn backlog(mut self, backlog: u32) -> BindOptions {
        self.backlog = i32::try_from(backlog).unwrap_or(i32::MAX);
        self
    }

    /// `IPV6_V6ONLY` for IPv6 addresses (default: the system's, usually off: `[::]` also
    /// takes IPv4 connections).
    ///
    /// ```
    /// let _o = tulipa::net::BindOptions::new().only_v6(true);
    /// ```
    pub fn only_v6(mut self, on: bool) -> BindOptions {
        self.only_v6 = Some(on);
        self
    }

    /// `SO_RCVBUF`, set before `listen` so accepted connections inherit it (the TCP window
    /// scale is fixed at the handshake).
    ///
    /// ```
    /// let _o = tulipa::net::BindOptions::new().recv_buffer_size(1 << 20);
    /// ```
    pub fn recv_buffer_size(mut self, size: usize) -> BindOptions {
        self.recv_buffer_size = Some(size);
        self
    }

    /// A bound, listening, non-blocking socket.
    pub(crate) fn listen_tcp(&self, addr: SocketAddr) -> io::Result<std::net::TcpListener> {
        let socket = self.bound(addr, Type::STREAM, Protocol::TCP)?;
        socket.listen(self.backlog)?;
        Ok(socket.into())
    }

    /// A bound, non-blocking UDP socket.
    pub(crate) fn bind_udp(&self, addr: SocketAddr) -> io::Result<std::net::UdpSocket> {
        Ok(self.bound(addr, Type::DGRAM, Protocol::UDP)?.into())
    }

    fn bound(&self, addr: SocketAddr, ty: Type, proto: Protocol) -> io::Result<Socket> {
        let socket = Socket::new(Domain::for_address(addr), ty, Some(proto))?;
        socket.set_nonblocking(true)?;
        socket.set_reuse_address(self.reuse_address)?;
        if self.reuse_port {
            socket.set_reuse_port(true)?;
        }
        if let (Some(only), true) = (self.only_v6, addr.is_ipv6()) {
            socket.set_only_v6(only)?;
        }
        if let Some(size) = self.recv_buffer_size {
            socket.set_recv_buffer_size(size)?;
        }
        socket.bind(&addr.into())?;
        Ok(socket)
    }
}

/// How [`TcpStream::connect_with`](super::TcpStream::connect_with) connects: asyncio's
/// `create_connection` parameters that act before or during the connect.
///
/// ```
/// use std::time::Duration;
/// use tulipa::net::{ConnectOptions, TcpListener, TcpStream};
///
/// tulipa::run(async {
///     let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let opts = ConnectOptions::new()
///         .local_addr("127.0.0.1:0".parse().unwrap())
///         .timeout(Duration::from_secs(5))
///         .nodelay(true);
///     let s = TcpStream::connect_with(l.local_addr().unwrap(), &opts).await.unwrap();
///     assert!(s.nodelay().unwrap());
/// });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use = "options do nothing until passed to connect_with"]
pub struct ConnectOptions {
    pub(crate) local_addr: Option<SocketAddr>,
    pub(crate) timeout: Option<std::time::Duration>,
    pub(crate) happy_eyeballs: Option<std::time::Duration>,
    nodelay: bool,
}

/// EINPROGRESS: a non-blocking connect has started.
const EINPROGRESS: i32 = if cfg!(any(target_os = "linux", target_os = "android")) {
    115
} else {
    36
};

impl ConnectOptions {
    /// No local address, no time limit, Nagle on: what [`TcpStream::connect`](super::TcpStream::connect) does.
    ///
    /// ```
    /// assert_eq!(tulipa::net::ConnectOptions::new(), Default::default());
    /// ```
    pub fn new() -> ConnectOptions {
        ConnectOptions::default()
    }

    /// Binds the socket to `addr` before connecting (asyncio's `local_addr`); port 0 lets
    /// the OS pick. An address of the wrong family for a resolved peer address makes that
    /// attempt fail and the next address is tried.
    ///
    /// ```
    /// let _o = tulipa::net::ConnectOptions::new().local_addr("127.0.0.1:0".parse().unwrap());
    /// ```
    pub fn local_addr(mut self, addr: SocketAddr) -> ConnectOptions {
        self.local_addr = Some(addr);
        self
    }

    /// Gives up on each address after `limit` (then tries the next); see
    /// [`TcpStream::connect_timeout`](super::TcpStream::connect_timeout).
    ///
    /// ```
    /// let _o = tulipa::net::ConnectOptions::new().timeout(std::time::Duration::from_secs(3));
    /// ```
    pub fn timeout(mut self, limit: std::time::Duration) -> ConnectOptions {
        self.timeout = Some(limit);
        self
    }

    /// Races the addresses instead of trying them one after another (Happy Eyeballs, RFC
    /// 8305; asyncio's `happy_eyeballs_delay`, which also sets `interleave=1`): the
    /// addresses are reordered to alternate between IPv6 and IPv4, starting with the family
    /// of the first one; the first attempt starts at once, and each next one when the
    /// previous has not connected within `delay` or has failed. The first connection wins
    /// and the other attempts are closed. RFC 8305 recommends 250 ms. Without it (the
    /// default), addresses are tried strictly in order, as asyncio does by default.
    ///
    /// ```
    /// let _o = tulipa::net::ConnectOptions::new().happy_eyeballs(std::time::Duration::from_millis(250));
    /// ```
    pub fn happy_eyeballs(mut self, delay: std::time::Duration) -> ConnectOptions {
        self.happy_eyeballs = Some(delay);
        self
    }

    /// Sets `TCP_NODELAY` before the connect (asyncio sets it on every TCP transport).
    ///
    /// ```
    /// let _o = tulipa::net::ConnectOptions::new().nodelay(true);
    /// ```
    pub fn nodelay(mut self, on: bool) -> ConnectOptions {
        self.nodelay = on;
        self
    }

    /// A non-blocking socket with the connect to `addr` started.
    pub(crate) fn start_connect(&self, addr: SocketAddr) -> io::Result<mio::net::TcpStream> {
        if self.local_addr.is_none() && !self.nodelay {
            return mio::net::TcpStream::connect(addr);
        }
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_nonblocking(true)?;
        if self.nodelay {
            socket.set_tcp_nodelay(true)?;
        }
        if let Some(local) = self.local_addr {
            socket.bind(&local.into())?;
        }
        match socket.connect(&addr.into()) {
            Ok(()) => {}
            Err(e) if e.raw_os_error() == Some(EINPROGRESS) => {}
            Err(e) => return Err(e),
        }
        Ok(mio::net::TcpStream::from_std(socket.into()))
    }
}
