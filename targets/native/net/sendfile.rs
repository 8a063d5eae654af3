//! Zero-copy file sending for stream sockets (asyncio's `loop.sock_sendfile`): Linux's
//! `sendfile(2)`, and a read-and-write fallback elsewhere or for files it cannot send.
//
// Maintainer notes.
//
// 1. `sendfile` has no MSG_NOSIGNAL: on a socket whose peer is gone it raises SIGPIPE. Every
//    call runs inside `without_sigpipe`, so it returns EPIPE whatever the process's SIGPIPE
//    disposition is.
// 2. The offset is passed explicitly, so the file's own position is neither used nor moved,
//    and a retry after WouldBlock resends nothing twice.
// 3. EINVAL/ENOSYS on the first call (a file sendfile cannot read from, or no sendfile)
//    switches to the fallback: `pread` into a 64 KiB buffer and ordinary writes. Any other
//    error is the caller's.
#![allow(unsafe_code)] // reason: sendfile(2) has no safe wrapper in std, mio or socket2

use std::fs::File;
use std::future::poll_fn;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::fs::FileExt;

use mio::event::Source;

use super::stream::StreamCore;

/// How much one `sendfile` call is asked to send (the kernel caps a call near 2 GiB).
const CHUNK: usize = 1 << 30;

/// The fallback's buffer.
const FALLBACK_BUF: usize = 64 * 1024;

/// One `sendfile(2)` call: up to `count` bytes of `file` from `offset` to `socket`. `Ok(0)`
/// at the end of the file. `Unsupported` where the system has no `sendfile`, or the file
/// cannot be sent by it (rule 3).
pub(crate) fn sendfile_once(
    socket: BorrowedFd<'_>,
    file: &File,
    offset: u64,
    count: usize,
) -> io::Result<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let mut off = libc::off_t::try_from(offset).map_err(|_| {
            io::Error::new(io::ErrorKind::InvalidInput, "sendfile offset out of range")
        })?;
        let (out_fd, in_fd) = (socket.as_raw_fd(), file.as_fd().as_raw_fd());
        // Rule 1.
        let n = super::super::sigpipe::without_sigpipe(|| {
            // SAFETY: both descriptors are open for the duration of the call (borrowed from
            // live owners), `off` is a valid, initialised off_t the kernel reads and updates,
            // and `count` bounds what the kernel may send; no memory of ours is written.
            unsafe { libc::sendfile(out_fd, in_fd, &mut off, count) }
        });
        if n < 0 {
            let e = io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EINVAL) | Some(libc::ENOSYS) => {
                    io::Error::new(io::ErrorKind::Unsupported, e)
                }
                _ => e,
            });
        }
        Ok(n as usize)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let _ = (socket, file, offset, count);
        Err(io::ErrorKind::Unsupported.into())
    }
}

/// The whole transfer for a stream (rules 2 and 3): `count` bytes from `offset`, or up to
/// the end of the file; returns how many were sent.
pub(crate) async fn send_file<S: Source + AsFd>(
    core: &StreamCore<S>,
    file: &File,
    offset: u64,
    count: Option<u64>,
) -> io::Result<u64> {
    let end = count.map_or(u64::MAX, |c| offset.saturating_add(c));
    let mut pos = offset;
    let mut native = true;
    let mut buf = Vec::new();
    while pos < end {
        let want = usize::try_from(end - pos).unwrap_or(usize::MAX).min(CHUNK);
        if native {
            match poll_fn(|cx| core.poll_sendfile(cx, file, pos, want)).await {
                Ok(0) => break,
                Ok(n) => pos += n as u64,
                Err(e) if e.kind() == io::ErrorKind::Unsupported && pos == offset => {
                    native = false;
                }
                Err(e) => return Err(e),
            }
        } else {
            buf.resize(want.min(FALLBACK_BUF), 0);
            let n = file.read_at(&mut buf, pos)?;
            if n == 0 {
                break;
            }
            super::split::write_all(core, &buf[..n]).await?;
            pos += n as u64;
        }
    }
    Ok(pos - offset)
}
