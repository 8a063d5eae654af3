//! The protocol form of subprocesses (asyncio's `loop.subprocess_exec`): a
//! [`SubprocessProtocol`] driven through a [`SubprocessTransport`], with one pipe
//! transport per standard stream.
//
// Maintainer notes: the protocol.
//
// 1. One driver task per process owns the I/O: `Shared::st` holds the `Child` (pipes and
//    reaper), the stdin write buffer and the flags the transports set. Transport methods only
//    change that state and wake the driver; they never call the protocol and never do I/O
//    (the same rule as the socket transports), so no callback ever nests.
// 2. Each driver step borrows the state, does every ready piece of I/O (bounded: at most
//    READS_PER_STEP reads per pipe, then it yields), records events, releases the borrow, and
//    only then calls the protocol for each event, in order.
// 3. Order of callbacks: connection_made (inside `subprocess_exec`), then pipe_data_received
//    and pipe_connection_lost for each pipe as data and EOF come; process_exited once the
//    process has exited *and* stdout and stderr are closed (so all the output was delivered
//    before); connection_lost(None) last, after which the driver drops its reference to the
//    protocol. When the process exits, a stdin still open is closed.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::pipe::PipeReader;
use super::{Child, Command, SpawnError, Stdio};
use crate::signal::SignalKind;
use crate::transports::flow::{Flow, WaterMarks};
use crate::transports::{Transport, TransportAddr};

const READS_PER_STEP: usize = 16;
const READ_CHUNK: usize = 64 * 1024;

/// The process side of a subprocess connection (asyncio's `SubprocessTransport`), given to
/// the protocol in [`SubprocessProtocol::connection_made`] and returned by
/// [`subprocess_exec`].
///
/// The method names are asyncio's (`get_pid`, `get_returncode`, `get_pipe_transport`).
///
/// ```
/// use std::rc::Rc;
/// use tulipa::process::{SubprocessProtocol, SubprocessTransport};
///
/// struct Stopper;
/// impl SubprocessProtocol for Stopper {
///     fn connection_made(&mut self, t: Rc<dyn SubprocessTransport>) {
///         t.terminate().unwrap(); // stop it at once
///     }
/// }
/// tulipa::run(async {
///     let (t, _p) = tulipa::process::subprocess_exec(|| Stopper, "sleep", ["10"]).unwrap();
///     while t.get_returncode().is_none() {
///         tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(t.get_returncode(), Some(-libc::SIGTERM));
/// });
/// ```
pub trait SubprocessTransport {
    /// The process id.
    fn get_pid(&self) -> u32;

    /// The exit code once the process has exited and been reaped (minus the signal number
    /// if a signal ended it); `None` before.
    fn get_returncode(&self) -> Option<i32>;

    /// The transport of the pipe on `fd` (0: stdin, 1: stdout, 2: stderr); `None` for
    /// another fd or a stream that was not piped. Write to stdin with it, pause and resume
    /// reading stdout/stderr, close any of them.
    fn get_pipe_transport(&self, fd: i32) -> Option<Rc<dyn Transport>>;

    /// Sends `signal` to the process (nothing once it was reaped).
    ///
    /// # Errors
    ///
    /// `kill(2)` failed (an invalid signal number).
    fn send_signal(&self, signal: SignalKind) -> io::Result<()>;

    /// Sends SIGTERM.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    fn terminate(&self) -> io::Result<()> {
        self.send_signal(SignalKind::terminate())
    }

    /// Sends SIGKILL.
    ///
    /// # Errors
    ///
    /// As [`send_signal`](Self::send_signal).
    fn kill(&self) -> io::Result<()> {
        self.send_signal(SignalKind::from_raw(libc::SIGKILL))
    }

    /// Closes the pipes (stdin after what is buffered was written) and kills the process if
    /// it is still running, as asyncio does. The protocol still gets `process_exited` and
    /// `connection_lost`. Idempotent.
    fn close(&self);

    /// `close` was called.
    fn is_closing(&self) -> bool;
}

/// Your side of a subprocess connection (asyncio's `SubprocessProtocol`). All methods have
/// empty defaults; see [`subprocess_exec`] for the order they are called in.
///
/// ```
/// use std::io;
/// use tulipa::process::SubprocessProtocol;
///
/// #[derive(Default)]
/// struct Collect { out: Vec<u8>, err: Vec<u8>, exited: bool }
///
/// impl SubprocessProtocol for Collect {
///     fn pipe_data_received(&mut self, fd: i32, data: &[u8]) {
///         if fd == 1 { self.out.extend_from_slice(data) } else { self.err.extend_from_slice(data) }
///     }
///     fn process_exited(&mut self) {
///         self.exited = true;
///     }
/// }
/// # let _ = Collect::default();
/// ```
pub trait SubprocessProtocol {
    /// The process started; keep `transport` to write, signal or close.
    fn connection_made(&mut self, transport: Rc<dyn SubprocessTransport>) {
        let _ = transport;
    }

    /// The child wrote `data` (never empty) on `fd` (1: stdout, 2: stderr).
    fn pipe_data_received(&mut self, fd: i32, data: &[u8]) {
        let _ = (fd, data);
    }

    /// The pipe on `fd` closed: `None` at end of file or after a close, `Some(error)` if it
    /// failed (for stdin: `BrokenPipe` when the child stopped reading).
    fn pipe_connection_lost(&mut self, fd: i32, error: Option<io::Error>) {
        let _ = (fd, error);
    }

    /// The process exited (and all its output was delivered); the transport's
    /// `get_returncode` says how.
    fn process_exited(&mut self) {}

    /// Everything is over: the last call. `Some(error)` if waiting for the process failed.
    fn connection_lost(&mut self, error: Option<io::Error>) {
        let _ = error;
    }

    /// The stdin pipe's write buffer went above its high watermark.
    fn pause_writing(&mut self) {}

    /// The stdin pipe's write buffer drained to its low watermark.
    fn resume_writing(&mut self) {}
}

enum Event {
    Data(i32, Vec<u8>),
    PipeLost(i32, Option<io::Error>),
    Pause,
    Resume,
    Exited,
    Lost(Option<io::Error>),
}

struct State {
    child: Child,
    /// stdout and stderr, taken out of the child.
    readers: [Option<PipeReader>; 2],
    wbuf: Vec<u8>,
    wpos: usize,
    marks: WaterMarks,
    /// stdin: close once the buffer is written.
    stdin_eof: bool,
    /// stdout/stderr: reading paused by the protocol.
    paused: [bool; 2],
    /// Pipes closed by a transport method, whose `pipe_connection_lost` is still to come.
    lost_pending: Vec<i32>,
    returncode: Option<i32>,
    wait_error: Option<io::Error>,
    exited_reported: bool,
    closing: bool,
    done: bool,
    waker: Option<Waker>,
}

struct Shared {
    pid: u32,
    st: RefCell<State>,
}

impl Shared {
    /// Changes the state and wakes the driver (rule 1).
    fn update<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let (r, waker) = {
            let mut st = self.st.borrow_mut();
            let r = f(&mut st);
            (r, st.waker.take())
        };
        if let Some(w) = waker {
            w.wake();
        }
        r
    }
}

/// Rule 2: one driver step.
fn step(shared: &Shared, cx: &mut Context<'_>) -> Poll<Vec<Event>> {
    let mut st = shared.st.borrow_mut();
    let st = &mut *st;
    st.waker = Some(cx.waker().clone());
    let mut ev: Vec<Event> = st
        .lost_pending
        .drain(..)
        .map(|fd| Event::PipeLost(fd, None))
        .collect();
    let mut busy = false;

    // stdin: write what is buffered.
    if let Some(w) = &st.child.stdin {
        while st.wpos < st.wbuf.len() {
            match w.poll_write_buf(cx, &st.wbuf[st.wpos..]) {
                Poll::Ready(Ok(n)) => st.wpos += n,
                Poll::Ready(Err(e)) => {
                    st.child.stdin = None;
                    st.wbuf.clear();
                    st.wpos = 0;
                    ev.push(Event::PipeLost(0, Some(e)));
                    break;
                }
                Poll::Pending => break,
            }
        }
    }
    if st.wpos > 0 && st.wpos == st.wbuf.len() {
        st.wbuf.clear();
        st.wpos = 0;
    }
    match st.marks.check(st.wbuf.len() - st.wpos) {
        Some(Flow::Pause) => ev.push(Event::Pause),
        Some(Flow::Resume) => ev.push(Event::Resume),
        None => {}
    }
    if st.child.stdin.is_some() && st.wbuf.is_empty() && (st.stdin_eof || st.returncode.is_some()) {
        st.child.stdin = None;
        ev.push(Event::PipeLost(0, None));
    }

    // stdout and stderr.
    let mut buf = Vec::new();
    for fd in [1, 2] {
        if st.paused[fd as usize - 1] {
            continue;
        }
        let pipe = &mut st.readers[fd as usize - 1];
        for i in 0..=READS_PER_STEP {
            let Some(r) = pipe.as_mut() else { break };
            if i == READS_PER_STEP {
                busy = true; // more may be there: yield, then go on
                break;
            }
            if buf.is_empty() {
                buf = vec![0; READ_CHUNK];
            }
            match r.poll_read(cx, &mut buf) {
                Poll::Ready(Ok(0)) => {
                    *pipe = None;
                    ev.push(Event::PipeLost(fd, None));
                }
                Poll::Ready(Ok(n)) => ev.push(Event::Data(fd, buf[..n].to_vec())),
                Poll::Ready(Err(e)) => {
                    *pipe = None;
                    ev.push(Event::PipeLost(fd, Some(e)));
                }
                Poll::Pending => break,
            }
        }
    }

    // The exit.
    if st.returncode.is_none() && st.wait_error.is_none() {
        if let Poll::Ready(r) = st.child.poll_wait(cx) {
            match r {
                Ok(_) => st.returncode = st.child.returncode(),
                Err(e) => st.wait_error = Some(e),
            }
            if st.child.stdin.is_some() {
                // The process is gone: close its stdin (rule 3).
                st.child.stdin = None;
                st.wbuf.clear();
                st.wpos = 0;
                ev.push(Event::PipeLost(0, None));
            }
        }
    }
    let exited = st.returncode.is_some() || st.wait_error.is_some();
    if exited && !st.exited_reported && st.readers.iter().all(Option::is_none) {
        st.exited_reported = true;
        ev.push(Event::Exited);
    }
    if st.exited_reported && st.child.stdin.is_none() && !st.done {
        st.done = true;
        ev.push(Event::Lost(st.wait_error.take()));
    }
    if busy {
        cx.waker().wake_by_ref();
    }
    if ev.is_empty() {
        Poll::Pending
    } else {
        Poll::Ready(ev)
    }
}

/// The transport of one pipe.
struct PipeTransport {
    fd: i32,
    shared: Rc<Shared>,
}

impl PipeTransport {
    fn close_read(&self, st: &mut State) {
        if st.readers[self.fd as usize - 1].take().is_some() {
            st.lost_pending.push(self.fd);
        }
    }
}

impl Transport for PipeTransport {
    fn write(&self, data: &[u8]) {
        if self.fd != 0 || data.is_empty() {
            return; // a read pipe takes no data
        }
        self.shared.update(|st| {
            if st.child.stdin.is_some() && !st.stdin_eof {
                st.wbuf.extend_from_slice(data);
            }
        });
    }

    fn write_eof(&self) -> io::Result<()> {
        if self.fd != 0 {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a read pipe cannot write",
            ));
        }
        self.shared.update(|st| st.stdin_eof = true);
        Ok(())
    }

    fn can_write_eof(&self) -> bool {
        self.fd == 0
    }

    fn close(&self) {
        if self.fd == 0 {
            self.shared.update(|st| st.stdin_eof = true);
        } else {
            self.shared.update(|st| self.close_read(st));
        }
    }

    fn abort(&self) {
        if self.fd == 0 {
            self.shared.update(|st| {
                st.wbuf.clear();
                st.wpos = 0;
                st.stdin_eof = true;
                if st.child.stdin.take().is_some() {
                    st.lost_pending.push(0);
                }
            });
        } else {
            self.close();
        }
    }

    fn is_closing(&self) -> bool {
        let st = self.shared.st.borrow();
        match self.fd {
            0 => st.stdin_eof || st.child.stdin.is_none(),
            fd => st.readers[fd as usize - 1].is_none(),
        }
    }

    fn pause_reading(&self) {
        if self.fd != 0 {
            self.shared
                .update(|st| st.paused[self.fd as usize - 1] = true);
        }
    }

    fn resume_reading(&self) {
        if self.fd != 0 {
            self.shared
                .update(|st| st.paused[self.fd as usize - 1] = false);
        }
    }

    fn is_reading(&self) -> bool {
        self.fd != 0 && !self.is_closing() && !self.shared.st.borrow().paused[self.fd as usize - 1]
    }

    fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>) {
        self.shared.update(|st| st.marks.set(high, low));
    }

    fn write_buffer_limits(&self) -> (usize, usize) {
        self.shared.st.borrow().marks.limits()
    }

    fn write_buffer_size(&self) -> usize {
        let st = self.shared.st.borrow();
        st.wbuf.len() - st.wpos
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        None
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        None
    }
}

struct ProcTransport {
    shared: Rc<Shared>,
    pipes: [Option<Rc<dyn Transport>>; 3],
}

impl SubprocessTransport for ProcTransport {
    fn get_pid(&self) -> u32 {
        self.shared.pid
    }

    fn get_returncode(&self) -> Option<i32> {
        self.shared.st.borrow().returncode
    }

    fn get_pipe_transport(&self, fd: i32) -> Option<Rc<dyn Transport>> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.pipes.get(i))
            .cloned()
            .flatten()
    }

    fn send_signal(&self, signal: SignalKind) -> io::Result<()> {
        self.shared.st.borrow_mut().child.send_signal(signal)
    }

    fn close(&self) {
        let kill = self.shared.update(|st| {
            if st.closing {
                return false;
            }
            st.closing = true;
            st.stdin_eof = true;
            for fd in [1, 2] {
                if st.readers[fd as usize - 1].take().is_some() {
                    st.lost_pending.push(fd);
                }
            }
            st.returncode.is_none()
        });
        if kill {
            let _ = self.kill();
        }
    }

    fn is_closing(&self) -> bool {
        self.shared.st.borrow().closing
    }
}

impl fmt::Debug for ProcTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubprocessTransport")
            .field("pid", &self.shared.pid)
            .field("returncode", &self.get_returncode())
            .finish()
    }
}

/// Starts `program` with `args` (stdin, stdout and stderr piped) and connects a protocol to
/// it (asyncio's `loop.subprocess_exec`). Returns the transport and the protocol (shared
/// with the driver: borrow it only between callbacks, never across an `await`).
///
/// `protocol_factory` is called once; the protocol's `connection_made` runs before this
/// returns. Then, from a driver task on the current loop: `pipe_data_received` /
/// `pipe_connection_lost` as output and EOF come; `process_exited` once the process has
/// exited and stdout and stderr are closed (so every byte of output came first; a
/// grandchild that keeps the pipes open delays it); `connection_lost` last.
///
/// # Errors
///
/// As [`Command::spawn`].
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
/// use tulipa::process::{subprocess_exec, SubprocessProtocol, SubprocessTransport};
///
/// #[derive(Default)]
/// struct Upper { out: Vec<u8>, done: bool }
/// impl SubprocessProtocol for Upper {
///     fn connection_made(&mut self, t: Rc<dyn SubprocessTransport>) {
///         let stdin = t.get_pipe_transport(0).unwrap();
///         stdin.write(b"hello");
///         stdin.close();
///     }
///     fn pipe_data_received(&mut self, _fd: i32, data: &[u8]) {
///         self.out.extend_from_slice(data);
///     }
///     fn connection_lost(&mut self, _e: Option<std::io::Error>) {
///         self.done = true;
///     }
/// }
///
/// tulipa::run(async {
///     let (t, p) = subprocess_exec(Upper::default, "tr", ["a-z", "A-Z"]).unwrap();
///     while !p.borrow().done {
///         tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(p.borrow().out, b"HELLO");
///     assert_eq!(t.get_returncode(), Some(0));
/// });
/// ```
#[allow(clippy::type_complexity)]
pub fn subprocess_exec<P, I, S>(
    protocol_factory: impl FnOnce() -> P,
    program: impl AsRef<std::ffi::OsStr>,
    args: I,
) -> Result<(Rc<dyn SubprocessTransport>, Rc<RefCell<P>>), SpawnError>
where
    P: SubprocessProtocol + 'static,
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args);
    connect(cmd, protocol_factory)
}

/// [`subprocess_exec`] for `sh -c cmd` (asyncio's `loop.subprocess_shell`).
///
/// # Errors
///
/// As [`Command::spawn`].
///
/// ```
/// use tulipa::process::{subprocess_shell, SubprocessProtocol};
/// struct Quiet;
/// impl SubprocessProtocol for Quiet {}
/// tulipa::run(async {
///     let (t, _p) = subprocess_shell(|| Quiet, "exit 5").unwrap();
///     while t.get_returncode().is_none() {
///         tulipa::sleep(std::time::Duration::from_millis(1)).await;
///     }
///     assert_eq!(t.get_returncode(), Some(5));
/// });
/// ```
#[allow(clippy::type_complexity)]
pub fn subprocess_shell<P>(
    protocol_factory: impl FnOnce() -> P,
    cmd: impl AsRef<std::ffi::OsStr>,
) -> Result<(Rc<dyn SubprocessTransport>, Rc<RefCell<P>>), SpawnError>
where
    P: SubprocessProtocol + 'static,
{
    let mut c = Command::new("/bin/sh");
    c.arg("-c").arg(cmd);
    connect(c, protocol_factory)
}

#[allow(clippy::type_complexity)]
fn connect<P: SubprocessProtocol + 'static>(
    mut cmd: Command,
    protocol_factory: impl FnOnce() -> P,
) -> Result<(Rc<dyn SubprocessTransport>, Rc<RefCell<P>>), SpawnError> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .limit(READ_CHUNK)
        .spawn()?;
    let shared = Rc::new(Shared {
        pid: child.pid(),
        st: RefCell::new(State {
            readers: [
                child.stdout.take().map(|r| r.into_reader()),
                child.stderr.take().map(|r| r.into_reader()),
            ],
            child,
            wbuf: Vec::new(),
            wpos: 0,
            marks: WaterMarks::default(),
            stdin_eof: false,
            paused: [false; 2],
            lost_pending: Vec::new(),
            returncode: None,
            wait_error: None,
            exited_reported: false,
            closing: false,
            done: false,
            waker: None,
        }),
    });
    let pipe = |fd| -> Option<Rc<dyn Transport>> {
        Some(Rc::new(PipeTransport {
            fd,
            shared: Rc::clone(&shared),
        }))
    };
    let transport: Rc<dyn SubprocessTransport> = Rc::new(ProcTransport {
        shared: Rc::clone(&shared),
        pipes: [pipe(0), pipe(1), pipe(2)],
    });
    let protocol = Rc::new(RefCell::new(protocol_factory()));
    protocol.borrow_mut().connection_made(Rc::clone(&transport));
    let proto = Rc::clone(&protocol);
    crate::task::Builder::new()
        .name(format!("subprocess {}", shared.pid))
        .spawn_local(async move {
            loop {
                let events = poll_fn(|cx| step(&shared, cx)).await;
                for e in events {
                    let mut p = proto.borrow_mut();
                    match e {
                        Event::Data(fd, d) => p.pipe_data_received(fd, &d),
                        Event::PipeLost(fd, e) => p.pipe_connection_lost(fd, e),
                        Event::Pause => p.pause_writing(),
                        Event::Resume => p.resume_writing(),
                        Event::Exited => p.process_exited(),
                        Event::Lost(e) => {
                            p.connection_lost(e);
                            return;
                        }
                    }
                }
            }
        })
        .detach();
    Ok((transport, protocol))
}
