//! The browser backend: the page's own event loop drives tulipa.
//!
//! One loop per page (per wasm instance), created on first use and current from then on, so
//! `tulipa::spawn_local` works from `#[wasm_bindgen(start)]`, event handlers and tasks alike.
//!
//! * Turns run in microtasks (a resolved `Promise`'s `then`, the cheapest hop from JS).
//! * A slice of back-to-back turns lasts at most [`SLICE`]; then the loop yields to a
//!   macrotask (a `MessageChannel` message) so the page can render and handle input.
//! * One `setTimeout` is armed for the next timer deadline.
//! * The clock is `performance.now()`.
//
// Maintainer notes.
//
// The driver's state lives in `Cell`s, never in a `RefCell` held across a call out: a turn
// runs tasks, tasks call into JS, and JS may call back into Rust (a `wake`) while the turn is
// running. `wake` during a turn only records that another turn is wanted.
//
// Panics abort on wasm32-unknown-unknown (no unwinding on stable Rust): the trap leaves the
// turn half-done. The panic hook installed with the loop reports the running task's name and
// spawn location, poisons the loop (later turns do nothing, later spawns panic with the same
// report) and rejects every promise made by `spawn_promise` that is still pending, so nothing
// waits forever on a loop that will never run again.

#![allow(unsafe_code)]

mod promise;
pub(crate) mod ws;

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use js_sys::{Function, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use crate::host::{EventLoop, Host, Turn};
use crate::scheduler::Local;
use crate::task::JoinHandle;
use crate::time::Instant;

pub use promise::{spawn_promise, PromiseFuture};

/// Longest run of back-to-back turns before yielding to a macrotask (keeps frames coming).
const SLICE_MS: f64 = 5.0;
/// Tasks polled per turn.
const BUDGET: usize = 128;
/// Turns run back to back in one microtask while the loop stays busy.
const TURNS_PER_CALLBACK: usize = 8;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);

    #[wasm_bindgen(js_namespace = console, js_name = error)]
    pub(crate) fn console_error(message: &str);

    // Promise.prototype.then with plain functions (js-sys's own signatures take closures
    // and change between versions).
    /// A `Promise` seen through tulipa's own `then` bindings.
    pub(crate) type Thenable;
    #[wasm_bindgen(method, js_name = then)]
    fn then1(this: &Thenable, on_fulfilled: &Function) -> JsValue;
    #[wasm_bindgen(method, js_name = then)]
    pub(crate) fn then2(
        this: &Thenable,
        on_fulfilled: &Function,
        on_rejected: &Function,
    ) -> JsValue;

    type MessageChannel;
    #[wasm_bindgen(constructor)]
    fn new() -> MessageChannel;
    #[wasm_bindgen(method, getter)]
    fn port1(this: &MessageChannel) -> MessagePort;
    #[wasm_bindgen(method, getter)]
    fn port2(this: &MessageChannel) -> MessagePort;

    type MessagePort;
    #[wasm_bindgen(method, setter)]
    fn set_onmessage(this: &MessagePort, handler: &Function);
    #[wasm_bindgen(method, js_name = postMessage)]
    fn post_message(this: &MessagePort, message: &JsValue);
}

/// Where the default exception handler writes: the console, as an error.
pub(crate) fn print_error(text: &str) {
    console_error(text);
}

/// The page's clock in nanoseconds since its time origin.
pub(crate) fn now() -> Instant {
    Instant::from_nanos((performance_now() * 1e6) as u64)
}

/// What the driver has asked the browser for.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Pending {
    /// Nothing queued: the next `wake` queues a microtask.
    Nothing,
    /// A microtask or the macrotask will run a turn.
    Turn,
    /// A turn is running right now.
    Running,
}

/// The browser side of the page's loop.
struct WebHost {
    pending: Cell<Pending>,
    /// `wake` was called while a turn was running.
    rewake: Cell<bool>,
    /// When the current slice of back-to-back turns began (ms), if one is running.
    slice_start: Cell<Option<f64>>,
    /// The armed `setTimeout`: its id and deadline (ms).
    timer: RefCell<Option<(JsValue, f64)>>,
    resolved: Promise,
    on_microtask: Closure<dyn FnMut(JsValue)>,
    on_timer: Closure<dyn FnMut()>,
    channel: MessageChannel,
    _on_message: Closure<dyn FnMut(JsValue)>,
}

// SAFETY: without the `atomics` target feature a wasm32 instance has exactly one thread, so
// the JS handles and `Cell`s inside `WebHost` can never be reached from another thread;
// `Host` requires `Send + Sync` only because native hosts are shared across threads. With
// `atomics` (wasm threads) this impl would be unsound, so it is not compiled there.
#[cfg(not(target_feature = "atomics"))]
unsafe impl Send for WebHost {}
// SAFETY: as for `Send` above: a single thread, so no concurrent access exists.
#[cfg(not(target_feature = "atomics"))]
unsafe impl Sync for WebHost {}

#[cfg(target_feature = "atomics")]
compile_error!(
    "tulipa's web backend supports single-threaded wasm only; build without the `atomics` \
     target feature"
);

impl Host for WebHost {
    fn now(&self) -> Instant {
        now()
    }

    fn wake(&self) {
        match self.pending.get() {
            Pending::Nothing => self.queue_microtask(),
            Pending::Running => self.rewake.set(true),
            Pending::Turn => {}
        }
    }
}

impl WebHost {
    fn queue_microtask(&self) {
        self.pending.set(Pending::Turn);
        // The promise `then` returns is not needed: the callback is what matters.
        let resolved: &Thenable = self.resolved.unchecked_ref();
        let _ = resolved.then1(self.on_microtask.as_ref().unchecked_ref());
    }

    fn queue_macrotask(&self) {
        self.pending.set(Pending::Turn);
        self.channel.port2().post_message(&JsValue::UNDEFINED);
    }

    /// Arms the one `setTimeout` for `deadline`, unless an earlier one is armed already.
    fn arm_timer(&self, deadline: Instant) {
        let deadline_ms = deadline.as_nanos() as f64 / 1e6;
        let mut timer = self.timer.borrow_mut();
        if let Some((id, at)) = &*timer {
            if *at <= deadline_ms {
                return;
            }
            clear_timeout(id);
        }
        // setTimeout counts whole milliseconds: round up so the timer never fires early.
        let delay = (deadline_ms - performance_now()).max(0.0).ceil();
        // Browsers treat delays above 2^31-1 ms as zero; clamp to that (about 24.8 days)
        // and re-arm when it fires.
        let delay = delay.min(2_147_483_647.0);
        let id = set_timeout(self.on_timer.as_ref().unchecked_ref(), delay);
        *timer = Some((id, deadline_ms));
    }
}

thread_local! {
    static PAGE_LOOP: RefCell<Option<PageLoop>> = const { RefCell::new(None) };
}

struct PageLoop {
    ev: Rc<EventLoop>,
    host: Arc<WebHost>,
}

/// Runs turns for as long as the slice allows; called from every browser callback.
fn drive() {
    let Some((ev, host)) = PAGE_LOOP.with(|p| {
        p.borrow()
            .as_ref()
            .map(|p| (Rc::clone(&p.ev), Arc::clone(&p.host)))
    }) else {
        return;
    };
    host.pending.set(Pending::Running);
    host.rewake.set(false);
    let start = match host.slice_start.get() {
        Some(s) => s,
        None => {
            let s = performance_now();
            host.slice_start.set(Some(s));
            s
        }
    };
    // A few turns per callback: a ping-pong of one ready task per turn then costs one JS hop
    // per several messages, while promise callbacks still run between callbacks.
    let mut turn = ev.turn(BUDGET);
    for _ in 1..TURNS_PER_CALLBACK {
        if turn != Turn::Busy || host.rewake.get() {
            break;
        }
        turn = ev.turn(BUDGET);
    }
    match turn {
        Turn::Busy => {
            if performance_now() - start >= SLICE_MS {
                host.slice_start.set(None);
                host.queue_macrotask();
            } else {
                host.queue_microtask();
            }
        }
        Turn::Idle(next) => {
            if host.rewake.get() {
                host.queue_microtask();
                return;
            }
            host.pending.set(Pending::Nothing);
            host.slice_start.set(None);
            if let Some(deadline) = next {
                host.arm_timer(deadline);
            }
        }
    }
}

fn on_timer() {
    PAGE_LOOP.with(|p| {
        if let Some(p) = p.borrow().as_ref() {
            p.host.timer.borrow_mut().take();
        }
    });
    drive_unless_queued();
}

/// A timer or message callback: run a turn unless one is already queued or running.
fn drive_unless_queued() {
    let pending = PAGE_LOOP.with(|p| p.borrow().as_ref().map(|p| p.host.pending.get()));
    // Otherwise a microtask is queued (it runs before any other macrotask work) or a turn is
    // running: nothing to do.
    if pending == Some(Pending::Nothing) {
        drive();
    }
}

/// The page's loop, created on first use.
pub(crate) fn ambient_loop() -> Option<Rc<Local>> {
    let existing = PAGE_LOOP.with(|p| p.borrow().as_ref().map(|p| Rc::clone(p.ev.local())));
    if existing.is_some() {
        return existing;
    }
    let channel = MessageChannel::new();
    let on_message = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| drive());
    let port1 = channel.port1();
    port1.set_onmessage(on_message.as_ref().unchecked_ref());
    // Node.js keeps a process alive while a port with a message handler is open; the port
    // only carries the loop's own yields, so it must not. (Browsers have no `unref`; a
    // pending tulipa timer is a `setTimeout`, which keeps Node alive as it should.)
    if let Ok(unref) = js_sys::Reflect::get(&port1, &JsValue::from_str("unref")) {
        if let Some(unref) = unref.dyn_ref::<Function>() {
            let _ = unref.call0(&port1);
        }
    }
    let host = Arc::new(WebHost {
        pending: Cell::new(Pending::Nothing),
        rewake: Cell::new(false),
        slice_start: Cell::new(None),
        timer: RefCell::new(None),
        resolved: Promise::resolve(&JsValue::UNDEFINED),
        on_microtask: Closure::new(|_: JsValue| drive()),
        on_timer: Closure::new(on_timer),
        channel,
        _on_message: on_message,
    });
    let ev = Rc::new(EventLoop::new(host.clone()));
    let local = Rc::clone(ev.local());
    PAGE_LOOP.with(|p| *p.borrow_mut() = Some(PageLoop { ev, host }));
    install_panic_hook();
    Some(local)
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        // A panic aborts: the turn never unwinds, so the running task is still marked as
        // current. Take it, so a later unrelated panic is not blamed on it.
        let task = crate::task::describe_current();
        crate::context::restore_task(crate::context::TaskCtx::NONE);
        crate::coop::reset();
        let already_stopped = PAGE_LOOP.with(|p| {
            p.try_borrow()
                .ok()
                .and_then(|p| p.as_ref().map(|p| p.ev.local().poisoned().is_some()))
                .unwrap_or(false)
        });
        if already_stopped {
            console_error(&format!(
                "tulipa: panicked after the event loop had stopped: {info}"
            ));
            previous(info);
            return;
        }
        let report = match &task {
            Some(t) => format!(
                "tulipa: task {t} panicked: {info}. The event loop has stopped: a panic \
                 aborts on wasm32, so no further tasks can run on this page."
            ),
            None => format!(
                "tulipa: panicked outside any task: {info}. The event loop has stopped: a \
                 panic aborts on wasm32, so no further tasks can run on this page."
            ),
        };
        console_error(&report);
        PAGE_LOOP.with(|p| {
            if let Ok(p) = p.try_borrow() {
                if let Some(p) = p.as_ref() {
                    p.ev.local().poison(report.clone());
                }
            }
        });
        promise::reject_all_pending(&report);
        previous(info);
    }));
}

/// Runs `f` on a later macrotask of the page's thread (the web's `spawn_blocking`).
pub(crate) fn spawn_blocking<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    crate::task::Builder::new().spawn_local(async move {
        next_macrotask().await;
        f()
    })
}

/// Resolves on a later macrotask (a `setTimeout(0)`).
async fn next_macrotask() {
    let promise = Promise::new(&mut |resolve, _reject| {
        set_timeout(&resolve, 0.0);
    });
    let _ = PromiseFuture::new(promise).await;
}
