//! The transport and protocol traits.

use std::io;
use std::rc::Rc;

use super::addr::TransportAddr;
use super::dispatch::{BufferedAdapter, Callbacks, PlainAdapter};

/// One end of a connection that moves bytes: a socket, a pipe, a WebSocket, an in-memory
/// pipe (asyncio's `Transport`).
///
/// A transport is shared (`Rc<dyn Transport>`) between its protocol, which receives it in
/// [`Protocol::connection_made`], and whatever else drives it, so every method takes
/// `&self`. Nothing here blocks or fails loudly: errors reach the protocol through
/// [`Protocol::connection_lost`].
///
/// ```
/// use std::rc::Rc;
/// use tulipa::transports::{memory, Protocol, Transport};
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// tulipa::run(async {
///     let (a, _b) = memory::pair(Quiet, Quiet);
///     a.set_write_buffer_limits(Some(4), None);
///     a.write(b"hello");
///     assert_eq!(a.write_buffer_size(), 5); // not yet delivered
///     assert!(a.is_reading());
///     a.close();
///     assert!(a.is_closing());
/// });
/// ```
pub trait Transport {
    /// Queues `data` to be sent, without blocking. Data written after `close`, `abort` or
    /// `write_eof` is dropped.
    fn write(&self, data: &[u8]);

    /// Queues several buffers, in order (asyncio's `writelines`).
    fn writelines(&self, chunks: &[&[u8]]) {
        for c in chunks {
            self.write(c);
        }
    }

    /// Closes the write side after the buffered data is sent (a half-close); the peer sees
    /// end of file. Reading goes on.
    ///
    /// # Errors
    ///
    /// `Unsupported` if the transport cannot half-close (see [`Transport::can_write_eof`]).
    fn write_eof(&self) -> io::Result<()>;

    /// Whether [`Transport::write_eof`] is supported.
    fn can_write_eof(&self) -> bool;

    /// Closes the transport: stops reading at once, sends what is buffered, then calls the
    /// protocol's `connection_lost(None)`. Idempotent.
    fn close(&self);

    /// Closes the transport at once, dropping buffered data; the protocol's
    /// `connection_lost(None)` follows. Idempotent.
    fn abort(&self);

    /// `close` or `abort` was called, or the connection is gone.
    fn is_closing(&self) -> bool;

    /// Stops calling the protocol's `data_received` until `resume_reading` (data is left in
    /// the OS or peer buffers: the peer's writer sees back-pressure).
    fn pause_reading(&self);

    /// Resumes delivering data after `pause_reading`.
    fn resume_reading(&self);

    /// Reading is on: not paused, not closing.
    fn is_reading(&self) -> bool;

    /// Sets the write buffer's watermarks: above `high` bytes buffered the protocol's
    /// `pause_writing` is called, at `low` or below its `resume_writing`. `None` picks
    /// asyncio's defaults (`high` 64 KiB or `4 * low`, `low` = `high / 4`).
    ///
    /// # Panics
    ///
    /// If `low` is above `high`.
    fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>);

    /// The current `(high, low)` watermarks.
    fn write_buffer_limits(&self) -> (usize, usize);

    /// Bytes written and not yet handed to the OS (or the peer).
    fn write_buffer_size(&self) -> usize;

    /// The remote end's address, if known.
    fn peer_addr(&self) -> Option<TransportAddr>;

    /// This end's address, if known.
    fn local_addr(&self) -> Option<TransportAddr>;

    /// Optional information about the connection, by name (asyncio's `get_extra_info`), as
    /// a value to downcast; `None` if this transport does not know it. Every transport
    /// answers `"peername"` and `"sockname"` (a [`TransportAddr`]); TLS transports also
    /// `"tls"` (`tulipa::tls::TlsInfo`, natively).
    ///
    /// ```
    /// use tulipa::transports::{memory, Protocol, Transport, TransportAddr};
    /// struct Quiet;
    /// impl Protocol for Quiet {}
    /// tulipa::run(async {
    ///     let (a, _b) = memory::pair(Quiet, Quiet);
    ///     let peer = a.extra_info("peername").and_then(|v| v.downcast::<TransportAddr>().ok());
    ///     assert_eq!(peer.map(|p| *p), a.peer_addr());
    ///     assert!(a.extra_info("no such key").is_none());
    /// });
    /// ```
    fn extra_info(&self, name: &str) -> Option<Box<dyn std::any::Any>> {
        match name {
            "peername" => self
                .peer_addr()
                .map(|a| Box::new(a) as Box<dyn std::any::Any>),
            "sockname" => self
                .local_addr()
                .map(|a| Box::new(a) as Box<dyn std::any::Any>),
            _ => None,
        }
    }
}

/// Your side of a stream connection: the transport calls these (asyncio's `Protocol`).
///
/// Order: `connection_made` once, then `data_received` any number of times, then at most
/// one `eof_received`, then `connection_lost` exactly once. `pause_writing` and
/// `resume_writing` alternate, starting with a pause, any time between `connection_made`
/// and `connection_lost`. All methods have empty defaults.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::transports::{Protocol, Transport};
///
/// /// Counts bytes and closes the connection after 100.
/// #[derive(Default)]
/// struct Counter { transport: Option<Rc<dyn Transport>>, seen: usize }
///
/// impl Protocol for Counter {
///     fn connection_made(&mut self, transport: Rc<dyn Transport>) {
///         self.transport = Some(transport);
///     }
///     fn data_received(&mut self, data: &[u8]) {
///         self.seen += data.len();
///         if self.seen >= 100 {
///             self.transport.as_ref().unwrap().close();
///         }
///     }
/// }
/// # let _ = Counter::default();
/// ```
pub trait Protocol {
    /// The connection is up; keep `transport` to write and close.
    fn connection_made(&mut self, transport: Rc<dyn Transport>) {
        let _ = transport;
    }

    /// Some bytes arrived (never empty).
    fn data_received(&mut self, data: &[u8]) {
        let _ = data;
    }

    /// The peer closed its write side. Return `true` to keep the connection half-open (you
    /// can still write, then close it yourself); `false` (the default) closes the transport.
    fn eof_received(&mut self) -> bool {
        false
    }

    /// The connection is gone: `None` after a clean close, `Some(error)` if it broke.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// The transport's write buffer went above its high watermark: stop writing for now.
    fn pause_writing(&mut self) {}

    /// The write buffer drained to its low watermark: writing may go on.
    fn resume_writing(&mut self) {}
}

/// A protocol that lends the transport its own receive buffer, saving a copy (asyncio's
/// `BufferedProtocol`). Pass it wrapped in [`Buffered`].
///
/// ```
/// use tulipa::transports::{memory, Buffered, BufferedProtocol, Protocol, Transport};
///
/// struct Sink { buf: Vec<u8>, got: std::rc::Rc<std::cell::RefCell<Vec<u8>>> }
///
/// impl BufferedProtocol for Sink {
///     fn get_buffer(&mut self, _size_hint: usize) -> &mut [u8] {
///         &mut self.buf
///     }
///     fn buffer_updated(&mut self, n: usize) {
///         self.got.borrow_mut().extend_from_slice(&self.buf[..n]);
///     }
/// }
///
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// tulipa::run(async {
///     let got = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
///     let sink = Sink { buf: vec![0; 3], got: got.clone() };
///     let (a, _b) = memory::pair(Quiet, Buffered(sink));
///     a.write(b"hello");
///     tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     assert_eq!(*got.borrow(), b"hello");
/// });
/// ```
pub trait BufferedProtocol {
    /// As [`Protocol::connection_made`].
    fn connection_made(&mut self, transport: Rc<dyn Transport>) {
        let _ = transport;
    }

    /// Returns a buffer for the transport to receive into (not empty). `size_hint` is how
    /// much the transport would like to write, or 0 if it does not know.
    fn get_buffer(&mut self, size_hint: usize) -> &mut [u8];

    /// The transport wrote `nbytes` (at least 1) at the start of the last buffer.
    fn buffer_updated(&mut self, nbytes: usize);

    /// As [`Protocol::eof_received`].
    fn eof_received(&mut self) -> bool {
        false
    }

    /// As [`Protocol::connection_lost`].
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// As [`Protocol::pause_writing`].
    fn pause_writing(&mut self) {}

    /// As [`Protocol::resume_writing`].
    fn resume_writing(&mut self) {}
}

/// Marks a [`BufferedProtocol`] where a protocol is expected.
///
/// ```
/// use tulipa::transports::{Buffered, BufferedProtocol, IntoProtocol};
///
/// struct Sink(Vec<u8>);
/// impl BufferedProtocol for Sink {
///     fn get_buffer(&mut self, _: usize) -> &mut [u8] { &mut self.0 }
///     fn buffer_updated(&mut self, _: usize) {}
/// }
/// fn takes(_: impl IntoProtocol) {}
/// takes(Buffered(Sink(vec![0; 64])));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Buffered<P>(pub P);

/// Anything a transport can drive: a [`Protocol`], or a [`BufferedProtocol`] in
/// [`Buffered`]. Sealed: implemented by the crate only.
///
/// ```
/// use tulipa::transports::{IntoProtocol, Protocol};
/// struct P;
/// impl Protocol for P {}
/// fn takes(_: impl IntoProtocol) {}
/// takes(P);
/// ```
pub trait IntoProtocol: sealed::Sealed {}

pub(crate) mod sealed {
    /// The conversion into the transports' internal callback object.
    pub trait Sealed {
        /// Boxes the protocol behind the internal interface.
        fn into_callbacks(self) -> Box<dyn super::Callbacks>;
    }
}

impl<P: Protocol + 'static> sealed::Sealed for P {
    fn into_callbacks(self) -> Box<dyn Callbacks> {
        Box::new(PlainAdapter::new(self))
    }
}
impl<P: Protocol + 'static> IntoProtocol for P {}

impl<P: BufferedProtocol + 'static> sealed::Sealed for Buffered<P> {
    fn into_callbacks(self) -> Box<dyn Callbacks> {
        Box::new(BufferedAdapter(self.0))
    }
}
impl<P: BufferedProtocol + 'static> IntoProtocol for Buffered<P> {}

/// One end of a message-oriented endpoint (UDP, Unix datagrams): asyncio's
/// `DatagramTransport`.
///
/// ```
/// use tulipa::transports::{DatagramTransport, TransportAddr};
///
/// fn greet(t: &dyn DatagramTransport, to: TransportAddr) {
///     t.sendto(b"hello", Some(to));
/// }
/// # let _ = greet;
/// ```
pub trait DatagramTransport {
    /// Queues one datagram to `addr` (or to the connected peer when `None`). Errors reach
    /// the protocol's `error_received`.
    fn sendto(&self, data: &[u8], addr: Option<TransportAddr>);

    /// Closes the endpoint after the queued datagrams are sent; `connection_lost(None)`
    /// follows.
    fn close(&self);

    /// Closes at once, dropping queued datagrams.
    fn abort(&self);

    /// `close` or `abort` was called.
    fn is_closing(&self) -> bool;

    /// Bytes queued and not yet sent.
    fn write_buffer_size(&self) -> usize;

    /// As [`Transport::set_write_buffer_limits`].
    ///
    /// # Panics
    ///
    /// If `low` is above `high`.
    fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>);

    /// The connected peer, if any.
    fn peer_addr(&self) -> Option<TransportAddr>;

    /// This endpoint's address.
    fn local_addr(&self) -> Option<TransportAddr>;
}

/// Your side of a datagram endpoint (asyncio's `DatagramProtocol`).
///
/// ```
/// use std::rc::Rc;
/// use tulipa::transports::{DatagramProtocol, DatagramTransport, TransportAddr};
///
/// /// Echoes every datagram to its sender.
/// #[derive(Default)]
/// struct Echo(Option<Rc<dyn DatagramTransport>>);
///
/// impl DatagramProtocol for Echo {
///     fn connection_made(&mut self, t: Rc<dyn DatagramTransport>) {
///         self.0 = Some(t);
///     }
///     fn datagram_received(&mut self, data: &[u8], from: TransportAddr) {
///         self.0.as_ref().unwrap().sendto(data, Some(from));
///     }
/// }
/// # let _ = Echo::default();
/// ```
pub trait DatagramProtocol {
    /// The endpoint is ready.
    fn connection_made(&mut self, transport: Rc<dyn DatagramTransport>) {
        let _ = transport;
    }

    /// A datagram arrived from `addr`.
    fn datagram_received(&mut self, data: &[u8], addr: TransportAddr) {
        let _ = (data, addr);
    }

    /// A send or receive failed without closing the endpoint (for example ICMP port
    /// unreachable on a connected UDP socket shows up as `ConnectionRefused`).
    fn error_received(&mut self, error: io::Error) {
        let _ = error;
    }

    /// The endpoint is closed.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// The send queue went above its high watermark.
    fn pause_writing(&mut self) {}

    /// The send queue drained to its low watermark.
    fn resume_writing(&mut self) {}
}
