//! The TLS protocol adapter (asyncio's `SSLProtocol`): a protocol for the socket transport
//! below and a transport (`TlsTransport`) for the user's protocol above.
//
// Maintainer notes: the protocol.
//
// `Shared` is owned jointly by the `TlsAdapter` (the lower transport's protocol) and every
// `TlsTransport` handle (the user's transport). Everything runs on the loop's thread.
//
// 1. Ciphertext from the lower transport (read straight into the adapter's buffer: it is
//    a buffered protocol) is fed to rustls by `pump`; what rustls cannot take yet (its
//    plaintext buffer is full, or reading is paused) waits in `backlog`, and older bytes
//    are always fed first. `pump` also drains plaintext to the user's protocol and sends
//    whatever rustls wants sent. `pump` never nests: a call made while it runs (from a user callback) sets
//    `again` and the running pump makes another pass.
// 2. The user's protocol is made (from its factory) and gets `connection_made` only when
//    the handshake has finished; a failed handshake never makes it. Every callback to it
//    goes through `Dispatcher::call`, so a callback triggered from inside another one runs
//    after it, never nested.
// 3. No `State` borrow is held while calling the lower transport, the user's protocol, a
//    waker or a timer callback.
// 4. Flow control: the user's write buffer is the lower transport's (ciphertext queued on
//    the socket); the lower transport gets the same watermarks, its pause/resume calls
//    re-check ours, and so does every write. Pausing reading pauses the lower transport and
//    stops feeding rustls: at most one socket read (and rustls' 16 KiB of plaintext) is
//    held while paused.
// 5. Endings: a TLS error (including the handshake timeout) sends rustls' alert and closes
//    (or aborts) the lower transport; EOF without close_notify after the handshake is a
//    `Truncated` error, delivered after the plaintext that came before it. The user's
//    `connection_lost` runs from the lower transport's, with the TLS error if there was
//    one. On a server, every failed handshake is reported to the configuration's handler
//    once: from `fail`, or from the lower `connection_lost` when the socket ended first
//    (a reset, or an EOF the handshake had not yet seen); one that the user cancelled
//    (its waiter dropped) is not. `close` sends close_notify and closes the lower
//    transport, which is aborted if it has not finished within the shutdown timeout.
//    After the peer's close_notify, a broken pipe or reset while answering it still
//    counts as a clean close.
// 6. The adapter is dropped by the socket transport after `connection_lost`, or without it
//    when the runtime tears the connection's driver down. Either way the user's protocol
//    is dropped with it (`Dispatcher::discard`), so the cycle user protocol → `TlsTransport`
//    → `Shared` → user protocol never outlives the socket.

use std::cell::{OnceCell, RefCell};
use std::fmt;
use std::future::Future;
use std::io::{self, Write};
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use super::config::ServerConfig;
use super::error::TlsError;
use super::session::{Session, TlsInfo};
use crate::transports::dispatch::{Callbacks, Dispatcher};
use crate::transports::flow::{Flow, WaterMarks};
use crate::transports::{Buffered, BufferedProtocol, Transport, TransportAddr};
use crate::CallHandle;

#[derive(Clone)]
enum Handshake {
    Running,
    Done,
    Failed(TlsError),
}

type Factory = Box<dyn FnOnce() -> Box<dyn Callbacks>>;

struct State {
    session: Session,
    lower: Option<Rc<dyn Transport>>,
    handshake: Handshake,
    info: Option<TlsInfo>,
    /// Ciphertext received and not yet fed to rustls.
    backlog: Vec<u8>,
    /// The lower transport reached EOF / it has been told to rustls.
    eof: bool,
    eof_fed: bool,
    /// The peer's close_notify was delivered as `eof_received`.
    eof_delivered: bool,
    marks: WaterMarks,
    read_paused: bool,
    closing: bool,
    lost: bool,
    /// The handshake's waiter was dropped while it ran (a cancelled `start_tls_server`):
    /// the connection is aborted on purpose and its end is not a failure to report.
    cancelled: bool,
    error: Option<TlsError>,
    factory: Option<Factory>,
    waiters: Vec<Waker>,
    hs_timer: Option<CallHandle>,
    shutdown_timer: Option<CallHandle>,
    pumping: bool,
    again: bool,
}

pub(crate) struct Shared {
    state: RefCell<State>,
    app: OnceCell<Dispatcher<dyn Callbacks>>,
    handshake_timeout: Duration,
    shutdown_timeout: Duration,
    server: Option<ServerConfig>,
    me: Weak<Shared>,
}

/// The lower transport's protocol: a buffered one, so ciphertext is fed to rustls straight
/// from the buffer the socket read into.
pub(crate) struct TlsAdapter(Rc<Shared>, Vec<u8>);

/// The adapter's receive buffer: four full TLS records.
const RECV_BUFFER: usize = 64 * 1024;

/// A TLS connection as an asyncio transport: what `tls::create_connection`,
/// `tls::create_server` and `tls::start_tls` hand to your protocol (asyncio's SSL
/// transport). Your protocol reads and writes plaintext; the transport encrypts into the
/// socket transport underneath.
///
/// Flow control works end to end: the write buffer is the socket's (ciphertext not yet
/// sent), with your watermarks, so `pause_writing` / `resume_writing` reach your protocol
/// when the peer reads slowly; `pause_reading` stops reading the socket. `close` sends
/// close_notify first and is bounded by the shutdown timeout. `write_eof` is not supported
/// (as in asyncio: TLS has no portable half-close). The negotiated details are in
/// [`TlsTransport::info`] and in the extra info under `"tls"`.
///
/// ```
/// use std::rc::Rc;
/// use tulipa::tls::{ClientConfig, ServerConfig, TlsInfo};
/// use tulipa::transports::{Protocol, Transport};
///
/// #[derive(Default)]
/// struct Echo(Option<Rc<dyn Transport>>);
/// impl Protocol for Echo {
///     fn connection_made(&mut self, t: Rc<dyn Transport>) { self.0 = Some(t); }
///     fn data_received(&mut self, d: &[u8]) { self.0.as_ref().unwrap().write(d); }
/// }
/// struct Quiet;
/// impl Protocol for Quiet {}
///
/// let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
/// let server = ServerConfig::from_pem(ck.cert.pem().as_bytes(),
///     ck.signing_key.serialize_pem().as_bytes()).unwrap();
/// let client = ClientConfig::new().with_root_certificates_pem(ck.cert.pem().as_bytes()).unwrap();
/// tulipa::run(async move {
///     let srv = tulipa::tls::create_server(Echo::default, "127.0.0.1:0", &server).await.unwrap();
///     let addr = srv.addrs()[0].inet().unwrap();
///     let t = tulipa::tls::create_connection(|| Quiet, addr, "localhost", &client).await.unwrap();
///     assert!(t.info().cipher_suite().is_some());
///     assert!(TlsInfo::of_transport(&*t).is_some());
///     t.close();
///     srv.close();
/// });
/// ```
pub struct TlsTransport {
    shared: Rc<Shared>,
}

impl Shared {
    pub(crate) fn new(
        session: Session,
        factory: Factory,
        handshake_timeout: Duration,
        shutdown_timeout: Duration,
        server: Option<ServerConfig>,
    ) -> Rc<Shared> {
        let mut session = session;
        // Rule 4: the lower transport's buffer and watermarks bound what is queued; rustls'
        // own limit would make `write` drop data.
        session.conn.set_buffer_limit(None);
        Rc::new_cyclic(|me| Shared {
            state: RefCell::new(State {
                session,
                lower: None,
                handshake: Handshake::Running,
                info: None,
                backlog: Vec::new(),
                eof: false,
                eof_fed: false,
                eof_delivered: false,
                marks: WaterMarks::default(),
                read_paused: false,
                closing: false,
                lost: false,
                cancelled: false,
                error: None,
                factory: Some(factory),
                waiters: Vec::new(),
                hs_timer: None,
                shutdown_timer: None,
                pumping: false,
                again: false,
            }),
            app: OnceCell::new(),
            handshake_timeout,
            shutdown_timeout,
            server,
            me: me.clone(),
        })
    }

    fn rc(&self) -> Rc<Shared> {
        self.me
            .upgrade()
            .expect("tulipa: TLS state used after it was dropped")
    }

    fn lower(&self) -> Option<Rc<dyn Transport>> {
        self.state.borrow().lower.clone()
    }

    /// The lower transport is up (connection_made, or start_tls on a live one).
    pub(crate) fn attach(&self, lower: Rc<dyn Transport>) {
        let weak = self.me.clone();
        let timer = crate::call_later(self.handshake_timeout, move || {
            if let Some(s) = weak.upgrade() {
                let after = s.handshake_timeout;
                s.fail(TlsError::HandshakeTimeout { after });
            }
        });
        {
            let mut st = self.state.borrow_mut();
            let (high, low) = st.marks.limits();
            lower.set_write_buffer_limits(Some(high), Some(low));
            st.lower = Some(lower);
            st.hs_timer = Some(timer);
        }
        self.pump();
    }

    /// Rule 5: ends the connection with `e`.
    fn fail(&self, e: TlsError) {
        let (lower, out, timer, waiters, abort, cancelled) = {
            let mut st = self.state.borrow_mut();
            if st.lost || st.error.is_some() {
                return;
            }
            let abort = matches!(e, TlsError::HandshakeTimeout { .. });
            st.error = Some(e.clone());
            st.closing = true;
            let mut waiters = Vec::new();
            if matches!(st.handshake, Handshake::Running) {
                st.handshake = Handshake::Failed(e.clone());
                waiters = std::mem::take(&mut st.waiters);
            }
            let mut out = Vec::new();
            st.session.take_tls(&mut out);
            let cancelled = st.cancelled;
            (
                st.lower.clone(),
                out,
                st.hs_timer.take(),
                waiters,
                abort,
                cancelled,
            )
        };
        if let Some(t) = timer {
            t.cancel();
        }
        if self.app.get().is_none() && !cancelled {
            if let Some(server) = &self.server {
                server.report(&e);
            }
        }
        if let Some(l) = lower {
            if abort {
                l.abort();
            } else {
                if !out.is_empty() {
                    l.write(&out);
                }
                l.close();
                self.arm_shutdown_timer(&l);
            }
        }
        for w in waiters {
            w.wake();
        }
    }

    /// Rule 1.
    fn pump(&self) {
        self.pump_with(&[]);
    }

    /// Feeds ciphertext that arrived before the adapter was installed (a stream upgrade).
    pub(crate) fn receive(&self, data: &[u8]) {
        self.pump_with(data);
    }

    /// Rule 1, with ciphertext that just arrived (fed straight from the socket's buffer;
    /// only what rustls cannot take yet is copied into the backlog).
    fn pump_with(&self, fresh: &[u8]) {
        {
            let mut st = self.state.borrow_mut();
            if st.pumping {
                st.backlog.extend_from_slice(fresh);
                st.again = true;
                return;
            }
            st.pumping = true;
        }
        let mut fresh = Some(fresh);
        loop {
            self.state.borrow_mut().again = false;
            self.pump_once(fresh.take().unwrap_or(&[]));
            let mut st = self.state.borrow_mut();
            if !st.again || st.lost {
                st.pumping = false;
                return;
            }
        }
    }

    fn pump_once(&self, fresh: &[u8]) {
        let mut plain = Vec::new();
        let mut out = Vec::new();
        let mut clean_eof = false;
        let mut failure = None;
        let mut finished = false;
        let lower;
        {
            let mut st = self.state.borrow_mut();
            let st = &mut *st;
            if st.error.is_some() || st.lost {
                return;
            }
            lower = st.lower.clone();
            let handshaking = matches!(st.handshake, Handshake::Running);
            let may_read = handshaking || !st.read_paused;
            // Older bytes first: fresh ones join the backlog unless it is empty and they can
            // be fed now.
            let direct = may_read && st.backlog.is_empty() && !fresh.is_empty();
            if !direct {
                st.backlog.extend_from_slice(fresh);
            }
            if may_read {
                let r: Result<(), TlsError> = (|| {
                    // Feed until the backlog is empty; rustls stops taking ciphertext when
                    // its plaintext buffer is full, so drain plaintext between feeds.
                    // (Consumed bytes are dropped from the backlog once, at the end: draining
                    // per feed would move the rest of a 256 KiB read again and again.)
                    let mut used = 0;
                    let fed: Result<(), TlsError> = loop {
                        let source: &[u8] = if direct { fresh } else { &st.backlog };
                        let n = match st.session.feed(&source[used..]) {
                            Ok(n) => n,
                            Err(e) => break Err(e),
                        };
                        used += n;
                        let before = plain.len();
                        match st.session.take_plaintext(&mut plain) {
                            Ok(true) => clean_eof = true,
                            Ok(false) => {}
                            Err(e) => break Err(e),
                        }
                        if used == source.len() || (n == 0 && plain.len() == before) {
                            break Ok(());
                        }
                    };
                    if direct {
                        st.backlog.extend_from_slice(&fresh[used..]);
                    } else {
                        st.backlog.drain(..used);
                    }
                    fed?;
                    if st.eof && st.backlog.is_empty() && !st.eof_fed {
                        st.eof_fed = true;
                        st.session.feed_eof()?;
                        if st.session.take_plaintext(&mut plain)? {
                            clean_eof = true;
                        }
                    }
                    Ok(())
                })();
                if let Err(e) = r {
                    failure = Some(e);
                }
            }
            if handshaking && failure.is_none() && !st.session.conn.is_handshaking() {
                st.handshake = Handshake::Done;
                st.info = Some(st.session.info());
                finished = true;
            }
            if failure.is_none() && st.eof_fed && matches!(st.handshake, Handshake::Running) {
                failure = Some(TlsError::HandshakeEof);
            }
            if failure.is_none() {
                st.session.take_tls(&mut out);
            }
            if clean_eof {
                if st.eof_delivered {
                    clean_eof = false;
                } else {
                    st.eof_delivered = true;
                }
            }
        }
        if let (Some(l), false) = (&lower, out.is_empty()) {
            l.write(&out);
        }
        if finished {
            self.handshake_done();
        }
        if !plain.is_empty() {
            if let Some(app) = self.app.get() {
                app.call(move |p| p.data_received(&plain));
            }
        }
        if clean_eof {
            if let Some(app) = self.app.get() {
                let me = self.rc();
                app.call(move |p| {
                    if !p.eof_received() {
                        me.close();
                    }
                });
            } else {
                // close_notify before the handshake finished: rustls reports that as an
                // error itself; nothing to deliver.
            }
        }
        if let Some(e) = failure {
            self.fail(e);
        }
    }

    fn handshake_done(&self) {
        let (timer, waiters, factory) = {
            let mut st = self.state.borrow_mut();
            (
                st.hs_timer.take(),
                std::mem::take(&mut st.waiters),
                st.factory.take(),
            )
        };
        if let Some(t) = timer {
            t.cancel();
        }
        if let Some(f) = factory {
            let d = self.app.get_or_init(|| Dispatcher::new(f()));
            let t: Rc<dyn Transport> = Rc::new(TlsTransport { shared: self.rc() });
            d.call(move |p| p.connection_made(t));
        }
        for w in waiters {
            w.wake();
        }
    }

    /// Rule 4: re-checks the user's watermarks against the lower buffer.
    fn check_flow(&self) {
        let size = self.lower().map_or(0, |l| l.write_buffer_size());
        let flow = self.state.borrow_mut().marks.check(size);
        if let Some(app) = self.app.get() {
            match flow {
                Some(Flow::Pause) => app.call(|p| p.pause_writing()),
                Some(Flow::Resume) => app.call(|p| p.resume_writing()),
                None => {}
            }
        }
    }

    fn close(&self) {
        let (lower, out) = {
            let mut st = self.state.borrow_mut();
            if st.closing || st.lost {
                return;
            }
            st.closing = true;
            let mut out = Vec::new();
            if matches!(st.handshake, Handshake::Done) {
                st.session.conn.send_close_notify();
                st.session.take_tls(&mut out);
            }
            (st.lower.clone(), out)
        };
        let Some(l) = lower else { return };
        if !out.is_empty() {
            l.write(&out);
        }
        l.close();
        self.arm_shutdown_timer(&l);
    }

    /// Rule 5: a closing lower transport that has not finished within the shutdown timeout
    /// (the peer does not read) is aborted.
    fn arm_shutdown_timer(&self, lower: &Rc<dyn Transport>) {
        let weak = Rc::downgrade(lower);
        let timer = crate::call_later(self.shutdown_timeout, move || {
            if let Some(l) = weak.upgrade() {
                l.abort();
            }
        });
        let old = self.state.borrow_mut().shutdown_timer.replace(timer);
        if let Some(t) = old {
            t.cancel();
        }
    }

    /// The future `create_connection` and `start_tls` wait on.
    pub(crate) fn handshake(self: &Rc<Self>) -> HandshakeDone {
        HandshakeDone(Some(Rc::clone(self)))
    }
}

/// Waits for the handshake; dropping it unfinished aborts the connection.
pub(crate) struct HandshakeDone(Option<Rc<Shared>>);

impl Future for HandshakeDone {
    type Output = Result<Rc<TlsTransport>, TlsError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let shared = self
            .0
            .as_ref()
            .expect("HandshakeDone polled after completion");
        let out = {
            let mut st = shared.state.borrow_mut();
            match &st.handshake {
                Handshake::Running => {
                    if !st.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                        st.waiters.push(cx.waker().clone());
                    }
                    return Poll::Pending;
                }
                Handshake::Done => Ok(()),
                Handshake::Failed(e) => Err(e.clone()),
            }
        };
        let shared = self.0.take().expect("checked above");
        Poll::Ready(out.map(|()| Rc::new(TlsTransport { shared })))
    }
}

impl Drop for HandshakeDone {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            let lower = {
                let mut st = s.state.borrow_mut();
                let running = matches!(st.handshake, Handshake::Running);
                st.cancelled |= running;
                running.then(|| st.lower.clone())
            };
            if let Some(Some(l)) = lower {
                l.abort();
            }
        }
    }
}

impl TlsAdapter {
    pub(crate) fn new(shared: Rc<Shared>) -> Buffered<TlsAdapter> {
        Buffered(TlsAdapter(shared, Vec::new()))
    }
}

impl Drop for TlsAdapter {
    /// Rule 6: the socket dropped its protocol without `connection_lost` (the runtime tore
    /// the connection's driver down), so the user's protocol is dropped now too. It holds
    /// its `TlsTransport`, which holds `Shared`, which holds it: left alone, that cycle
    /// would keep the socket transport, its driver's waker and so the whole runtime alive.
    fn drop(&mut self) {
        if let Some(app) = self.0.app.get() {
            app.discard();
        }
    }
}

impl BufferedProtocol for TlsAdapter {
    fn connection_made(&mut self, transport: Rc<dyn Transport>) {
        self.0.attach(transport);
    }

    fn get_buffer(&mut self, _size_hint: usize) -> &mut [u8] {
        if self.1.is_empty() {
            self.1 = vec![0; RECV_BUFFER];
        }
        &mut self.1
    }

    fn buffer_updated(&mut self, nbytes: usize) {
        self.0.pump_with(&self.1[..nbytes]);
    }

    fn eof_received(&mut self) -> bool {
        self.0.state.borrow_mut().eof = true;
        self.0.pump();
        // Keep the socket half-open: we may still send (our close_notify, the user's data
        // if it keeps the connection); closing is ours to do.
        true
    }

    fn connection_lost(&mut self, error: Option<io::Error>) {
        let s = &self.0;
        let (tls_error, waiters, timers, error, failed, cancelled) = {
            let mut st = s.state.borrow_mut();
            st.lost = true;
            st.lower = None;
            // The peer closed cleanly (close_notify) and may have closed its socket at
            // once: our answering close_notify then meets a broken pipe or a reset. The
            // connection still ended cleanly.
            let error = match error {
                Some(e)
                    if st.eof_delivered
                        && st.error.is_none()
                        && matches!(
                            e.kind(),
                            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
                        ) =>
                {
                    None
                }
                other => other,
            };
            // A handshake still running has not failed through `fail` (which ends it), so
            // this is its failure: it is reported like any other (rule 5).
            let (waiters, failed) = if matches!(st.handshake, Handshake::Running) {
                let e = match &error {
                    Some(e) => TlsError::Protocol {
                        reason: format!("connection failed during the handshake: {e}"),
                    },
                    None => TlsError::HandshakeEof,
                };
                st.handshake = Handshake::Failed(e.clone());
                (std::mem::take(&mut st.waiters), Some(e))
            } else {
                (Vec::new(), None)
            };
            (
                st.error.clone(),
                waiters,
                (st.hs_timer.take(), st.shutdown_timer.take()),
                error,
                failed,
                st.cancelled,
            )
        };
        for t in [timers.0, timers.1].into_iter().flatten() {
            t.cancel();
        }
        if let (Some(e), Some(server), false) = (&failed, &s.server, cancelled) {
            server.report(e);
        }
        for w in waiters {
            w.wake();
        }
        if let Some(app) = s.app.get() {
            let e = tls_error.map(io::Error::from).or(error);
            app.lose(e);
        }
        s.state.borrow_mut().factory = None;
    }

    fn pause_writing(&mut self) {
        self.0.check_flow();
    }

    fn resume_writing(&mut self) {
        self.0.check_flow();
    }
}

impl TlsTransport {
    /// What the handshake negotiated.
    ///
    /// ```
    /// fn show(t: &tulipa::tls::TlsTransport) {
    ///     println!("{:?} {:?}", t.info().version(), t.info().cipher_suite());
    /// }
    /// # let _ = show;
    /// ```
    pub fn info(&self) -> TlsInfo {
        self.shared.state.borrow().info.clone().unwrap_or_default()
    }
}

impl Transport for TlsTransport {
    fn write(&self, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let (lower, out) = {
            let mut st = self.shared.state.borrow_mut();
            if st.closing || st.lost || st.error.is_some() {
                return;
            }
            // No buffer limit (see `Shared::new`): the whole write is taken.
            if st.session.conn.writer().write_all(data).is_err() {
                return;
            }
            let mut out = Vec::new();
            st.session.take_tls(&mut out);
            (st.lower.clone(), out)
        };
        if let Some(l) = lower {
            l.write(&out);
        }
        self.shared.check_flow();
    }

    fn write_eof(&self) -> io::Result<()> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "a TLS transport cannot half-close (write_eof); use close",
        ))
    }

    fn can_write_eof(&self) -> bool {
        false
    }

    fn close(&self) {
        self.shared.close();
    }

    fn abort(&self) {
        let lower = {
            let mut st = self.shared.state.borrow_mut();
            st.closing = true;
            st.lower.clone()
        };
        if let Some(l) = lower {
            l.abort();
        }
    }

    fn is_closing(&self) -> bool {
        let st = self.shared.state.borrow();
        st.closing || st.lost
    }

    fn pause_reading(&self) {
        let lower = {
            let mut st = self.shared.state.borrow_mut();
            st.read_paused = true;
            st.lower.clone()
        };
        if let Some(l) = lower {
            l.pause_reading();
        }
    }

    fn resume_reading(&self) {
        let lower = {
            let mut st = self.shared.state.borrow_mut();
            if !st.read_paused {
                return;
            }
            st.read_paused = false;
            st.lower.clone()
        };
        self.shared.pump();
        if let Some(l) = lower {
            l.resume_reading();
        }
    }

    fn is_reading(&self) -> bool {
        let st = self.shared.state.borrow();
        !st.read_paused && !st.closing && !st.lost
    }

    #[track_caller]
    fn set_write_buffer_limits(&self, high: Option<usize>, low: Option<usize>) {
        let (lower, limits) = {
            let mut st = self.shared.state.borrow_mut();
            st.marks.set(high, low);
            (st.lower.clone(), st.marks.limits())
        };
        if let Some(l) = lower {
            l.set_write_buffer_limits(Some(limits.0), Some(limits.1));
        }
        self.shared.check_flow();
    }

    fn write_buffer_limits(&self) -> (usize, usize) {
        self.shared.state.borrow().marks.limits()
    }

    fn write_buffer_size(&self) -> usize {
        self.shared.lower().map_or(0, |l| l.write_buffer_size())
    }

    fn peer_addr(&self) -> Option<TransportAddr> {
        self.shared.lower().and_then(|l| l.peer_addr())
    }

    fn local_addr(&self) -> Option<TransportAddr> {
        self.shared.lower().and_then(|l| l.local_addr())
    }

    fn extra_info(&self, name: &str) -> Option<Box<dyn std::any::Any>> {
        match name {
            "tls" => self
                .shared
                .state
                .borrow()
                .info
                .clone()
                .map(|i| Box::new(i) as Box<dyn std::any::Any>),
            _ => self.shared.lower().and_then(|l| l.extra_info(name)),
        }
    }
}

impl fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsTransport")
            .field("info", &self.info())
            .field("closing", &self.is_closing())
            .finish()
    }
}
