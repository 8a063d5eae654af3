//! The echo servers of the `echo` and `bulk` workloads, one per runtime, each run in a
//! process of its own: `<bench binary> __server <variant>`.
//!
//! Every server binds `127.0.0.1:0` with its runtime's own listener, prints `PORT <n>` on
//! standard output, then accepts forever; each connection gets its own task (the mio loop:
//! its own slot) that reads up to [`BUF`] bytes and writes them back, until the peer closes.
//! `TCP_NODELAY` is set on every accepted socket. The servers are the same loop written in
//! each runtime's idiom:
//!
//! * tulipa: `tulipa::net::TcpListener` / `TcpStream` (`read`, `write_all`), tasks from
//!   `spawn_local`, on `Runtime::block_on`.
//! * tokio: `tokio::net` with `AsyncReadExt`/`AsyncWriteExt`, `tokio::spawn`, current_thread.
//! * smol: `async_io::Async<std::net::TcpListener>` with futures-lite's extension traits,
//!   tasks on a `LocalExecutor` under `async_io::block_on` (what `smol::net` wraps).
//! * mio: a hand-written edge-triggered readiness loop over `mio::Poll`, no tasks, no wakers,
//!   one shared buffer: the practical limit for a single-threaded server on this kernel.
//!
//! The server exits when its standard input reaches end of file, so it never outlives the
//! load generator that started it, even if that one is killed.

use std::io::{self, BufRead, Read, Write};
use std::net::SocketAddr;

use super::{tokio_runtime, tulipa_runtime, Variant};

/// The hidden first argument that turns the bench binary into an echo server.
pub const SERVER_FLAG: &str = "__server";

/// Read buffer per connection (the mio loop: one for all).
pub const BUF: usize = 64 * 1024;

/// The address every server binds; the kernel picks the port.
pub const BIND: &str = "127.0.0.1:0";

pub fn main(args: &[String]) {
    let [variant] = args else {
        panic!("usage: {SERVER_FLAG} VARIANT (this is the load generator's job)");
    };
    let variant = Variant::from_name(variant).expect("unknown variant");
    exit_with_stdin();
    match variant {
        Variant::Tulipa => tulipa(true),
        Variant::TulipaUnconstrained => tulipa(false),
        Variant::Tokio => tokio(),
        Variant::Smol => smol(),
        Variant::Mio => mio_loop::<Echo>(BUF).expect("mio echo server failed"),
        other => panic!("no echo server for {}", other.name()),
    }
}

/// A connection's read buffer, every page of it resident: `vec![0; n]` would get memory
/// from `calloc`, which leaves fresh pages untouched but zeroes recycled ones, so how much
/// of each buffer counts in the server's RSS would depend on the allocator's history, not
/// on the runtime. Filled, each costs exactly [`BUF`] in every server (the mio loop has
/// one), and the `conns` workload's memory per connection is `BUF` plus the runtime's own.
fn echo_buffer() -> Vec<u8> {
    vec![0x55; BUF]
}

/// Exits when standard input reaches end of file: the load generator holds it open, so a
/// server never outlives it.
pub fn exit_with_stdin() {
    std::thread::spawn(|| {
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        std::process::exit(0);
    });
}

/// Tells the load generator where to connect.
pub fn announce(addr: SocketAddr) {
    let mut out = io::stdout().lock();
    writeln!(out, "PORT {}", addr.port()).expect("writing the port");
    out.flush().expect("writing the port");
}

/// Reads the `PORT <n>` line a server printed.
pub fn read_port(stdout: &mut impl BufRead) -> io::Result<u16> {
    let mut line = String::new();
    stdout.read_line(&mut line)?;
    line.trim()
        .strip_prefix("PORT ")
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| io::Error::other(format!("the server said {line:?}, not PORT <n>")))
}

/// `budget`: false runs the accept loop and every connection's task under
/// `tulipa::task::unconstrained` (variant `tulipa-unconstrained`), to measure what the
/// cooperative budget costs.
fn tulipa(budget: bool) {
    let rt = tulipa_runtime();
    let serve = async {
        let listener = tulipa::net::TcpListener::bind(BIND).await.expect("bind");
        announce(listener.local_addr().expect("local_addr"));
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            stream.set_nodelay(true).expect("nodelay");
            let echo = async move {
                let mut buf = echo_buffer();
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            };
            if budget {
                tulipa::spawn_local(echo).detach();
            } else {
                tulipa::spawn_local(tulipa::task::unconstrained(echo)).detach();
            }
        }
    };
    if budget {
        rt.block_on(serve)
    } else {
        rt.block_on(tulipa::task::unconstrained(serve))
    }
}

fn tokio() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rt = tokio_runtime();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(BIND).await.expect("bind");
        announce(listener.local_addr().expect("local_addr"));
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            stream.set_nodelay(true).expect("nodelay");
            tokio::spawn(async move {
                let mut buf = echo_buffer();
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            });
        }
    })
}

fn smol() {
    use futures_lite::{AsyncReadExt, AsyncWriteExt};
    let ex = async_executor::LocalExecutor::new();
    async_io::block_on(ex.run(async {
        let listener = async_io::Async::<std::net::TcpListener>::bind(
            BIND.parse::<SocketAddr>().expect("address"),
        )
        .expect("bind");
        announce(listener.get_ref().local_addr().expect("local_addr"));
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            stream.get_ref().set_nodelay(true).expect("nodelay");
            ex.spawn(async move {
                let mut buf = echo_buffer();
                loop {
                    let n = match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    if stream.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            })
            .detach();
        }
    }))
}

/// What a mio-loop server answers to the bytes it read: the echo answers with them, the
/// `http` workload with one response per request ended.
pub trait Respond: Default {
    /// The bytes to send for `input` (a slice of it, of `scratch`, or nothing).
    fn respond<'a>(&mut self, input: &'a [u8], scratch: &'a mut Vec<u8>) -> &'a [u8];
}

/// The echo: every byte read is written back.
#[derive(Default)]
struct Echo;

impl Respond for Echo {
    fn respond<'a>(&mut self, input: &'a [u8], _: &'a mut Vec<u8>) -> &'a [u8] {
        input
    }
}

/// One connection of the mio loop: the socket, what the kernel did not take yet, and the
/// server's per-connection state.
struct Conn<R> {
    stream: mio::net::TcpStream,
    pending: Vec<u8>,
    /// Whether the registration includes WRITABLE (only while bytes are pending).
    wants_write: bool,
    state: R,
}

/// The hand-written readiness loop, shared by the `echo` and `http` servers, with one read
/// buffer of `buf_len` bytes for all connections. Sockets are registered edge-triggered for
/// reading, and also for writing only while answer bytes are pending; an event means "try
/// again": write out what is pending, then read and answer until the kernel says
/// `WouldBlock` or a read comes back short (see [`service`]). While a write is pending the
/// connection is not read, so a slow reader pushes back on its writer as in the task-based
/// servers.
pub fn mio_loop<R: Respond>(buf_len: usize) -> io::Result<()> {
    use mio::{Events, Interest, Poll, Token};
    const LISTENER: Token = Token(usize::MAX);

    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(1024);
    let mut listener = mio::net::TcpListener::bind(BIND.parse().expect("address"))?;
    poll.registry()
        .register(&mut listener, LISTENER, Interest::READABLE)?;
    announce(listener.local_addr()?);
    let mut conns: Vec<Option<Conn<R>>> = Vec::new();
    let mut buf = vec![0x55; buf_len];
    let mut scratch = Vec::new();
    loop {
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            if event.token() == LISTENER {
                loop {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            stream.set_nodelay(true)?;
                            let slot =
                                conns.iter().position(Option::is_none).unwrap_or_else(|| {
                                    conns.push(None);
                                    conns.len() - 1
                                });
                            poll.registry().register(
                                &mut stream,
                                Token(slot),
                                Interest::READABLE,
                            )?;
                            conns[slot] = Some(Conn {
                                stream,
                                pending: Vec::new(),
                                wants_write: false,
                                state: R::default(),
                            });
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) => break,
                    }
                }
                continue;
            }
            let slot = event.token().0;
            let Some(conn) = conns.get_mut(slot).and_then(Option::as_mut) else {
                continue;
            };
            if service(conn, &mut buf, &mut scratch) {
                // Ask for WRITABLE only while an answer is stuck, so a socket whose send
                // buffer drains does not wake the loop for nothing.
                let wants_write = !conn.pending.is_empty();
                if wants_write != conn.wants_write {
                    let interest = if wants_write {
                        Interest::READABLE | Interest::WRITABLE
                    } else {
                        Interest::READABLE
                    };
                    poll.registry()
                        .reregister(&mut conn.stream, Token(slot), interest)?;
                    conn.wants_write = wants_write;
                }
            } else if let Some(mut conn) = conns[slot].take() {
                let _ = poll.registry().deregister(&mut conn.stream);
            }
        }
    }
}

/// Flushes pending bytes, then reads and answers until `WouldBlock` or a short read. Returns
/// false when the connection is finished (closed by the peer, or broken).
fn service<R: Respond>(conn: &mut Conn<R>, buf: &mut [u8], scratch: &mut Vec<u8>) -> bool {
    let pending = std::mem::take(&mut conn.pending);
    if !write_out(conn, &pending) {
        return false;
    }
    while conn.pending.is_empty() {
        let n = match conn.stream.read(buf) {
            Ok(0) => return false,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        let answer = conn.state.respond(&buf[..n], scratch);
        if !write_out(conn, answer) {
            return false;
        }
        // A read that did not fill the buffer emptied the socket: stop here instead of
        // paying a read that would say WouldBlock (the edge-triggered registration reports
        // the next data). tokio does the same. It is also what keeps the loop fair: under
        // this load the client often answers before that extra read, which then succeeds,
        // and the loop would keep serving one connection while 49 wait (p99 8.4 ms instead
        // of 0.65 ms on the 2-core test machine).
        if n < buf.len() {
            return true;
        }
    }
    true
}

/// Writes `data` until done or `WouldBlock`; what the kernel did not take is appended to
/// the connection's pending bytes. Returns false if the connection broke.
fn write_out<R>(conn: &mut Conn<R>, data: &[u8]) -> bool {
    let mut written = 0;
    while written < data.len() {
        match conn.stream.write(&data[written..]) {
            Ok(0) => return false,
            Ok(w) => written += w,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    conn.pending.extend_from_slice(&data[written..]);
    true
}
