//! JS promises as futures, and tasks as promises.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use js_sys::{Error, Function, Promise};
use slab::Slab;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;

enum State {
    Waiting(Option<Waker>),
    Settled(Result<JsValue, JsValue>),
    Taken,
}

/// A JS `Promise` as a future: `Ok(value)` when it fulfils, `Err(reason)` when it rejects.
///
/// Works under any executor, tulipa's or another.
///
/// # Cancel safety
///
/// Dropping it before the promise settles is safe; the settlement is then ignored.
///
/// ```no_run
/// # async fn demo() {
/// let p = js_sys::Promise::resolve(&7.into());
/// let v = tulipa::web::PromiseFuture::new(p).await.unwrap();
/// assert_eq!(v.as_f64(), Some(7.0));
/// # }
/// ```
pub struct PromiseFuture {
    state: Rc<RefCell<State>>,
}

impl PromiseFuture {
    /// Wraps `promise`; its callbacks are attached at once.
    ///
    /// ```no_run
    /// let f = tulipa::web::PromiseFuture::new(js_sys::Promise::resolve(&1.into()));
    /// # drop(f);
    /// ```
    pub fn new(promise: Promise) -> PromiseFuture {
        let state = Rc::new(RefCell::new(State::Waiting(None)));
        let settle = |state: Rc<RefCell<State>>, ok: bool| {
            move |v: JsValue| {
                let prev = std::mem::replace(
                    &mut *state.borrow_mut(),
                    State::Settled(if ok { Ok(v) } else { Err(v) }),
                );
                // The borrow ended above: wake only now (no borrow held across a wake).
                if let State::Waiting(Some(w)) = prev {
                    w.wake();
                }
            }
        };
        // `once_into_js` hands each closure to JS, which frees it after its single call.
        let on_ok = Closure::once_into_js(settle(Rc::clone(&state), true));
        let on_err = Closure::once_into_js(settle(Rc::clone(&state), false));
        let thenable: &super::Thenable = wasm_bindgen::JsCast::unchecked_ref(&promise);
        let _ = thenable.then2(on_ok.unchecked_ref_fn(), on_err.unchecked_ref_fn());
        PromiseFuture { state }
    }
}

trait AsFunction {
    fn unchecked_ref_fn(&self) -> &Function;
}

impl AsFunction for JsValue {
    fn unchecked_ref_fn(&self) -> &Function {
        wasm_bindgen::JsCast::unchecked_ref(self)
    }
}

impl From<Promise> for PromiseFuture {
    fn from(p: Promise) -> PromiseFuture {
        PromiseFuture::new(p)
    }
}

impl Future for PromiseFuture {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut state = self.state.borrow_mut();
        match std::mem::replace(&mut *state, State::Taken) {
            State::Settled(v) => Poll::Ready(v),
            State::Waiting(_) => {
                *state = State::Waiting(Some(cx.waker().clone()));
                Poll::Pending
            }
            State::Taken => panic!("PromiseFuture polled after completion"),
        }
    }
}

impl fmt::Debug for PromiseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PromiseFuture")
    }
}

thread_local! {
    /// Reject functions of the promises made by `spawn_promise` that are still pending.
    static PENDING: RefCell<Slab<Function>> = const { RefCell::new(Slab::new()) };
}

/// Rejects every pending `spawn_promise` promise (the loop was poisoned by a panic).
pub(crate) fn reject_all_pending(report: &str) {
    let pending: Vec<Function> = PENDING.with(|p| match p.try_borrow_mut() {
        Ok(mut p) => p.drain().collect(),
        Err(_) => Vec::new(),
    });
    let err = Error::new(report);
    for reject in pending {
        let _ = reject.call1(&JsValue::UNDEFINED, &err);
    }
}

/// Removes the promise's entry when the task ends, however it ends; rejects it if the task
/// was dropped (cancelled) before settling it.
struct Settle {
    key: usize,
}

impl Settle {
    fn take(&self) -> Option<Function> {
        PENDING.with(|p| p.borrow_mut().try_remove(self.key))
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if let Some(reject) = self.take() {
            let _ = reject.call1(
                &JsValue::UNDEFINED,
                &Error::new("tulipa: the task was cancelled"),
            );
        }
    }
}

/// Runs `future` as a tulipa task and returns a JS `Promise` of its result, for handing
/// async Rust work to JavaScript.
///
/// The promise fulfils with `Ok`'s value and rejects with `Err`'s; it rejects with an
/// `Error` if the task is cancelled, or if the page's loop stopped after a panic.
///
/// ```no_run
/// use wasm_bindgen::JsValue;
/// let p: js_sys::Promise = tulipa::web::spawn_promise(async {
///     tulipa::sleep(std::time::Duration::from_millis(10)).await;
///     Ok(JsValue::from("done"))
/// });
/// # drop(p);
/// ```
pub fn spawn_promise<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    let mut functions = None;
    let promise = Promise::new(&mut |resolve, reject| functions = Some((resolve, reject)));
    let (resolve, reject) = functions.expect("the Promise executor runs synchronously");
    let poisoned = crate::context::try_with_loop(|l| l.poisoned()).flatten();
    if let Some(report) = poisoned {
        let _ = reject.call1(&JsValue::UNDEFINED, &Error::new(&report));
        return promise;
    }
    let key = PENDING.with(|p| p.borrow_mut().insert(reject));
    crate::task::Builder::new()
        .spawn_local(async move {
            let settle = Settle { key };
            let result = future.await;
            if let Some(reject) = settle.take() {
                let _ = match result {
                    Ok(v) => resolve.call1(&JsValue::UNDEFINED, &v),
                    Err(e) => reject.call1(&JsValue::UNDEFINED, &e),
                };
            }
        })
        .detach();
    promise
}
