//! Waiting for a [`SettableFuture`]: the [`Waiter`] future (rules 2 and 3 of the protocol
//! in `mod.rs`).

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::{read, Exception, FutureError, SettableFuture, State};
use crate::loom::lock;
use crate::waitlist::Wakers;

impl<T: Clone, E: Clone> IntoFuture for SettableFuture<T, E> {
    type Output = Result<T, FutureError<E>>;
    type IntoFuture = Waiter<T, E>;

    fn into_future(self) -> Waiter<T, E> {
        Waiter::new(self)
    }
}

impl<T: Clone, E: Clone> IntoFuture for &SettableFuture<T, E> {
    type Output = Result<T, FutureError<E>>;
    type IntoFuture = Waiter<T, E>;

    fn into_future(self) -> Waiter<T, E> {
        self.wait()
    }
}

/// The future of [`SettableFuture::wait`]: the result, cloned.
///
/// # Cancel safety
///
/// Cancel safe: dropping it removes only this waiter.
///
/// ```
/// use tulipa::future::SettableFuture;
/// tulipa::run(async {
///     let fut: SettableFuture<&str, ()> = SettableFuture::new();
///     let wait: tulipa::future::Waiter<&str, ()> = fut.wait();
///     fut.set_result("ok").unwrap();
///     assert_eq!(wait.await, Ok("ok"));
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Waiter<T, E = Exception> {
    fut: SettableFuture<T, E>,
    /// Where this waiter is parked, if it is.
    slot: Option<Slot>,
}

impl<T, E> Waiter<T, E> {
    pub(super) fn new(fut: SettableFuture<T, E>) -> Waiter<T, E> {
        Waiter { fut, slot: None }
    }
}

/// Where a `Waiter` is parked: the inline `first` slot, or an entry of the list.
#[derive(Clone, Copy)]
enum Slot {
    First,
    List(usize),
}

impl<T, E> State<T, E> {
    /// Rule 3: gives back a waiter's slot; its waker goes to `stale`, to drop unlocked.
    fn leave(&mut self, slot: Slot, stale: &mut Wakers) {
        match slot {
            Slot::First => {
                self.first_used = false;
                stale.push(self.first.take());
            }
            Slot::List(key) => {
                self.waiters.cancel(key, stale);
            }
        }
    }
}

// `Waiter` holds no pinned data: the waiter entry is addressed by key.
impl<T, E> Unpin for Waiter<T, E> {}

impl<T: Clone, E: Clone> Future for Waiter<T, E> {
    type Output = Result<T, FutureError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        // Wakers let go of under the lock drop after it (`stale` is declared first).
        let mut stale = Wakers::default();
        let mut st = lock(&this.fut.inner.state);
        if let Some(out) = read(&st.outcome) {
            if let Some(slot) = this.slot.take() {
                st.leave(slot, &mut stale);
            }
            return Poll::Ready(out);
        }
        let waker = cx.waker();
        match this.slot {
            // Still waiting (rule 2: only completion notifies); refresh the waker.
            Some(Slot::First) => match &st.first {
                Some(w) if w.will_wake(waker) => {}
                _ => stale.push(st.first.replace(waker.clone())),
            },
            Some(Slot::List(key)) => {
                let _ = st.waiters.poll_take(key, waker, &mut stale);
            }
            None if !st.first_used => {
                st.first_used = true;
                stale.push(st.first.replace(waker.clone()));
                this.slot = Some(Slot::First);
            }
            None => {
                this.slot = Some(Slot::List(st.waiters.push(waker.clone(), ())));
            }
        }
        Poll::Pending
    }
}

impl<T, E> Drop for Waiter<T, E> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot.take() {
            let mut stale = Wakers::default(); // outlives the guard (a temporary)
            lock(&self.fut.inner.state).leave(slot, &mut stale);
        }
    }
}

impl<T, E> fmt::Debug for Waiter<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Waiter")
            .field("future", &self.fut)
            .field("parked", &self.slot.is_some())
            .finish()
    }
}
