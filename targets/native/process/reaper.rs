//! Reaping children: each child is waited for by its own pid, exactly once, woken by a pidfd
//! (Linux 5.3 and later) or by SIGCHLD; children dropped before they exit go to an orphan list.
//
// Maintainer notes: the protocol.
//
// 1. Only `std::process::Child::try_wait` reaps (`waitpid(pid, WNOHANG)` on the child's own
//    pid; std caches the status, so a second call never waits again). tulipa never calls
//    `waitpid(-1)`: children it did not spawn are never reaped here.
// 2. pidfd mode: `pidfd_open(pid)` right after the spawn; the pidfd becomes readable when the
//    child exits, and `poll_wait` is `poll_io` on it with `try_wait` as the operation
//    ("still running" counts as WouldBlock). A child that exited before the registration
//    still reports readable: epoll reports the current state on registration.
// 3. SIGCHLD mode (no pidfd: older kernels, other systems, or TULIPA_PROCESS_REAPER=sigchld):
//    a SIGCHLD subscription is taken *before* the spawn, so an exit cannot fall between the
//    spawn and the subscription. `poll_wait` tries `try_wait`, and if the child still runs,
//    waits for the next SIGCHLD delivery (coalesced deliveries are fine: every waiter retries
//    its own pid), then tries again.
// 4. A pid is signalled (`kill`) only while its status has not been collected: an unreaped
//    child (even a zombie) keeps its pid, so the signal cannot reach a process that reused it.
// 5. A `Reaper` dropped before its child was reaped pushes the `std::process::Child` onto
//    `ORPHANS`. The orphans are retried (`try_wait`) at every spawn and whenever a waiter is
//    woken; `Child`'s drop first tries to hand the reaper to a task on the current loop,
//    which reaps the child as soon as it exits.
#![allow(unsafe_code)] // reason: pidfd_open (a raw syscall) and kill(2) have no safe wrapper

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::ExitStatus;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Mutex;
use std::task::{Context, Poll};

use mio::event::Source;
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};

use crate::scheduler::lock;
use crate::sys::net::evented::Evented;
use crate::sys::signal::Subscription;

static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

/// Rule 5: reaps the orphans that have exited. Bounded by the list's length.
pub(crate) fn reap_orphans() {
    let mut orphans = lock(&ORPHANS);
    orphans.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
}

/// A pidfd as a mio source.
#[derive(Debug)]
struct PidFd(OwnedFd);

impl Source for PidFd {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.0.as_raw_fd()).deregister(r)
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid =
        libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: pidfd_open takes a pid and a flags word and returns a new descriptor (always
    // close-on-exec) or -1; no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned this descriptor to us; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as libc::c_int) })
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn pidfd_open(_pid: u32) -> io::Result<OwnedFd> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

const UNKNOWN: u8 = 0;
const PIDFD: u8 = 1;
const SIGCHLD: u8 = 2;
static MODE: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether to try pidfds: yes unless they failed with ENOSYS before or the environment
/// variable `TULIPA_PROCESS_REAPER` is `sigchld`.
fn use_pidfd() -> bool {
    match MODE.load(Ordering::Relaxed) {
        PIDFD => true,
        SIGCHLD => false,
        _ => {
            let forced = std::env::var_os("TULIPA_PROCESS_REAPER").is_some_and(|v| v == "sigchld");
            let pidfd = !forced && cfg!(any(target_os = "linux", target_os = "android"));
            MODE.store(if pidfd { PIDFD } else { SIGCHLD }, Ordering::Relaxed);
            pidfd
        }
    }
}

/// How a reaper learns that its child may have exited.
enum Watch {
    PidFd(Evented<PidFd>),
    Sigchld(Subscription),
    Done,
}

/// Taken before the spawn (rule 3): a SIGCHLD subscription when pidfds are not used.
pub(crate) struct Prepared(Option<Subscription>);

/// Rule 3: call before spawning.
pub(crate) fn prepare() -> io::Result<Prepared> {
    if use_pidfd() {
        return Ok(Prepared(None));
    }
    Ok(Prepared(Some(Subscription::new(libc::SIGCHLD)?)))
}

/// The owner of a spawned child's pid and its exit status.
pub(crate) struct Reaper {
    /// Always `Some` until the reaper drops.
    child: Option<std::process::Child>,
    status: Option<ExitStatus>,
    watch: Watch,
}

impl Reaper {
    /// Rules 2 and 3: starts watching `child` (spawned after `prepared` was taken).
    pub(crate) fn new(child: std::process::Child, prepared: Prepared) -> io::Result<Reaper> {
        let watch = match prepared.0 {
            Some(sub) => Watch::Sigchld(sub),
            None => match pidfd_open(child.id())
                .and_then(|fd| Evented::new(PidFd(fd), Interest::READABLE))
            {
                Ok(ev) => Watch::PidFd(ev),
                Err(e) => {
                    if e.raw_os_error() == Some(libc::ENOSYS) {
                        MODE.store(SIGCHLD, Ordering::Relaxed); // a kernel before 5.3
                    }
                    // The child may already have exited: the first try_wait sees that.
                    match Subscription::new(libc::SIGCHLD) {
                        Ok(sub) => Watch::Sigchld(sub),
                        Err(e) => {
                            // Nothing can wake a waiter: hand the child to the orphan list,
                            // which the next spawn retries.
                            lock(&ORPHANS).push(child);
                            return Err(e);
                        }
                    }
                }
            },
        };
        Ok(Reaper {
            child: Some(child),
            status: None,
            watch,
        })
    }

    fn child(&mut self) -> &mut std::process::Child {
        self.child.as_mut().expect("a live reaper has its child")
    }

    pub(crate) fn id(&self) -> u32 {
        self.child.as_ref().map_or(0, std::process::Child::id)
    }

    pub(crate) fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    fn done(&mut self, status: ExitStatus) {
        self.status = Some(status);
        self.watch = Watch::Done; // closes the pidfd or leaves SIGCHLD
    }

    /// Reaps the child if it has exited, without waiting.
    pub(crate) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if let Some(s) = self.status {
            return Ok(Some(s));
        }
        let s = self.child().try_wait()?;
        if let Some(s) = s {
            self.done(s);
        }
        Ok(s)
    }

    /// Waits for the child to exit and reaps it.
    pub(crate) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        if let Some(s) = self.status {
            return Poll::Ready(Ok(s));
        }
        let Reaper { child, watch, .. } = self;
        let child = child.as_mut().expect("a live reaper has its child");
        let r = match watch {
            Watch::PidFd(ev) => {
                std::task::ready!(ev.poll_read(cx, |_| match child.try_wait()? {
                    Some(s) => Ok(s),
                    None => Err(io::ErrorKind::WouldBlock.into()),
                }))
            }
            Watch::Sigchld(sub) => loop {
                match child.try_wait() {
                    Ok(Some(s)) => break Ok(s),
                    Err(e) => break Err(e),
                    Ok(None) => {}
                }
                std::task::ready!(sub.poll(cx));
                reap_orphans();
            },
            Watch::Done => child
                .try_wait()
                .and_then(|s| s.ok_or_else(|| io::Error::other("child status lost"))),
        };
        if let Ok(s) = r {
            self.done(s);
            reap_orphans();
        }
        Poll::Ready(r)
    }

    /// Rule 4: sends `sig` unless the child was reaped (then there is nobody to signal, and
    /// that is not an error, as with std's `kill`).
    pub(crate) fn send_signal(&mut self, sig: libc::c_int) -> io::Result<()> {
        if self.try_wait()?.is_some() {
            return Ok(());
        }
        let pid = libc::pid_t::try_from(self.id())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: kill(2) takes integers only; by rule 4 `pid` is still our unreaped child.
        if unsafe { libc::kill(pid, sig) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if self.status.is_some() {
            return;
        }
        if let Some(mut child) = self.child.take() {
            if let Ok(None) = child.try_wait() {
                // Rule 5. `std::process::Child` neither waits nor kills on drop; moving it
                // keeps its status cache.
                lock(&ORPHANS).push(child);
            }
        }
    }
}
