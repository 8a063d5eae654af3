//! asyncio's delayed calls: `call_soon`, `call_later`, `call_at`.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::task::{Builder, JoinHandle};
use crate::time::{sleep_until, Instant};

/// A scheduled callback (asyncio's `Handle` / `TimerHandle`).
///
/// Unlike a [`JoinHandle`], **dropping a `CallHandle` does not cancel the call**, as in
/// asyncio; call [`CallHandle::cancel`] to stop it.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let call = tulipa::call_later(Duration::from_secs(60), || unreachable!());
///     assert!(call.cancel());
///     assert!(call.cancelled());
/// });
/// ```
pub struct CallHandle {
    task: Option<JoinHandle<()>>,
    when: Option<Instant>,
    cancelled: AtomicBool,
}

impl CallHandle {
    pub(crate) fn new(task: JoinHandle<()>, when: Option<Instant>) -> CallHandle {
        CallHandle {
            task: Some(task),
            when,
            cancelled: AtomicBool::new(false),
        }
    }

    /// Cancels the call if it has not run yet; returns whether this call cancelled it (false
    /// if it already ran or was cancelled before).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let call = tulipa::call_soon(|| unreachable!());
    ///     assert!(call.cancel());
    ///     tulipa::yield_now().await;
    ///     assert!(!call.cancel());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        if self.cancelled() {
            return false;
        }
        let pending = self.task.as_ref().is_some_and(JoinHandle::cancel);
        if pending {
            self.cancelled.store(true, Ordering::Relaxed);
        }
        pending
    }

    /// Whether [`cancel`](Self::cancel) stopped this call.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let call = tulipa::call_soon(|| ());
    ///     assert!(!call.cancelled());
    /// });
    /// ```
    pub fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Relaxed)
    }

    /// Whether the call has run or was cancelled.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let call = tulipa::call_soon(|| ());
    ///     tulipa::yield_now().await;
    ///     assert!(call.is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// When a timed call is due (`None` for `call_soon`).
    ///
    /// ```
    /// tulipa::run(async {
    ///     let at = tulipa::Instant::now() + std::time::Duration::from_secs(1);
    ///     let call = tulipa::call_at(at, || ());
    ///     assert_eq!(call.when(), Some(at));
    ///     call.cancel();
    /// });
    /// ```
    pub fn when(&self) -> Option<Instant> {
        self.when
    }
}

impl Drop for CallHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.detach();
        }
    }
}

impl fmt::Debug for CallHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallHandle")
            .field("when", &self.when)
            .field("cancelled", &self.cancelled())
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// Runs `callback` on the current loop in a later turn, after the tasks and callbacks
/// already queued (asyncio's `call_soon`). Callbacks run in the order they were scheduled.
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// tulipa::run(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     for i in 0..3 {
///         let log = log.clone();
///         tulipa::call_soon(move || log.borrow_mut().push(i));
///     }
///     tulipa::yield_now().await;
///     assert_eq!(*log.borrow(), [0, 1, 2]);
/// });
/// ```
#[track_caller]
pub fn call_soon<F: FnOnce() + 'static>(callback: F) -> CallHandle {
    CallHandle::new(Builder::new().spawn_local(async move { callback() }), None)
}

/// Runs `callback` on the current loop once `delay` has passed (asyncio's `call_later`).
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     let (tx, rx) = std::sync::mpsc::channel();
///     let _call = tulipa::call_later(Duration::from_millis(5), move || tx.send("late").unwrap());
///     tulipa::sleep(Duration::from_millis(20)).await;
///     assert_eq!(rx.try_recv(), Ok("late"));
/// });
/// ```
#[track_caller]
pub fn call_later<F: FnOnce() + 'static>(delay: Duration, callback: F) -> CallHandle {
    call_at(Instant::now() + delay, callback)
}

/// Runs `callback` on the current loop at `when` on its clock (asyncio's `call_at`).
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// use std::time::Duration;
/// tulipa::run(async {
///     tulipa::time::pause();
///     let at = tulipa::Instant::now() + Duration::from_secs(30);
///     let (tx, rx) = std::sync::mpsc::channel();
///     let _call = tulipa::call_at(at, move || tx.send(tulipa::Instant::now()).unwrap());
///     tulipa::sleep(Duration::from_secs(31)).await;
///     assert_eq!(rx.try_recv(), Ok(at));
/// });
/// ```
#[track_caller]
pub fn call_at<F: FnOnce() + 'static>(when: Instant, callback: F) -> CallHandle {
    let task = Builder::new().spawn_local(async move {
        sleep_until(when).await;
        callback()
    });
    CallHandle::new(task, Some(when))
}
