//! The process-wide side of signal handling: one `sigaction` handler per signal, chained to
//! the handler it replaced; a doorbell pipe that every listening loop watches; per-signal
//! delivery counters and the wakers of the listeners.
//
// Maintainer notes: the protocol.
//
// State: `PENDING[sig]` (atomic flags the handler sets), `PREV[sig]` (the disposition we
// replaced, read by the handler to chain: rule 6), the doorbell pipe (created once,
// never closed, its write end in `DOORBELL_W`), and `REGISTRY`, a mutex never touched by the
// handler: per signal, the number of tulipa users, the delivery `generation`, the listeners'
// wakers and the `sigaction` to restore.
//
// 1. The handler (async-signal-safe: atomics and write(2) only) sets `PENDING[sig]`, writes one
//    byte to the doorbell (a full doorbell is fine: the flag is what counts), then calls the
//    previous handler if it was a function, and restores errno.
// 2. Every loop with a listener runs one driver task that watches the doorbell's read end
//    (the same descriptor registered in each loop's epoll, so every loop gets the edge). A
//    driver that reads a byte calls `collect`: each flag that was set is cleared (swap), and
//    that signal's generation goes up and all its wakers are taken; they are woken after the
//    mutex is released. Which loop collects does not matter: collection is global and wakers
//    are `Send`, so each listener in each loop is woken.
// 3. A flag set after a driver drained the pipe comes with a byte still in the pipe, so
//    another edge follows: no delivery is lost. Deliveries between two polls of a listener
//    coalesce into one (as the kernel coalesces a standard signal that is already pending).
// 4. A listener remembers the generation it last returned; it is ready when the generation
//    moved. It stores its waker under the mutex after checking, so a collect that runs after
//    the check finds and wakes it.
// 5. The first user of a signal installs the handler (after recording the old disposition
//    for chaining); the last one to leave restores the old disposition, unless someone else
//    installed a handler over ours in between (then ours stays, chained from theirs, and
//    only counts). The registry's mutex serialises installs and restores.
// 6. The chained disposition is one atomic pointer to an immutable record (handler address
//    and whether it takes `SA_SIGINFO` arguments), so the handler always reads a handler
//    together with its own flags. Two atomics could be torn by an install that runs while
//    the handler runs (on another thread, or chained from a handler installed over ours) and
//    call a handler with the wrong number of arguments. Records are interned and never
//    freed: a handler still holding an old one stays valid, and the memory is bounded by the
//    number of distinct dispositions ever replaced.
//
// Why not signal-hook-registry (what tokio uses): it never puts the old disposition back when
// its last action is unregistered, and if the disposition is restored behind its back it
// never installs its handler again for that signal, so later registrations get no deliveries
// (checked with 1.4.8). Restore-on-last-use (rule 5, tests/signal_restore.rs) cannot be
// built on it; it also chains forever to the disposition it saw first.
#![allow(unsafe_code)] // reason: sigaction, the signal handler itself, and calling the chained handler

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};
use std::sync::{Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use mio::event::Source;
use mio::unix::pipe::{Receiver, Sender};
use mio::unix::SourceFd;
use mio::{Interest, Registry, Token};
use slab::Slab;

use crate::scheduler::lock;
use crate::sys::net::evented::Evented;

/// Signal numbers are below this on every supported system (Linux: 65; the BSDs: 33 or 129).
pub(crate) const MAX_SIG: usize = 129;

static PENDING: [AtomicBool; MAX_SIG] = [const { AtomicBool::new(false) }; MAX_SIG];
/// Rule 6: the disposition the handler chains to, per signal (null: none recorded yet).
static PREV: [AtomicPtr<Prev>; MAX_SIG] = [const { AtomicPtr::new(std::ptr::null_mut()) }; MAX_SIG];
static DOORBELL_W: AtomicI32 = AtomicI32::new(-1);

/// A disposition tulipa replaced, as the handler needs it to chain: immutable once published.
struct Prev {
    handler: usize,
    /// Whether it was installed with `SA_SIGINFO` (a three-argument handler).
    siginfo: bool,
}

/// The doorbell pipe, created on first use and kept for the life of the process (so the
/// handler never writes to a descriptor that was closed and reused).
fn doorbell() -> io::Result<&'static Receiver> {
    static PIPE: OnceLock<(Sender, Receiver)> = OnceLock::new();
    if let Some((_, r)) = PIPE.get() {
        return Ok(r);
    }
    let (w, r) = mio::unix::pipe::new()?; // non-blocking and close-on-exec
    let pipe = PIPE.get_or_init(|| (w, r));
    DOORBELL_W.store(pipe.0.as_raw_fd(), Ordering::SeqCst);
    Ok(&pipe.1)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: returns the calling thread's errno slot; always valid.
    unsafe { libc::__errno_location() }
}

#[cfg(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "dragonfly"
))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: returns the calling thread's errno slot; always valid.
    unsafe { libc::__error() }
}

#[cfg(any(target_os = "openbsd", target_os = "netbsd"))]
fn errno_location() -> *mut libc::c_int {
    // SAFETY: returns the calling thread's errno slot; always valid.
    unsafe { libc::__errno() }
}

/// Rule 6: records `handler` and its `SA_SIGINFO` flag as signal `i`'s chained disposition,
/// in one atomic store of a pointer to an immutable record.
fn store_prev(i: usize, handler: usize, flags: libc::c_int) {
    static RECORDS: Mutex<Vec<&'static Prev>> = Mutex::new(Vec::new());
    let siginfo = flags & libc::SA_SIGINFO != 0;
    let record = {
        let mut records = lock(&RECORDS);
        match records
            .iter()
            .find(|r| r.handler == handler && r.siginfo == siginfo)
        {
            Some(r) => *r,
            None => {
                let r: &'static Prev = Box::leak(Box::new(Prev { handler, siginfo }));
                records.push(r);
                r
            }
        }
    };
    PREV[i].store(std::ptr::from_ref(record).cast_mut(), Ordering::Release);
}

/// Rule 6: signal `i`'s chained handler and the flags that say how to call it, from one
/// snapshot (`SIG_DFL` and no flags before anything was recorded). Async-signal-safe.
fn load_prev(i: usize) -> (usize, libc::c_int) {
    let p = PREV[i].load(Ordering::Acquire);
    // SAFETY: `p` is null or came from `Box::leak` in `store_prev`; records are never
    // changed or freed, so the reference is valid for the life of the process.
    match unsafe { p.as_ref() } {
        Some(r) => (r.handler, if r.siginfo { libc::SA_SIGINFO } else { 0 }),
        None => (libc::SIG_DFL, 0),
    }
}

/// The address of [`on_signal`], as `sigaction` stores it.
fn handler_addr() -> usize {
    on_signal as *const () as usize
}

/// Rule 1: the handler tulipa installs.
extern "C" fn on_signal(sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    let errno = errno_location();
    // SAFETY: `errno` points at this thread's errno.
    let saved = unsafe { *errno };
    let Ok(i) = usize::try_from(sig) else { return };
    if let Some(flag) = PENDING.get(i) {
        flag.store(true, Ordering::SeqCst);
    }
    let fd = DOORBELL_W.load(Ordering::SeqCst);
    if fd >= 0 {
        let byte = [1u8];
        // SAFETY: write(2) is async-signal-safe; `fd` is the doorbell's write end, which is
        // never closed; the buffer is one valid byte. A full pipe (EAGAIN) is fine: rule 3.
        unsafe {
            libc::write(fd, byte.as_ptr().cast(), 1);
        }
    }
    if i < MAX_SIG {
        let (prev, flags) = load_prev(i);
        if prev != libc::SIG_DFL && prev != libc::SIG_IGN && prev != handler_addr() {
            if flags & libc::SA_SIGINFO != 0 {
                // SAFETY: `prev` was installed with SA_SIGINFO, so it is a three-argument
                // handler; we pass it the arguments the kernel gave us.
                unsafe {
                    let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                        std::mem::transmute(prev);
                    f(sig, info, ctx);
                }
            } else {
                // SAFETY: without SA_SIGINFO `prev` is a one-argument handler.
                unsafe {
                    let f: extern "C" fn(libc::c_int) = std::mem::transmute(prev);
                    f(sig);
                }
            }
        }
    }
    // SAFETY: as above.
    unsafe { *errno = saved };
}

#[derive(Default)]
struct SigState {
    users: usize,
    generation: u64,
    wakers: Slab<Option<Waker>>,
    /// The disposition to restore when the last user leaves (set while ours is installed).
    saved: Option<libc::sigaction>,
}

static REGISTRY: Mutex<Option<HashMap<usize, SigState>>> = Mutex::new(None);

fn with_registry<R>(f: impl FnOnce(&mut HashMap<usize, SigState>) -> R) -> R {
    let mut g = lock(&REGISTRY);
    f(g.get_or_insert_with(HashMap::new))
}

fn query(sig: libc::c_int) -> io::Result<libc::sigaction> {
    // SAFETY: an all-zero sigaction is a valid value of the plain C struct.
    let mut cur: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: a null new action only reads the current one into the valid `cur`.
    if unsafe { libc::sigaction(sig, std::ptr::null(), &mut cur) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(cur)
}

/// Rule 5: installs our handler, remembering what it replaces.
fn install(sig: libc::c_int, st: &mut SigState) -> io::Result<()> {
    doorbell()?;
    let i = sig as usize;
    let cur = query(sig)?;
    if cur.sa_sigaction != handler_addr() {
        store_prev(i, cur.sa_sigaction, cur.sa_flags);
        st.saved = Some(cur);
    }
    // SAFETY: an all-zero sigaction is a valid value; the fields are then set.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    new.sa_sigaction = handler_addr();
    new.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART | libc::SA_ONSTACK;
    // SAFETY: `new.sa_mask` is a valid set to initialise; the handler is async-signal-safe
    // (rule 1) and matches the SA_SIGINFO signature.
    let rc = unsafe {
        libc::sigemptyset(&mut new.sa_mask);
        libc::sigaction(sig, &new, std::ptr::null_mut())
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Rule 5: puts the saved disposition back, if ours is still the installed one.
fn uninstall(sig: libc::c_int, st: &mut SigState) {
    let Ok(cur) = query(sig) else { return };
    if cur.sa_sigaction != handler_addr() {
        return; // someone installed over us and chains to us: leave theirs in place
    }
    if let Some(saved) = st.saved.take() {
        // SAFETY: `saved` is the action the kernel handed us for this signal.
        unsafe {
            libc::sigaction(sig, &saved, std::ptr::null_mut());
        }
    }
}

/// One user's interest in a signal: counts in the install/restore rule, and is woken on
/// each delivery.
pub(crate) struct Subscription {
    sig: libc::c_int,
    key: usize,
    seen: u64,
}

impl Subscription {
    /// Rule 5: registers a user of `sig` (which the caller validated).
    pub(crate) fn new(sig: libc::c_int) -> io::Result<Subscription> {
        let sub = with_registry(|reg| {
            let st = reg.entry(sig as usize).or_default();
            if st.users == 0 {
                install(sig, st)?;
            }
            st.users += 1;
            Ok::<_, io::Error>(Subscription {
                sig,
                key: st.wakers.insert(None),
                seen: st.generation,
            })
        })?;
        ensure_driver();
        Ok(sub)
    }

    pub(crate) fn signal(&self) -> libc::c_int {
        self.sig
    }

    /// Rule 4: ready once per change of the signal's generation since the last ready poll.
    pub(crate) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        ensure_driver();
        with_registry(|reg| {
            let st = reg
                .get_mut(&(self.sig as usize))
                .expect("a subscribed signal has state");
            if st.generation != self.seen {
                self.seen = st.generation;
                return Poll::Ready(());
            }
            match &mut st.wakers[self.key] {
                Some(w) if w.will_wake(cx.waker()) => {}
                slot => *slot = Some(cx.waker().clone()),
            }
            Poll::Pending
        })
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let waker = with_registry(|reg| {
            let st = reg.get_mut(&(self.sig as usize))?;
            let w = st.wakers.try_remove(self.key).flatten();
            st.users -= 1;
            if st.users == 0 {
                uninstall(self.sig, st);
            }
            w
        });
        drop(waker); // outside the mutex
    }
}

impl std::fmt::Debug for Subscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("signal", &self.sig)
            .finish()
    }
}

/// Rule 2: turns the handler's flags into generations and wakes the listeners.
fn collect() {
    let mut wake = Vec::new();
    with_registry(|reg| {
        for (i, flag) in PENDING.iter().enumerate().skip(1) {
            if !flag.swap(false, Ordering::SeqCst) {
                continue;
            }
            if let Some(st) = reg.get_mut(&i) {
                st.generation = st.generation.wrapping_add(1);
                wake.extend(st.wakers.iter_mut().filter_map(|(_, w)| w.take()));
            }
        }
    });
    for w in wake {
        w.wake();
    }
}

/// The doorbell's read end as a mio source, for one loop's registration.
struct DoorbellFd(RawFd);

impl Source for DoorbellFd {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.0).register(r, t, i)
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        SourceFd(&self.0).reregister(r, t, i)
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        SourceFd(&self.0).deregister(r)
    }
}

thread_local! {
    /// The loops on this thread that run a driver, and whether it is still alive.
    static DRIVERS: RefCell<HashMap<u64, Rc<std::cell::Cell<bool>>>> = RefCell::new(HashMap::new());
}

/// Rule 2: starts this loop's driver task if it has none (no-op outside a loop: the first
/// poll inside one starts it).
fn ensure_driver() {
    let Some(loop_id) = crate::context::try_with_loop(|l| l.shared.id) else {
        return;
    };
    let Ok(reader) = doorbell() else { return };
    let alive = DRIVERS.with(|d| {
        let mut d = d.borrow_mut();
        d.retain(|_, alive| alive.get());
        if d.contains_key(&loop_id) {
            return None;
        }
        let alive = Rc::new(std::cell::Cell::new(true));
        d.insert(loop_id, Rc::clone(&alive));
        Some(alive)
    });
    let Some(alive) = alive else { return };
    struct Alive(Rc<std::cell::Cell<bool>>);
    impl Drop for Alive {
        fn drop(&mut self) {
            self.0.set(false);
        }
    }
    let alive = Alive(alive);
    crate::task::Builder::new()
        .name("tulipa signal driver")
        .spawn_local(async move {
            let _alive = alive;
            let Ok(ev) = Evented::new(DoorbellFd(reader.as_raw_fd()), Interest::READABLE) else {
                return;
            };
            let mut buf = [0u8; 64];
            loop {
                let r = std::future::poll_fn(|cx| ev.poll_read(cx, |_| (&*reader).read(&mut buf)))
                    .await;
                if r.is_err() {
                    return;
                }
                collect();
            }
        })
        .detach();
}

#[cfg(test)]
mod tests {
    use super::*;

    extern "C" fn one_arg(_: libc::c_int) {}

    extern "C" fn three_args(_: libc::c_int, _: *mut libc::siginfo_t, _: *mut libc::c_void) {}

    /// The handler must never see the handler of one recorded disposition with the flags of
    /// another: calling a one-argument handler as a three-argument one (or the reverse) is
    /// undefined behaviour. A writer flips the record between two dispositions while a reader
    /// takes snapshots the way the handler does; every snapshot must be one of the two.
    /// Index `MAX_SIG - 1` is no signal on any supported system, so no real handler reads it.
    #[test]
    fn the_chained_handler_and_its_flags_are_read_as_one_snapshot() {
        const SLOT: usize = MAX_SIG - 1;
        let a = (one_arg as *const () as usize, 0);
        let b = (three_args as *const () as usize, libc::SA_SIGINFO);
        store_prev(SLOT, a.0, a.1);
        let stop = std::sync::Arc::new(AtomicBool::new(false));
        let writer = {
            let stop = std::sync::Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    store_prev(SLOT, b.0, b.1);
                    store_prev(SLOT, a.0, a.1);
                }
            })
        };
        let mut torn = 0u32;
        for _ in 0..2_000_000 {
            let (h, f) = load_prev(SLOT);
            let siginfo = f & libc::SA_SIGINFO;
            if (h, siginfo) != a && (h, siginfo) != b {
                torn += 1;
            }
        }
        stop.store(true, Ordering::Relaxed);
        writer.join().unwrap();
        assert_eq!(
            torn, 0,
            "{torn} snapshots paired one handler with another's flags"
        );
    }
}
