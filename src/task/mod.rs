//! Tasks: spawning, join handles, cancellation, the current task and the list of all tasks.
//!
//! # When a spawned task first runs
//!
//! A task is never polled inside the call that spawns it. [`spawn`] and [`spawn_local`] put
//! the new task at the back of the loop's run queue; a loop turn polls only the tasks that
//! were queued when it began, so a task spawned while the loop runs is first polled in a
//! *later* turn than the spawner's current poll, after every task that was already queued,
//! and tasks spawned one after another first run in the order they were spawned. A task
//! spawned from another thread ([`crate::Handle::spawn`]) joins the queue when the loop next
//! drains its inbox, at the start of a turn.
//!
//! # Dropping a `JoinHandle` cancels the task
//!
//! Structured code must not leak work silently, so dropping a [`JoinHandle`] cancels its task
//! (its future is dropped on the loop without being polled again). Call
//! [`JoinHandle::detach`] to let a task run to completion on its own; detached tasks still
//! appear in [`all_tasks`] and are cancelled when their loop is dropped.
//!
//! # Cooperative scheduling
//!
//! A task runs until it returns `Pending`, and an operation that is always ready (a channel
//! another thread keeps full, a lock nobody else wants, a socket with plenty of data) never
//! does. So that one busy task cannot freeze its loop, every poll of a task gets a *budget* of
//! 128 units. Each of tulipa's operations that completes spends one: channel and queue
//! receives and sends, [`Lock`](crate::sync::Lock), [`RwLock`](crate::sync::RwLock) and
//! semaphore acquires, [`Event::wait`](crate::sync::Event::wait), awaiting a
//! [`JoinHandle`] or a [`oneshot`](crate::channel::oneshot) receiver, and (natively) socket
//! reads, writes, accepts, sends and receives, pipe reads and writes and TLS stream reads.
//! Once the budget is spent, the next such operation returns `Pending` without doing anything
//! and wakes its task, which goes to the back of the run queue: the other tasks, the timers
//! and the I/O get their turn, and the task carries on with a fresh budget in its next poll.
//!
//! * An operation that waits (nothing to receive, the lock is held) spends nothing.
//! * The check comes *before* the operation takes anything, so a forced yield loses nothing:
//!   a receive inside [`race`](crate::race) or [`timeout`](crate::time::timeout) that gives
//!   way to the other side leaves its value in the channel, and every operation keeps the
//!   cancel safety it documents.
//! * The root future of [`Runtime::block_on`](crate::Runtime::block_on) (and of
//!   `sim::Sim::block_on`) gets a budget for each poll too, as it runs among the loop's
//!   tasks. Code polled outside tulipa's scheduling (another executor, a plain thread) is
//!   unconstrained.
//! * [`unconstrained`] opts a future out; [`consume_budget`] lets a loop of your own that
//!   awaits nothing of tulipa's take part.
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//!
//! tulipa::run(async {
//!     let (tx, mut rx) = tulipa::channel::mpsc::unbounded();
//!     for i in 0..10_000 {
//!         tx.try_send(i).unwrap();
//!     }
//!     let ticked = Rc::new(Cell::new(false));
//!     let t = ticked.clone();
//!     let other = tulipa::spawn_local(async move { t.set(true) });
//!     // Every receive is ready at once, yet the other task runs after at most 128 of them.
//!     let mut taken = 0;
//!     while !ticked.get() {
//!         rx.recv().await.unwrap();
//!         taken += 1;
//!     }
//!     assert!(taken <= 129);
//!     other.await.unwrap();
//! });
//! ```

mod error;
mod handle;
mod unfrozen;

use std::fmt;
use std::future::Future;
use std::num::NonZeroU64;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

pub use error::{Cancelled, JoinError, Panicked};
pub use handle::JoinHandle;

pub use crate::coop::{consume_budget, unconstrained, ConsumeBudget, Unconstrained};

use crate::context::{self, UNREGISTERED};
use crate::scheduler::{self, Remote, TaskInit, TaskMeta, LOCAL, SOFT};
use unfrozen::Unfrozen;

/// A task's id: unique among all tasks of the process, never reused.
///
/// ```
/// tulipa::run(async {
///     let a = tulipa::spawn(async {});
///     let b = tulipa::spawn(async {});
///     assert_ne!(a.id(), b.id());
/// });
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    pub(crate) fn next() -> TaskId {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        TaskId(NonZeroU64::new(n).expect("task id counter wrapped"))
    }

    /// The id as a number.
    ///
    /// ```
    /// tulipa::run(async {
    ///     assert!(tulipa::spawn(async {}).id().as_u64() > 0);
    /// });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a live task stands, as [`all_tasks`] and [`current`] report it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum TaskState {
    /// Spawned, not yet polled.
    Pending,
    /// Being polled right now (it is the current task).
    Running,
    /// Polled at least once, waiting to be woken.
    Waiting,
    /// Cancellation was requested; the task ends the next time the loop reaches it.
    Cancelling,
}

/// A snapshot of a live task: id, name, state and where it was spawned.
///
/// ```
/// tulipa::run(async {
///     let me = tulipa::task::current().expect("inside a task");
///     assert_eq!(me.state(), tulipa::task::TaskState::Running);
///     assert!(me.location().file().ends_with(".rs"));
/// });
/// ```
#[derive(Clone, Debug)]
pub struct TaskInfo {
    id: TaskId,
    name: String,
    state: TaskState,
    location: &'static Location<'static>,
}

impl TaskInfo {
    /// The task's id.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async {});
    ///     assert!(tulipa::task::all_tasks().iter().any(|i| i.id() == t.id()));
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// The task's name: the one given to [`Builder::name`], else `Task-<id>` as in asyncio.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::task::Builder::new().name("fetcher").spawn(async {});
    ///     let info = tulipa::task::all_tasks().into_iter().find(|i| i.id() == t.id()).unwrap();
    ///     assert_eq!(info.name(), "fetcher");
    /// });
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The task's state when the snapshot was taken.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::spawn(async {});
    ///     let info = tulipa::task::all_tasks().into_iter().find(|i| i.id() == t.id()).unwrap();
    ///     assert_eq!(info.state(), tulipa::task::TaskState::Pending);
    /// });
    /// ```
    pub fn state(&self) -> TaskState {
        self.state
    }

    /// The source location of the `spawn` call.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let line = line!() + 1;
    ///     let t = tulipa::spawn(async {});
    ///     let info = tulipa::task::all_tasks().into_iter().find(|i| i.id() == t.id()).unwrap();
    ///     assert_eq!(info.location().line(), line);
    /// });
    /// ```
    pub fn location(&self) -> &'static Location<'static> {
        self.location
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (id {}, {:?}, spawned at {})",
            self.name, self.id, self.state, self.location
        )
    }
}

pub(crate) fn default_name(id: TaskId) -> String {
    format!("Task-{id}")
}

/// Used by backends on which a panic cannot unwind (the web).
#[allow(dead_code)]
/// "'name' (spawned at file:line)" for the running task, without panicking: for panic
/// reports, which may run while the registry is borrowed.
pub(crate) fn describe_current() -> Option<String> {
    let ctx = context::task();
    if ctx.key == UNREGISTERED {
        return None;
    }
    context::with_loop_id(ctx.loop_id, |local| {
        let tasks = local.tasks.try_borrow().ok()?;
        let e = tasks.get(ctx.key as usize)?;
        let name = e.name().map_or_else(|| default_name(e.id), str::to_owned);
        Some(format!("'{name}' (spawned at {})", e.location))
    })
    .flatten()
}

/// The task being polled on this thread, or `None` outside a task (asyncio's `current_task`).
///
/// ```
/// assert!(tulipa::task::current().is_none());
/// tulipa::run(async {
///     let t = tulipa::task::Builder::new()
///         .name("worker")
///         .spawn(async { tulipa::task::current().unwrap().name().to_owned() });
///     assert_eq!(t.await.unwrap(), "worker");
/// });
/// ```
pub fn current() -> Option<TaskInfo> {
    let ctx = context::task();
    if ctx.key == UNREGISTERED {
        return None;
    }
    context::with_loop_id(ctx.loop_id, |local| {
        let tasks = local.tasks.borrow();
        tasks.get(ctx.key as usize).map(|e| TaskInfo {
            id: e.id,
            name: e.name().map_or_else(|| default_name(e.id), str::to_owned),
            state: crate::task::TaskState::Running,
            location: e.location,
        })
    })
    .flatten()
}

/// Every live task of the current loop, in no particular order (asyncio's `all_tasks`).
///
/// A task spawned from another thread appears once the loop has taken it from its inbox (at
/// the start of the next turn). Returns an empty list outside a loop.
///
/// ```
/// tulipa::run(async {
///     let t = tulipa::task::Builder::new().name("sleeper")
///         .spawn(tulipa::sleep(std::time::Duration::from_secs(60)));
///     tulipa::yield_now().await;
///     let all = tulipa::task::all_tasks();
///     let info = all.iter().find(|i| i.id() == t.id()).unwrap();
///     assert_eq!(info.name(), "sleeper");
///     assert_eq!(info.state(), tulipa::task::TaskState::Waiting);
/// });
/// ```
pub fn all_tasks() -> Vec<TaskInfo> {
    context::try_with_loop(|local| {
        let tasks = local.tasks.borrow();
        tasks
            .iter()
            .map(|(key, e)| TaskInfo {
                id: e.id,
                name: e.name().map_or_else(|| default_name(e.id), str::to_owned),
                state: local.task_state(e, key),
                location: e.location,
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Spawns a `Send` future as a new task on the current loop and returns its handle.
///
/// The task first runs in a later loop turn (see the [module docs](self)). Dropping the
/// handle cancels the task; [`JoinHandle::detach`] lets it run on.
///
/// # Panics
///
/// Outside a running loop (use [`crate::run`], [`crate::Runtime::block_on`], or
/// [`crate::Handle::spawn`] from other threads).
///
/// ```
/// tulipa::run(async {
///     let handle = tulipa::spawn(async { 6 * 7 });
///     assert_eq!(handle.await.unwrap(), 42);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    Builder::new().spawn(future)
}

/// Spawns a future that need not be `Send` on the current loop's thread.
///
/// Same ordering and drop semantics as [`spawn`].
///
/// # Panics
///
/// Outside a running loop.
///
/// ```
/// use std::rc::Rc;
/// tulipa::run(async {
///     let shared = Rc::new(5);
///     let task = tulipa::spawn_local({
///         let shared = Rc::clone(&shared);
///         async move { *shared + 1 }
///     });
///     assert_eq!(task.await.unwrap(), 6);
/// });
/// ```
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    Builder::new().spawn_local(future)
}

/// Names a task before spawning it.
///
/// ```
/// tulipa::run(async {
///     let t = tulipa::task::Builder::new().name("ticker").spawn(async {
///         tulipa::task::current().unwrap().name().to_owned()
///     });
///     assert_eq!(t.await.unwrap(), "ticker");
/// });
/// ```
#[derive(Debug, Default)]
#[must_use = "a Builder does nothing until you call spawn"]
pub struct Builder {
    name: Option<Box<str>>,
    soft_cancel: bool,
}

impl Builder {
    /// A builder with no name set.
    ///
    /// ```
    /// let _b = tulipa::task::Builder::new();
    /// ```
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Sets the task's name (shown by [`all_tasks`], [`current`] and panic reports).
    ///
    /// ```
    /// let _b = tulipa::task::Builder::new().name("db-writer");
    /// ```
    pub fn name(mut self, name: impl Into<String>) -> Builder {
        self.name = Some(name.into().into_boxed_str());
        self
    }

    /// Makes [`JoinHandle::cancel`] a request the task sees, rather than the end of its
    /// future: asyncio's model, in which a cancelled task may still run async clean-up.
    ///
    /// The task learns of the request through [`cancelled`] and [`is_cancel_requested`],
    /// finishes its clean-up (awaiting as it likes), and ends by returning; its handle then
    /// gives whatever it returned. [`JoinHandle::abort`] still drops it at once, and so does
    /// dropping its loop.
    ///
    /// ```
    /// use std::time::Duration;
    /// tulipa::run(async {
    ///     let worker = tulipa::task::Builder::new().soft_cancel().spawn(async {
    ///         tulipa::task::cancelled().await; // wait for the request
    ///         tulipa::sleep(Duration::from_millis(5)).await; // async clean-up still runs
    ///         "cleaned up"
    ///     });
    ///     tulipa::yield_now().await;
    ///     worker.cancel();
    ///     assert_eq!(worker.await.unwrap(), "cleaned up");
    /// });
    /// ```
    pub fn soft_cancel(mut self) -> Builder {
        self.soft_cancel = true;
        self
    }

    fn flags(&self, local: bool) -> u8 {
        (if local { LOCAL } else { 0 }) | (if self.soft_cancel { SOFT } else { 0 })
    }

    /// Spawns a `Send` future on the current loop; see [`spawn`].
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::task::Builder::new().name("x").spawn(async { 1 });
    ///     assert_eq!(t.await.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let local = context::current_loop();
        local.check_poisoned();
        let meta = TaskMeta::new(Arc::clone(&local.shared), self.flags(false));
        let (runnable, task) = async_task::Builder::new()
            .metadata(meta)
            .spawn(|_| wrap(future), scheduler::schedule);
        local.register_and_queue(runnable, self.init(location));
        JoinHandle::new(task)
    }

    /// Spawns a future that need not be `Send` on the current loop; see [`spawn_local`].
    ///
    /// ```
    /// tulipa::run(async {
    ///     let t = tulipa::task::Builder::new().name("ui").spawn_local(async { "done" });
    ///     assert_eq!(t.await.unwrap(), "done");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let location = Location::caller();
        let local = context::current_loop();
        local.check_poisoned();
        let meta = TaskMeta::new(Arc::clone(&local.shared), self.flags(true));
        let (runnable, task) = async_task::Builder::new()
            .metadata(meta)
            .spawn_local(|_| wrap(future), scheduler::schedule);
        local.register_and_queue(runnable, self.init(location));
        JoinHandle::new(task)
    }

    /// Spawns a `Send` future onto the loop behind `handle`, from any thread.
    ///
    /// ```
    /// let rt = tulipa::Runtime::new().unwrap();
    /// let handle = rt.handle();
    /// let from_thread = std::thread::spawn(move || {
    ///     tulipa::task::Builder::new().name("remote").spawn_on(&handle, async { 7 })
    /// }).join().unwrap();
    /// assert_eq!(rt.block_on(from_thread).unwrap(), 7);
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(self, handle: &crate::Handle, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let location = Location::caller();
        let shared = handle.shared();
        let meta = TaskMeta::new(Arc::clone(shared), self.flags(false));
        let (runnable, task) = async_task::Builder::new()
            .metadata(meta)
            .spawn(|_| wrap(future), scheduler::schedule);
        // On the loop's own thread the task is registered at once; elsewhere it travels
        // through the inbox and is registered when the loop drains it.
        let mut slot = Some((runnable, self.init(location)));
        context::with_loop_id(shared.id, |local| {
            if let Some((runnable, init)) = slot.take() {
                local.register_and_queue(runnable, init);
            }
        });
        if let Some((runnable, init)) = slot {
            shared.push(Remote::Spawn(runnable, init));
        }
        JoinHandle::new(task)
    }

    fn init(self, location: &'static Location<'static>) -> TaskInit {
        TaskInit {
            location,
            name: self.name,
            cancel_msg: None,
        }
    }
}

pin_project_lite::pin_project! {
    /// A task's future as the loop runs it: cancellation, panic capture, registry
    /// bookkeeping. A struct rather than an `async fn` so the future is stored once.
    struct TaskFuture<F> {
        // `None` once dropped. The wrapper always drops it itself, under `catch_unwind`, so a
        // `Drop` that panics never reaches async-task, which would abort the process
        // (scheduler rule 6).
        // Behind an `UnsafeCell` so that async-task's thread check does not invalidate the
        // future's references into itself under Miri's aliasing rules (see `unfrozen`).
        #[pin]
        future: Unfrozen<Option<F>>,
        started: bool,
        // Dropped after `future` (fields drop in declaration order): the entry leaves the
        // registry after the future itself was dropped, whether it completed, was
        // cancelled or was dropped by the loop.
        registration: Registration,
    }
    impl<F> PinnedDrop for TaskFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            // The future is still here only when async-task drops the task without letting
            // it finish: its handle was dropped (async-task closes the task) or its runnable
            // was. Nothing can receive an outcome then, so a panic goes to the handler.
            if let Err(p) = drop_future(this.project().future.get_pin_mut()) {
                p.report_unobserved();
            }
        }
    }
}

fn wrap<F: Future>(future: F) -> TaskFuture<F> {
    TaskFuture {
        future: Unfrozen::new(Some(future)),
        started: false,
        registration: Registration,
    }
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = Result<F::Output, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        poll_task(this.future.get_pin_mut(), this.started, cx)
    }
}

fn poll_task<F: Future>(
    mut slot: Pin<&mut Option<F>>,
    started: &mut bool,
    cx: &mut Context<'_>,
) -> Poll<Result<F::Output, JoinError>> {
    let outcome = if let Some(msg) = context::take_cancel() {
        Err(JoinError::cancelled(msg))
    } else {
        if !*started {
            *started = true;
            let ctx = context::task();
            context::with_loop_id(ctx.loop_id, |l| l.mark_started(ctx.key));
        }
        let future = slot
            .as_mut()
            .as_pin_mut()
            .expect("async-task polled a task after it completed");
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(Poll::Ready(v)) => Ok(v),
            Ok(Poll::Pending) => return Poll::Pending,
            Err(payload) => Err(JoinError::Panicked(Panicked::from_payload(payload))),
        }
    };
    // Scheduler rule 6: the future is dropped here, before async-task sees the outcome.
    let outcome = match (drop_future(slot), outcome) {
        (Ok(()), outcome) => outcome,
        // As in tokio, the drop's panic is the outcome instead of the value or the
        // cancellation: the task did not end cleanly.
        (Err(p), Ok(value)) => {
            drop_output(value);
            Err(JoinError::Panicked(p))
        }
        (Err(p), Err(JoinError::Cancelled(_))) => Err(JoinError::Panicked(p)),
        // The poll panicked, then the drop: the first panic is the outcome, and the second
        // would be seen by nobody.
        (Err(p), Err(first)) => {
            p.report_unobserved();
            Err(first)
        }
    };
    if !context::task().detached {
        return Poll::Ready(outcome);
    }
    // Nothing will read a detached task's outcome (`JoinHandle::detach` set the flag before
    // this poll began, and leaves the outcome to async-task). A panic goes to the handler; a
    // value is dropped here, as async-task would drop it inside its abort-on-panic guard
    // (rule 6), and the unread outcome left in its place is a cancellation.
    match outcome {
        Err(JoinError::Panicked(p)) => {
            p.report_unobserved();
            Poll::Ready(Err(JoinError::Panicked(p)))
        }
        Ok(value) => {
            drop_output(value);
            Poll::Ready(Err(JoinError::cancelled(None)))
        }
        cancelled => Poll::Ready(cancelled),
    }
}

/// Drops the task's future in place, catching a panic from its `Drop`. `Pin::set` writes
/// `None` even when the old value's drop unwinds, so the future is never dropped twice.
fn drop_future<F>(mut slot: Pin<&mut Option<F>>) -> Result<(), Panicked> {
    if slot.is_none() {
        return Ok(());
    }
    catch_unwind(AssertUnwindSafe(|| slot.set(None))).map_err(Panicked::from_drop_payload)
}

/// Drops a value the task returned that nobody will receive (the task is detached, or its
/// future's drop panicked), reporting a panic from the value's own `Drop`.
fn drop_output<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| drop(value))) {
        Panicked::from_drop_payload(payload).report_unobserved();
    }
}

/// Removes the running task from its loop's registry when the task's future is dropped.
struct Registration;

impl Drop for Registration {
    fn drop(&mut self) {
        let ctx = context::task();
        if ctx.key != UNREGISTERED {
            context::with_loop_id(ctx.loop_id, |l| l.deregister(ctx.key));
        }
    }
}

/// Whether cancellation of the running task was requested (false outside a task). Only a
/// task spawned with [`Builder::soft_cancel`] ever sees `true`: any other is dropped instead.
///
/// ```
/// tulipa::run(async {
///     assert!(!tulipa::task::is_cancel_requested());
/// });
/// ```
pub fn is_cancel_requested() -> bool {
    context::task().cancel_requested
}

/// Completes when cancellation of the running task is requested: the hook for async clean-up
/// in a task spawned with [`Builder::soft_cancel`] (see there). In any other task it never
/// completes (such a task is dropped when cancelled).
///
/// Typical use races it against the work: `race(work, cancelled())`, then clean up.
///
/// # Cancel safety
///
/// Cancel safe: it holds nothing; the request stays visible.
///
/// ```
/// tulipa::run(async {
///     let t = tulipa::task::Builder::new().soft_cancel().spawn(async {
///         tulipa::task::cancelled().await;
///         tulipa::task::is_cancel_requested()
///     });
///     tulipa::yield_now().await;
///     t.cancel();
///     assert!(t.await.unwrap());
/// });
/// ```
pub fn cancelled() -> CancelRequested {
    CancelRequested { _private: () }
}

/// The future of [`cancelled`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct CancelRequested {
    _private: (),
}

impl Future for CancelRequested {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        // The request wakes the whole task, so this is polled again when it comes.
        if is_cancel_requested() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Yields once to the loop: the task goes to the back of the run queue (asyncio's
/// `sleep(0)`).
///
/// # Cancel safety
///
/// Cancel safe: it holds nothing.
///
/// ```
/// tulipa::run(async {
///     let other = tulipa::spawn(async { 1 });
///     tulipa::yield_now().await;
///     assert!(other.is_finished());
/// });
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future returned by [`yield_now`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
