//! tulipa is asyncio ("Tulip") for Rust, with one API on two targets: native Unix (on mio)
//! and the browser (`wasm32-unknown-unknown`, on the page's own event loop).
//!
//! A program written against tulipa's tasks, timers and delayed calls compiles and behaves the
//! same on both targets. What cannot exist in a browser (blocking on a future, OS threads)
//! is absent there, never a runtime panic.
//!
//! # A first program
//!
//! ```
//! use std::time::Duration;
//!
//! let total = tulipa::run(async {
//!     let worker = tulipa::spawn(async {
//!         tulipa::sleep(Duration::from_millis(5)).await;
//!         20
//!     });
//!     let forever = tulipa::spawn(tulipa::sleep(Duration::MAX));
//!     forever.cancel();
//!     assert!(forever.await.unwrap_err().is_cancelled());
//!     worker.await.unwrap() + 22
//! });
//! assert_eq!(total, 42);
//! ```
//!
//! # Map of the crate
//!
//! | asyncio | tulipa |
//! |---|---|
//! | `asyncio.run(main())` | [`run`] (native) |
//! | `loop.create_task`, `asyncio.create_task` | [`spawn`], [`spawn_local`], [`task::Builder`] |
//! | `Task.cancel(msg)` | [`JoinHandle::cancel`], [`JoinHandle::cancel_with`] |
//! | `asyncio.current_task()`, `asyncio.all_tasks()` | [`task::current`], [`task::all_tasks`] |
//! | `asyncio.sleep(0)` | [`yield_now`] |
//! | `asyncio.sleep(s)` | [`sleep`], [`sleep_until`] |
//! | `asyncio.timeout`, `asyncio.wait_for` | [`time::timeout`], [`time::timeout_at`] |
//! | `loop.call_soon/call_later/call_at` | [`call_soon`], [`call_later`], [`call_at`] |
//! | `loop.call_soon_threadsafe` | [`Handle::call_soon_threadsafe`] |
//! | `loop.set_exception_handler`, `call_exception_handler` | [`set_exception_handler`], [`call_exception_handler`], [`ExceptionContext`] |
//! | `asyncio.to_thread`, `loop.run_in_executor` | [`spawn_blocking`], [`to_thread`] |
//! | cancelling with clean-up (`CancelledError` caught in the task) | [`task::Builder::soft_cancel`], [`task::cancelled`] |
//! | `asyncio.Future`, `concurrent.futures.Future` | [`future::SettableFuture`] |
//! | `asyncio.gather(..., return_exceptions=)` | [`gather`], [`gather_all`] |
//! | `asyncio.wait(..., return_when=)`, `as_completed`, `shield` | [`wait`] + [`ReturnWhen`], [`as_completed`], [`shield`] |
//! | `asyncio.wait_for` | [`wait_for`] (and [`race`], [`select`]) |
//! | `asyncio.TaskGroup` | [`task_group`], [`TaskGroup`] |
//! | a cancellation scope shared by many tasks | [`CancelToken`] |
//! | `asyncio.Lock`, `Event`, `Condition`, `Semaphore`, `BoundedSemaphore`, `Barrier` | [`sync`] (plus `RwLock`, `OnceCell`) |
//! | `asyncio.Queue`, `LifoQueue`, `PriorityQueue`, `QueueShutDown` | [`queue`] |
//! | channels | [`channel`]: `mpsc`, `oneshot`, `watch`, `broadcast` |
//! | `asyncio.Transport`, `Protocol`, `BufferedProtocol`, `DatagramProtocol` | [`transports`] |
//! | `asyncio.StreamReader`, `StreamWriter` | [`streams`] |
//! | `loop.create_connection`, `create_server`, `open_connection`, `start_server` | `net` (native) |
//! | sockets | `net::{TcpStream, TcpListener, UdpSocket, UnixStream, UnixListener, UnixDatagram}` (native) |
//! | `asyncio.create_subprocess_exec`, `create_subprocess_shell`, `Process.communicate` | `process` (native) |
//! | `loop.subprocess_exec`, `SubprocessProtocol` | `process::subprocess_exec` (native) |
//! | `loop.add_signal_handler`, `remove_signal_handler` | `signal` (native) |
//! | `ssl=` on `create_connection`/`create_server`/`open_connection`/`start_server`, `loop.start_tls` | `tls` (native) |
//! | WebSockets (the `websockets` package's client and server) | [`ws`] (client on both targets, server native) |
//! | a custom event loop policy | [`host::Host`] and [`host::EventLoop`] |
//!
//! # Targets
//!
//! The backend is chosen when the crate is compiled: `targets/native` (mio: epoll/kqueue) on
//! Unix, `targets/web` (microtasks, a `MessageChannel` macrotask and `setTimeout`) on
//! `wasm32-unknown-unknown`. [`sim`] is a deterministic virtual-time host available on both.
//!
//! | API | native | web |
//! |---|---|---|
//! | tasks, timers, delayed calls, virtual time | yes | yes |
//! | [`spawn_blocking`] / [`to_thread`] | a thread pool | a later macrotask on the page's thread |
//! | [`run`], [`Runtime`], `block_on` | yes | absent: the page's loop cannot be blocked |
//! | `web::spawn_promise`, `web::PromiseFuture` | absent | yes |
//! | sync primitives, queues, channels, futures, task groups, streams | yes | yes |
//! | `net`: sockets, socket transports | yes | absent: a page has no sockets |
//! | `process`, `signal` | yes | absent: a page has no processes or signals |
//! | `tls` | yes (rustls) | absent: TLS belongs to the browser (`wss://`, `https://`) |
//! | [`ws`] client | tulipa's codec over TCP and TLS | the browser's `WebSocket` |
//! | [`ws`] server | yes | absent: a page cannot listen |
//!
//! # Cooperative scheduling
//!
//! Each poll of a task (and of `block_on`'s root future) gets a budget of 128 units, on
//! every target. tulipa's channel and queue sends and receives, lock, semaphore and event
//! waits, and native socket and pipe operations spend one each when they complete; once the
//! budget is spent the next one returns `Pending` after waking its task, so a task looping
//! over always-ready operations cannot freeze its loop. Code polled outside tulipa's
//! scheduling is unconstrained. [`task::unconstrained`] opts a future out and
//! [`task::consume_budget`] lets a loop of your own take part; see
//! [the `task` module](task#cooperative-scheduling) for the details.
//!
//! # Cargo features
//!
//! tulipa has no cargo features yet.
#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations)]
#![warn(clippy::undocumented_unsafe_blocks)]

cfg_if::cfg_if! {
    if #[cfg(all(target_arch = "wasm32", target_os = "unknown"))] {
        #[path = "../targets/web/mod.rs"]
        mod sys;
    } else if #[cfg(unix)] {
        #[path = "../targets/native/mod.rs"]
        mod sys;
    } else {
        compile_error!(
            "tulipa supports native Unix targets (Linux, macOS, the BSDs; through mio) and \
             wasm32-unknown-unknown (the browser). Build for one of those, for example \
             `cargo build --target wasm32-unknown-unknown` for the browser."
        );
    }
}

#[path = "../targets/sim/mod.rs"]
pub mod sim;

mod blocking;
mod calls;
mod cancel;
pub mod channel;
mod combinators;
mod context;
mod coop;
mod exceptions;
pub mod future;
pub mod host;
mod io_error;
mod loom;
pub mod queue;
mod scheduler;
pub mod streams;
pub mod sync;
pub mod task;
mod taskgroup;
pub mod time;
pub mod transports;
mod trim;
mod waitlist;
pub mod ws;

pub use blocking::{spawn_blocking, to_thread};
pub use calls::{call_at, call_later, call_soon, CallHandle};
pub use cancel::{CancelToken, RunUntilCancelled, WaitCancelled};
pub use combinators::{
    as_completed, gather, gather_all, race, select, shield, wait, wait_for, AsCompleted, Gather,
    GatherAll, Next, Race, ReturnWhen, Select, Shield, Wait,
};
pub use exceptions::{
    call_exception_handler, default_exception_handler, reset_exception_handler,
    set_exception_handler, ExceptionContext,
};
pub use host::Handle;
pub use task::{spawn, spawn_local, yield_now, JoinError, JoinHandle};
pub use taskgroup::{task_group, Failure, Member, TaskGroup, TaskGroupError, TaskGroupRun};
pub use time::{sleep, sleep_until, Instant};

#[cfg(not(target_arch = "wasm32"))]
pub use sys::{run, Builder, Runtime};

/// Test hooks for tulipa's loom models, present only when the crate is built with
/// `--cfg loom`: not part of the API.
#[cfg(loom)]
#[doc(hidden)]
pub mod __loom {
    pub use crate::loom::locks_held;
}

/// TCP, UDP and Unix sockets, and asyncio's socket transports and stream helpers
/// (`create_connection`, `create_server`, `open_connection`, `start_server`, ...).
///
/// Native only: a browser has no sockets (WebSockets will serve there).
#[cfg(not(target_arch = "wasm32"))]
pub mod net {
    pub use crate::sys::net::*;
    pub use crate::sys::transport::*;
}

/// Child processes with async pipes (asyncio's `asyncio.subprocess`): see the module docs.
///
/// Native only: a browser page cannot start processes.
#[cfg(not(target_arch = "wasm32"))]
pub mod process {
    pub use crate::sys::process::*;
}

/// Unix signals (asyncio's `add_signal_handler`, plus `ctrl_c` and signal listeners).
///
/// Native only: a browser page has no signals.
#[cfg(not(target_arch = "wasm32"))]
pub mod signal {
    pub use crate::sys::signal::*;
}

/// TLS (rustls, ring provider): client and server configurations, [`tls::TlsStream`] over
/// any stream, and asyncio's TLS entry points (`open_connection`, `start_server`,
/// `create_connection`, `create_server`, `start_tls`).
///
/// Native only: in a browser, TLS belongs to the host (`wss://`, `https://`).
#[cfg(not(target_arch = "wasm32"))]
pub mod tls {
    pub use crate::sys::tls::*;
}

/// Browser entry points: start a root future, await a JS `Promise`, turn a task into one.
///
/// Only on `wasm32-unknown-unknown`.
#[cfg(target_arch = "wasm32")]
pub mod web {
    pub use crate::sys::{spawn_promise, PromiseFuture};
}
