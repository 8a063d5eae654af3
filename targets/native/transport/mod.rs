//! Native transports: asyncio's `create_connection` / `create_server` (TCP and Unix) and
//! the stream helpers `open_connection` / `start_server`, over the sockets of
//! `tulipa::net`.
//!
//! | asyncio | tulipa |
//! |---|---|
//! | `loop.create_connection(factory, host, port)` | [`create_connection`]`(factory, (host, port))` |
//! | `create_connection(..., happy_eyeballs_delay=, local_addr=)` | [`create_connection_with`] + [`ConnectOptions`](crate::net::ConnectOptions) |
//! | `loop.create_server(factory, host, port)` | [`create_server`] → [`Server`] |
//! | `loop.create_unix_connection` / `create_unix_server` | [`create_unix_connection`] / [`create_unix_server`] |
//! | `loop.create_datagram_endpoint` | [`create_datagram_endpoint`] (UDP), [`create_unix_datagram_endpoint`] (`family=AF_UNIX`) |
//! | `asyncio.open_connection` / `start_server` | [`open_connection`] / [`start_server`] |
//! | `asyncio.open_unix_connection` / `start_unix_server` | [`open_unix_connection`] / [`start_unix_server`] |
//!
//! The protocols, transports and streams themselves are portable: see
//! [`crate::transports`] and [`crate::streams`].

mod connect;
mod datagram;
mod server;
mod socket;

pub use connect::{
    create_connection, create_connection_with, create_server, create_unix_connection,
    create_unix_server, open_connection, open_connection_with, open_unix_connection, start_server,
    start_unix_server,
};
pub use datagram::{
    create_datagram_endpoint, create_unix_datagram_endpoint, DatagramSocketTransport,
};
pub use server::Server;
pub use socket::SocketTransport;
