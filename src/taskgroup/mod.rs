//! Structured concurrency: [`task_group`] and [`TaskGroup`] (the user docs are on
//! [`task_group`]).
//
// Maintainer notes: the protocol.
//
// Three parties: the runner (`TaskGroupRun`, polled by the task that awaits the group, on
// one loop), spawners (any holder of a `TaskGroup`), and member handles (`Member`).
//
// Shared state, each under its own std mutex, never nested:
//   `Spawned` (E-typed): handles spawned but not yet adopted by the runner, the next member
//       index, and `refuse` (why spawns are refused: shutting down, or finished).
//   `Control` (untyped, so `Member<T>` can reach it): the runner's waker, member indices
//       whose cancel was requested, and a group-cancel flag.
// The runner alone owns the adopted `JoinHandle`s, the body, the failures.
//
// Rules:
//
// 1. A spawner spawns the task, then under `Spawned` either refuses it (then drops the handle
//    after unlocking, cancelling the task before it ever runs) or takes the next index and
//    queues the handle; then it wakes the runner. The runner adopts queued handles in order,
//    so a member's index is its position in the runner's list.
// 2. Requests (a member cancel, a group cancel) are recorded in `Control` and the runner is
//    woken; it applies them after adopting, so every index it sees is adopted.
// 3. Abort (first failure or cancel): set `refuse` first, then drop the body (its drops
//    cannot spawn any more), then cancel every live member. Members end on their own time.
// 4. The group finishes when the body is gone and no member is live, and — checked under
//    `Spawned` at the same moment as `refuse` is set to "finished" — no handle is queued. So
//    a spawn either lands before that check (and is adopted and awaited) or is refused.
// 5. Dropping an unfinished runner sets `refuse`, then drops the body, then the member
//    handles (async-task cancels their tasks; their futures are dropped on the loop).
// 6. No waker is woken and no handle or future is dropped while a mutex is held.

mod error;
mod member;

use std::fmt;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

pub use error::{Failure, TaskGroupError};
pub use member::Member;

use crate::combinators::ready::{lock, ReadySet};
use crate::future::cancelled_error;
use crate::task::{self, Builder, Cancelled, Panicked};
use crate::{JoinError, JoinHandle};
use member::{member_future, Slot};

const SHUTTING_DOWN: &str = "task group is shutting down";
const FINISHED: &str = "task group is finished";

/// Runs `body` with a new [`TaskGroup`] and waits for it and every member to end
/// (structured concurrency with asyncio 3.11's `TaskGroup` semantics).
///
/// `body` and the members are fallible futures with the same error type `E`: `Err` is a
/// failure (asyncio's exception), and so is a panic. The group gives the body's value if
/// nothing failed and the group was not cancelled. No member outlives its group.
///
/// A task group runs a body that spawns member tasks into the group, and ends only when the
/// body and every member have ended: no member outlives its group.
///
/// * The first failure — a member or the body returning `Err`, or panicking — cancels every
///   other member and drops the body; the group then waits for the members to end and
///   reports **every** failure together in [`TaskGroupError::Failed`] (asyncio's
///   `ExceptionGroup`), in the order they happened.
/// * A member that is cancelled on its own ([`Member::cancel`]) is not a failure.
/// * Cancelling the group ([`TaskGroup::cancel`]) cancels every member and the body; the group
///   gives [`TaskGroupError::Cancelled`] unless something failed.
/// * Members spawned once the group is shutting down or finished are not started; their
///   [`Member`] handle reports them cancelled (asyncio raises `RuntimeError` there).
///
/// ```
/// use std::time::Duration;
///
/// tulipa::run(async {
///     let sum = tulipa::task_group(|tg| async move {
///         let a = tg.spawn(async { tulipa::sleep(Duration::from_millis(2)).await; Ok(20) });
///         let b = tg.spawn(async { Ok(22) });
///         Ok::<_, String>(a.await.unwrap() + b.await.unwrap())
///     }).await;
///     assert_eq!(sum.unwrap(), 42);
///
///     let failed = tulipa::task_group(|tg| async move {
///         tg.spawn(async { Err::<(), _>("disk full".to_owned()) });
///         tg.spawn(async { tulipa::sleep(Duration::from_secs(3600)).await; Ok(()) }); // cancelled
///         std::future::pending::<Result<(), String>>().await // the body is cancelled too
///     }).await;
///     let err = failed.unwrap_err();
///     assert_eq!(err.errors().collect::<Vec<_>>(), ["disk full"]);
/// });
/// ```
///
/// # How members are cancelled, and soft cancel
///
/// The group cancels a member with [`JoinHandle::cancel`](crate::JoinHandle::cancel): an
/// ordinary member is dropped at its current `.await`; a member spawned with
/// [`task::Builder::soft_cancel`](crate::task::Builder::soft_cancel) (through
/// [`TaskGroup::spawn_with`]) is told ([`crate::task::cancelled`]) and may run async clean-up
/// before it returns, and the group waits for that clean-up before it reports.
///
/// The body runs inside the group's future, in the task that awaits it. If that task was
/// spawned with soft cancel and is cancelled, the group sees the request: it cancels the
/// members, keeps polling the body (which sees the request too, through
/// [`crate::task::cancelled`], and can clean up), and gives [`TaskGroupError::Cancelled`]
/// once everything has ended. If the task is cancelled outright (or the group's future is
/// dropped), the body and every member are dropped at once: no clean-up can be awaited from
/// `Drop`, so members are aborted, soft or not.
///
/// A [`crate::CancelToken`] complements this: pass a child token to members for a
/// shutdown signal they poll at their own pace, independent of the group's failure handling.
///
/// # Cancel safety
///
/// Dropping the group's future drops the body and cancels every member (they are aborted,
/// even soft-cancel ones); nothing outlives it.
///
/// A second example, collecting member values:
///
/// ```
/// tulipa::run(async {
///     let squares = tulipa::task_group(|tg| async move {
///         let members: Vec<_> = (1..=4u32).map(|n| tg.spawn(async move { Ok(n * n) })).collect();
///         let mut out = Vec::new();
///         for m in members {
///             out.push(m.await.expect("not cancelled"));
///         }
///         Ok::<_, std::io::Error>(out)
///     }).await.unwrap();
///     assert_eq!(squares, [1, 4, 9, 16]);
/// });
/// ```
pub fn task_group<E, R, B, Fut>(body: B) -> TaskGroupRun<Fut, R, E>
where
    B: FnOnce(TaskGroup<E>) -> Fut,
    Fut: Future<Output = Result<R, E>>,
{
    let group = TaskGroup {
        control: Arc::new(Control::default()),
        spawned: Arc::new(Mutex::new(Spawned {
            queued: Vec::new(),
            next_index: 0,
            refuse: None,
        })),
    };
    let body = Box::pin(body(group.clone()));
    TaskGroupRun {
        group,
        body: Some(body),
        value: None,
        members: Vec::new(),
        ready: ReadySet::new(),
        live: 0,
        failures: Vec::new(),
        cancelled: None,
        aborting: false,
        done: false,
    }
}

/// A handle to a running task group: spawn members into it, or cancel it. Cheap to clone;
/// `Send + Sync` when the error type is `Send`, so members can spawn siblings. The rules are
/// on [`task_group`].
///
/// ```
/// tulipa::run(async {
///     let r = tulipa::task_group(|tg| async move {
///         let inner = tg.clone();
///         tg.spawn(async move {
///             inner.spawn(async { Ok(()) }); // a member spawning a sibling
///             Ok(())
///         });
///         Ok::<_, ()>("done")
///     }).await;
///     assert_eq!(r.unwrap(), "done");
/// });
/// ```
pub struct TaskGroup<E> {
    control: Arc<Control>,
    spawned: Arc<Mutex<Spawned<E>>>,
}

struct Spawned<E> {
    queued: Vec<JoinHandle<Result<(), E>>>,
    next_index: usize,
    refuse: Option<&'static str>,
}

#[derive(Default)]
struct Control {
    state: Mutex<ControlState>,
}

#[derive(Default)]
struct ControlState {
    runner: Option<Waker>,
    cancels: Vec<usize>,
    cancel_group: bool,
}

impl Control {
    fn request(&self, f: impl FnOnce(&mut ControlState)) {
        let runner = {
            let mut st = lock(&self.state);
            f(&mut st);
            st.runner.clone()
        };
        if let Some(w) = runner {
            w.wake(); // Rule 6: after unlocking.
        }
    }
}

/// What a member's task returns to the group; its value goes to its `Member` handle.
type MemberTask<E> = JoinHandle<Result<(), E>>;

impl<E: 'static> TaskGroup<E> {
    /// Spawns a `Send` member (see [`crate::spawn`]) and returns its handle.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let v = tulipa::task_group(|tg| async move {
    ///         let m = tg.spawn(async { Ok::<_, ()>(5) });
    ///         Ok(m.await.unwrap())
    ///     }).await;
    ///     assert_eq!(v.unwrap(), 5);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn<T, F>(&self, future: F) -> Member<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send,
    {
        self.spawn_with(Builder::new(), future)
    }

    /// Spawns a `Send` member configured by `builder` (a name, soft cancellation).
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use tulipa::task::Builder;
    /// tulipa::run(async {
    ///     let v = tulipa::task_group(|tg| async move {
    ///         let m = tg.spawn_with(Builder::new().name("fetcher").soft_cancel(), async {
    ///             Ok::<_, ()>(tulipa::task::current().unwrap().name().to_owned())
    ///         });
    ///         Ok(m.await.unwrap())
    ///     }).await;
    ///     assert_eq!(v.unwrap(), "fetcher");
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_with<T, F>(&self, builder: Builder, future: F) -> Member<T>
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: Send,
    {
        if let Some(refused) = self.refused() {
            return refused;
        }
        let (slot, task) = member_future(future);
        self.adopt(builder.spawn(task), slot)
    }

    /// Spawns a member that need not be `Send` (see [`crate::spawn_local`]).
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// use std::rc::Rc;
    /// tulipa::run(async {
    ///     let v = tulipa::task_group(|tg| async move {
    ///         let local = Rc::new(3);
    ///         let m = tg.spawn_local(async move { Ok::<_, ()>(*local) });
    ///         Ok(m.await.unwrap())
    ///     }).await;
    ///     assert_eq!(v.unwrap(), 3);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local<T, F>(&self, future: F) -> Member<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        self.spawn_local_with(Builder::new(), future)
    }

    /// Spawns a member that need not be `Send`, configured by `builder`.
    ///
    /// # Panics
    ///
    /// Outside a running loop.
    ///
    /// ```
    /// tulipa::run(async {
    ///     let v = tulipa::task_group(|tg| async move {
    ///         let m = tg.spawn_local_with(tulipa::task::Builder::new().name("ui"), async {
    ///             Ok::<_, ()>(1)
    ///         });
    ///         Ok(m.await.unwrap())
    ///     }).await;
    ///     assert_eq!(v.unwrap(), 1);
    /// });
    /// ```
    #[track_caller]
    pub fn spawn_local_with<T, F>(&self, builder: Builder, future: F) -> Member<T>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        if let Some(refused) = self.refused() {
            return refused;
        }
        let (slot, task) = member_future(future);
        self.adopt(builder.spawn_local(task), slot)
    }

    fn refused<T>(&self) -> Option<Member<T>> {
        let why = lock(&self.spawned).refuse?;
        Some(Member::refused(why, Arc::clone(&self.control)))
    }

    /// Rule 1: queues a spawned member for the runner, or refuses it.
    fn adopt<T>(&self, task: MemberTask<E>, slot: Arc<Mutex<Slot<T>>>) -> Member<T> {
        let id = task.id();
        let mut sp = lock(&self.spawned);
        if let Some(why) = sp.refuse {
            drop(sp);
            drop(task); // Cancels it before it ever runs.
            return Member::refused(why, Arc::clone(&self.control));
        }
        let index = sp.next_index;
        sp.next_index += 1;
        sp.queued.push(task);
        drop(sp);
        self.control.request(|_| {});
        Member::new(slot, Arc::clone(&self.control), index, id)
    }

    /// Cancels the group: every member is cancelled and the body dropped; the group gives
    /// [`TaskGroupError::Cancelled`] unless something failed. Works from any thread; does
    /// nothing once the group has finished.
    ///
    /// ```
    /// use std::time::Duration;
    /// tulipa::run(async {
    ///     let r = tulipa::task_group(|tg| async move {
    ///         tg.spawn(async { tulipa::sleep(Duration::from_secs(3600)).await; Ok(()) });
    ///         tg.cancel();
    ///         std::future::pending::<Result<(), ()>>().await
    ///     }).await;
    ///     assert!(r.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn cancel(&self) {
        self.control.request(|st| st.cancel_group = true);
    }
}

impl<E> Clone for TaskGroup<E> {
    fn clone(&self) -> Self {
        TaskGroup {
            control: Arc::clone(&self.control),
            spawned: Arc::clone(&self.spawned),
        }
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sp = lock(&self.spawned);
        f.debug_struct("TaskGroup")
            .field("spawned", &sp.next_index)
            .field("refusing", &sp.refuse)
            .finish()
    }
}

/// The future of [`task_group`]: the body's value, or a [`TaskGroupError`].
///
/// # Cancel safety
///
/// Dropping it drops the body and cancels every member (see [`task_group`]).
///
/// ```
/// tulipa::run(async {
///     let run: tulipa::TaskGroupRun<_, u8, ()> = tulipa::task_group(|_tg| async { Ok(1) });
///     assert_eq!(run.await.unwrap(), 1);
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct TaskGroupRun<Fut, R, E> {
    group: TaskGroup<E>,
    body: Option<Pin<Box<Fut>>>,
    value: Option<R>,
    members: Vec<Option<MemberTask<E>>>,
    ready: ReadySet,
    live: usize,
    failures: Vec<Failure<E>>,
    cancelled: Option<Cancelled>,
    aborting: bool,
    done: bool,
}

// Nothing is pinned in place: the body is boxed, the rest is never pinned.
impl<Fut, R, E> Unpin for TaskGroupRun<Fut, R, E> {}

impl<Fut, R, E> TaskGroupRun<Fut, R, E>
where
    Fut: Future<Output = Result<R, E>>,
{
    /// Takes the members spawned since the last look (rule 1).
    fn adopt(&mut self) {
        let queued = std::mem::take(&mut lock(&self.group.spawned).queued);
        for task in queued {
            if self.aborting {
                task.cancel();
            }
            self.members.push(Some(task));
            self.ready.push();
            self.live += 1;
        }
    }

    /// Rule 2, and the soft cancellation of the task that runs the group.
    fn apply_requests(&mut self) {
        let (cancels, cancel_group) = {
            let mut st = lock(&self.group.control.state);
            (
                std::mem::take(&mut st.cancels),
                std::mem::take(&mut st.cancel_group),
            )
        };
        for i in cancels {
            if let Some(Some(task)) = self.members.get(i) {
                task.cancel();
            }
        }
        if cancel_group && self.cancelled.is_none() {
            self.cancelled = Some(cancelled_error(None));
            self.abort(true);
        }
        if task::is_cancel_requested() && self.cancelled.is_none() {
            // The body is in the same task: it sees the request too, so it is kept.
            self.cancelled = Some(cancelled_error(None));
            self.abort(false);
        }
    }

    /// Rule 3.
    fn abort(&mut self, drop_body: bool) {
        if !self.aborting {
            self.aborting = true;
            lock(&self.group.spawned).refuse = Some(SHUTTING_DOWN);
            for task in self.members.iter().flatten() {
                task.cancel();
            }
        }
        if drop_body {
            self.body = None;
        }
    }

    fn fail(&mut self, failure: Failure<E>) {
        self.failures.push(failure);
        self.abort(true);
    }

    fn poll_body(&mut self, cx: &mut Context<'_>) {
        let Some(body) = self.body.as_mut() else {
            return;
        };
        match catch_unwind(AssertUnwindSafe(|| body.as_mut().poll(cx))) {
            Ok(Poll::Pending) => {}
            Ok(Poll::Ready(Ok(value))) => {
                self.body = None;
                self.value = Some(value);
            }
            Ok(Poll::Ready(Err(e))) => {
                self.body = None;
                self.fail(Failure::Error(e));
            }
            Err(payload) => {
                self.body = None;
                self.fail(Failure::Panicked(Panicked::from_payload(payload)));
            }
        }
    }

    fn poll_members(&mut self) {
        for i in self.ready.take_ready() {
            let Some(task) = self.members[i].as_mut() else {
                continue;
            };
            let mut cx_i = Context::from_waker(self.ready.waker(i));
            let Poll::Ready(out) = Pin::new(task).poll(&mut cx_i) else {
                continue;
            };
            self.members[i] = None;
            self.live -= 1;
            match out {
                Ok(Ok(())) | Err(JoinError::Cancelled(_)) => {}
                Ok(Err(e)) => self.fail(Failure::Error(e)),
                Err(JoinError::Panicked(p)) => self.fail(Failure::Panicked(p)),
            }
        }
    }

    /// Rule 4: whether nothing is left, closing the group if so.
    fn try_finish(&mut self) -> bool {
        if self.body.is_some() || self.live > 0 {
            return false;
        }
        let mut sp = lock(&self.group.spawned);
        if !sp.queued.is_empty() {
            return false;
        }
        sp.refuse = Some(FINISHED);
        true
    }
}

impl<Fut, R, E> Future for TaskGroupRun<Fut, R, E>
where
    Fut: Future<Output = Result<R, E>>,
{
    type Output = Result<R, TaskGroupError<E>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        assert!(!this.done, "TaskGroupRun polled after completion");
        {
            let mut st = lock(&this.group.control.state);
            match &st.runner {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => st.runner = Some(cx.waker().clone()),
            }
        }
        this.ready.register(cx.waker());
        loop {
            this.adopt();
            this.apply_requests();
            this.poll_body(cx);
            this.adopt(); // What the body just spawned.
            this.poll_members();
            if !this.try_finish() {
                if lock(&this.group.spawned).queued.is_empty() {
                    return Poll::Pending;
                }
                continue; // Spawned by another task meanwhile: adopt and poll it now.
            }
            this.done = true;
            let failures = std::mem::take(&mut this.failures);
            return Poll::Ready(if !failures.is_empty() {
                Err(TaskGroupError::Failed(failures))
            } else if let Some(c) = this.cancelled.take() {
                Err(TaskGroupError::Cancelled(c))
            } else {
                Ok(this.value.take().expect("the body completed with a value"))
            });
        }
    }
}

impl<Fut, R, E> Drop for TaskGroupRun<Fut, R, E> {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Rule 5.
        let queued = {
            let mut sp = lock(&self.group.spawned);
            sp.refuse = Some(FINISHED);
            std::mem::take(&mut sp.queued)
        };
        self.body = None;
        drop(queued);
        self.members.clear();
    }
}

impl<Fut, R, E> fmt::Debug for TaskGroupRun<Fut, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroupRun")
            .field("body_running", &self.body.is_some())
            .field("members_running", &self.live)
            .field("failures", &self.failures.len())
            .field("aborting", &self.aborting)
            .finish()
    }
}
