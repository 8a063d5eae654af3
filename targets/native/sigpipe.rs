//! Running a write without SIGPIPE, whatever the process's SIGPIPE disposition.
//!
//! Writing to a pipe (or a socket without `MSG_NOSIGNAL`, as `sendfile` and `writev` do) whose
//! reader is gone raises SIGPIPE in the writing thread as well as returning `EPIPE`. Rust's
//! runtime sets SIGPIPE to "ignore" before `main`, but a program may set it back to the
//! default (terminate), and a library cannot know. [`without_sigpipe`] blocks SIGPIPE in the
//! calling thread for the duration of one call and swallows a SIGPIPE the call raised, so the
//! call just returns `BrokenPipe`.
//
// Maintainer notes.
//
// 1. SIGPIPE raised by a write is directed at the writing thread. Blocked in that thread, it
//    stays pending on the thread instead of being delivered.
// 2. If SIGPIPE was not pending before the call and is after, the call raised it: it is
//    consumed with a zero-timeout `sigtimedwait` while still blocked, so restoring the mask
//    cannot deliver it. A SIGPIPE that was already pending (the caller had it blocked) is
//    left alone: it is not ours.
// 3. Two `pthread_sigmask` calls and one `sigpending` per call: cheap next to a pipe write,
//    and the only way that works for every disposition and every kind of descriptor.
#![allow(unsafe_code)] // reason: pthread_sigmask, sigpending and sigtimedwait have no safe wrapper

use std::mem::MaybeUninit;

/// A signal set holding only SIGPIPE.
fn sigpipe_set() -> libc::sigset_t {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initialises the set it is given; sigaddset then adds a valid signal
    // number to the initialised set.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGPIPE);
        set.assume_init()
    }
}

/// Whether SIGPIPE is pending for this thread (or the process).
fn sigpipe_pending() -> bool {
    let mut set = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigpending writes a complete set to the valid pointer it is given (it cannot
    // fail with a valid pointer); sigismember reads the now-initialised set.
    unsafe {
        if libc::sigpending(set.as_mut_ptr()) != 0 {
            return false;
        }
        libc::sigismember(set.as_ptr(), libc::SIGPIPE) == 1
    }
}

/// Takes a pending SIGPIPE (rule 2). SIGPIPE is blocked in this thread when this runs.
fn consume_sigpipe() {
    let set = sigpipe_set();
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let zero = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `set` is an initialised signal set, a null siginfo pointer is allowed, and
        // `zero` is a valid timespec; the call only dequeues a pending signal.
        unsafe {
            libc::sigtimedwait(&set, std::ptr::null_mut(), &zero);
        }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let mut sig = 0;
        // SAFETY: `set` is initialised and `sig` a valid out-pointer; SIGPIPE is pending (the
        // caller checked), so sigwait returns at once.
        unsafe {
            libc::sigwait(&set, &mut sig);
        }
    }
}

/// Restores the thread's signal mask when dropped (also if the closure panics).
struct Restore(libc::sigset_t);

impl Drop for Restore {
    fn drop(&mut self) {
        // SAFETY: `self.0` is the mask pthread_sigmask returned earlier on this thread.
        unsafe {
            libc::pthread_sigmask(libc::SIG_SETMASK, &self.0, std::ptr::null_mut());
        }
    }
}

/// Runs `f` with SIGPIPE blocked in the calling thread; a SIGPIPE that `f` raised is consumed
/// before the mask is restored, so a write to a closed pipe returns `BrokenPipe` and never
/// kills the process, even when SIGPIPE's disposition is the default.
pub(crate) fn without_sigpipe<T>(f: impl FnOnce() -> T) -> T {
    let block = sigpipe_set();
    let mut old = MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: `block` is an initialised set and `old` a valid out-pointer that
    // pthread_sigmask fills completely when it succeeds.
    let rc = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &block, old.as_mut_ptr()) };
    if rc != 0 {
        // Cannot happen with valid arguments; run the call unprotected rather than not at all.
        return f();
    }
    // SAFETY: pthread_sigmask succeeded, so it wrote the previous mask.
    let restore = Restore(unsafe { old.assume_init() });
    let was_pending = sigpipe_pending();
    let out = f();
    if !was_pending && sigpipe_pending() {
        consume_sigpipe();
    }
    drop(restore);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_closures_value_and_restores_the_mask() {
        fn mask_has_sigpipe() -> bool {
            let mut cur = MaybeUninit::<libc::sigset_t>::uninit();
            // SAFETY: a null new set only queries the mask into the valid out-pointer.
            unsafe {
                libc::pthread_sigmask(libc::SIG_BLOCK, std::ptr::null(), cur.as_mut_ptr());
                libc::sigismember(cur.as_ptr(), libc::SIGPIPE) == 1
            }
        }
        assert!(!mask_has_sigpipe());
        let inside = without_sigpipe(mask_has_sigpipe);
        assert!(inside);
        assert!(!mask_has_sigpipe());
    }

    #[test]
    fn a_write_to_a_closed_pipe_is_broken_pipe() {
        use std::io::Write;
        let (w, r) = mio::unix::pipe::new().unwrap();
        drop(r);
        let err = without_sigpipe(|| (&w).write(b"x")).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
        assert!(!sigpipe_pending());
    }
}
