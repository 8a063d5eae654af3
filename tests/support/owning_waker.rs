//! A minimal executor whose wakers own their task, for the native test binaries
//! (`#[path = "support/owning_waker.rs"] mod owning_waker;`).
//!
//! Many executors build a task's waker from an `Arc` of the task itself (`std::task::Wake`):
//! while a task is parked, its wakers are the only references to it, so dropping the last one
//! drops the task and with it the task's future, and whatever that future holds (a permit, a
//! guard, another parked waiter) runs its destructor right there. A primitive that drops a
//! waker while holding its own lock is re-entered from that destructor and deadlocks; these
//! helpers make that observable.

#![allow(dead_code, reason = "each test binary uses some of these helpers")]

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

type BoxFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A task: its future, owned by the task, and so by its wakers.
pub struct Task {
    future: Mutex<Option<BoxFuture>>,
}

impl Task {
    /// A task running `future` (not polled yet).
    pub fn new(future: impl Future<Output = ()> + Send + 'static) -> Arc<Task> {
        Arc::new(Task {
            future: Mutex::new(Some(Box::pin(future))),
        })
    }

    /// Polls the task's future once with the task's own waker, as an executor's run queue
    /// would; a future that completes is dropped at once.
    pub fn poll(self: &Arc<Self>) -> Poll<()> {
        let waker = Waker::from(self.clone());
        let mut slot = self.future.lock().unwrap();
        let Some(future) = slot.as_mut() else {
            return Poll::Ready(());
        };
        let out = future.as_mut().poll(&mut Context::from_waker(&waker));
        if out.is_ready() {
            *slot = None;
        }
        out
    }
}

impl Wake for Task {
    /// Waking would queue the task on the executor's run queue; the tests poll by hand, so it
    /// only has to keep nothing alive.
    fn wake(self: Arc<Self>) {}
}

/// A parked task whose future holds `held` until it is dropped: once the test lets go of
/// [`waker`](Self::waker) with [`forget_waker`](Self::forget_waker), the clones a primitive
/// keeps are the only references to the task.
pub struct ParkedTask {
    waker: Option<Waker>,
    dropped: Arc<AtomicBool>,
}

struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl ParkedTask {
    /// Spawns a task that takes `held` and waits forever, and polls it once so that it parks.
    pub fn holding<H: Send + 'static>(held: H) -> ParkedTask {
        let dropped = Arc::new(AtomicBool::new(false));
        let flag = DropFlag(dropped.clone());
        let task = Task::new(async move {
            // Locals drop in reverse order: `held` first, then the flag records it.
            let _flag = flag;
            let _held = held;
            std::future::pending::<()>().await;
        });
        assert!(task.poll().is_pending());
        ParkedTask {
            waker: Some(Waker::from(task)),
            dropped,
        }
    }

    /// The task's waker, to poll a primitive's future with (as if the task polled it).
    pub fn waker(&self) -> &Waker {
        self.waker.as_ref().expect("the waker was forgotten")
    }

    /// The executor lets go of the task: only the wakers handed out keep it alive now.
    pub fn forget_waker(&mut self) {
        self.waker = None;
    }

    /// Whether the task's future (and what it held) has been dropped.
    pub fn future_dropped(&self) -> bool {
        self.dropped.load(Ordering::SeqCst)
    }
}

/// Polls `f` once with `waker`.
pub fn poll_with<F: Future + Unpin>(f: &mut F, waker: &Waker) -> Poll<F::Output> {
    Pin::new(f).poll(&mut Context::from_waker(waker))
}

/// Polls `f` once with a waker of some other task (one that owns nothing).
pub fn poll_elsewhere<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
    poll_with(f, Waker::noop())
}

/// The cancel path: a task holding `held` parks `waiter` with its own waker, the executor
/// lets go of the task, and `waiter` is dropped. The primitive's cancel drops the task's last
/// waker, and with it `held`. Returns the task, for the test to check that it is gone.
pub fn drop_parked_waiter<H: Send + 'static, W: Future + Unpin>(
    held: H,
    mut waiter: W,
) -> ParkedTask {
    let mut task = ParkedTask::holding(held);
    assert!(
        poll_with(&mut waiter, task.waker()).is_pending(),
        "the waiter must park"
    );
    task.forget_waker();
    assert!(
        !task.future_dropped(),
        "the primitive keeps a clone of the waker"
    );
    drop(waiter);
    assert!(
        task.future_dropped(),
        "the cancel path dropped the task's last waker"
    );
    task
}

/// The re-poll path: as [`drop_parked_waiter`], but `waiter` is then polled by another task,
/// so the primitive replaces (drops) the first task's last waker. Returns the task and what
/// that second poll gave.
pub fn repoll_parked_waiter<H: Send + 'static, W: Future + Unpin>(
    held: H,
    waiter: &mut W,
) -> (ParkedTask, Poll<W::Output>) {
    let mut task = ParkedTask::holding(held);
    assert!(
        poll_with(waiter, task.waker()).is_pending(),
        "the waiter must park"
    );
    task.forget_waker();
    assert!(
        !task.future_dropped(),
        "the primitive keeps a clone of the waker"
    );
    let out = poll_elsewhere(waiter);
    assert!(
        task.future_dropped(),
        "the re-poll replaced the task's last waker"
    );
    (task, out)
}

/// Polls `f` once with a waker that owns nothing, so that it parks; returns it (for a task to
/// hold: its drop re-enters the primitive).
pub fn parked<F: Future + Unpin>(mut f: F) -> F {
    assert!(poll_elsewhere(&mut f).is_pending(), "it must park");
    f
}

/// A primitive that borrowed futures must outlive the `'static` task that holds them.
pub fn leak<T>(value: T) -> &'static T {
    Box::leak(Box::new(value))
}
