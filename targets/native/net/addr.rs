//! Address resolution: the [`ToSocketAddrs`] trait the socket constructors take, and
//! [`lookup_host`] (asyncio's `getaddrinfo`), which resolves names on the blocking pool.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use super::error::NetError;

/// Something that names one or more socket addresses: a [`SocketAddr`], an `(ip, port)`
/// pair, a `"host:port"` string, a `(host, port)` pair, or a slice of addresses.
///
/// Numeric addresses are used as they are; a host name is resolved with the system
/// resolver (getaddrinfo) on the blocking pool, as asyncio does in its executor, so the
/// loop never blocks on DNS. This trait is sealed: tulipa implements it for the types above.
///
/// ```
/// use tulipa::net::TcpListener;
///
/// tulipa::run(async {
///     let a = TcpListener::bind("127.0.0.1:0").await.unwrap();
///     let b = TcpListener::bind(("localhost", 0)).await.unwrap();
///     let c = TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
///     # drop((a, b, c));
/// });
/// ```
pub trait ToSocketAddrs: sealed::Sealed {}

pub(crate) mod sealed {
    use super::*;

    /// What a `ToSocketAddrs` value turns into before any lookup.
    #[derive(Debug)]
    pub enum Target {
        /// Already numeric.
        Addrs(Vec<SocketAddr>),
        /// A name to resolve on the blocking pool.
        Lookup(String, u16),
    }

    pub trait Sealed {
        #[doc(hidden)]
        fn to_target(&self) -> io::Result<Target>;
    }
}

use sealed::{Sealed, Target};

macro_rules! numeric {
    ($($t:ty),*) => {$(
        impl ToSocketAddrs for $t {}
        impl Sealed for $t {
            fn to_target(&self) -> io::Result<Target> {
                Ok(Target::Addrs(std::net::ToSocketAddrs::to_socket_addrs(self)?.collect()))
            }
        }
    )*};
}

numeric!(
    SocketAddr,
    SocketAddrV4,
    SocketAddrV6,
    (IpAddr, u16),
    (Ipv4Addr, u16),
    (Ipv6Addr, u16)
);

impl ToSocketAddrs for [SocketAddr] {}
impl Sealed for [SocketAddr] {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(self.to_vec()))
    }
}

impl ToSocketAddrs for Vec<SocketAddr> {}
impl Sealed for Vec<SocketAddr> {
    fn to_target(&self) -> io::Result<Target> {
        Ok(Target::Addrs(self.clone()))
    }
}

impl ToSocketAddrs for (&str, u16) {}
impl Sealed for (&str, u16) {
    fn to_target(&self) -> io::Result<Target> {
        host_port(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {}
impl Sealed for (String, u16) {
    fn to_target(&self) -> io::Result<Target> {
        host_port(&self.0, self.1)
    }
}

impl ToSocketAddrs for str {}
impl Sealed for str {
    fn to_target(&self) -> io::Result<Target> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(Target::Addrs(vec![addr]));
        }
        let (host, port) = self.rsplit_once(':').ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid socket address {self:?}: expected \"host:port\""),
            )
        })?;
        let port = port.parse::<u16>().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid port in socket address {self:?}"),
            )
        })?;
        host_port(host, port)
    }
}

impl ToSocketAddrs for String {}
impl Sealed for String {
    fn to_target(&self) -> io::Result<Target> {
        self.as_str().to_target()
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {}
impl<T: Sealed + ?Sized> Sealed for &T {
    fn to_target(&self) -> io::Result<Target> {
        (**self).to_target()
    }
}

fn host_port(host: &str, port: u16) -> io::Result<Target> {
    // "[::1]" style brackets are accepted around IPv6 literals.
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    match bare.parse::<IpAddr>() {
        Ok(ip) => Ok(Target::Addrs(vec![SocketAddr::new(ip, port)])),
        Err(_) => Ok(Target::Lookup(host.to_owned(), port)),
    }
}

/// Resolves `addr` to its socket addresses, in the resolver's order; names are looked up
/// on the blocking pool (asyncio's `loop.getaddrinfo`).
///
/// # Errors
///
/// [`NetError::Unresolvable`] (kind [`NotFound`](io::ErrorKind::NotFound)) when the name
/// does not resolve, [`NetError::NoAddresses`] when it resolves to nothing, and
/// [`InvalidInput`](io::ErrorKind::InvalidInput) for a malformed `"host:port"` string.
///
/// # Cancel safety
///
/// Cancel safe: dropping the future abandons the lookup (a lookup already running on the
/// pool finishes there and its result is dropped).
///
/// ```
/// tulipa::run(async {
///     let addrs: Vec<_> = tulipa::net::lookup_host(("localhost", 8080)).await.unwrap().collect();
///     assert!(addrs.iter().all(|a| a.port() == 8080 && a.ip().is_loopback()));
/// });
/// ```
#[doc(alias = "getaddrinfo")]
pub async fn lookup_host(addr: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    let target = addr.to_target()?;
    Ok(resolve(target).await?.into_iter())
}

/// Resolves a target (not generic, so each caller shares one body).
pub(crate) async fn resolve(target: Target) -> io::Result<Vec<SocketAddr>> {
    match target {
        Target::Addrs(addrs) if addrs.is_empty() => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "no socket addresses given",
        )),
        Target::Addrs(addrs) => Ok(addrs),
        Target::Lookup(host, port) => {
            let name = host.clone();
            let looked_up = crate::spawn_blocking(move || {
                std::net::ToSocketAddrs::to_socket_addrs(&(name.as_str(), port))
                    .map(|it| it.collect::<Vec<_>>())
            })
            .await
            .map_err(|e| io::Error::other(format!("host name lookup did not finish: {e}")))?;
            match looked_up {
                Err(e) => Err(NetError::Unresolvable {
                    host,
                    reason: e.to_string(),
                }
                .into()),
                Ok(addrs) if addrs.is_empty() => Err(NetError::NoAddresses { host }.into()),
                Ok(addrs) => Ok(addrs),
            }
        }
    }
}

/// Resolves `addr` and runs `attempt` on each address in order until one succeeds; returns
/// the last error if none does.
pub(crate) async fn each_addr<T, F, Fut>(target: Target, mut attempt: F) -> io::Result<T>
where
    F: FnMut(SocketAddr) -> Fut,
    Fut: std::future::Future<Output = io::Result<T>>,
{
    let mut last = None;
    for addr in resolve(target).await? {
        match attempt(addr).await {
            Ok(v) => return Ok(v),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no addresses")))
}

/// The longest Unix socket path this OS takes (`sun_path` less its NUL terminator).
const MAX_UNIX_PATH: usize = if cfg!(any(target_os = "linux", target_os = "android")) {
    107
} else {
    103 // macOS and the BSDs: 104-byte sun_path
};

/// Checks that `path` fits in a `sockaddr_un`, so a long path is a clear
/// [`NetError::PathTooLong`] instead of the OS's terse EINVAL.
pub(crate) fn unix_path(path: &std::path::Path) -> io::Result<&std::path::Path> {
    if path.as_os_str().len() > MAX_UNIX_PATH {
        return Err(NetError::PathTooLong {
            path: path.to_owned(),
            max: MAX_UNIX_PATH,
        }
        .into());
    }
    Ok(path)
}
