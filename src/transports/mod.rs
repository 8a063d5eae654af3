//! Transports and protocols: asyncio's callback model of a connection, with flow control.
//!
//! A **transport** owns a connection (a socket, a pipe, a browser WebSocket, an in-memory
//! pipe) and moves bytes; a **protocol** is your code, called back by the transport as
//! things happen. The split is asyncio's (and Twisted's):
//!
//! * [`Transport`]: `write`, `writelines`, `write_eof`, `close`, `abort`, `pause_reading` /
//!   `resume_reading`, write-buffer limits and size, the peer and local addresses.
//! * [`Protocol`]: `connection_made` → `data_received`* → `eof_received`? →
//!   `connection_lost`, plus `pause_writing` / `resume_writing` when the transport's write
//!   buffer crosses its high / low watermark.
//! * [`BufferedProtocol`]: the same, but the transport reads straight into a buffer the
//!   protocol lends it (`get_buffer` / `buffer_updated`), saving a copy.
//! * [`DatagramTransport`] / [`DatagramProtocol`]: message-oriented (UDP, Unix datagrams).
//!
//! The traits name no native type, so every target implements them: natively the socket
//! transports (`tulipa::net::create_connection`, `create_server`, ...), on every target the
//! in-memory pair of [`memory`]. The stream API of [`crate::streams`] is a protocol, so it
//! runs over any transport.
//!
//! # How callbacks are delivered
//!
//! Protocols run on the loop's thread and need not be `Send`. A transport never calls a
//! protocol while that protocol is already inside one of its callbacks: a callback
//! triggered from inside another (say `pause_writing`, when `data_received` writes past the
//! high watermark) runs right after the outer callback returns, before anything else. So a
//! protocol's methods can take `&mut self` and call its transport freely.
//!
//! One consequence differs from asyncio: a callback that writes in a loop until
//! `pause_writing` arrives would never see it (it arrives after the callback returns).
//! Inside a callback, compare [`Transport::write_buffer_size`] with
//! [`Transport::write_buffer_limits`] instead, or produce from a task, where
//! `pause_writing` runs inside the `write` that crosses the watermark, as in asyncio.
//!
//! `connection_lost` is called exactly once per connection (after `connection_made`), and the
//! transport then drops the protocol, which breaks the reference cycle between a protocol and
//! the transport it keeps.
//!
//! ```
//! use std::rc::Rc;
//! use tulipa::transports::{memory, Protocol, Transport};
//!
//! /// Echoes everything back, and closes when the peer is done.
//! #[derive(Default)]
//! struct Echo(Option<Rc<dyn Transport>>);
//!
//! impl Protocol for Echo {
//!     fn connection_made(&mut self, transport: Rc<dyn Transport>) {
//!         self.0 = Some(transport);
//!     }
//!     fn data_received(&mut self, data: &[u8]) {
//!         self.0.as_ref().unwrap().write(data);
//!     }
//! }
//!
//! tulipa::run(async {
//!     let (mut reader, mut writer) = tulipa::streams::connect_pipe(Echo::default());
//!     writer.write(b"ping");
//!     writer.write_eof().unwrap();
//!     assert_eq!(reader.read_exact(4).await.unwrap(), b"ping");
//! });
//! ```

mod addr;
pub(crate) mod dispatch;
pub(crate) mod flow;
pub mod memory;
mod traits;

pub use addr::TransportAddr;
pub use flow::{DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER};
pub use traits::{
    Buffered, BufferedProtocol, DatagramProtocol, DatagramTransport, IntoProtocol, Protocol,
    Transport,
};
