//! [`Member`]: a task group member's handle, and the slot its value travels through.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::Control;
use crate::combinators::ready::lock;
use crate::future::cancelled_error;
use crate::task::{Cancelled, TaskId};

/// Where a member's value waits for its `Member` handle.
pub(super) struct Slot<T> {
    value: Option<Result<T, Cancelled>>,
    waker: Option<Waker>,
}

/// Set by a member's task: the value, or (dropped without one) "cancelled".
struct SlotSetter<T>(Arc<Mutex<Slot<T>>>);

impl<T> SlotSetter<T> {
    fn finish(&self, value: Result<T, Cancelled>) {
        let waker = {
            let mut slot = lock(&self.0);
            if slot.value.is_some() {
                return;
            }
            slot.value = Some(value);
            slot.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

impl<T> Drop for SlotSetter<T> {
    fn drop(&mut self) {
        self.finish(Err(cancelled_error(None)));
    }
}

pub(super) fn member_future<T, E, F>(
    future: F,
) -> (Arc<Mutex<Slot<T>>>, impl Future<Output = Result<(), E>>)
where
    F: Future<Output = Result<T, E>>,
{
    let slot = Arc::new(Mutex::new(Slot {
        value: None,
        waker: None,
    }));
    let setter = SlotSetter(Arc::clone(&slot));
    let task = async move {
        let setter = setter;
        let value = future.await?;
        setter.finish(Ok(value));
        Ok(())
    };
    (slot, task)
}

/// A member of a task group: await it for the member's value, or cancel it alone.
///
/// Awaiting gives `Ok(value)`, or `Err(Cancelled)` if the member ended without a value: it
/// was cancelled, was refused (spawned into a group that was shutting down or finished), or
/// failed (the group reports the failure itself). Dropping a `Member` does **not** cancel
/// the task: the group owns it, so spawning without keeping the handle is the usual
/// fire-and-forget (asyncio's `tg.create_task(...)` whose result nobody reads). It is not
/// `#[must_use]` for that reason.
///
/// # Cancel safety
///
/// Awaiting a `Member` is cancel safe: the value stays in it until an await returns it.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let r = tulipa::task_group(|tg| async move {
///         let slow = tg.spawn(async { tulipa::sleep(Duration::from_secs(60)).await; Ok(1) });
///         assert!(slow.cancel()); // not a failure of the group
///         Ok::<_, ()>(slow.await.is_err())
///     }).await;
///     assert!(r.unwrap());
/// });
/// ```
pub struct Member<T> {
    slot: Arc<Mutex<Slot<T>>>,
    control: Arc<Control>,
    index: Option<usize>,
    id: Option<TaskId>,
}

impl<T> Member<T> {
    pub(super) fn new(
        slot: Arc<Mutex<Slot<T>>>,
        control: Arc<Control>,
        index: usize,
        id: TaskId,
    ) -> Member<T> {
        Member {
            slot,
            control,
            index: Some(index),
            id: Some(id),
        }
    }

    pub(super) fn refused(why: &'static str, control: Arc<Control>) -> Member<T> {
        let slot = Slot {
            value: Some(Err(cancelled_error(Some(why.into())))),
            waker: None,
        };
        Member {
            slot: Arc::new(Mutex::new(slot)),
            control,
            index: None,
            id: None,
        }
    }

    /// The member task's id, or `None` if the group refused to start it.
    ///
    /// ```
    /// tulipa::run(async {
    ///     tulipa::task_group(|tg| async move {
    ///         let m = tg.spawn(async { Ok::<_, ()>(()) });
    ///         assert!(m.id().is_some());
    ///         Ok::<_, ()>(())
    ///     }).await.unwrap();
    /// });
    /// ```
    pub fn id(&self) -> Option<TaskId> {
        self.id
    }

    /// Whether the member has ended (or was refused).
    ///
    /// ```
    /// tulipa::run(async {
    ///     tulipa::task_group(|tg| async move {
    ///         let m = tg.spawn(async { Ok::<_, ()>(()) });
    ///         assert!(!m.is_finished());
    ///         tulipa::yield_now().await;
    ///         assert!(m.is_finished());
    ///         Ok::<_, ()>(())
    ///     }).await.unwrap();
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        lock(&self.slot).value.is_some()
    }

    /// Cancels this member only (asyncio's `Task.cancel()` on a group's task): not a failure
    /// of the group. Returns false if it had already ended. Works from any thread.
    ///
    /// ```
    /// tulipa::run(async {
    ///     tulipa::task_group(|tg| async move {
    ///         let m = tg.spawn(std::future::pending::<Result<(), ()>>());
    ///         assert!(m.cancel());
    ///         assert!(m.await.is_err());
    ///         Ok::<_, ()>(())
    ///     }).await.unwrap();
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        match self.index {
            Some(index) if !self.is_finished() => {
                self.control.request(|st| st.cancels.push(index));
                true
            }
            _ => false,
        }
    }
}

impl<T> Future for Member<T> {
    type Output = Result<T, Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut slot = lock(&self.slot);
        match slot.value.take() {
            Some(out) => {
                // Leave a marker so `is_finished` stays true; a second poll is a bug.
                slot.value = Some(Err(cancelled_error(Some("value already taken".into()))));
                Poll::Ready(out)
            }
            None => {
                match &slot.waker {
                    Some(w) if w.will_wake(cx.waker()) => {}
                    _ => slot.waker = Some(cx.waker().clone()),
                }
                Poll::Pending
            }
        }
    }
}

impl<T> fmt::Debug for Member<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Member")
            .field("id", &self.id)
            .field("finished", &self.is_finished())
            .finish()
    }
}
