//! Delivering callbacks to a protocol without ever nesting them.
//
// Maintainer notes: the protocol.
//
// A `Dispatcher<C>` owns a transport's protocol (`C` is `dyn Callbacks` for streams,
// `dyn DatagramProtocol` for datagrams) in a `RefCell`, plus a queue of deferred calls.
// Everything runs on the loop's thread.
//
// 1. `with(f)` borrows the protocol and runs `f` on it; transports' drivers use it for the
//    callbacks they originate (data, EOF), which never happen inside another callback.
// 2. `call(f)` is for callbacks a protocol can trigger *through its transport* while it is
//    inside a callback (`pause_writing` when `data_received` writes past the watermark). If
//    the protocol is free, `f` runs now; if it is borrowed, `f` is queued.
// 3. After every borrow ends (in `with` and `call`), the queue is drained, each call under a
//    fresh borrow, so a deferred callback runs right after the one that triggered it.
// 4. `lose(error)` runs `connection_lost` and then takes the protocol out and drops it with
//    no borrow held: the protocol usually holds an `Rc` of its transport, and this breaks
//    that cycle. Calls after that are ignored.
// 5. No `RefCell` borrow is held while the protocol is dropped or a deferred call is
//    dequeued.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;

use super::traits::{BufferedProtocol, Protocol, Transport};

/// What the stream transports call: the union of [`Protocol`] and [`BufferedProtocol`].
pub trait Callbacks {
    fn connection_made(&mut self, transport: Rc<dyn Transport>);
    /// A buffer to read into (socket transports).
    fn get_buffer(&mut self, size_hint: usize) -> &mut [u8];
    fn buffer_updated(&mut self, nbytes: usize);
    /// Bytes that arrived in memory already (the in-memory transport).
    fn data_received(&mut self, data: &[u8]);
    fn eof_received(&mut self) -> bool;
    fn connection_lost(&mut self, error: Option<io::Error>);
    fn pause_writing(&mut self);
    fn resume_writing(&mut self);
}

/// How much a plain protocol's receive buffer holds (one socket read at most).
const READ_BUFFER: usize = 256 * 1024;

pub(crate) struct PlainAdapter<P> {
    inner: P,
    buf: Vec<u8>,
}

impl<P> PlainAdapter<P> {
    pub(crate) fn new(inner: P) -> Self {
        PlainAdapter {
            inner,
            buf: Vec::new(),
        }
    }
}

impl<P: Protocol> Callbacks for PlainAdapter<P> {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        self.inner.connection_made(t);
    }
    fn get_buffer(&mut self, _size_hint: usize) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = vec![0; READ_BUFFER];
        }
        &mut self.buf
    }
    fn buffer_updated(&mut self, n: usize) {
        self.inner.data_received(&self.buf[..n]);
    }
    fn data_received(&mut self, data: &[u8]) {
        self.inner.data_received(data);
    }
    fn eof_received(&mut self) -> bool {
        self.inner.eof_received()
    }
    fn connection_lost(&mut self, e: Option<io::Error>) {
        self.inner.connection_lost(e);
    }
    fn pause_writing(&mut self) {
        self.inner.pause_writing();
    }
    fn resume_writing(&mut self) {
        self.inner.resume_writing();
    }
}

pub(crate) struct BufferedAdapter<P>(pub(crate) P);

impl<P: BufferedProtocol> Callbacks for BufferedAdapter<P> {
    fn connection_made(&mut self, t: Rc<dyn Transport>) {
        self.0.connection_made(t);
    }
    fn get_buffer(&mut self, size_hint: usize) -> &mut [u8] {
        self.0.get_buffer(size_hint)
    }
    fn buffer_updated(&mut self, n: usize) {
        self.0.buffer_updated(n);
    }
    fn data_received(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let buf = self.0.get_buffer(data.len());
            assert!(
                !buf.is_empty(),
                "BufferedProtocol::get_buffer returned an empty buffer"
            );
            let n = buf.len().min(data.len());
            buf[..n].copy_from_slice(&data[..n]);
            self.0.buffer_updated(n);
            data = &data[n..];
        }
    }
    fn eof_received(&mut self) -> bool {
        self.0.eof_received()
    }
    fn connection_lost(&mut self, e: Option<io::Error>) {
        self.0.connection_lost(e);
    }
    fn pause_writing(&mut self) {
        self.0.pause_writing();
    }
    fn resume_writing(&mut self) {
        self.0.resume_writing();
    }
}

type Deferred<C> = Box<dyn FnOnce(&mut C)>;

/// Owns a protocol and delivers its callbacks one at a time (see the protocol above).
pub(crate) struct Dispatcher<C: ?Sized> {
    proto: RefCell<Option<Box<C>>>,
    pending: RefCell<VecDeque<Deferred<C>>>,
}

impl<C: ?Sized> Dispatcher<C> {
    pub(crate) fn new(proto: Box<C>) -> Self {
        Dispatcher {
            proto: RefCell::new(Some(proto)),
            pending: RefCell::new(VecDeque::new()),
        }
    }

    /// Rule 1: runs `f` on the protocol now; `None` if it is gone.
    ///
    /// # Panics
    ///
    /// If called from inside one of the protocol's own callbacks (a transport bug).
    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut C) -> R) -> Option<R> {
        let out = {
            let mut p = self
                .proto
                .try_borrow_mut()
                .expect("tulipa: a transport called its protocol from inside a callback");
            p.as_mut().map(|p| f(p))
        };
        self.drain();
        out
    }

    /// Rule 2: runs `f` now, or right after the protocol's current callback returns.
    pub(crate) fn call(&self, f: impl FnOnce(&mut C) + 'static) {
        if self.proto.try_borrow_mut().is_ok() {
            // Free: no callback is running; run it under a fresh borrow.
            self.with(f);
        } else {
            self.pending.borrow_mut().push_back(Box::new(f));
        }
    }

    /// Rule 3.
    fn drain(&self) {
        loop {
            let next = self.pending.borrow_mut().pop_front();
            let Some(f) = next else { return };
            let mut p = self.proto.borrow_mut();
            if let Some(p) = p.as_mut() {
                f(p);
            }
        }
    }

    /// Swaps in a new protocol (asyncio's `set_protocol`; `start_tls` uses it) and returns
    /// the old one, to be dropped by the caller with no borrow held. Fails (handing `new`
    /// back) while the protocol is inside a callback, or after it is gone.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn replace(&self, new: Box<C>) -> Result<Box<C>, Box<C>> {
        let Ok(mut p) = self.proto.try_borrow_mut() else {
            return Err(new);
        };
        match p.as_mut() {
            Some(old) => Ok(std::mem::replace(old, new)),
            None => Err(new),
        }
    }

    /// Rule 4: drops the protocol without calling it (used when the driver is torn down).
    pub(crate) fn discard(&self) {
        let p = self.proto.try_borrow_mut().ok().and_then(|mut p| p.take());
        self.pending.borrow_mut().clear();
        drop(p);
    }
}

impl Dispatcher<dyn Callbacks> {
    /// Rule 4: `connection_lost(error)`, then the protocol is dropped.
    pub(crate) fn lose(&self, error: Option<io::Error>) {
        self.with(|p| p.connection_lost(error));
        self.discard();
    }
}
