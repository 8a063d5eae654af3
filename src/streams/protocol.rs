//! The protocol under a reader/writer pair, and the state they share.
//
// Maintainer notes: the protocol.
//
// `Shared` (in an `Rc<RefCell>`) is touched by three parties on the loop's thread: the
// `StreamProtocol` (called by the transport), the `StreamReader` and the `StreamWriter`.
//
// 1. No borrow of `Shared` is held while calling the transport or waking a waker: each
//    party takes what it needs (the transport `Rc`, wakers) and releases first. Transports
//    never call back into the protocol synchronously from `pause_reading`,
//    `resume_reading`, `close` or `write_eof`; `write` may call `pause_writing`, which is
//    why the writer releases before writing.
// 2. Reading: `data_received` appends to `incoming` and adds to `buffered` (everything the
//    reader holds, unread). Above `2 * limit` it pauses the transport's reading; the reader
//    resumes it when a read brings `buffered` back to `limit` or below. So a peer that
//    sends without end costs at most `2 * limit` plus one chunk of memory.
// 3. `eof_received` sets `eof` and keeps the connection half-open (the writer may still
//    write; the user closes). `connection_lost(Some(e))` stores `e` for the reader and the
//    writer (the error itself, not a rebuilt one: each read gets a copy that keeps its
//    typed cause), `connection_lost(None)` is an EOF; both wake every waiter and mark
//    `lost`.
// 4. Writing: `pause_writing` / `resume_writing` set `write_paused`; `drain` waits while it
//    is set. Writes made before `connection_made` are kept and flushed then.
// 5. When both the reader and the writer are dropped, the transport is closed.

use std::cell::RefCell;
use std::fmt;
use std::io;
use std::rc::Rc;
use std::task::Waker;

use super::reader::StreamReader;
use super::writer::StreamWriter;
use crate::io_error::StickyError;
use crate::transports::{Protocol, Transport};

/// asyncio's default reader limit (64 KiB).
pub const DEFAULT_LIMIT: usize = 64 * 1024;

#[derive(Default)]
pub(crate) struct Shared {
    pub(crate) transport: Option<Rc<dyn Transport>>,
    // Reader side.
    pub(crate) incoming: Vec<u8>,
    pub(crate) buffered: usize,
    pub(crate) limit: usize,
    pub(crate) read_paused: bool,
    pub(crate) eof: bool,
    pub(crate) read_waker: Option<Waker>,
    // Writer side.
    pub(crate) early: Vec<u8>,
    pub(crate) early_eof: bool,
    pub(crate) early_close: bool,
    pub(crate) write_paused: bool,
    pub(crate) drain_wakers: Vec<Waker>,
    pub(crate) closed_wakers: Vec<Waker>,
    // Both.
    /// The connection's error, kept whole (rule 3): every copy handed out keeps its kind,
    /// its OS code and its typed cause (`TlsError::of`, `NetError::of`).
    pub(crate) error: Option<StickyError>,
    pub(crate) lost: bool,
    pub(crate) reader_alive: bool,
    pub(crate) writer_alive: bool,
}

impl Shared {
    pub(crate) fn error(&self) -> Option<io::Error> {
        self.error.as_ref().map(StickyError::get)
    }

    fn take_all_wakers(&mut self) -> Vec<Waker> {
        let mut w: Vec<Waker> = self.drain_wakers.drain(..).collect();
        w.append(&mut self.closed_wakers);
        w.extend(self.read_waker.take());
        w
    }
}

pub(crate) type SharedRc = Rc<RefCell<Shared>>;

/// Called when the reader or the writer is dropped: rule 5.
pub(crate) fn release(shared: &SharedRc, reader: bool) {
    let close = {
        let mut s = shared.borrow_mut();
        if reader {
            s.reader_alive = false;
        } else {
            s.writer_alive = false;
        }
        if s.reader_alive || s.writer_alive || s.lost {
            None
        } else {
            s.early_close = true;
            s.transport.clone()
        }
    };
    if let Some(t) = close {
        t.close();
    }
}

/// The protocol behind a [`StreamReader`] / [`StreamWriter`] pair (asyncio's
/// `StreamReaderProtocol`); hand it to any transport. Made by [`stream_protocol`].
pub struct StreamProtocol {
    shared: SharedRc,
}

/// A stream protocol and the reader and writer it feeds, for any transport: pass the
/// protocol to a transport constructor (`memory::pair`, `net::create_connection`, ...),
/// then use the reader and writer. `limit` bounds [`StreamReader::read_until`] and
/// [`StreamReader::read_line`] and the reader's buffer (see [`StreamReader`]).
///
/// Writes made before the transport calls `connection_made` are kept and sent then.
///
/// # Panics
///
/// If `limit` is 0.
///
/// ```
/// use tulipa::streams::{self, DEFAULT_LIMIT};
/// use tulipa::transports::memory;
///
/// tulipa::run(async {
///     let (pa, mut ra, wa) = streams::stream_protocol(DEFAULT_LIMIT);
///     let (pb, mut rb, wb) = streams::stream_protocol(DEFAULT_LIMIT);
///     memory::pair(pa, pb);
///     wa.write(b"hello\n");
///     assert_eq!(rb.read_line().await.unwrap(), b"hello\n");
///     wb.write(b"bye");
///     wb.close();
///     assert_eq!(ra.read(100).await.unwrap(), b"bye");
///     assert!(ra.read(100).await.unwrap().is_empty()); // EOF
///     # drop(wa);
/// });
/// ```
#[track_caller]
pub fn stream_protocol(limit: usize) -> (StreamProtocol, StreamReader, StreamWriter) {
    assert!(limit > 0, "stream_protocol: the limit must be positive");
    let shared = Rc::new(RefCell::new(Shared {
        limit,
        reader_alive: true,
        writer_alive: true,
        ..Shared::default()
    }));
    (
        StreamProtocol {
            shared: Rc::clone(&shared),
        },
        StreamReader::new(Rc::clone(&shared)),
        StreamWriter::new(shared),
    )
}

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

impl Protocol for StreamProtocol {
    fn connection_made(&mut self, transport: Rc<dyn Transport>) {
        let (early, eof, close) = {
            let mut s = self.shared.borrow_mut();
            s.transport = Some(Rc::clone(&transport));
            (std::mem::take(&mut s.early), s.early_eof, s.early_close)
        };
        if !early.is_empty() {
            transport.write(&early);
        }
        if eof {
            let _ = transport.write_eof();
        }
        if close {
            transport.close();
        }
    }

    fn data_received(&mut self, data: &[u8]) {
        let (pause, waker) = {
            let mut s = self.shared.borrow_mut();
            s.incoming.extend_from_slice(data);
            s.buffered += data.len();
            let pause = !s.read_paused && s.buffered > 2 * s.limit;
            if pause {
                s.read_paused = true;
            }
            (
                pause.then(|| s.transport.clone()).flatten(),
                s.read_waker.take(),
            )
        };
        if let Some(t) = pause {
            t.pause_reading();
        }
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn eof_received(&mut self) -> bool {
        let waker = {
            let mut s = self.shared.borrow_mut();
            s.eof = true;
            s.read_waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    fn connection_lost(&mut self, error: Option<io::Error>) {
        let (wakers, transport) = {
            let mut s = self.shared.borrow_mut();
            s.lost = true;
            s.eof = true;
            if let Some(e) = error {
                s.error = Some(StickyError::new(e));
            }
            // Drop the transport (after the borrow ends): its protocol (this) is going, and
            // the cycle must break.
            (s.take_all_wakers(), s.transport.take())
        };
        drop(transport);
        wake_all(wakers);
    }

    fn pause_writing(&mut self) {
        self.shared.borrow_mut().write_paused = true;
    }

    fn resume_writing(&mut self) {
        let wakers = {
            let mut s = self.shared.borrow_mut();
            s.write_paused = false;
            std::mem::take(&mut s.drain_wakers)
        };
        wake_all(wakers);
    }
}

impl fmt::Debug for StreamProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StreamProtocol").finish_non_exhaustive()
    }
}
