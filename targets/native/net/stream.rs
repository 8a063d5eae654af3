//! `StreamCore`: what TCP and Unix streams share — reads and writes through the reactor,
//! writes that never raise SIGPIPE, and errors that stay reported.
//
// Maintainer notes: the sticky-error protocol.
//
// 1. Reads use `recv` and writes use `send` (one buffer) or `sendmsg` (several) with
//    MSG_NOSIGNAL (Linux), through socket2's `SockRef`, so writing to a closed peer returns
//    EPIPE instead of killing the process, even if the program reset SIGPIPE to its
//    default action. (std's vectored writes are
//    `writev`, which can raise SIGPIPE; so were its Unix stream writes in older releases.)
// 2. The kernel reports a reset (ECONNRESET) once; later reads return 0, which would look
//    like a clean EOF. So the first ConnectionReset / ConnectionAborted / TimedOut from
//    either direction is recorded in `failed` and returned by every later read and write.
//    A BrokenPipe from a write is recorded for writes only (it is also what a write after
//    our own `shutdown(Write)` gets; reads may still have data).
// 3. `failed` is a plain mutex held only to copy or set the kind; no waker runs under it.

use std::io::{self, IoSlice, Read};
use std::net::Shutdown;
use std::os::fd::AsFd;
use std::sync::Mutex;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::Interest;
use socket2::SockRef;

use super::evented::Evented;

/// Linux's MSG_NOSIGNAL; other systems set SO_NOSIGPIPE on the socket instead (mio does).
const MSG_NOSIGNAL: i32 = if cfg!(any(target_os = "linux", target_os = "android")) {
    0x4000
} else {
    0
};

#[derive(Default, Clone, Copy)]
struct Failed {
    both: Option<io::ErrorKind>,
    write: Option<io::ErrorKind>,
}

pub struct StreamCore<S: Source + AsFd> {
    io: Evented<S>,
    failed: Mutex<Failed>,
}

impl<S: Source + AsFd + std::fmt::Debug> std::fmt::Debug for StreamCore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.io.fmt(f)
    }
}

fn sticky(kind: io::ErrorKind, what: &str) -> io::Error {
    io::Error::new(
        kind,
        format!("{what} failed earlier on this connection ({kind}); it stays failed"),
    )
}

impl<S: Source + AsFd> StreamCore<S> {
    pub(crate) fn new(source: S) -> io::Result<StreamCore<S>> {
        Ok(StreamCore {
            io: Evented::new(source, Interest::READABLE | Interest::WRITABLE)?,
            failed: Mutex::new(Failed::default()),
        })
    }

    pub(crate) fn source(&self) -> &S {
        self.io.source()
    }

    pub(crate) fn sock(&self) -> SockRef<'_> {
        SockRef::from(self.io.source())
    }

    fn failed(&self) -> Failed {
        *self.failed.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Rule 2: remembers a connection-ending error.
    fn record(&self, err: &io::Error, writing: bool) {
        let mut f = self.failed.lock().unwrap_or_else(|p| p.into_inner());
        match err.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::TimedOut => {
                f.both.get_or_insert(err.kind());
            }
            io::ErrorKind::BrokenPipe if writing => {
                f.write.get_or_insert(err.kind());
            }
            _ => {}
        }
    }

    pub(crate) fn poll_read(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        if let Some(kind) = self.failed().both {
            return Poll::Ready(Err(sticky(kind, "the connection")));
        }
        let len = buf.len();
        let r = std::task::ready!(self
            .io
            .poll_read_stream(cx, len, |s| (&*SockRef::from(s)).read(buf)));
        if let Err(e) = &r {
            self.record(e, false);
        }
        Poll::Ready(r)
    }

    /// A read-side operation other than a plain read (a peek), with the sticky-error rule.
    pub(crate) fn poll_read_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if let Some(kind) = self.failed().both {
            return Poll::Ready(Err(sticky(kind, "the connection")));
        }
        let r = std::task::ready!(self.io.poll_read(cx, op));
        if let Err(e) = &r {
            self.record(e, false);
        }
        Poll::Ready(r)
    }

    /// The error every write gets once the connection failed (rule 2).
    fn write_failed(&self) -> Option<io::Error> {
        let f = self.failed();
        f.both.or(f.write).map(|kind| sticky(kind, "writing"))
    }

    /// A write-side operation once the socket is writable, with the sticky-error rule (rule
    /// 2): a connection that failed earlier fails at once, and a connection-ending error is
    /// remembered.
    fn poll_write_with<R>(
        &self,
        cx: &mut Context<'_>,
        op: impl FnMut(&S) -> io::Result<R>,
    ) -> Poll<io::Result<R>> {
        if let Some(e) = self.write_failed() {
            return Poll::Ready(Err(e));
        }
        let r = std::task::ready!(self.io.poll_write(cx, op));
        if let Err(e) = &r {
            self.record(e, true);
        }
        Poll::Ready(r)
    }

    /// One buffer: `send` (`sendto`), which costs the kernel less than `sendmsg` with a
    /// one-entry vector (no iovec import, no message header copy).
    pub(crate) fn poll_write(&self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        if buf.is_empty() {
            return Poll::Ready(self.write_failed().map_or(Ok(0), Err));
        }
        self.poll_write_with(cx, |s| SockRef::from(s).send_with_flags(buf, MSG_NOSIGNAL))
    }

    pub(crate) fn poll_write_vectored(
        &self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if bufs.iter().all(|b| b.is_empty()) {
            return Poll::Ready(self.write_failed().map_or(Ok(0), Err));
        }
        self.poll_write_with(cx, |s| {
            SockRef::from(s).send_vectored_with_flags(bufs, MSG_NOSIGNAL)
        })
    }

    /// One `sendfile` step once the socket is writable; see `sendfile.rs`.
    pub(crate) fn poll_sendfile(
        &self,
        cx: &mut Context<'_>,
        file: &std::fs::File,
        offset: u64,
        count: usize,
    ) -> Poll<io::Result<usize>> {
        self.poll_write_with(cx, |s| {
            super::sendfile::sendfile_once(s.as_fd(), file, offset, count)
        })
    }

    /// Waits for a non-blocking `connect` to finish: writable, then `SO_ERROR` says how it
    /// went (mio's documented procedure).
    pub(crate) fn poll_connected(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut tries = 0;
        self.io.poll_write(cx, |s| {
            let sock = SockRef::from(s);
            if let Some(e) = sock.take_error()? {
                return Err(e);
            }
            match sock.peer_addr() {
                Ok(_) => Ok(()),
                // Not connected yet: a spurious wakeup, wait for the next event. Seen twice in
                // one poll means the readiness that woke us is a sticky closed/error state with
                // no error left to report: the attempt failed.
                Err(e) if e.kind() == io::ErrorKind::NotConnected && tries == 0 => {
                    tries += 1;
                    Err(io::ErrorKind::WouldBlock.into())
                }
                Err(e) => Err(e),
            }
        })
    }

    /// Half-close: no more writes; the peer reads EOF once it has read what was sent.
    pub(crate) fn shutdown(&self, how: Shutdown) -> io::Result<()> {
        match self.sock().shutdown(how) {
            // Already shut down by the peer's reset or our own earlier call: nothing to do.
            Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(()),
            other => other,
        }
    }

    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        self.sock().take_error()
    }
}
